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
        ("base", BASE.to_string()),
        ("syntax", BASE.replace("    - name: agg", "    - name: agg: x")),
        ("syntax2", "duration: 1s\njob: [\n".to_string()),
        ("toplevel", BASE.replace("duration:", "duratoin:")),
        ("opfield", BASE.replace("      parallelism: 2\n    - name: out", "      paralelism: 2\n    - name: out")),
        ("cfgkey", BASE.replace("  taskmanager.numberOfTaskSlots: 2", "  taskmanager.numberOfTaskSlots: 2\n  execution.bufer-timeout: 5ms")),
        ("enum", BASE.replace("kind: aggregate", "kind: agregate")),
        ("noduration", BASE.replace("duration: 1s\n", "")),
        ("norate", BASE.replace("      rate: 100\n", "")),
        ("type", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: \"x\"\n    - name: out")),
        ("type2", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: x\n    - name: out")),
        ("durunit", BASE.replace("duration: 1s", "duration: 5 parsecs")),
        ("size", BASE.replace("      rate: 100\n", "      rate: 100\n      record-size: 10 zb\n")),
        ("dur0", BASE.replace("duration: 1s", "duration: 0")),
        ("durneg", BASE.replace("duration: 1s", "duration: -5")),
        ("par0", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: 0\n    - name: out")),
        ("parneg", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: -1\n    - name: out")),
        ("undef", BASE.replace("{from: agg, to: out}", "{from: agg, to: oot}")),
        ("cycle", BASE.replace("      rate: 100\n", "      rate: 100\n    - name: m1\n      kind: map\n      parallelism: 2\n    - name: m2\n      kind: map\n      parallelism: 2\n").replace("    - {from: agg, to: out}\n", "    - {from: agg, to: out}\n    - {from: m1, to: m2}\n    - {from: m2, to: m1}\n")),
        ("selfloop", BASE.replace("{from: agg, to: out}", "{from: agg, to: agg}")),
        ("forward", BASE.replace("    - name: out\n      kind: sink\n      parallelism: 2", "    - name: out\n      kind: sink\n      parallelism: 1").replace("{from: agg, to: out}", "{from: agg, to: out, partitioning: forward}")),
        ("keyednohash", BASE.replace("{from: src, to: agg}", "{from: src, to: agg, partitioning: rebalance}")),
        ("filterafteragg", BASE.replace("    - name: out\n", "    - name: f\n      kind: filter\n      parallelism: 2\n    - name: out\n").replace("{from: agg, to: out}", "{from: agg, to: f}\n    - {from: f, to: out}")),
        ("noinput", BASE.replace("    - name: out\n", "    - name: lonely\n      kind: map\n    - name: out\n").replace("{from: agg, to: out}", "{from: agg, to: out}\n    - {from: lonely, to: out}")),
        ("nowhere", BASE.replace("    - name: out\n", "    - name: m\n      kind: map\n      parallelism: 2\n    - name: out\n").replace("{from: agg, to: out}", "{from: agg, to: out}\n    - {from: agg, to: m}")),
        ("srcinput", BASE.replace("{from: agg, to: out}", "{from: agg, to: out}\n    - {from: agg, to: src}")),
        ("sinkout", BASE.replace("    - name: out\n", "    - name: out2\n      kind: sink\n      parallelism: 2\n    - name: out\n").replace("{from: agg, to: out}", "{from: agg, to: out}\n    - {from: out, to: out2}")),
        ("dup", BASE.replace("name: out", "name: agg")),
        ("hugepar", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: 1000000000000\n    - name: out")),
        ("hugekeys", BASE.replace("      rate: 100\n", "      rate: 100\n      keys: {distribution: uniform, count: 1000000000000}\n")),
        ("channels", BASE.replace("  taskmanager.numberOfTaskSlots: 2", "  taskmanager.numberOfTaskSlots: 32768").replace("parallelism: 2", "parallelism: 30000")),
        ("slots", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: 5\n    - name: out")),
        ("tmlen", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: 2\n      taskmanagers: [0]\n    - name: out")),
        ("tmunknown", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: 2\n      taskmanagers: [0, 7]\n    - name: out")),
        ("skew", BASE.replace("      parallelism: 2\n    - name: out", "      parallelism: 2\n      cpu-skew:\n        - {subtask: 5, cpu-per-record: 10us}\n    - name: out")),
        ("rateonmap", BASE.replace("    - name: out\n", "    - name: m\n      kind: map\n      parallelism: 2\n      rate: 5\n    - name: out\n").replace("{from: agg, to: out}", "{from: agg, to: m}\n    - {from: m, to: out}")),
        ("zipf", BASE.replace("      rate: 100\n", "      rate: 100\n      keys: {distribution: zipf, count: 100, exponent: 11}\n")),
        ("hotfrac", BASE.replace("      rate: 100\n", "      rate: 100\n      keys:\n        distribution: hot-key\n        count: 100\n        hot-fraction: 1.5\n")),
        ("empty", "".to_string()),
        ("notmap", "- a\n".to_string()),
        ("badedge", BASE.replace("{from: agg, to: out}", "{from: agg}")),
        ("cfgslots0", BASE.replace("numberOfTaskSlots: 2", "numberOfTaskSlots: 0")),
        ("tab", BASE.replace("  taskmanagers: 2", "\ttaskmanagers: 2")),
    ];
    for (l, t) in cases { show(l, &t); }
}

#[test]
fn probe_cycle() {
    let t = BASE.replace("      rate: 100\n", "      rate: 100\n    - name: m1\n      kind: map\n      parallelism: 2\n    - name: m2\n      kind: map\n      parallelism: 2\n").replace("    - {from: agg, to: out}\n", "    - {from: agg, to: out}\n    - {from: m1, to: m2}\n    - {from: m2, to: m1}\n");
    for (i, l) in t.lines().enumerate() { println!("{:3} {l}", i + 1); }
    let idx = ckptsim::scenario::position::PositionIndex::build(&t);
    for p in ["job.edges", "job.edges[0]", "job.edges[1]", "job.edges[2]", "job.edges[3]", "job.edges[3].to"] {
        println!("{p}: {:?}", idx.find(p));
    }
}
