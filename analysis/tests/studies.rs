//! Each of the paper's studies, planned from its own spec in sweeps/ and given synthetic
//! results of the paper's shape: the report must draw the paper's figure type for it
//! (Fig. 2 idle/non-idle bars and utilisation vs batch, Fig. 3 log-log wall time with the
//! fit and efficiency bars, Fig. 4 one kernel pie per GPU count, Fig. 5 PSNR per axis value
//! against bicubic, Fig. 6 inference time per axis value).
//!
//! With XVR_README_FIGURES=<dir> set, the PNGs shown in analysis/README.md are copied there.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use xvr_contract::trial::TrialConfig;

/// Plans `sweeps/<study>.yaml`, writes a result per planned trial from `numbers`, runs the
/// analysis; returns the report directory.
fn study(root: &Path, name: &str, numbers: impl Fn(&TrialConfig, &mut Synthetic)) -> PathBuf {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sweeps")
        .join(format!("{name}.yaml"));
    let plan = xvr::plan::Plan::build(&spec, root).unwrap_or_else(|e| panic!("{name}: {e}"));
    let trials: Vec<Synthetic> = plan
        .trials
        .iter()
        .map(|p| {
            let mut t = Synthetic::planned(&p.config);
            t.bicubic_psnr_db = 31.0;
            numbers(&p.config, &mut t);
            t
        })
        .collect();
    let axes: Vec<&str> = plan.axes.iter().map(String::as_str).collect();
    let text = std::fs::read_to_string(&spec).unwrap();
    let dir = write_sweep(root, name, &text, &axes, &trials);
    let out = root.join(format!("{name}-report"));
    analyse(&dir, &out, &[]);
    out
}

/// The figure's SVG text (plotters writes titles, ticks and legend entries as text).
fn svg(out: &Path, stem: &str) -> String {
    std::fs::read_to_string(out.join(format!("{stem}.svg")))
        .unwrap_or_else(|e| panic!("{stem}.svg: {e}"))
}

#[test]
fn utilisation_study_draws_idle_and_non_idle_bars_and_utilisation_vs_batch() {
    let root = tempfile::tempdir().unwrap();
    // Utilisation 1 − 0.6/(b + 0.5): 60 % at batch 1, 94.3 % at 10; window 0.05 + 0.03·b s per iteration.
    let out = study(root.path(), "utilisation", |c, t| {
        let b = c.train.batch_per_gpu as f64;
        t.profile = Some((10.0 * (0.05 + 0.03 * b), 1.0 - 0.6 / (b + 0.5), 0.03));
    });
    let rows = table(&out, "utilisation");
    assert_eq!(
        rows.len(),
        5,
        "one bar per batch size of sweeps/utilisation.yaml"
    );
    assert_close(
        num(row(&rows, &[("batch_per_gpu", "10")]), "utilization_pct"),
        100.0 * (1.0 - 0.6 / 10.5),
        "b10",
    );
    let bars = svg(&out, "utilisation_time");
    assert!(
        bars.contains("non-idle") && bars.contains("idle"),
        "stacked idle / non-idle bars"
    );
    let line = svg(&out, "utilisation_pct");
    assert!(line.contains("GPU utilisation vs batch size") && line.contains("batch size per GPU"));
    assert!(
        !out.join("scaling_wall_time.png").exists(),
        "one GPU count: no scaling plot"
    );
    keep_for_readme(&out, "study", &["utilisation_time", "utilisation_pct"]);
}

#[test]
fn scaling_study_draws_log_log_wall_time_with_fits_efficiency_and_kernel_pies() {
    let root = tempfile::tempdir().unwrap();
    // t(g) = 80 000/g + 2g s: near-ideal to 32 GPUs, flattening beyond (the paper's shape);
    // communication share 3 % + 2 % per doubling.
    let out = study(root.path(), "scaling", |c, t| {
        let g = f64::from(c.resources.gpus);
        t.wall_s = 80_000.0 / g + 2.0 * g;
        t.profile = Some((1.0, 0.95, 0.03 + 0.02 * (g / 4.0).log2()));
    });
    let rows = table(&out, "scaling");
    assert_eq!(rows.len(), 7, "4 … 256 GPUs");
    // e(32) = 4·20 008/(32·2 564).
    assert_close(
        num(row(&rows, &[("gpus", "32")]), "efficiency_pct"),
        100.0 * 4.0 * 20_008.0 / (32.0 * 2_564.0),
        "e(32)",
    );
    let wall = svg(&out, "scaling_wall_time");
    assert!(
        wall.contains("(log-log)")
            && wall.contains("power law")
            && wall.contains("Amdahl")
            && wall.contains("ideal")
    );
    let eff = svg(&out, "scaling_efficiency");
    assert!(eff.contains("100 % (ideal)") && eff.contains("90 %"));
    let pies = svg(&out, "kernel_mix_pies");
    for g in [4, 8, 16, 32, 64, 128, 256] {
        // plotters writes each text on a line of its own.
        assert!(
            pies.contains(&format!("\n{g} GPUs\n")),
            "a pie for {g} GPUs"
        );
    }
    keep_for_readme(
        &out,
        "study",
        &["scaling_wall_time", "scaling_efficiency", "kernel_mix_pies"],
    );
}

/// Fig. 5/6 shape: PSNR per value against bicubic, inference time per value.
fn quality_figures(out: &Path, axis: &str, values: &[&str]) {
    let stem = format!("quality_{}", axis.replace('.', "_"));
    let rows = table(out, &stem);
    let got: Vec<&str> = rows.iter().map(|r| r["value"].as_str()).collect();
    assert_eq!(got, values, "{stem}: one point per value, in order");
    let label = if axis == "variant" {
        "model variant"
    } else {
        axis
    };
    let psnr = svg(out, &format!("{stem}_psnr"));
    assert!(
        psnr.contains(&format!("Validation PSNR vs {label}")) && psnr.contains("bicubic"),
        "{stem}"
    );
    let infer = svg(out, &format!("{stem}_infer"));
    assert!(
        infer.contains(&format!("Inference time per frame vs {label}")),
        "{stem}"
    );
}

#[test]
fn temporal_window_study() {
    let root = tempfile::tempdir().unwrap();
    let out = study(root.path(), "lr_frames", |c, t| {
        let nl = c.model.lr_frames as f64;
        t.psnr_db = 35.6 - 1.2 / nl;
        t.infer_s = 0.004 * (nl + 2.0);
    });
    quality_figures(&out, "model.lr_frames", &["3", "5", "7", "9"]);
}

#[test]
fn spatial_window_study() {
    let root = tempfile::tempdir().unwrap();
    let out = study(root.path(), "window", |c, t| {
        let w = c.model.window as f64;
        t.psnr_db = 33.8 + 1.6 * w.log2() - 0.25 * w.log2().powi(2);
        t.infer_s = 0.018 + 0.022 / w;
    });
    quality_figures(&out, "model.window", &["1", "2", "4", "8"]);
    keep_for_readme(
        &out,
        "study",
        &["quality_model_window_psnr", "quality_model_window_infer"],
    );
}

#[test]
fn data_size_study() {
    let root = tempfile::tempdir().unwrap();
    let out = study(root.path(), "data_fraction", |c, t| {
        t.psnr_db = 35.0 + 0.8 * c.data.fraction.log10();
        t.infer_s = 0.03;
    });
    quality_figures(
        &out,
        "data.fraction",
        &[
            "0.0007", "0.001", "0.005", "0.01", "0.1", "0.4", "0.7", "1.0",
        ],
    );
}

#[test]
fn model_size_study() {
    let root = tempfile::tempdir().unwrap();
    let out = study(root.path(), "model_size", |c, t| {
        let (psnr, ms) = match c.meta.variant.as_deref() {
            Some("heads1") => (34.6, 35.0),
            Some("channels384") => (35.3, 70.0),
            Some("channels384_heads6") => (35.4, 75.0),
            Some("blocks48") => (35.2, 80.0),
            _ => (35.0, 40.0),
        };
        t.psnr_db = psnr;
        t.infer_s = ms / 1e3;
    });
    quality_figures(
        &out,
        "variant",
        &[
            "baseline",
            "heads1",
            "channels384",
            "channels384_heads6",
            "blocks48",
        ],
    );
    keep_for_readme(&out, "study", &["quality_variant_psnr", "selection_pareto"]);
}

#[test]
fn final_model_is_reported_against_bicubic() {
    let root = tempfile::tempdir().unwrap();
    let out = study(root.path(), "final", |_, t| t.psnr_db = 35.5);
    let rows = table(&out, "quality_trials");
    assert_eq!(rows.len(), 1);
    assert_close(
        num(&rows[0], "psnr_db") - num(&rows[0], "bicubic_psnr_db"),
        4.5,
        "gain over bicubic",
    );
    quality_figures(&out, "variant", &["final"]);
}
