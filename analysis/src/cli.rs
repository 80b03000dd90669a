//! The command line: `xvr-analysis SWEEP_DIR [options]`. `--help` is the manual.

use crate::predict::command::{parse_link, Request};
use crate::predict::BadLink;
use crate::report::{selection::Rule, FinalRun, FinalSetError, Options};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use xvr_contract::trial::KernelPreset;

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
/// A configuration is every setting but the repeat index (the variant and each swept axis);
/// every section groups by it and pools only repeats: one scaling series per configuration
/// of the non-GPU settings, one utilisation series per configuration of the settings other
/// than the batch size, one kernel-mix pie per GPU count and configuration, one quality line
/// per configuration of the settings other than the studied axis.
///
/// Selection rule: repeats of a configuration are averaged; among configurations whose
/// inference time per frame is ≤ --budget-s-per-frame (no limit by default), the highest
/// validation PSNR wins; configurations within --tie-db of the best are tied and the cheapest
/// wins (fewest FLOPs per sample, then fewest parameters, then fastest). Only succeeded
/// trials with a summary.json take part. What is chosen are the winner's model, data and
/// training settings; GPU count, walltime and queue are not hyperparameters of quality, and
/// selected.yaml keeps the sweep's base resources (change them with --final-set).
///
/// `xvr-analysis predict PLANNED --from results/<sweep>` predicts wall time, efficiency and
/// node-hours of a planned sweep before it runs (see `xvr-analysis predict --help`).
///
/// Every table is also a CSV and every plot a PNG and an SVG; index.html embeds them all.
#[derive(Debug, Parser)]
#[command(
    name = "xvr-analysis",
    version,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The sweep's results directory, results/<sweep>/ (holds plan.csv and trials/).
    #[arg(required = true)]
    pub sweep_dir: Option<PathBuf>,

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

#[derive(Debug, Subcommand)]
pub enum Command {
    Predict(PredictArgs),
}

/// Predicts a planned sweep's training time before node-hours are spent.
///
/// Reads the planned sweep directory PLANNED (written by `xvr plan SPEC`, which records the
/// site's GPUs per node and links in site.json; `xvr predict SPEC` plans into a scratch
/// directory and calls this), then for each planned trial (repeats once):
///
///   t_iter = o + c·b + T_allreduce(g)
///
/// c (compute seconds per sample) and o (seconds per iteration) are fitted to the succeeded
/// trials of --from that have the same model and crop size, at the smallest GPU count they
/// were run with (trials at larger counts are left as a check; their time per iteration minus
/// their communication time per iteration from profile.csv; one rank has none), by least
/// squares over batch sizes b (o = 0 with one batch size). T_allreduce is the α–β time of
/// the gradient all-reduce (4 bytes per parameter, parameters from summary.json): the
/// faster of a flat ring, 2(g−1)α + 2(g−1)/g·n/β, and a ring inside each node plus a
/// pipelined tree between nodes, 2⌈log2 N⌉α + 2n/β; the ring leaving a node runs at the
/// inter-node figures. The figures are the site profile's `links:` (pbs/polaris.yaml:
/// NVLink and Slingshot 11, from ALCF's documentation) unless given here.
///
/// Prints per GPU count: compute and all-reduce time per iteration, wall time =
/// iterations × t_iter, efficiency e = r·t(r)/(g·t(g)) against the series' smallest GPU
/// count, node-hours = nodes × wall time, whether it fits the requested walltime, and
/// where --from has trials at that GPU count and batch, their measured time per iteration
/// and the prediction's error.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct PredictArgs {
    /// The planned sweep to predict, results/<sweep>/ as `xvr plan` wrote it, e.g.
    /// results/scaling (nothing is written there).
    pub planned: PathBuf,

    /// Results of a measured sweep with the same model, e.g. results/utilisation.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,

    /// Also write prediction.csv and prediction_wall_time.png/svg to DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Link between the GPUs of a node, instead of the site profile's: GB/s per direction
    /// and latency in µs.
    #[arg(long, value_name = "GB_S,US")]
    pub intra_node: Option<String>,

    /// Link between nodes (the node's bandwidth), instead of the site profile's.
    #[arg(long, value_name = "GB_S,US")]
    pub inter_node: Option<String>,
}

/// A command-line value clap cannot check.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("SWEEP_DIR is required (see --help)")]
    NoSweepDir,
    #[error("--budget-s-per-frame: {0}: must be a positive number of seconds")]
    Budget(f64),
    #[error("--tie-db: {0}: must be ≥ 0")]
    TieDb(f64),
    #[error(transparent)]
    FinalSet(#[from] FinalSetError),
    #[error(transparent)]
    Link(#[from] BadLink),
}

impl PredictArgs {
    pub fn request(&self) -> Result<Request, UsageError> {
        let link = |option: &str, text: &Option<String>| {
            text.as_deref().map(|t| parse_link(option, t)).transpose()
        };
        Ok(Request {
            planned: self.planned.clone(),
            from: self.from.clone(),
            out: self.out.clone(),
            intra_node: link("--intra-node", &self.intra_node)?,
            inter_node: link("--inter-node", &self.inter_node)?,
        })
    }
}

impl Cli {
    /// Checks the values clap cannot and builds the report options.
    pub fn options(&self) -> Result<Options, UsageError> {
        let sweep_dir = self.sweep_dir.clone().ok_or(UsageError::NoSweepDir)?;
        if let Some(b) = self.budget_s_per_frame {
            if !(b.is_finite() && b > 0.0) {
                return Err(UsageError::Budget(b));
            }
        }
        if !(self.tie_db.is_finite() && self.tie_db >= 0.0) {
            return Err(UsageError::TieDb(self.tie_db));
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
                .unwrap_or_else(|| crate::report::default_out(&sweep_dir)),
            preset: self.preset,
            selection: Rule {
                budget_s_per_frame: self.budget_s_per_frame,
                tie_db: self.tie_db,
            },
            final_run,
        })
    }
}
