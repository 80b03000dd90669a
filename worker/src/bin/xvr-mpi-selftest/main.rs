//! `xvr-mpi-selftest`: checks and measures the collectives under a real `mpiexec`.
//!
//! - `check --expect N`: joins the job like `xvr-worker` does, then checks sum, bucketed mean,
//!   broadcast, barrier and gather against closed forms; prints one JSON line per rank.
//! - `bench`: MPI all-reduce bandwidth over buffer sizes, and the bucketed gradient
//!   all-reduce of a given parameter count; rank 0 writes JSON.
//! - `profile-demo`: a synthetic data-parallel loop (compute, staging copies, all-reduce)
//!   under the profiler, then [`xvr_worker::profile::write_outputs`] into `--out`.
//! - `train-bench`: the small config's training throughput with the profiler on.
//! - `train-equivalence`: `--steps` data-parallel steps of a tiny SWIN-XVR on a fixed global
//!   batch split over the ranks; each rank writes its final weights (`weights-rank<k>.bin`,
//!   f32 little-endian) and the step losses (`losses-rank<k>.json`) into `--out`, so that a
//!   1-rank and a 2-rank run can be compared.
//!
//! Used by `worker/tests/mpi_*.rs` and `profile_*.rs`; exits 1 when a check fails, 2 when the
//! job cannot be joined.

mod bench;
mod check;
#[cfg(feature = "cuda")]
mod gpu_check;
mod profile_demo;
mod synthetic_training;
mod train_bench;
mod train_equivalence;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xvr_worker::dist::{self, Collectives, Solo};
use xvr_worker::profile::ProfileWindow;

use bench::bench;
use check::check;
use profile_demo::profile_demo;
use train_bench::train_bench;
use train_equivalence::train_equivalence;

#[derive(Parser)]
#[command(
    name = "xvr-mpi-selftest",
    about = "Collectives checks and benchmarks under mpiexec"
)]
struct Cli {
    /// Ranks the job must have (as a trial's resources.gpus).
    #[arg(long, global = true, default_value_t = 1)]
    expect: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Collective results against closed forms.
    Check,
    /// All-reduce bandwidth and the bucketed gradient all-reduce time.
    Bench {
        /// Buffer sizes in KiB of f32 (2457 KiB ≈ the small config's gradient).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "256,1024,2457,4096,16384,65536"
        )]
        kib: Vec<usize>,
        /// Gradient length for the bucketed all-reduce (small config: 628,993).
        #[arg(long, default_value_t = 628_993)]
        params: usize,
        #[arg(long, default_value_t = 20)]
        reps: usize,
        /// JSON written by rank 0.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Synthetic profiled training loop; writes profile.csv and traces into `--out`.
    ProfileDemo {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        #[arg(long, default_value_t = 4)]
        iterations: u64,
        /// Gradient length.
        #[arg(long, default_value_t = 628_993)]
        params: usize,
        /// Run a 10 ms compute phase on a second thread while the all-reduce runs, so
        /// that computation and communication overlap (for checking the overlap numbers).
        #[arg(long)]
        overlap: bool,
    },
    /// Small-config training throughput with the profiler on; writes profile.csv, traces
    /// and (rank 0) train-bench.json into `--out`.
    TrainBench {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        batch_per_rank: usize,
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        #[arg(long, default_value_t = 5)]
        iterations: u64,
    },
    /// (feature `cuda`) NCCL collectives on this rank's GPU with CUPTI collection on: checks
    /// results, prints the recorded device activities, writes profile outputs into `--out`.
    #[cfg(feature = "cuda")]
    GpuCheck {
        #[arg(long)]
        out: PathBuf,
    },
    /// Tiny-model training steps on a global batch split over the ranks.
    TrainEquivalence {
        #[arg(long)]
        out: PathBuf,
        /// Samples per step over all ranks (a multiple of the world size).
        #[arg(long, default_value_t = 2)]
        global_batch: usize,
        #[arg(long, default_value_t = 2)]
        steps: u64,
    },
}

/// Exit status when a check fails or a measurement cannot be made.
const FAILED: u8 = 1;
/// Exit status when this process cannot join the job (world size, MPI).
const CANNOT_JOIN: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(feature = "cuda")]
    if let Command::GpuCheck { out } = &cli.command {
        return match gpu_check::gpu_check(cli.expect, out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xvr-mpi-selftest gpu-check: {e}");
                ExitCode::from(FAILED)
            }
        };
    }
    let mpi = match dist::join(cli.expect) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("xvr-mpi-selftest: {e}");
            return ExitCode::from(CANNOT_JOIN);
        }
    };
    let coll: &dyn Collectives = match &mpi {
        Some(m) => m,
        None => &Solo,
    };
    let outcome = match cli.command {
        Command::Check => check(coll),
        Command::Bench {
            kib,
            params,
            reps,
            out,
        } => bench(coll, mpi.as_ref(), &kib, params, reps, out),
        Command::ProfileDemo {
            out,
            warmup,
            iterations,
            params,
            overlap,
        } => profile_demo(
            coll,
            &out,
            ProfileWindow { warmup, iterations },
            params,
            overlap,
        ),
        #[cfg(feature = "cuda")]
        Command::GpuCheck { .. } => unreachable!("handled before joining over MPI"),
        Command::TrainBench {
            out,
            batch_per_rank,
            warmup,
            iterations,
        } => train_bench(
            coll,
            &out,
            batch_per_rank,
            ProfileWindow { warmup, iterations },
        ),
        Command::TrainEquivalence {
            out,
            global_batch,
            steps,
        } => train_equivalence(coll, &out, global_batch, steps),
    };
    let rank = coll.world().rank;
    drop(mpi); // finalises MPI before exiting
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xvr-mpi-selftest rank {rank}: {e}");
            ExitCode::from(FAILED)
        }
    }
}
