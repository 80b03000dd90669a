//! Runs the `xvr-analysis` binary on the hand-written results directories under
//! tests/fixtures/ and checks its tables against values computed by hand from the fixture
//! files (the arithmetic is written out next to each expectation).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::table;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs the binary on `dir` with the report going to a fresh temporary directory.
fn analyse(dir: &Path, args: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xvr-analysis"))
        .arg(dir)
        .arg("--out")
        .arg(out.path())
        .args(args)
        .output()
        .unwrap();
    (out, output)
}

fn analyse_ok(name: &str, args: &[&str]) -> tempfile::TempDir {
    let (out, output) = analyse(&fixture(name), args);
    assert!(
        output.status.success(),
        "xvr-analysis {name} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}


/// The row whose `key` column equals `value`.
fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    key: &str,
    value: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}"))
}

fn num(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = `{}` is not a number", row[column]))
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

// ------------------------------------------------------------------ scaling fixture
// Wall times (train_wall_s): 4 GPUs 108, 112; 8 GPUs 59, 61; 16 GPUs 34, 36; 32 GPUs: one
// failed, one running. Medians 110, 60, 35 = 400/g + 10 exactly.

#[test]
fn scaling_table_matches_hand_computation() {
    let out = analyse_ok("scaling", &[]);
    let rows = table(out.path(), "scaling");
    assert_eq!(
        rows.len(),
        3,
        "32 GPUs has no completed trial and must not appear as a measurement"
    );
    let expect = [
        // gpus, nodes, global batch, iterations = ceil(12000 / (10 g)), median, min, max
        (4, 1, 40, 300, 110.0, 108.0, 112.0),
        (8, 2, 80, 150, 60.0, 59.0, 61.0),
        (16, 4, 160, 75, 35.0, 34.0, 36.0),
    ];
    for (g, nodes, global, iters, median, min, max) in expect {
        let r = row(&rows, "gpus", &g.to_string());
        assert_eq!(r["nodes"], nodes.to_string());
        assert_eq!(r["batch_per_gpu"], "10");
        assert_eq!(r["global_batch"], global.to_string());
        assert_eq!(r["iterations"], iters.to_string());
        assert_eq!(r["repeats"], "2");
        assert_close(num(r, "wall_s_median"), median, "median");
        assert_close(num(r, "wall_s_min"), min, "min");
        assert_close(num(r, "wall_s_max"), max, "max");
        assert_close(num(r, "ideal_speedup"), f64::from(g) / 4.0, "ideal");
        // Amdahl fit is exact for these medians: 10 + 400/g.
        assert_close(
            num(r, "amdahl_wall_s"),
            10.0 + 400.0 / f64::from(g),
            "amdahl",
        );
    }
    let r4 = row(&rows, "gpus", "4");
    assert_close(num(r4, "efficiency_pct"), 100.0, "e(4,4)");
    assert_eq!(
        r4["karp_flatt"], "",
        "Karp–Flatt is undefined at the baseline"
    );
    let r8 = row(&rows, "gpus", "8");
    assert_close(num(r8, "speedup"), 110.0 / 60.0, "s(4,8)");
    // e = 4·110/(8·60) = 440/480.
    assert_close(num(r8, "efficiency_pct"), 100.0 * 440.0 / 480.0, "e(4,8)");
    // p = 2, ψ = 11/6: (6/11 − 1/2)/(1 − 1/2) = (1/22)/(1/2) = 1/11.
    assert_close(num(r8, "karp_flatt"), 1.0 / 11.0, "kf(8)");
    let r16 = row(&rows, "gpus", "16");
    // e = 4·110/(16·35) = 440/560; p = 4, ψ = 22/7: (7/22 − 1/4)/(3/4) = (3/44)/(3/4) = 1/11.
    assert_close(num(r16, "efficiency_pct"), 100.0 * 440.0 / 560.0, "e(4,16)");
    assert_close(num(r16, "karp_flatt"), 1.0 / 11.0, "kf(16)");

    let fits = table(out.path(), "scaling_fits");
    let param = |model: &str, p: &str| {
        num(
            fits.iter()
                .find(|r| r["model"] == model && r["parameter"] == p)
                .unwrap(),
            "value",
        )
    };
    assert_close(param("amdahl", "serial_s"), 10.0, "T_s");
    assert_close(param("amdahl", "parallel_s"), 400.0, "T_p");
    assert_close(param("amdahl", "serial_fraction"), 10.0 / 410.0, "f_s");
    // Three points equally spaced in ln g: the least-squares slope is the end-to-end slope,
    // b = ln(35/110)/ln 4, and the line passes through (mean ln g, mean ln t) = (ln 8, ln(110·60·35)/3).
    let b = (35.0f64 / 110.0).ln() / 4f64.ln();
    let a = ((110.0f64 * 60.0 * 35.0).ln() / 3.0 - b * 8f64.ln()).exp();
    assert_close(param("power_law", "b"), b, "b");
    assert_close(param("power_law", "a"), a, "a");
}

#[test]
fn scaling_report_lists_failed_and_running_trials() {
    let out = analyse_ok("scaling", &[]);
    let trials = table(out.path(), "trials");
    assert_eq!(trials.len(), 8);
    let failed = row(&trials, "trial_id", "scal32rep0");
    assert!(
        failed["status"].starts_with("failed (exit 137)"),
        "{}",
        failed["status"]
    );
    assert_eq!(failed["used_in_results"], "no");
    assert!(failed["missing_files"].contains("summary.json"));
    let running = row(&trials, "trial_id", "scal32rep1");
    assert_eq!(running["status"], "running");
    assert_eq!(
        row(&trials, "trial_id", "scal04rep0")["used_in_results"],
        "yes"
    );
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        html.contains("6 of 8 trials succeeded"),
        "the page must say the sweep is partial"
    );
    assert!(html.contains("scal32rep0") && html.contains("killed by signal 9 (out of memory)"));
    assert!(html.contains("No completed trial for GPU count(s) 32"));
    // resources.walltime is zipped to resources.gpus: one study, not two.
    assert!(out.path().join("quality_resources_gpus.csv").exists());
    assert!(!out.path().join("quality_resources_walltime.csv").exists());
    assert!(html.contains("resources.walltime follow(s) resources.gpus (zipped)"));
}

#[test]
fn kernel_mix_and_utilisation_average_over_ranks() {
    let out = analyse_ok("scaling", &[]);
    let mix = table(out.path(), "kernel_mix");
    // Ranks alternate ±0.02 around the means, so the means are the fixture's centre values;
    // the four categories sum to 1 s per rank, so seconds × 100 are the percentages.
    for (g, ranks, comp, comm) in [(4, 4, 80.0, 10.0), (8, 8, 70.0, 20.0), (16, 16, 60.0, 30.0)] {
        let r = row(&mix, "gpus", &g.to_string());
        assert_eq!(r["ranks"], ranks.to_string());
        assert_close(num(r, "computation_pct"), comp, "computation");
        assert_close(num(r, "communication_pct"), comm, "communication");
        assert_close(num(r, "memory_pct"), 5.0, "memory");
        assert_close(num(r, "other_pct"), 5.0, "other");
        assert_close(num(r, "comp_comm_overlap_pct"), 50.0, "overlap");
    }
    let util = table(out.path(), "utilisation");
    for (g, pct) in [(4, 95.0), (8, 90.0), (16, 85.0)] {
        let r = row(&util, "gpus", &g.to_string());
        assert_close(num(r, "utilization_pct"), pct, "utilisation");
        assert_close(
            num(r, "non_idle_s") + num(r, "idle_s"),
            num(r, "span_s"),
            "idle + non-idle = span",
        );
    }
}

#[test]
fn hta_preset_moves_host_copies_to_memory() {
    let out = analyse_ok("scaling", &["--preset", "hta"]);
    let mix = table(out.path(), "kernel_mix");
    let r = row(&mix, "gpus", "4");
    // hta rows of the 4-GPU trial: communication 0.06 ± 0.02, memory 0.09.
    assert_close(num(r, "communication_pct"), 6.0, "hta communication");
    assert_close(num(r, "memory_pct"), 9.0, "hta memory");
    assert_close(num(r, "computation_pct"), 80.0, "hta computation");
}

#[test]
fn every_figure_is_written_as_png_and_svg_and_embedded() {
    let out = analyse_ok("scaling", &[]);
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    for stem in [
        "scaling_wall_time",
        "scaling_efficiency",
        "scaling_speedup",
        "kernel_mix_pies",
        "kernel_mix_bars",
        "utilisation_time",
        "utilisation_pct",
        "training_loss",
        "selection_pareto",
    ] {
        let png = std::fs::read(out.path().join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png");
        let svg = std::fs::read_to_string(out.path().join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{stem}.svg");
        assert!(
            html.contains(&format!("href=\"{stem}.svg\"")),
            "{stem} linked from index.html"
        );
    }
    assert!(
        html.matches("data:image/png;base64,").count() >= 9,
        "PNGs embedded in the page"
    );
    // Every table is also a CSV.
    for stem in [
        "trials",
        "scaling",
        "scaling_fits",
        "kernel_mix",
        "utilisation",
        "quality_trials",
        "training_loss",
        "selection",
    ] {
        assert!(
            out.path().join(format!("{stem}.csv")).is_file(),
            "{stem}.csv"
        );
        assert!(
            html.contains(&format!("{stem}.csv")),
            "{stem} table in index.html"
        );
    }
}

// ------------------------------------------------------------------ one-axis study with a failed and a running trial

#[test]
fn window_study_recomputes_psnr_as_mean_of_video_means() {
    let out = analyse_ok("window", &[]);
    let rows = table(out.path(), "quality_model_window");
    let values: Vec<&str> = rows.iter().map(|r| r["value"].as_str()).collect();
    assert_eq!(
        values,
        vec!["1", "2", "4", "8"],
        "every planned value is listed, in numeric order"
    );
    let w2 = row(&rows, "value", "2");
    // Video v1: 30, 32 → 31; v2: 36 → eq. 4–5 gives (31 + 36)/2 = 33.5 (a pooled mean would be 32.67).
    assert_close(num(w2, "psnr_db"), 33.5, "psnr");
    // SSIM (0.81 + 0.90)/2; AAD (2.5 + 1.0)/2; bicubic PSNR (28 + 31)/2, SSIM (0.7 + 0.8)/2, AAD (4 + 3)/2.
    assert_close(num(w2, "ssim"), 0.855, "ssim");
    assert_close(num(w2, "aad"), 1.75, "aad");
    assert_close(num(w2, "bicubic_psnr_db"), 29.5, "bicubic psnr");
    assert_close(num(w2, "bicubic_ssim"), 0.75, "bicubic ssim");
    assert_close(num(w2, "bicubic_aad"), 3.5, "bicubic aad");
    assert_close(num(w2, "infer_s_per_frame"), 0.02, "infer");
    // Window 4: v1 (34 + 35)/2 = 34.5, v2 35.2 → 34.85.
    assert_close(num(row(&rows, "value", "4"), "psnr_db"), 34.85, "psnr w4");
    let w1 = row(&rows, "value", "1");
    assert_eq!(w1["completed"], "0");
    assert!(
        w1["not_completed"].contains("failed"),
        "{}",
        w1["not_completed"]
    );
    assert_eq!(w1["psnr_db"], "");
    assert!(row(&rows, "value", "8")["not_completed"].contains("running"));
}

#[test]
fn summary_mismatch_is_flagged_on_the_terminal_and_never_selected() {
    // window0004's summary.json says 34.9 dB; its validation.csv gives
    // mean(mean(34.0, 35.0), 35.2) = 34.85 dB. Unchanged, window 4 would be selected
    // (selection_respects_the_inference_budget).
    let dir = copy_fixture("window");
    let summary = dir.path().join("window/trials/window0004/summary.json");
    let text = std::fs::read_to_string(&summary)
        .unwrap()
        .replace("\"psnr_db\": 34.85,", "\"psnr_db\": 34.9,");
    std::fs::write(&summary, text).unwrap();
    let (out, output) = analyse(&dir.path().join("window"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("trial window0004 not selectable: summary.json psnr_db = 34.9"),
        "{stderr}"
    );
    let trials = table(out.path(), "quality_trials");
    let w4 = row(&trials, "trial_id", "window0004");
    assert_close(num(w4, "psnr_db"), 34.85, "recomputed");
    assert_close(num(w4, "summary_psnr_db"), 34.9, "as the worker wrote it");
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        html.contains("Cross-check failed for window0004: summary.json psnr_db = 34.9"),
        "mismatch reported"
    );
    assert!(!html.contains("Cross-check failed for window0002"));
    let sel = table(out.path(), "selection");
    assert!(
        sel.iter().all(|r| r["config"] != "model.window=4"),
        "{sel:?}"
    );
    assert_eq!(row(&sel, "config", "model.window=2")["selected"], "yes");
}

#[test]
fn loss_curves_include_unfinished_trials_with_their_state() {
    let out = analyse_ok("window", &[]);
    let loss = table(out.path(), "training_loss");
    assert_eq!(loss.len(), 4);
    let running = row(&loss, "trial_id", "window0008");
    assert_eq!(
        (running["status"].as_str(), running["last_iter"].as_str()),
        ("running", "100")
    );
    assert_close(num(running, "last_loss"), 0.15, "last loss");
    assert!(row(&loss, "trial_id", "window0001")["status"].starts_with("failed"));
}

#[test]
fn selection_respects_the_inference_budget() {
    // No budget: window 4 (34.85 dB, 50 ms) beats window 2 (33.5 dB, 20 ms).
    let out = analyse_ok("window", &[]);
    let sel = table(out.path(), "selection");
    assert_eq!(row(&sel, "config", "model.window=4")["selected"], "yes");
    assert_eq!(row(&sel, "config", "model.window=2")["selected"], "no");
    // Both are on the Pareto front: 2 is faster, 4 more accurate.
    assert!(sel.iter().all(|r| r["pareto_front"] == "yes"));
    let spec: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(out.path().join("selected.yaml")).unwrap())
            .unwrap();
    assert_eq!(spec["base"]["model"]["window"], serde_yaml::Value::from(4));
    // 30 ms budget: only window 2 qualifies.
    let out = analyse_ok("window", &["--budget-s-per-frame", "0.03"]);
    let sel = table(out.path(), "selection");
    assert_eq!(row(&sel, "config", "model.window=2")["selected"], "yes");
    assert_eq!(row(&sel, "config", "model.window=4")["within_budget"], "no");
    // Nothing within 1 ms: nothing selected. Rerun into the same directory: the previous
    // run's selected.yaml and Pareto plot must not survive to contradict the page.
    let rerun = Command::new(env!("CARGO_BIN_EXE_xvr-analysis"))
        .arg(fixture("window"))
        .arg("--out")
        .arg(out.path())
        .args(["--budget-s-per-frame", "0.001"])
        .output()
        .unwrap();
    assert!(rerun.status.success());
    assert!(table(out.path(), "selection")
        .iter()
        .all(|r| r["selected"] == "no"));
    assert!(!out.path().join("selected.yaml").exists());
    assert!(!out.path().join("selection_pareto.png").exists());
    assert!(out.path().join("quality_model_window.csv").exists());
}

// ------------------------------------------------------------------ model-size variants

#[test]
fn variants_study_has_one_row_per_variant() {
    let out = analyse_ok("modelsize", &[]);
    let rows = table(out.path(), "quality_variant");
    let names: Vec<&str> = rows.iter().map(|r| r["value"].as_str()).collect();
    assert_eq!(
        names,
        vec!["baseline", "heads1", "ch384", "ch384_h6", "blocks48"],
        "plan order"
    );
    // heads1: (32.8 + 33.2)/2.
    assert_close(
        num(row(&rows, "value", "heads1"), "psnr_db"),
        33.0,
        "heads1 psnr",
    );
    assert_close(
        num(row(&rows, "value", "blocks48"), "params"),
        4_000_000.0,
        "params",
    );
}

#[test]
fn ties_go_to_the_cheaper_model_and_pareto_front_is_marked() {
    let out = analyse_ok("modelsize", &[]);
    let sel = table(out.path(), "selection");
    // ch384 and ch384_h6 both average (35.0 + 35.4)/2 dB: tied; ch384_h6 has fewer FLOPs (1.5e10 < 1.6e10).
    assert_eq!(row(&sel, "config", "ch384_h6")["selected"], "yes");
    assert_eq!(sel.iter().filter(|r| r["selected"] == "yes").count(), 1);
    // Front (time ms, PSNR): heads1 (30, 33.0), baseline (40, 34.5), ch384 (60, 35.2). ch384_h6
    // (65, 35.2) is dominated by ch384, blocks48 (70, 34.0) by baseline.
    for (config, front) in [
        ("heads1", "yes"),
        ("baseline", "yes"),
        ("ch384", "yes"),
        ("ch384_h6", "no"),
        ("blocks48", "no"),
    ] {
        assert_eq!(
            row(&sel, "config", config)["pareto_front"],
            front,
            "{config}"
        );
    }
    // A budget of 62.5 ms excludes ch384_h6 (65 ms): ch384 wins.
    let out = analyse_ok("modelsize", &["--budget-s-per-frame", "0.0625"]);
    assert_eq!(
        row(&table(out.path(), "selection"), "config", "ch384")["selected"],
        "yes"
    );
}

#[test]
fn selected_yaml_is_a_valid_sweep_spec_for_the_final_run() {
    let out = analyse_ok("modelsize", &[]);
    let path = out.path().join("selected.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Written by xvr-analysis"), "{text}");
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(spec["name"], serde_yaml::Value::from("modelsize-final"));
    assert_eq!(spec["site"], serde_yaml::Value::from("polaris"));
    assert_eq!(spec["account"], serde_yaml::Value::from("datascience"));
    let base: xvr_contract::trial::TrialConfig = serde_yaml::from_value(spec["base"].clone()).unwrap();
    assert_eq!((base.model.channels, base.model.heads), (384, 6));
    assert_eq!(base.model.depths, vec![2, 2, 18, 2]);
    assert_eq!(
        base.train.iterations, 300,
        "base keeps the trial's own recipe; the variant changes it"
    );
    let variant = &spec["sweep"]["variants"][0];
    assert_eq!(variant["name"], serde_yaml::Value::from("final"));
    assert_eq!(
        variant["set"]["train.iterations"],
        serde_yaml::Value::from(75000)
    );
    assert_eq!(
        variant["set"]["train.warmup"],
        serde_yaml::Value::from(2000)
    );
    // What `xvr validate` does: read, check and place the spec (site profile, queues).
    let results = tempfile::tempdir().unwrap();
    let plan = xvr::plan::Plan::build(&path, results.path())
        .unwrap_or_else(|e| panic!("xvr validate refuses it: {e}"));
    assert_eq!(plan.trials.len(), 1);
    let trial = &plan.trials[0].config;
    assert_eq!(
        (
            trial.model.channels,
            trial.model.heads,
            trial.train.iterations,
            trial.train.warmup
        ),
        (384, 6, 75000, 2000)
    );
}

#[test]
fn final_run_settings_are_configurable() {
    let out = analyse_ok(
        "modelsize",
        &[
            "--final-name",
            "long",
            "--final-set",
            "train.iterations=1000",
            "--final-set",
            "resources.walltime=\"02:00:00\"",
        ],
    );
    let spec: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(out.path().join("selected.yaml")).unwrap())
            .unwrap();
    let variant = &spec["sweep"]["variants"][0];
    assert_eq!(variant["name"], serde_yaml::Value::from("long"));
    assert_eq!(
        variant["set"]["train.iterations"],
        serde_yaml::Value::from(1000)
    );
    assert_eq!(
        variant["set"]["train.warmup"],
        serde_yaml::Value::from(2000)
    );
    assert_eq!(
        variant["set"]["resources.walltime"],
        serde_yaml::Value::from("02:00:00")
    );
}

// ------------------------------------------------------------------ utilisation vs batch size

#[test]
fn utilisation_vs_batch_size() {
    let out = analyse_ok("batch", &[]);
    let rows = table(out.path(), "utilisation");
    // (batch, span, busy ranks) → non-idle = mean busy, idle = span − non-idle, utilisation = mean(busy/span).
    for (b, span, busy, pct) in [
        (1, 0.5, (0.25 + 0.27) / 2.0, 52.0),
        (5, 2.0, 1.82, 91.0),
        (10, 4.0, 3.80, 95.0),
    ] {
        let r = row(&rows, "batch_per_gpu", &b.to_string());
        assert_eq!((r["gpus"].as_str(), r["ranks"].as_str()), ("2", "2"));
        assert_close(num(r, "span_s"), span, "span");
        assert_close(num(r, "non_idle_s"), busy, "non-idle");
        assert_close(num(r, "idle_s"), span - busy, "idle");
        assert_close(num(r, "utilization_pct"), pct, "utilisation");
    }
    // One GPU count: not a scaling study, and the report says so instead of inventing one.
    assert!(!out.path().join("scaling.csv").exists());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("Not a scaling study"));
}

// ------------------------------------------------------------------ bad input

#[test]
fn missing_directory_is_a_clear_error() {
    let (_out, output) = analyse(Path::new("/nonexistent/results/sweep"), &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("/nonexistent/results/sweep") && err.contains("not a directory"),
        "{err}"
    );
}

/// Copies a fixture so a test can break it.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture(name), &dir.path().join(name));
    dir
}

#[test]
fn a_damaged_trial_is_named_and_left_out_while_the_others_are_reported() {
    let dir = copy_fixture("window");
    let trials_dir = dir.path().join("window/trials");
    // A renamed column in one succeeded trial, ...
    let file = trials_dir.join("window0002/validation.csv");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("psnr_db", "psnr", 1);
    std::fs::write(&file, text).unwrap();
    // ...and a state.json cut short in another.
    std::fs::write(
        trials_dir.join("window0001/state.json"),
        "{\"status\": \"fai",
    )
    .unwrap();
    let (out, output) = analyse(&dir.path().join("window"), &[]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("trial window0002 left out")
            && err.contains("window0002/validation.csv")
            && err.contains("psnr_db"),
        "{err}"
    );
    assert!(
        err.contains("trial window0001 left out") && err.contains("window0001/state.json"),
        "{err}"
    );
    let trials = table(out.path(), "trials");
    assert_eq!(
        row(&trials, "trial_id", "window0002")["used_in_results"],
        "no"
    );
    assert!(row(&trials, "trial_id", "window0001")["problems"].contains("state.json"));
    // The intact trial is still analysed and selected.
    assert_eq!(
        row(&trials, "trial_id", "window0004")["used_in_results"],
        "yes"
    );
    let sel = table(out.path(), "selection");
    assert_eq!(row(&sel, "config", "model.window=4")["selected"], "yes");
}

#[test]
fn unreadable_file_of_a_running_trial_is_reported_not_fatal() {
    let dir = copy_fixture("window");
    // A running trial's train.csv caught mid-write: a truncated last line.
    let file = dir.path().join("window/trials/window0008/train.csv");
    std::fs::write(
        &file,
        "iter,lr,loss,step_s,samples_per_s\n1,0.0002,0.29,0.5,8.0\n100,0.00",
    )
    .unwrap();
    let (out, output) = analyse(&dir.path().join("window"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let trials = table(out.path(), "trials");
    assert!(row(&trials, "trial_id", "window0008")["problems"].contains("train.csv"));
}

#[test]
fn bad_options_are_refused_with_the_allowed_values() {
    let (_out, output) = analyse(&fixture("window"), &["--budget-s-per-frame=-1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("must be a positive number of seconds")
    );
    let (_out, output) = analyse(&fixture("window"), &["--preset", "fancy"]);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("paper") && err.contains("hta"), "{err}");
    let (_out, output) = analyse(&fixture("window"), &["--final-set", "iterations"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("PATH=VALUE"));
}

#[test]
fn help_documents_the_selection_rule() {
    let output = Command::new(env!("CARGO_BIN_EXE_xvr-analysis"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("Selection rule")
            && help.contains("--budget-s-per-frame")
            && help.contains("Karp–Flatt")
    );
}

#[test]
fn non_positive_wall_time_is_left_out_and_named() {
    let dir = copy_fixture("scaling");
    let file = dir.path().join("scaling/trials/scal08rep1/summary.json");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"train_wall_s\": 61.0", "\"train_wall_s\": 0.0");
    std::fs::write(&file, text).unwrap();
    let (out, output) = analyse(&dir.path().join("scaling"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let r8 = table(out.path(), "scaling")
        .into_iter()
        .find(|r| r["gpus"] == "8")
        .unwrap();
    assert_eq!(
        (r8["repeats"].as_str(), r8["wall_s_median"].as_str()),
        ("1", "59")
    );
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("scal08rep1: summary.json train_wall_s = 0 is not a positive time"));
}

#[test]
fn trials_outside_the_plan_and_planned_trials_without_a_directory_are_listed() {
    let dir = copy_fixture("window");
    let sweep = dir.path().join("window");
    // The running trial's directory is gone (never submitted on this file system) …
    std::fs::remove_dir_all(sweep.join("trials/window0008")).unwrap();
    // … and a trial directory exists that plan.csv does not name.
    let extra = sweep.join("trials/extra00001");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(
        extra.join("state.json"),
        r#"{"status": "timed_out", "attempts": 2, "exit_status": -29}"#,
    )
    .unwrap();
    let (out, output) = analyse(&sweep, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let trials = table(out.path(), "trials");
    assert_eq!(trials.len(), 5);
    assert_eq!(
        row(&trials, "trial_id", "window0008")["status"],
        "missing (no trial directory)"
    );
    assert_eq!(
        row(&trials, "trial_id", "extra00001")["status"],
        "timed_out (exit -29)"
    );
    let quality = table(out.path(), "quality_model_window");
    assert!(row(&quality, "value", "8")["not_completed"].contains("missing"));
}

#[test]
fn perfect_scaling_gives_full_efficiency_and_no_serial_fraction() {
    let dir = copy_fixture("scaling");
    let sweep = dir.path().join("scaling");
    // Rewrite every completed trial's wall time to 400/g s: ideal strong scaling.
    for (id, old, new) in [
        ("scal04rep0", "108.0", "100.0"),
        ("scal04rep1", "112.0", "100.0"),
        ("scal08rep0", "59.0", "50.0"),
        ("scal08rep1", "61.0", "50.0"),
        ("scal16rep0", "34.0", "25.0"),
        ("scal16rep1", "36.0", "25.0"),
    ] {
        let file = sweep.join("trials").join(id).join("summary.json");
        let text = std::fs::read_to_string(&file).unwrap();
        let from = format!("\"train_wall_s\": {old}");
        assert!(text.contains(&from), "{id}");
        std::fs::write(
            &file,
            text.replace(&from, &format!("\"train_wall_s\": {new}")),
        )
        .unwrap();
    }
    let (out, output) = analyse(&sweep, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for r in table(out.path(), "scaling") {
        assert_close(num(&r, "efficiency_pct"), 100.0, "efficiency");
        assert_close(num(&r, "speedup"), num(&r, "ideal_speedup"), "speed-up");
        if r["gpus"] != "4" {
            assert_close(num(&r, "karp_flatt"), 0.0, "Karp–Flatt");
        }
    }
    let fits = table(out.path(), "scaling_fits");
    let value = |m: &str, p: &str| {
        num(
            fits.iter()
                .find(|r| r["model"] == m && r["parameter"] == p)
                .unwrap(),
            "value",
        )
    };
    assert_close(value("power_law", "b"), -1.0, "b");
    assert_close(value("power_law", "a"), 400.0, "a");
    assert_close(value("amdahl", "serial_s"), 0.0, "T_s");
}

#[test]
fn a_closed_stdout_does_not_fail_the_analysis() {
    // The write end of a pipe whose read end is closed (`xvr-analysis … | head -0`).
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills both descriptors; the read end is closed at once and the
    // write end owned by the Stdio handed to the child.
    let stdout = unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        std::process::Stdio::from(
            <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fds[1]),
        )
    };
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xvr-analysis"))
        .arg(fixture("window"))
        .arg("--out")
        .arg(out.path())
        .stdout(stdout)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.path().join("index.html").is_file());
}
