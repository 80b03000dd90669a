//! The per-trial profiler outputs: `profile.csv` (rank 0, every rank × preset) and
//! `trace-rank<k>.json` (each rank), both written atomically.

use std::path::{Path, PathBuf};

use xvr_contract::results::{names, write_atomic, ProfileRow};
use xvr_contract::trial::KernelPreset;

use super::breakdown::Breakdown;
use super::trace::{kineto_trace, TraceContext};
use super::Recorder;
use crate::dist::{Collectives, CommError};

/// Why the profiler outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("gathering profile rows: {0}")]
    Gather(CommError),
    #[error("gathered {found} profile numbers from {ranks} ranks, expected {per_rank} each")]
    Gathered { found: usize, ranks: usize, per_rank: usize },
    #[error("profile.csv: {0}")]
    Row(#[from] csv::Error),
}

/// Both presets, in the order their rows are written.
pub const PRESETS: [KernelPreset; 2] = [KernelPreset::Hta, KernelPreset::Paper];

/// Writes this rank's trace and, on rank 0, `profile.csv` with one row per rank and preset
/// (ranks ascending, `hta` then `paper`) into `trial_dir`.
///
/// Collective: every rank must call it (the breakdowns are gathered to rank 0), after the
/// profiled window ended. When the window never opened on this run (fewer iterations than
/// `warmup`), nothing is written; every rank sees the same iteration count, so they agree.
pub fn write_outputs(
    trial_dir: &Path,
    rec: &Recorder,
    coll: &dyn Collectives,
) -> Result<(), ProfileError> {
    if rec.span_ns().is_none() {
        return Ok(());
    }
    let world = coll.world();
    let ctx = TraceContext {
        world,
        backend: coll.backend(),
        device: 0,
        // NCCL collectives mean GPU activities; otherwise the backend computes on the CPU.
        device_label: if coll.backend() == "nccl" {
            "GPU"
        } else {
            "CPU compute engine"
        },
    };
    let trace = kineto_trace(rec.activities(), &ctx);
    let trace_path = trial_dir.join(names::trace_file(world.rank));
    // Pretty: HTA finds the rank with the regex `"rank":\s+(\d+)`, which needs the space.
    serde_json::to_vec_pretty(&trace)
        .map_err(std::io::Error::from)
        .and_then(|bytes| write_atomic(&trace_path, &bytes))
        .map_err(|source| ProfileError::Write { path: trace_path.clone(), source })?;

    let mine: Vec<f64> = PRESETS
        .iter()
        .flat_map(|&p| Breakdown::of(rec.activities(), p).to_f64s())
        .collect();
    let gathered = coll.gather_f64(&mine, 0).map_err(ProfileError::Gather)?;
    let Some(all) = gathered else { return Ok(()) };
    let rows = rows_from_gathered(&all, world.size)?;
    let path = trial_dir.join(names::PROFILE_CSV);
    write_atomic(&path, &profile_csv(&rows)?).map_err(|source| ProfileError::Write { path, source })
}

/// Splits the gathered numbers back into rows: per rank, per preset, [`Breakdown::to_f64s`].
fn rows_from_gathered(all: &[f64], ranks: usize) -> Result<Vec<ProfileRow>, ProfileError> {
    let per_rank = PRESETS.len() * Breakdown::F64S;
    if all.len() != per_rank * ranks {
        return Err(ProfileError::Gathered { found: all.len(), ranks, per_rank });
    }
    let mut rows = Vec::with_capacity(ranks * PRESETS.len());
    for (rank, chunk) in all.chunks(per_rank).enumerate() {
        for (&preset, numbers) in PRESETS.iter().zip(chunk.chunks(Breakdown::F64S)) {
            rows.push(Breakdown::from_f64s(numbers).to_row(rank, preset));
        }
    }
    Ok(rows)
}

/// `profile.csv` as bytes, header from [`ProfileRow`]'s fields.
pub fn profile_csv(rows: &[ProfileRow]) -> Result<Vec<u8>, ProfileError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Solo;
    use crate::profile::{ActivityKind, ProfileWindow};

    #[test]
    fn solo_run_writes_trace_and_both_preset_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::new(Some(ProfileWindow {
            warmup: 1,
            iterations: 2,
        }));
        for it in 1..=3 {
            rec.begin_iteration(it);
            rec.record("forward_backward", ActivityKind::Kernel, 0, || {
                std::thread::sleep(std::time::Duration::from_millis(2))
            });
            rec.end_iteration();
        }
        write_outputs(dir.path(), &rec, &Solo).unwrap();
        let text = std::fs::read_to_string(dir.path().join("profile.csv")).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<ProfileRow> = r.deserialize().map(Result::unwrap).collect();
        assert_eq!(
            rows.iter()
                .map(|r| (r.rank, r.preset.as_str()))
                .collect::<Vec<_>>(),
            [(0, "hta"), (0, "paper")]
        );
        for row in &rows {
            assert!(
                row.busy_s >= 0.004 && row.computation_s == row.busy_s,
                "{row:?}"
            );
            assert!((row.busy_s + row.idle_s - row.span_s).abs() < 1e-12);
        }
        let trace: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("trace-rank0.json")).unwrap())
                .unwrap();
        assert_eq!(trace["distributedInfo"]["world_size"], 1);
    }

    #[test]
    fn nothing_is_written_before_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::new(Some(ProfileWindow {
            warmup: 5,
            iterations: 2,
        }));
        rec.begin_iteration(1);
        rec.end_iteration();
        write_outputs(dir.path(), &rec, &Solo).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn gathered_numbers_of_the_wrong_length_are_refused() {
        assert!(rows_from_gathered(&[0.0; 3], 1)
            .unwrap_err()
            .to_string()
            .contains("expected 14"));
    }
}
