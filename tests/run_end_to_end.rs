//! The main job, scaled down: `xvr run` on a tiny sweep with the real binaries — the local
//! scheduler runs each job.pbs, mpiexec starts 1 or 2 `xvr-worker` ranks that train on
//! synthetic videos, evaluate and profile, and `xvr-analysis` writes the report. The test
//! checks the report's tables, not just that files exist.

use std::path::Path;
use std::process::Command;

mod support;

fn have_mpiexec() -> bool {
    Command::new("mpiexec").arg("--version").output().is_ok()
}

/// Rows of a CSV file as header → value maps.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers.iter().map(String::from).zip(r.iter().map(String::from)).collect()
        })
        .collect()
}

fn number(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    let text = row.get(column).unwrap_or_else(|| panic!("no column {column} in {row:?}"));
    text.parse().unwrap_or_else(|_| panic!("{column} = {text:?} is not a number"))
}

#[test]
fn xvr_run_trains_profiles_evaluates_and_reports() {
    if !have_mpiexec() {
        panic!("mpiexec not found: run scripts/setup.sh (installs MPICH) before the tests");
    }
    support::xvr_bin();
    let results = tempfile::tempdir().unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/e2e/tiny.yaml");
    let out = Command::new(support::xvr_bin())
        .arg("run")
        .arg(&spec)
        .arg("--results")
        .arg(results.path())
        .env("XVR_MPIEXEC_FLAVOR", "hydra")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let sweep = results.path().join("e2e");
    let job_outs: String = std::fs::read_dir(sweep.join("trials"))
        .map(|dirs| {
            dirs.flatten()
                .map(|d| std::fs::read_to_string(d.path().join("job.out")).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n----\n")
        })
        .unwrap_or_default();
    assert!(out.status.success(), "xvr run failed\nstdout:\n{stdout}\nstderr:\n{stderr}\njob output:\n{job_outs}");
    let report = sweep.join("report");
    assert!(stdout.contains(&format!("report: {}", report.join("index.html").display())), "{stdout}");

    // Every trial finished with a summary and the world size it asked for.
    for dir in std::fs::read_dir(sweep.join("trials")).unwrap().flatten() {
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["status"], "succeeded");
        assert_eq!(summary["world_size"], summary["gpus"]);
        assert!(dir.path().join("trace-rank0.json").is_file());
    }

    // Scaling: one series per configuration of the other settings (the grid's two model
    // widths are not repeats of each other), each with both GPU counts, r = 1 so the 1-GPU row
    // is 100 % by definition (eq. 3), and the 2-GPU efficiency is r·t(r) / (g·t(g)) from the
    // series' own wall times.
    let scaling = csv_rows(&report.join("scaling.csv"));
    let mut configs: Vec<String> = scaling.iter().map(|r| r["config"].clone()).collect();
    configs.dedup();
    assert_eq!(configs.len() * 2, scaling.len(), "two GPU counts per series: {configs:?}");
    for config in &configs {
        let series: Vec<_> = scaling.iter().filter(|r| &r["config"] == config).collect();
        let gpus: Vec<f64> = series.iter().map(|r| number(r, "gpus")).collect();
        assert_eq!(gpus, [1.0, 2.0]);
        assert!((number(series[0], "efficiency_pct") - 100.0).abs() < 1e-6);
        let (t1, t2) = (number(series[0], "wall_s_median"), number(series[1], "wall_s_median"));
        assert!(t1 > 0.0 && t2 > 0.0);
        let expected = 100.0 * t1 / (2.0 * t2);
        assert!((number(series[1], "efficiency_pct") - expected).abs() < 1e-3 * expected.max(1.0));
    }

    // Kernel mix (default preset `paper`: host↔device staging copies count as communication
    // too): per configuration, the 2-rank trial adds the all-reduce on top of the copies both have.
    let mix = csv_rows(&report.join("kernel_mix.csv"));
    for config in &configs {
        let comm = |g: f64| {
            mix.iter()
                .find(|r| &r["config"] == config && number(r, "gpus") == g)
                .map(|r| number(r, "communication_s"))
                .unwrap()
        };
        assert!(comm(2.0) > comm(1.0), "{config}: communication 2 ranks {} s vs 1 rank {} s", comm(2.0), comm(1.0));
    }

    // Utilisation in (0, 100] %, over a window that covered real work: the profiled
    // iterations (4) each ran a forward and backward pass, so busy time is positive and
    // within the span.
    for row in csv_rows(&report.join("utilisation.csv")) {
        let u = number(&row, "utilization_pct");
        assert!(u > 0.0 && u <= 100.0 + 1e-6, "utilisation {u} %");
        let (busy, span) = (number(&row, "non_idle_s"), number(&row, "span_s"));
        assert!(busy > 0.0 && busy <= span * (1.0 + 1e-9), "busy {busy} s, span {span} s");
    }

    // Quality: every trial has finite PSNR, bicubic and a positive inference time.
    let quality = csv_rows(&report.join("quality_trials.csv"));
    assert_eq!(quality.len(), 4);
    for row in &quality {
        assert!(number(row, "psnr_db").is_finite());
        assert!(number(row, "bicubic_psnr_db").is_finite());
        assert!(number(row, "infer_s_per_frame") > 0.0);
    }

    // The selection is a spec that xvr accepts.
    let selected = report.join("selected.yaml");
    let validate = Command::new(support::xvr_bin()).arg("validate").arg(&selected).output().unwrap();
    assert!(validate.status.success(), "{}", String::from_utf8_lossy(&validate.stderr));
    assert!(report.join("index.html").is_file());

    // The scaling prediction of the same spec from what was just measured: planned in a
    // scratch directory, nothing new under the results root, one row per width and GPU
    // count, the 2-rank rows compared with their measurement.
    let listing = |dir: &Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    let before = listing(results.path());
    let prediction = results.path().join("e2e/prediction");
    let out = Command::new(support::xvr_bin())
        .arg("predict")
        .arg(&spec)
        .arg("--results")
        .arg(results.path())
        .arg("--from")
        .arg(&sweep)
        .arg("--out")
        .arg(&prediction)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Prediction for sweep e2e (4 planned trials)"), "{stdout}");
    assert_eq!(listing(results.path()), before, "xvr predict wrote under the results root");
    let rows = csv_rows(&prediction.join("prediction.csv"));
    assert_eq!(rows.len(), 4, "{rows:?}");
    for row in &rows {
        assert!(number(row, "s_per_iter") > 0.0, "{row:?}");
        assert!(number(row, "measured_s_per_iter") > 0.0, "every planned configuration was measured: {row:?}");
    }

    // The test conditions on the best trial just trained: reconstruction trials run by the
    // same chain, and their report (docs/reconstruction.md#test-conditions).
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/e2e/tiny_conditions.yaml");
    let out = Command::new(support::xvr_bin())
        .arg("run")
        .arg(&spec)
        .arg("--results")
        .arg(results.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report = results.path().join("e2e_conditions/report");
    let conditions = csv_rows(&report.join("test_conditions.csv"));
    let cell = |hr: &str, lr: &str, column: &str| {
        let row = conditions
            .iter()
            .find(|r| r["hr_every"] == hr && r["lr_psnr_target_db"] == lr)
            .unwrap_or_else(|| panic!("no condition {hr}/{lr} in {conditions:?}"));
        number(row, column)
    };
    // 12 frames, HR at 0, 4, 8 and 11: 8 frames scored; first and last: 10.
    assert_eq!(cell("4", "inf", "frames"), 8.0);
    assert_eq!(cell("first_last", "inf", "frames"), 10.0);
    let lr_psnr = cell("4", "30", "lr_psnr_measured_db");
    assert!((lr_psnr - 30.0).abs() < 1.0, "LR PSNR {lr_psnr} dB for a 30 dB condition");
    // Noise can only hurt bicubic, which sees nothing but the LR frame.
    assert!(cell("4", "30", "bicubic_psnr_median_db") < cell("4", "inf", "bicubic_psnr_median_db"));
    for stem in ["test_lr_psnr", "test_hr_separation"] {
        assert!(report.join(format!("{stem}.png")).is_file(), "{stem}");
    }
}
