//! Evaluation split over ranks, as the reference's inference splits frames: round-robin,
//! job k on rank k mod world. Rows travel to rank 0 as numbers (the collectives move flat
//! buffers), one fixed-size slot per job, padded to the same count on every rank.

use burn::tensor::backend::Backend;
use xvr_contract::results::ValidationRow;

use super::evaluate::{eval_jobs, evaluate_frame, EvalSettings};
use super::evaluation_error::EvaluationError;
use crate::data::PairedVideo;
use crate::dist::Collectives;
use crate::model::SwinXvr;

/// Numbers per job slot: job index, six metrics, time.
const SLOT: usize = 8;
/// Job index of a padding slot.
const PADDING: f64 = -1.0;
/// Job index of a slot whose frame failed on its rank (the message is on that rank's stderr).
const FAILED: f64 = -2.0;

/// Evaluates this rank's share of the frames and gathers every row on rank 0, in job order
/// (`Some` on rank 0, `None` elsewhere). Every rank must call it.
pub fn evaluate_sharded<B: Backend>(
    model: &SwinXvr<B>,
    videos: &[PairedVideo],
    settings: EvalSettings,
    device: &B::Device,
    coll: &dyn Collectives,
) -> Result<Option<Vec<ValidationRow>>, EvaluationError> {
    let world = coll.world();
    let jobs = eval_jobs(videos, settings);
    let per_rank = jobs.len().div_ceil(world.size);
    let mut slots = vec![PADDING; per_rank * SLOT];
    let mine = jobs.iter().enumerate().skip(world.rank).step_by(world.size);
    for (slot, (k, &(v, t))) in slots.chunks_mut(SLOT).zip(mine) {
        match evaluate_frame(model, &videos[v], t, settings, device) {
            Ok(row) => slot.copy_from_slice(&encode(k, &row)),
            Err(e) => {
                eprintln!("rank {}: evaluation failed: {e}", world.rank);
                slot[0] = FAILED;
            }
        }
    }
    let Some(all) = coll
        .gather_f64(&slots, 0)
        .map_err(EvaluationError::Gather)?
    else {
        return Ok(None);
    };
    let mut rows: Vec<Option<ValidationRow>> = vec![None; jobs.len()];
    for slot in all.chunks(SLOT) {
        if slot[0] == FAILED {
            return Err(EvaluationError::FailedOnARank);
        }
        if slot[0] >= 0.0 {
            let k = slot[0] as usize;
            let (v, t) = jobs[k];
            rows[k] = Some(decode(&videos[v].name, t, slot));
        }
    }
    rows.into_iter()
        .enumerate()
        .map(|(k, row)| row.ok_or(EvaluationError::NotReturned { job: k }))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn encode(job: usize, row: &ValidationRow) -> [f64; SLOT] {
    [
        job as f64,
        row.psnr_db,
        row.ssim,
        row.aad,
        row.bicubic_psnr_db,
        row.bicubic_ssim,
        row.bicubic_aad,
        row.infer_s,
    ]
}

fn decode(video: &str, frame: usize, slot: &[f64]) -> ValidationRow {
    ValidationRow {
        video: video.to_owned(),
        frame,
        psnr_db: slot[1],
        ssim: slot[2],
        aad: slot[3],
        bicubic_psnr_db: slot[4],
        bicubic_ssim: slot[5],
        bicubic_aad: slot[6],
        infer_s: slot[7],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_the_numeric_encoding() {
        let row = ValidationRow {
            video: "v".into(),
            frame: 3,
            psnr_db: 31.25,
            ssim: 0.875,
            aad: 2.5,
            bicubic_psnr_db: 28.0,
            bicubic_ssim: 0.75,
            bicubic_aad: 3.5,
            infer_s: 0.125,
        };
        let slot = encode(7, &row);
        assert_eq!(slot[0], 7.0);
        assert_eq!(decode("v", 3, &slot), row);
    }
}
