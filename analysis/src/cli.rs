//! The command line: `xvr-analysis SWEEP_DIR [options]`. `--help` is the manual.

use crate::report::{selection::Rule, FinalRun, Options};
use clap::Parser;
use std::path::PathBuf;
use xvr::spec::trial::KernelPreset;

/// Reports for one sweep: reads only results/<sweep>/, writes results/<sweep>/report/.
///
/// Sections, each written when the sweep has data for it:
///
///   trials       every planned or present trial with its state; failed, running and missing
///                trials are listed, never dropped (trials.csv)
///
///   scaling      per GPU count: nodes, batch per GPU, global batch, iterations, training wall
///                time (median, min, max over repeats), speed-up s = t(r)/t(g), ideal s* = g/r,
///                efficiency e = r·t(r)/(g·t(g)) with r the smallest GPU count, Karp–Flatt
///                serial fraction (p = g/r, ψ = s); power-law t = a·g^b and Amdahl t = T_s + T_p/g
///                fits (scaling.csv, scaling_fits.csv, scaling_*.png/svg)
///
///   utilisation  idle / non-idle time and utilisation vs batch size, mean over ranks (profile.csv)
///
///   kernel mix   computation / communication / memory share per GPU count under --preset
///
///   quality      validation PSNR (mean over videos of per-video mean over frames, recomputed
///                from validation.csv and cross-checked with summary.json), SSIM, AAD, bicubic
///                baseline and inference time per frame, per value of each swept axis or per
///                variant; training-loss curves
///
///   selection    the rule below, the Pareto front of PSNR vs inference time, and selected.yaml,
///                a sweep spec for the final run
///
/// Selection rule: repeats of a configuration are averaged; among configurations whose
/// inference time per frame is ≤ --budget-s-per-frame (no limit by default), the highest
/// validation PSNR wins; configurations within --tie-db of the best are tied and the cheapest
/// wins (fewest FLOPs per sample, then fewest parameters, then fastest). Only succeeded
/// trials with a summary.json take part.
///
/// Every table is also a CSV and every plot a PNG and an SVG; index.html embeds them all.
#[derive(Debug, Parser)]
#[command(name = "xvr-analysis", version, verbatim_doc_comment)]
pub struct Cli {
    /// The sweep's results directory, results/<sweep>/ (holds plan.csv and trials/).
    pub sweep_dir: PathBuf,

    /// Where to write the report [default: SWEEP_DIR/report].
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Kernel classification for the kernel-mix report: `paper` (host↔device copies are
    /// communication) or `hta` (every Memcpy/Memset is memory).
    #[arg(long, value_enum, default_value_t = KernelPreset::Paper)]
    pub preset: KernelPreset,

    /// Largest inference time per frame (seconds) a selected configuration may have.
    #[arg(long, value_name = "SECONDS")]
    pub budget_s_per_frame: Option<f64>,

    /// PSNR difference (dB) within which configurations count as tied (0: only exact ties).
    #[arg(long, value_name = "DB", default_value_t = 0.0)]
    pub tie_db: f64,

    /// Name of the variant in selected.yaml.
    #[arg(long, default_value = "final")]
    pub final_name: String,

    /// A setting of the final run, PATH=VALUE (VALUE is YAML); repeatable. Defaults:
    /// train.iterations=75000 and train.warmup=2000 (the paper's final model); a PATH given
    /// here replaces the default for that path.
    #[arg(long = "final-set", value_name = "PATH=VALUE")]
    pub final_set: Vec<String>,
}

impl Cli {
    /// Checks the values clap cannot and builds the report options.
    pub fn options(&self) -> Result<Options, String> {
        if let Some(b) = self.budget_s_per_frame {
            if !(b.is_finite() && b > 0.0) {
                return Err(format!(
                    "--budget-s-per-frame: {b}: must be a positive number of seconds"
                ));
            }
        }
        if !(self.tie_db.is_finite() && self.tie_db >= 0.0) {
            return Err(format!("--tie-db: {}: must be ≥ 0", self.tie_db));
        }
        let mut final_run = FinalRun {
            variant: self.final_name.clone(),
            ..FinalRun::default()
        };
        for assignment in &self.final_set {
            final_run.apply(assignment)?;
        }
        Ok(Options {
            out: self
                .out
                .clone()
                .unwrap_or_else(|| crate::report::default_out(&self.sweep_dir)),
            preset: self.preset,
            selection: Rule {
                budget_s_per_frame: self.budget_s_per_frame,
                tie_db: self.tie_db,
            },
            final_run,
        })
    }
}
