#!/usr/bin/env python3
"""Run a real Flink job, save its REST history, and put ckptsim's simulation beside it.

    python3 live/live-check.py [--seconds 40] [--port 18081] [--out DIR] [JOB ARGS...]

Installs Flink (the `apache-flink-libraries` package of the Python package registry,
without dependencies) into target/live-check/, compiles live/ProbeJob.java with
javac, runs it in one JVM (a MiniCluster with its REST API on 127.0.0.1), reads the
REST endpoints ckptsim import needs while the job runs, cancels it, and stops the JVM.
Then it runs `ckptsim import --calibrate` (the scenario's assumptions fitted to this
history), `ckptsim run` on the scenario written, and `ckptsim diff` of the two. Everything it starts is stopped when it ends,
also on Ctrl-C or an error.

JOB ARGS are the probe job's: rate=20000 keys=100000 payload=64 pauseEvery=0, and any
Flink key=value (a key with a dot), e.g. execution.checkpointing.unaligned.enabled=true.
Needs Java 11 or later (java, javac), Python 3.8+, network access to the package
registry on first use, and cargo. Not run by `cargo test`.

Exit codes: 0 when every step ran, 1 when the job or a ckptsim step failed, 2 for bad
arguments or a missing tool.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

FLINK_VERSION = "2.3.0"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JOB = {
    "rate": "20000",
    "keys": "100000",
    "payload": "64",
    "execution.checkpointing.interval": "2s",
    "parallelism.default": "2",
}
METRICS = [
    "busyTimeMsPerSecond",
    "backPressuredTimeMsPerSecond",
    "idleTimeMsPerSecond",
    "numRecordsInPerSecond",
    "numRecordsOutPerSecond",
    "numBytesOutPerSecond",
]


class Failure(Exception):
    """A step failed; the message says which and why."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def log(message):
    print(f"live-check: {message}", file=sys.stderr, flush=True)


def need(tool):
    if shutil.which(tool) is None:
        raise Failure(f"`{tool}` is not on PATH; install it first", code=2)


def install_flink(work):
    """The folder of Flink's jars, installed once into `work`."""
    target = work / f"apache-flink-libraries-{FLINK_VERSION}"
    lib = target / "pyflink" / "lib"
    if not (lib / f"flink-dist-{FLINK_VERSION}.jar").exists():
        log(f"installing apache-flink-libraries=={FLINK_VERSION} into {target}")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        run_step(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(partial),
             f"apache-flink-libraries=={FLINK_VERSION}"],
            "pip install",
            env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return lib


def compile_probe(lib, work):
    classes = work / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    run_step(["javac", "-cp", f"{lib}/*", "-d", str(classes), str(ROOT / "live" / "ProbeJob.java")], "javac")
    return classes


def run_step(command, what, **kwargs):
    result = subprocess.run(command, **kwargs)
    if result.returncode != 0:
        raise Failure(f"{what} failed (exit {result.returncode}): {' '.join(map(str, command))}")
    return result


def get(port, path, timeout=10):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return json.loads(response.read().decode())


def wait_for_running_job(port, jvm, deadline_s):
    """The id of the job once it runs."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if jvm.poll() is not None:
            raise Failure(f"the JVM ended (exit {jvm.returncode}) before the job ran; see its log")
        try:
            jobs = get(port, "/jobs/overview").get("jobs", [])
            running = [j for j in jobs if j.get("state") == "RUNNING"]
            if running:
                return running[0]["jid"]
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        time.sleep(0.5)
    raise Failure(f"no job was RUNNING on 127.0.0.1:{port} within {deadline_s} s")


def save(out, name, value):
    path = out / name
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=1))
    partial.replace(path)


def save_history(port, jid, out):
    """Reads, while the job runs, the endpoints `ckptsim import` and `ckptsim diff` use."""
    out.mkdir(parents=True, exist_ok=True)
    job = get(port, f"/jobs/{jid}")
    save(out, "job.json", job)
    save(out, "jobs_overview.json", get(port, "/jobs/overview"))
    checkpoints = get(port, f"/jobs/{jid}/checkpoints")
    save(out, "checkpoints.json", checkpoints)
    save(out, "checkpoints_config.json", get(port, f"/jobs/{jid}/checkpoints/config"))
    save(out, "taskmanagers.json", get(port, "/taskmanagers"))
    vertices = [v["id"] for v in job.get("vertices", [])]
    query = "get=" + ",".join(METRICS) + "&agg=min,max,avg,sum,skew"
    for vid in vertices:
        try:
            save(out, f"metrics_{vid}.json", get(port, f"/jobs/{jid}/vertices/{vid}/subtasks/metrics?{query}"))
        except urllib.error.URLError as e:
            log(f"no metrics for vertex {vid}: {e}")
    saved = 0
    for checkpoint in checkpoints.get("history", []):
        n = checkpoint["id"]
        try:
            save(out, f"checkpoint_{n}_details.json", get(port, f"/jobs/{jid}/checkpoints/details/{n}"))
            for vid in vertices:
                subtasks = get(port, f"/jobs/{jid}/checkpoints/details/{n}/subtasks/{vid}")
                save(out, f"checkpoint_{n}_subtasks_{vid[:8]}.json", subtasks)
            saved += 1
        except urllib.error.URLError as e:
            # Flink keeps the details of its recent checkpoints only.
            log(f"checkpoint {n}: {e}")
    return len(checkpoints.get("history", [])), saved


def cancel(port, jid):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/jobs/{jid}?mode=cancel", method="PATCH")
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        log(f"cancelling the job: {e}")


def stop(jvm):
    if jvm.poll() is None:
        jvm.send_signal(signal.SIGTERM)
        try:
            jvm.wait(timeout=20)
        except subprocess.TimeoutExpired:
            jvm.kill()
            jvm.wait()


def simulate(out, ckptsim):
    """ckptsim import, run, and diff when there is one; the commands it ran."""
    scenario = out / "scenario.yaml"
    steps = [
        [*ckptsim, "import", "--calibrate", str(out), "-o", str(scenario)],
        [*ckptsim, "run", str(scenario), f"--report={out / 'report'}"],
    ]
    has_diff = subprocess.run([*ckptsim, "diff", "--help"], capture_output=True).returncode == 0
    if has_diff:
        steps.append([*ckptsim, "diff", str(scenario), str(out)])
    else:
        log("this ckptsim has no `diff` command: compare the report with Flink's numbers by hand")
    for command in steps:
        log("$ " + " ".join(command))
        result = subprocess.run(command)
        # `run` exits 1 when the simulation found a violation: a result, not a failure here.
        if result.returncode not in (0, 1):
            raise Failure(f"`{' '.join(command)}` failed (exit {result.returncode})")
    return steps


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=40, help="how long the job runs before its history is read")
    parser.add_argument("--port", type=int, default=18081, help="the REST port on 127.0.0.1")
    parser.add_argument("--out", type=Path, help="where the history goes (default target/live-check/run-<time>)")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "live-check", help="cache for Flink and classes")
    parser.add_argument("job", nargs="*", metavar="KEY=VALUE", help="the probe job's arguments and Flink keys")
    args = parser.parse_args()
    if args.seconds < 5 or args.seconds > 3600:
        parser.error("--seconds must be from 5 to 3600")
    job = dict(DEFAULT_JOB)
    for item in args.job:
        key, eq, value = item.partition("=")
        if not eq or not key:
            parser.error(f"expected KEY=VALUE, got {item!r}")
        job[key] = value
    job["rest.bind-address"] = "127.0.0.1"
    job["rest.address"] = "127.0.0.1"
    job["rest.bind-port"] = str(args.port)
    return args, job


def main():
    args, job = parse_args()
    for tool in ("java", "javac", "cargo"):
        need(tool)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    out = (args.out or work / time.strftime("run-%Y%m%d-%H%M%S")).resolve()
    lib = install_flink(work)
    classes = compile_probe(lib, work)
    log("building ckptsim (release)")
    run_step(["cargo", "build", "--release", "--quiet"], "cargo build", cwd=ROOT)
    ckptsim = [str(ROOT / "target" / "release" / "ckptsim")]

    out.mkdir(parents=True, exist_ok=True)
    jvm_log = open(out / "jvm.log", "w")
    command = ["java", "-cp", f"{lib}/*{os.pathsep}{classes}", "ckptsim.live.ProbeJob",
               *[f"{k}={v}" for k, v in job.items()]]
    save(out, "_probe.json", {"flink": FLINK_VERSION, "command": command, "seconds": args.seconds})
    log(f"starting the job: {' '.join(command[3:])}")
    jvm = subprocess.Popen(command, stdout=jvm_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        jid = wait_for_running_job(args.port, jvm, deadline_s=120)
        log(f"job {jid} is running; reading its history in {args.seconds} s")
        time.sleep(args.seconds)
        total, detailed = save_history(args.port, jid, out)
        log(f"saved {total} checkpoints ({detailed} with details) into {out}")
        cancel(args.port, jid)
    finally:
        stop(jvm)
        jvm_log.close()
    if total == 0:
        raise Failure("the job completed no checkpoint; see jvm.log and checkpoints.json")
    simulate(out, ckptsim)
    print(out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        log(f"error: {e}")
        sys.exit(e.code)
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(1)
