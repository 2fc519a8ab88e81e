use ckptsim::scenario::parse_str;

const BASE: &str = "duration: 1s
config:
  taskmanager.numberOfTaskSlots: 2
cluster:
  taskmanagers: 2
job:
  operators:
    - name: src
      kind: source
      parallelism: 2
      rate: 100
    - name: agg
      kind: aggregate
      parallelism: 2
    - name: out
      kind: sink
      parallelism: 2
  edges:
    - {from: src, to: agg}
    - {from: agg, to: out}
";

fn show(label: &str, text: &str) {
    match parse_str(text, "t.yaml") {
        Ok(_) => println!("{label}: OK"),
        Err(e) => println!("{label}: {e}"),
    }
}

#[test]
fn probe() {
    let cases: Vec<(&str, String)> = vec![
        (
            "bt_float",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: 1.5",
            ),
        ),
        (
            "bt_bool",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: true",
            ),
        ),
        (
            "bt_huge",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: 9223372036854775807",
            ),
        ),
        (
            "bt_neg",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: -2",
            ),
        ),
        (
            "bt_str",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: 5 parsecs",
            ),
        ),
        (
            "rs0",
            BASE.replace("      rate: 100\n", "      rate: 100\n      record-size: 0\n"),
        ),
        ("dots", BASE.replace("duration: 1s", "duration: 1.2.3s")),
        ("negstr", BASE.replace("duration: 1s", "duration: -5ms")),
        ("dot", BASE.replace("duration: 1s", "duration: .s")),
        ("underscore", BASE.replace("duration: 1s", "duration: _s")),
        ("hugedur", BASE.replace("duration: 1s", "duration: 1e300")),
        ("ratestr", BASE.replace("rate: 100", "rate: fast")),
        (
            "cfg5",
            BASE.replace("config:\n  taskmanager.numberOfTaskSlots: 2", "config: 5"),
        ),
        (
            "minmax",
            BASE.replace("      rate: 100\n", "      rate: 100\n      values: {min: 5, max: 1}\n"),
        ),
        (
            "clusterkey",
            BASE.replace("  taskmanagers: 2", "  taskmanagers: 2\n  cpu-core: 2"),
        ),
        (
            "partenum",
            BASE.replace("{from: src, to: agg}", "{from: src, to: agg, partitioning: hsah}"),
        ),
        (
            "distenum",
            BASE.replace(
                "      rate: 100\n",
                "      rate: 100\n      keys: {distribution: zpif, count: 5}\n",
            ),
        ),
        ("nosize", BASE.replace("kind: aggregate", "kind: window")),
        (
            "timeenum",
            BASE.replace("kind: aggregate", "kind: window\n      size: 1s\n      time: evnt"),
        ),
        ("noops", "duration: 1s\njob:\n  operators: []\n".to_string()),
        ("nokind", BASE.replace("      kind: aggregate\n", "")),
        ("dupkey", BASE.replace("duration: 1s", "duration: 1s\nduration: 2s")),
        ("nojob", "duration: 1s\n".to_string()),
        ("multidoc", format!("{BASE}---\n{BASE}")),
        ("numkey", format!("{BASE}1: x\n")),
        (
            "keysnocount",
            BASE.replace(
                "      rate: 100\n",
                "      rate: 100\n      keys: {distribution: uniform}\n",
            ),
        ),
        (
            "hugepar_tm",
            BASE.replace("  taskmanagers: 2", "  taskmanagers: 5000000000"),
        ),
        (
            "parfloat",
            BASE.replace(
                "      parallelism: 2\n    - name: out",
                "      parallelism: 2.5\n    - name: out",
            ),
        ),
        (
            "exp0",
            BASE.replace(
                "      rate: 100\n",
                "      rate: 100\n      keys: {distribution: zipf, count: 100, exponent: 0}\n",
            ),
        ),
        (
            "expuniform",
            BASE.replace(
                "      rate: 100\n",
                "      rate: 100\n      keys: {distribution: uniform, count: 100, exponent: 1}\n",
            ),
        ),
        (
            "hotkeys",
            BASE.replace(
                "      rate: 100\n",
                "      rate: 100\n      keys: {distribution: hot-key, count: 100, hot-keys: 200}\n",
            ),
        ),
        (
            "maxpar",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  pipeline.max-parallelism: 1",
            ),
        ),
        (
            "seg",
            BASE.replace(
                "  taskmanager.numberOfTaskSlots: 2",
                "  taskmanager.numberOfTaskSlots: 2\n  taskmanager.memory.segment-size: 1gb",
            ),
        ),
        (
            "bw",
            BASE.replace(
                "  taskmanagers: 2",
                "  taskmanagers: 2\n  network:\n    bandwidth: 12 furlongs/s",
            ),
        ),
        (
            "bw0",
            BASE.replace("  taskmanagers: 2", "  taskmanagers: 2\n  network:\n    bandwidth: 0"),
        ),
        (
            "edgedup",
            BASE.replace(
                "{from: agg, to: out}",
                "{from: agg, to: out}\n    - {from: agg, to: out}",
            ),
        ),
        (
            "fromundef",
            BASE.replace("{from: agg, to: out}", "{from: aggr, to: out}"),
        ),
        ("emptyname", BASE.replace("name: out", "name: \"\"")),
        ("alias", BASE.replace("job:", "x: &a 1\njob:")),
        (
            "mapafteragg",
            BASE.replace(
                "    - name: out\n",
                "    - name: m\n      kind: map\n      parallelism: 2\n    - name: out\n",
            )
            .replace("{from: agg, to: out}", "{from: agg, to: m}\n    - {from: m, to: out}"),
        ),
    ];
    for (l, t) in cases {
        show(l, &t);
    }
}

#[test]
fn probe_cycle() {
    let t = BASE.replace("      rate: 100\n", "      rate: 100\n    - name: m1\n      kind: map\n      parallelism: 2\n    - name: m2\n      kind: map\n      parallelism: 2\n").replace("    - {from: agg, to: out}\n", "    - {from: agg, to: out}\n    - {from: m1, to: m2}\n    - {from: m2, to: m1}\n");
    for (i, l) in t.lines().enumerate() {
        println!("{:3} {l}", i + 1);
    }
    let idx = ckptsim::scenario::position::PositionIndex::build(&t);
    for p in [
        "job.edges",
        "job.edges[0]",
        "job.edges[1]",
        "job.edges[2]",
        "job.edges[3]",
        "job.edges[3].to",
    ] {
        println!("{p}: {:?}", idx.find(p));
    }
}

#[test]
fn probe_run() {
    let which = std::env::var("PROBE").unwrap();
    let t = match which.as_str() {
        "bt" => BASE.replace("  taskmanager.numberOfTaskSlots: 2", "  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: 213000d"),
        "wm" => BASE.replace("  taskmanager.numberOfTaskSlots: 2", "  taskmanager.numberOfTaskSlots: 2\n  pipeline.auto-watermark-interval: 213000d").replace("kind: aggregate", "kind: window\n      size: 1s"),
        "poll" => BASE.replace("      rate: 100\n", "      rate: 100\n      poll-interval: 213000d\n"),
        "lat" => BASE.replace("  taskmanagers: 2", "  taskmanagers: 2\n  network:\n    latency: 213000d"),
        "cpu" => BASE.replace("      rate: 100\n", "      rate: 100\n      cpu-per-record: 213000d\n"),
        "win" => BASE.replace("kind: aggregate", "kind: window\n      size: 213000d"),
        "rec" => BASE.replace("      rate: 100\n", "      rate: 100\n      record-size: 16tb\n").replace("  taskmanagers: 2", "  taskmanagers: 2\n  network:\n    bandwidth: 1b/s"),
        "slat" => BASE.replace("  taskmanagers: 2", "  taskmanagers: 2\n  checkpoint-storage:\n    latency: 213000d"),
        _ => panic!(),
    };
    let s = parse_str(&t, "t.yaml").unwrap();
    let o = ckptsim::run::run(s);
    println!("{which}: held={}", o.verdict.held);
}
