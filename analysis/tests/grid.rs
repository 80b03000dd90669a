//! Grids (not one-at-a-time studies): every section must give one series per configuration
//! and pool only repeats. The numbers are chosen so that pooling would give a different,
//! checkable answer.

mod common;

use common::*;
use serde_yaml::Value;
use xvr_contract::trial::TrialConfig;

fn scaling_config() -> TrialConfig {
    let mut c = TrialConfig::default();
    c.train.total_samples = Some(8000);
    c
}

/// GPUs 4, 8, 16 × batch 5, 10. Batch 5 scales perfectly, t = 400/g; batch 10 has a
/// constant 20 s, t = 800/g + 20 (two repeats at 8 GPUs: 118 and 122, median 120).
/// Utilisation 60 % at batch 5 and 90 % at batch 10; communication share g/100 at batch 5,
/// g/50 at batch 10.
fn gpu_batch_grid(root: &std::path::Path) -> std::path::PathBuf {
    let mut trials = Vec::new();
    for g in [4u32, 8, 16] {
        for b in [5usize, 10] {
            let axes = [
                ("resources.gpus", Value::from(g)),
                ("train.batch_per_gpu", Value::from(b as u64)),
            ];
            let gf = f64::from(g);
            let (walls, util, comm) = if b == 5 {
                (vec![400.0 / gf], 0.6, gf / 100.0)
            } else if g == 8 {
                (vec![118.0, 122.0], 0.9, gf / 50.0)
            } else {
                (vec![800.0 / gf + 20.0], 0.9, gf / 50.0)
            };
            for (repeat, wall) in walls.into_iter().enumerate() {
                let mut t = Synthetic::new(&axes, scaling_config());
                t.repeat = repeat as u32;
                t.wall_s = wall;
                t.profile = Some((1.0, util, comm));
                trials.push(t);
            }
        }
    }
    let spec = "name: grid\nbase:\n  train:\n    total_samples: 8000\nsweep:\n  grid:\n    resources.gpus: [4, 8, 16]\n    train.batch_per_gpu: [5, 10]\n  repeats: 1\n";
    write_sweep(
        root,
        "grid",
        spec,
        &["resources.gpus", "train.batch_per_gpu"],
        &trials,
    )
}

#[test]
fn scaling_has_one_series_per_batch_size_with_its_own_efficiency_and_fit() {
    let root = tempfile::tempdir().unwrap();
    let dir = gpu_batch_grid(root.path());
    let out = root.path().join("report");
    analyse(&dir, &out, &[]);
    let rows = table(&out, "scaling");
    assert_eq!(rows.len(), 6, "two series of three GPU counts");
    for g in [4, 8, 16] {
        let gs = g.to_string();
        let b5 = row(&rows, &[("train.batch_per_gpu", "5"), ("gpus", &gs)]);
        assert_close(num(b5, "efficiency_pct"), 100.0, "batch 5 scales perfectly");
        assert_eq!(
            (b5["batch_per_gpu"].as_str(), b5["baseline_gpus"].as_str()),
            ("5", "4")
        );
        assert_eq!(b5["config"], "train.batch_per_gpu=5");
    }
    // Batch 10: e(8) = 4·220/(8·120) = 11/12, e(16) = 4·220/(16·70) = 11/14. Pooled with batch 5
    // (medians (100+220)/2 = 160, (50+120)/2 = 85, ...) the efficiency would be 4·160/(8·85) = 94.1 %.
    let b10 = |g: &str| row(&rows, &[("train.batch_per_gpu", "10"), ("gpus", g)]).clone();
    assert_close(
        num(&b10("8"), "efficiency_pct"),
        100.0 * 11.0 / 12.0,
        "e(8), batch 10",
    );
    assert_close(
        num(&b10("16"), "efficiency_pct"),
        100.0 * 11.0 / 14.0,
        "e(16), batch 10",
    );
    assert_eq!(b10("8")["repeats"], "2");
    assert_close(
        num(&b10("8"), "wall_s_median"),
        120.0,
        "median of the repeats",
    );
    assert_eq!(b10("8")["global_batch"], "80");
    let fits = table(&out, "scaling_fits");
    let fit = |b: &str, p: &str| {
        num(
            row(
                &fits,
                &[
                    ("train.batch_per_gpu", b),
                    ("model", "amdahl"),
                    ("parameter", p),
                ],
            ),
            "value",
        )
    };
    assert_close(fit("5", "serial_s"), 0.0, "T_s batch 5");
    assert_close(fit("10", "serial_s"), 20.0, "T_s batch 10");
    assert_close(fit("10", "parallel_s"), 800.0, "T_p batch 10");
    let svg = std::fs::read_to_string(out.join("scaling_efficiency.svg")).unwrap();
    assert!(
        svg.contains("train.batch_per_gpu=10"),
        "the legend names the series"
    );
    keep_for_readme(&out, "grid", &["scaling_wall_time", "scaling_efficiency"]);
}

#[test]
fn utilisation_and_kernel_mix_keep_configurations_apart() {
    let root = tempfile::tempdir().unwrap();
    let dir = gpu_batch_grid(root.path());
    let out = root.path().join("report");
    analyse(&dir, &out, &[]);
    let util = table(&out, "utilisation");
    assert_eq!(util.len(), 6, "per batch size, one series per GPU count");
    for g in ["4", "8", "16"] {
        let b5 = row(&util, &[("batch_per_gpu", "5"), ("gpus", g)]);
        assert_close(num(b5, "utilization_pct"), 60.0, "batch 5");
        assert_eq!(b5["resources.gpus"], g);
        assert_close(
            num(
                row(&util, &[("batch_per_gpu", "10"), ("gpus", g)]),
                "utilization_pct",
            ),
            90.0,
            "batch 10",
        );
    }
    assert_eq!(
        row(&util, &[("batch_per_gpu", "10"), ("gpus", "8")])["ranks"],
        "16",
        "two repeats of 8 ranks"
    );
    let mix = table(&out, "kernel_mix");
    assert_eq!(mix.len(), 6, "per GPU count and batch size");
    // Communication share = g/100 (batch 5) and g/50 (batch 10) of the busy time; pooled, 16 GPUs would give 24 %.
    assert_close(
        num(
            row(&mix, &[("gpus", "16"), ("train.batch_per_gpu", "5")]),
            "communication_pct",
        ),
        16.0,
        "b5",
    );
    assert_close(
        num(
            row(&mix, &[("gpus", "16"), ("train.batch_per_gpu", "10")]),
            "communication_pct",
        ),
        32.0,
        "b10",
    );
    let svg = std::fs::read_to_string(out.join("kernel_mix_pies.svg")).unwrap();
    assert!(
        svg.contains("\n16 GPUs, train.batch_per_gpu=10\n"),
        "one pie per GPU count and configuration"
    );
    keep_for_readme(&out, "grid", &["utilisation_pct"]);
}

/// Window 4, 8 × data fraction 0.1, 1: PSNR (4, 0.1) 30, (4, 1) 34 and 34.4 (two repeats),
/// (8, 0.1) 31, (8, 1) 36. Pooled per window: 4 → 32.8, 8 → 33.5; per configuration they differ.
fn quality_grid(root: &std::path::Path) -> std::path::PathBuf {
    let mut trials = Vec::new();
    for (w, f, psnrs) in [
        (4u64, 0.1, vec![30.0]),
        (4, 1.0, vec![34.0, 34.4]),
        (8, 0.1, vec![31.0]),
        (8, 1.0, vec![36.0]),
    ] {
        for (repeat, psnr) in psnrs.into_iter().enumerate() {
            let mut t = Synthetic::new(
                &[
                    ("model.window", Value::from(w)),
                    ("data.fraction", Value::from(f)),
                ],
                TrialConfig::default(),
            );
            t.repeat = repeat as u32;
            t.psnr_db = psnr;
            t.infer_s = 0.01 * w as f64;
            trials.push(t);
        }
    }
    let spec = "name: qgrid\nbase:\n  resources:\n    walltime: \"04:00:00\"\nsweep:\n  grid:\n    model.window: [4, 8]\n    data.fraction: [0.1, 1.0]\n";
    write_sweep(
        root,
        "qgrid",
        spec,
        &["model.window", "data.fraction"],
        &trials,
    )
}

#[test]
fn quality_has_one_line_per_combination_of_the_other_axes() {
    let root = tempfile::tempdir().unwrap();
    let dir = quality_grid(root.path());
    let out = root.path().join("report");
    analyse(&dir, &out, &[]);
    let by_window = table(&out, "quality_model_window");
    assert_eq!(by_window.len(), 4);
    let at = |w: &str, f: &str| {
        num(
            row(&by_window, &[("value", w), ("data.fraction", f)]),
            "psnr_db",
        )
    };
    assert_close(at("4", "0.1"), 30.0, "w4 f0.1");
    assert_close(
        at("4", "1.0"),
        34.2,
        "w4 f1: mean of the repeats (34 + 34.4)/2",
    );
    assert_close(at("8", "0.1"), 31.0, "w8 f0.1");
    assert_close(at("8", "1.0"), 36.0, "w8 f1");
    let w4 = row(&by_window, &[("value", "4"), ("data.fraction", "1.0")]);
    assert_close(num(w4, "psnr_db_min"), 34.0, "min over repeats only");
    assert_eq!(w4["config"], "data.fraction=1.0");
    let by_fraction = table(&out, "quality_data_fraction");
    assert_close(
        num(
            row(&by_fraction, &[("value", "0.1"), ("model.window", "8")]),
            "psnr_db",
        ),
        31.0,
        "per fraction, one line per window",
    );
    let svg = std::fs::read_to_string(out.join("quality_model_window_psnr.svg")).unwrap();
    assert!(
        svg.contains("data.fraction=0.1") && svg.contains("data.fraction=1.0"),
        "legend names the lines"
    );
    keep_for_readme(&out, "grid", &["quality_model_window_psnr"]);
    // Selection: the best configuration, not a pooled window.
    let sel = table(&out, "selection");
    assert_eq!(
        row(&sel, &[("selected", "yes")])["config"],
        "model.window=8, data.fraction=1.0"
    );
}

/// GPUs 1, 2 × channels 16, 24 (the smoke sweep's shape): the best PSNR is at 2 GPUs, 24
/// channels. Selection names channels 24; selected.yaml keeps the base resources.
#[test]
fn selection_chooses_hyperparameters_and_keeps_the_base_resources() {
    let root = tempfile::tempdir().unwrap();
    let mut trials = Vec::new();
    for (g, ch, psnr) in [
        (1u32, 16u64, 30.0),
        (1, 24, 31.0),
        (2, 16, 30.5),
        (2, 24, 31.5),
    ] {
        let mut c = TrialConfig::default();
        c.model.heads = 2;
        c.train.total_samples = Some(3200);
        c.resources.walltime = "00:10:00".into();
        let mut t = Synthetic::new(
            &[
                ("resources.gpus", Value::from(g)),
                ("model.channels", Value::from(ch)),
            ],
            c,
        );
        t.psnr_db = psnr;
        trials.push(t);
    }
    let spec = "name: smokegrid\nsite: polaris\nbase:\n  model:\n    heads: 2\n  train:\n    total_samples: 3200\n  resources:\n    walltime: \"00:10:00\"\nsweep:\n  grid:\n    resources.gpus: [1, 2]\n    model.channels: [16, 24]\n";
    let dir = write_sweep(
        root.path(),
        "smokegrid",
        spec,
        &["resources.gpus", "model.channels"],
        &trials,
    );
    let out = root.path().join("report");
    analyse(&dir, &out, &[]);
    let sel = table(&out, "selection");
    assert_eq!(
        sel.len(),
        4,
        "two GPU counts are two configurations, not repeats"
    );
    let pick = row(&sel, &[("selected", "yes")]);
    assert_eq!(pick["hyperparameters"], "model.channels=24");
    assert_eq!(
        (
            pick["gpus"].as_str(),
            pick["iterations"].as_str(),
            pick["global_batch"].as_str()
        ),
        ("2", "1600", "2")
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("The choice is of hyperparameters: model.channels=24"),
        "the report says so"
    );
    let text = std::fs::read_to_string(out.join("selected.yaml")).unwrap();
    let spec: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        spec["base"]["resources"]["walltime"],
        Value::from("00:10:00")
    );
    assert!(
        spec["base"]["resources"].get("gpus").is_none(),
        "not the pick's 2 GPUs: {text}"
    );
    assert_eq!(spec["base"]["model"]["channels"], Value::from(24));
    assert!(
        spec["base"]["train"].get("total_samples").is_none(),
        "the final run's iterations must apply: {text}"
    );
    // A valid spec: the final run plans with the base resources (4 GPUs, the default) and 75 000 iterations.
    let results = tempfile::tempdir().unwrap();
    let plan = xvr::plan::Plan::build(&out.join("selected.yaml"), results.path())
        .unwrap_or_else(|e| panic!("xvr validate refuses it: {e}"));
    let trial = &plan.trials[0].config;
    assert_eq!(
        (
            trial.resources.gpus,
            trial.train.iterations,
            trial.model.channels
        ),
        (4, 75000, 24)
    );
}
