//! `xvr-analysis predict`: on synthetic measurements whose compute time and communication
//! are known, the predicted times must be the hand-computed α–β values.

mod common;

use common::*;
use serde_yaml::Value;
use std::path::Path;
use std::process::{Command, Output};
use xvr_contract::trial::TrialConfig;

/// Measured at 4 GPUs, batch 1, 5, 10 (and one trial at 8 GPUs), P = 10⁷ parameters: compute 0.01 + 0.02·b s per
/// iteration plus 0.004 s of communication (0.04 s in the 10-iteration profiled window).
fn measured(root: &Path) -> std::path::PathBuf {
    let mut trials: Vec<Synthetic> = [1u64, 5, 10]
        .iter()
        .map(|&b| {
            let mut c = TrialConfig::default();
            c.train.iterations = 100;
            let mut t = Synthetic::new(&[("train.batch_per_gpu", Value::from(b))], c);
            t.wall_s = 100.0 * (0.01 + 0.02 * b as f64 + 0.004);
            t.params = 10_000_000;
            t.profile = Some((1.0, 1.0, 0.04));
            t
        })
        .collect();
    // Also measured at 8 GPUs, batch 10: 0.25 s per iteration. Not the smallest GPU count, so
    // it stays out of the fit and is compared with the prediction instead.
    let mut c = TrialConfig::default();
    c.train.iterations = 100;
    c.resources.gpus = 8;
    let mut t = Synthetic::new(&[("train.batch_per_gpu", Value::from(10u64))], c);
    t.repeat = 1;
    t.wall_s = 25.0;
    t.params = 10_000_000;
    t.profile = Some((1.0, 1.0, 0.04));
    trials.push(t);
    let spec = "name: util\nbase:\n  train:\n    iterations: 100\nsweep:\n  grid:\n    train.batch_per_gpu: [1, 5, 10]\n";
    write_sweep(root, "util", spec, &["train.batch_per_gpu"], &trials)
}

/// Plans `spec` with the driver's own planner into `<spec>.planned/<sweep>/` (plan.csv,
/// site.json and each trial.yaml, as `xvr predict` does) and returns that directory.
fn planned(spec: &Path) -> String {
    let root = spec.with_extension("planned");
    let mut plan = xvr::plan::Plan::build(spec, &root).unwrap_or_else(|e| panic!("{e}"));
    plan.sweep_dir = root.join(&plan.spec.name);
    xvr::plan::write::write_planned_trials(&plan).unwrap();
    plan.sweep_dir.display().to_string()
}

fn predict(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xvr-analysis"))
        .arg("predict")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn prediction_matches_the_alpha_beta_model_by_hand() {
    let root = tempfile::tempdir().unwrap();
    let from = measured(root.path());
    let spec = root.path().join("scaling.yaml");
    std::fs::write(
        &spec,
        "name: scaling\nbase:\n  train:\n    batch_per_gpu: 10\n    total_samples: 8000\nsweep:\n  zip:\n    resources.gpus: [4, 8, 16]\n    resources.walltime: [\"01:00:00\", \"00:30:00\", \"00:10:00\"]\n",
    )
    .unwrap();
    let out = root.path().join("prediction");
    let output = predict(&[
        &planned(&spec),
        "--from",
        from.to_str().unwrap(),
        "--intra-node",
        "100,1",
        "--inter-node",
        "10,10",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Assumptions:") && stdout.contains("c = 0.020000 s per sample"),
        "{stdout}"
    );
    let rows = table(&out, "prediction");
    assert_eq!(rows.len(), 3);
    // n = 4·10⁷ B. Compute at b = 10: 0.01 + 0.2 = 0.21 s.
    // 4 GPUs, one node, ring over NVLink: 2·3·1 µs + 2·(3/4)·4e7/1e11 = 6.06e-4 s; 200 iterations.
    // 8 GPUs, 2 nodes: ring 2·7·10 µs + 2·(7/8)·4e7/1e10 = 7.14e-3 s; tree 6.06e-4 + 2·1·10 µs +
    //   2·4e7/1e10 = 8.626e-3 s → ring; 100 iterations.
    // 16 GPUs, 4 nodes: ring 2·15·10 µs + 2·(15/16)·4e-3 = 7.8e-3; tree 6.06e-4 + 4·10 µs + 8e-3 =
    //   8.646e-3 → ring; 50 iterations.
    for (g, allreduce, iterations, wall) in [
        ("4", 6.06e-4, 200.0, 200.0 * 0.210606),
        ("8", 7.14e-3, 100.0, 100.0 * 0.21714),
        ("16", 7.8e-3, 50.0, 50.0 * 0.2178),
    ] {
        let r = row(&rows, &[("gpus", g)]);
        assert_close(num(r, "compute_s_per_iter"), 0.21, "compute");
        assert_close(num(r, "allreduce_ring_s"), allreduce, "ring");
        assert_eq!(r["algorithm"], "ring");
        assert_close(num(r, "iterations"), iterations, "iterations");
        assert_close(num(r, "wall_s"), wall, "wall");
    }
    assert_close(
        num(row(&rows, &[("gpus", "8")]), "allreduce_tree_s"),
        8.626e-3,
        "tree",
    );
    // e(16) = 4·t(4)/(16·t(16)); node-hours at 16 GPUs = 4 nodes × 10.89 s.
    let r16 = row(&rows, &[("gpus", "16")]);
    assert_close(
        num(r16, "efficiency_pct"),
        100.0 * 4.0 * 42.1212 / (16.0 * 10.89),
        "e(16)",
    );
    assert_close(num(r16, "node_hours"), 4.0 * 10.89 / 3600.0, "node-hours");
    assert_close(
        num(r16, "requested_node_hours"),
        4.0 * 600.0 / 3600.0,
        "requested",
    );
    assert_eq!(r16["fits_walltime"], "yes");
    // Measured at 4 GPUs, batch 10: 0.214 s per iteration; predicted 0.210606 s (the model's
    // all-reduce, not the measured 4 ms): −1.586 %.
    let r4 = row(&rows, &[("gpus", "4")]);
    assert_close(num(r4, "measured_s_per_iter"), 0.214, "measured");
    assert_close(
        num(r4, "error_pct"),
        100.0 * (0.210606 - 0.214) / 0.214,
        "error",
    );
    assert_eq!(
        r16["measured_s_per_iter"], "",
        "nothing measured at 16 GPUs"
    );
    assert!(out.join("prediction_wall_time.png").is_file());
}

#[test]
fn site_links_are_used_and_an_unmeasured_model_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let from = measured(root.path());
    // Polaris' own figures (300 GB/s, 2 µs within a node): 4 GPUs, 4e7 B →
    // 2·3·2 µs + 2·(3/4)·4e7/3e11 = 1.2e-5 + 2e-4.
    let spec = root.path().join("one.yaml");
    std::fs::write(&spec, "name: one\nsite: polaris\nbase:\n  train:\n    batch_per_gpu: 5\n    iterations: 10\nsweep:\n  variants:\n    - {name: only, set: {}}\n  repeats: 2\n").unwrap();
    let out = root.path().join("p");
    let output = predict(&[
        &planned(&spec),
        "--from",
        from.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = table(&out, "prediction");
    assert_eq!(rows.len(), 1, "repeats are predicted once");
    assert_close(
        num(&rows[0], "allreduce_ring_s"),
        1.2e-5 + 2e-4,
        "Polaris NVLink",
    );
    // A model nobody measured: a clear error, no guess.
    let wide = root.path().join("wide.yaml");
    std::fs::write(&wide, "name: one\nbase:\n  model:\n    channels: 96\nsweep:\n  variants:\n    - {name: wide, set: {}}\n").unwrap();
    let wide = planned(&wide);
    let output = predict(&[&wide, "--from", from.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("channels=96") && err.contains("measure it first"),
        "{err}"
    );
    let output = predict(&[&wide, "--from", from.to_str().unwrap(), "--intra-node", "fast"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--intra-node `fast`"));
    // A sweep planned before site.json existed: says how to get one.
    std::fs::remove_file(Path::new(&wide).join("site.json")).unwrap();
    let output = predict(&[&wide, "--from", from.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("no site.json") && err.contains("xvr plan SPEC"), "{err}");
}
