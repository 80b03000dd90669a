//! The reconstruction job on this rank: checks, then this rank's share of the frames
//! (round-robin, frame t on rank t mod world, as the reference's inference splits them),
//! each timed and written, then the manifest on rank 0 (docs/reconstruction.md).

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use xvr_contract::results::names;
use xvr_contract::trial::TrialConfig;

use super::args::ReconstructArgs;
use super::experiment::Experiment;
use super::manifest::{self, ManifestRow, ReconstructSummary};
use super::reconstruct_error::{ReconstructError, ReconstructFailure, Refusal};
use crate::data::eval_input::reflection_circle_frames;
use crate::data::frame::Frame;
use crate::data::sequence_writer::SequenceLayout;
use crate::data::sequence_writer::FRAMES_DIR;
use crate::dist::{self, compute_threads, Collectives};
use crate::metrics::{aad, bicubic_upscale, ssim, to_grey_levels, MetricError};
use crate::model::{CountFlops, ModelConfig, SwinXvr};
use crate::train::checkpoint::load_trained;
use crate::train::evaluate::capped_psnr;
use xvr_contract::model::{HR_FRAMES, SCALE};

/// Numbers per gathered frame slot: t, rank, forward time, six metrics (NaN = none).
const SLOT: usize = 9;
/// `t` of a padding slot.
const PADDING: f64 = -1.0;

/// Runs `xvr-worker reconstruct` on this rank; prints errors (with the rank when there are
/// several) on stderr. Returns the summary on rank 0.
pub fn reconstruct<B: Backend>(
    args: &ReconstructArgs,
    device: &B::Device,
) -> Result<Option<ReconstructSummary>, ReconstructError> {
    let mut rank = None;
    let result = (|| {
        let coll = dist::init(args.ranks).map_err(Refusal::Join)?;
        let world = coll.world();
        rank = (world.size > 1).then_some(world.rank);
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            std::env::set_var("RAYON_NUM_THREADS", compute_threads(world, 0).to_string());
        }
        execute::<B>(args, coll.as_ref(), device).map(|done| done.map(|(summary, _)| summary))
    })();
    if let Err(e) = &result {
        match rank {
            Some(r) => eprintln!("xvr-worker reconstruct (rank {r}): {e}"),
            None => eprintln!("xvr-worker reconstruct: {e}"),
        }
    }
    result
}

/// Everything checked before any work: the trial and its model, the experiment, and an output
/// folder that holds nothing yet.
struct Checked<B: Backend> {
    trial: TrialConfig,
    config: ModelConfig,
    model: SwinXvr<B>,
    checkpoint_iteration: u64,
    total_iterations: u64,
    experiment: Experiment,
}

fn check<B: Backend>(args: &ReconstructArgs, device: &B::Device) -> Result<Checked<B>, Refusal> {
    if args.out.exists() {
        let mut entries = std::fs::read_dir(&args.out).map_err(|source| Refusal::ListOut {
            out: args.out.clone(),
            source,
        })?;
        if entries.next().is_some() {
            return Err(Refusal::OutNotEmpty {
                out: args.out.clone(),
            });
        }
    }
    if let Some(fps) = args.lr_fps.filter(|f| !(f.is_finite() && *f > 0.0)) {
        return Err(Refusal::LrFps { fps });
    }
    let trial = TrialConfig::from_yaml_file(&args.trial_dir.join(names::TRIAL_YAML))?;
    let config = trial.model.clone();
    let (model, state) = load_trained::<B>(&args.trial_dir, &trial, args.weights, device)?;
    let experiment = Experiment::load(args)?;
    Ok(Checked {
        trial,
        config,
        model,
        checkpoint_iteration: state.iteration,
        total_iterations: state.total_iterations,
        experiment,
    })
}

/// The reconstruction on this rank of the job `coll` joins: checks, this rank's frames, then
/// on rank 0 the gathered manifest rows and the summary (written to `args.out` and returned).
pub(crate) fn execute<B: Backend>(
    args: &ReconstructArgs,
    coll: &dyn Collectives,
    device: &B::Device,
) -> Result<Option<(ReconstructSummary, Vec<ManifestRow>)>, ReconstructError> {
    let world = coll.world();
    let lead = world.rank == 0;
    let checked = check::<B>(args, device)?;
    let ex = &checked.experiment;
    let n = if args.frames == 0 {
        ex.len()
    } else {
        args.frames.min(ex.len())
    };
    let out = &args.out;
    // Frames of a stack are written as one-frame parts first and assembled on rank 0.
    let frame_dir = if ex.layout.one_file_per_frame() {
        out.join(FRAMES_DIR)
    } else {
        out.join(PARTS_DIR)
    };
    coll.barrier().map_err(ReconstructFailure::Barrier)?;
    if lead {
        std::fs::create_dir_all(&frame_dir).map_err(|source| ReconstructFailure::Io {
            path: frame_dir.clone(),
            source,
        })?;
    }
    coll.barrier().map_err(ReconstructFailure::Barrier)?;

    let (h, w) = ex.lr_size();
    let nl = checked.config.lr_frames;
    let start = Instant::now();
    let mine: Vec<usize> = (world.rank..n).step_by(world.size).collect();
    let mut slots = vec![f64::NAN; n.div_ceil(world.size) * SLOT];
    slots.iter_mut().step_by(SLOT).for_each(|t| *t = PADDING);
    if lead {
        eprintln!(
            "reconstructing {n} frames of {}x{} (LR {h}x{w}) on {} rank(s) with trial {} (iteration {}/{}, {} weights)",
            SCALE * h,
            SCALE * w,
            world.size,
            args.trial_dir.display(),
            checked.checkpoint_iteration,
            checked.total_iterations,
            args.weights.name()
        );
    }
    for (k, (&t, slot)) in mine.iter().zip(slots.chunks_mut(SLOT)).enumerate() {
        let inputs = ex.inputs(t, nl);
        let lq = Tensor::<B, 5>::from_data(TensorData::new(inputs.lq, [1, nl, 1, h, w]), device);
        let hq = Tensor::<B, 5>::from_data(
            TensorData::new(inputs.hq, [1, HR_FRAMES, 1, SCALE * h, SCALE * w]),
            device,
        );
        let begin = Instant::now();
        let pixels: Vec<f32> = checked
            .model
            .forward(lq, hq)
            .into_data()
            .convert::<f32>()
            .into_vec()
            .map_err(|source| ReconstructFailure::Output { frame: t, source })?;
        let infer_s = begin.elapsed().as_secs_f64();
        let output = Frame {
            height: SCALE * h,
            width: SCALE * w,
            pixels,
        };
        let path = part_path(&frame_dir, &ex.layout, out, t);
        ex.layout
            .write_frame(&path, &ex.norm.to_levels(&output))
            .map_err(|source| ReconstructFailure::WriteFrame { frame: t, source })?;
        let scores = ex
            .reference(t)
            .map(|reference| score(&output, reference, ex, t))
            .transpose()
            .map_err(|source| ReconstructFailure::Score { frame: t, source })?
            .unwrap_or([f64::NAN; 6]);
        slot[0] = t as f64;
        slot[1] = world.rank as f64;
        slot[2] = infer_s;
        slot[3..].copy_from_slice(&scores);
        if lead {
            let done = k + 1;
            let elapsed = start.elapsed().as_secs_f64();
            eprintln!(
                "rank 0: frame {t} ({done}/{} of this rank) in {infer_s:.3} s; {:.3} frames/s on this rank",
                mine.len(),
                done as f64 / elapsed
            );
        }
    }
    let gathered = coll
        .gather_f64(&slots, 0)
        .map_err(ReconstructFailure::Gather)?;
    coll.barrier().map_err(ReconstructFailure::Barrier)?;
    let Some(all) = gathered else { return Ok(None) };

    if !ex.layout.one_file_per_frame() {
        assemble_stack(&frame_dir, ex, out, n)?;
    }
    let total_s = start.elapsed().as_secs_f64();
    let mut rows: Vec<Option<ManifestRow>> = vec![None; n];
    for slot in all.chunks(SLOT).filter(|s| s[0] >= 0.0) {
        let t = slot[0] as usize;
        rows[t] = Some(row(slot, ex, args, nl));
    }
    let rows: Vec<ManifestRow> = rows
        .into_iter()
        .enumerate()
        .map(|(t, r)| r.ok_or(ReconstructFailure::NotReturned { frame: t }))
        .collect::<Result<_, _>>()?;
    let summary = summarise(&checked, args, &rows, world.size, total_s);
    manifest::write(out, &rows, &summary).map_err(ReconstructFailure::Manifest)?;
    eprintln!(
        "done: {n} frames in {total_s:.2} s on {} rank(s): {:.3} frames/s, {:.3} s per frame forward{}",
        world.size,
        summary.frames_per_s,
        summary.mean_infer_s,
        summary
            .mean_psnr_db
            .zip(summary.mean_bicubic_psnr_db)
            .map(|(p, b)| format!("; PSNR {p:.3} dB vs the reference (bicubic {b:.3} dB)"))
            .unwrap_or_default()
    );
    Ok(Some((summary, rows)))
}

/// Folder of the one-frame parts a stack is assembled from (removed afterwards).
const PARTS_DIR: &str = "parts";

/// Where frame `t` is written first: its final file, or a part of a stack.
fn part_path(frame_dir: &Path, layout: &SequenceLayout, out: &Path, t: usize) -> PathBuf {
    if layout.one_file_per_frame() {
        layout.frame_path(out, t)
    } else {
        frame_dir.join(format!("{t:08}.tif"))
    }
}

/// Reads the parts in time order, writes the stack, removes the parts.
fn assemble_stack(
    parts: &Path,
    ex: &Experiment,
    out: &Path,
    n: usize,
) -> Result<(), ReconstructFailure> {
    let mut frames = Vec::with_capacity(n);
    for t in 0..n {
        let mut pages =
            crate::data::tiff_file::read_tiff_pages(&parts.join(format!("{t:08}.tif")), t)
                .map_err(ReconstructFailure::Stack)?;
        frames.push(pages.remove(0).0);
    }
    ex.layout
        .write_stack(&ex.layout.frame_path(out, 0), &frames)
        .map_err(ReconstructFailure::Stack)?;
    std::fs::remove_dir_all(parts).map_err(|source| ReconstructFailure::Io {
        path: parts.to_path_buf(),
        source,
    })
}

/// PSNR, SSIM, AAD of the output and of the bicubic upscale of LR frame t against
/// `reference`, on 8-bit images as evaluation scores them.
fn score(
    output: &Frame,
    reference: &Frame,
    ex: &Experiment,
    t: usize,
) -> Result<[f64; 6], MetricError> {
    let (h, w) = ex.lr_size();
    let (hh, hw) = (SCALE * h, SCALE * w);
    let gt = to_grey_levels(&reference.pixels);
    let out = to_grey_levels(&output.pixels);
    let bicubic = to_grey_levels(&bicubic_upscale(&ex.lr[t].pixels, h, w, SCALE));
    Ok([
        capped_psnr(&out, &gt)?,
        ssim(&out, &gt, hh, hw)?,
        aad(&out, &gt)?,
        capped_psnr(&bicubic, &gt)?,
        ssim(&bicubic, &gt, hh, hw)?,
        aad(&bicubic, &gt)?,
    ])
}

fn row(slot: &[f64], ex: &Experiment, args: &ReconstructArgs, lr_frames: usize) -> ManifestRow {
    let t = slot[0] as usize;
    let hr = ex.hr_around(t);
    let lr = reflection_circle_frames(t, ex.len(), lr_frames);
    let join = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(" ");
    let metric = |i: usize| Some(slot[i]).filter(|v| !v.is_nan());
    let out = &args.out;
    let file = if ex.layout.one_file_per_frame() {
        ex.layout
            .frame_path(out, t)
            .strip_prefix(out)
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    } else {
        let stack = ex.layout.frame_path(out, 0);
        let name = stack
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match &ex.layout.dataset {
            Some(dataset) => format!("{name}:{dataset}[{t}]"),
            None => format!("{name}[{t}]"),
        }
    };
    ManifestRow {
        frame: t,
        time: args.lr_fps.map_or(t as f64, |fps| t as f64 / fps),
        lr_frames: join(&lr),
        hr_frames: join(&hr),
        hr_times: join(&hr.map(|j| ex.hr_times[j])),
        hr_key: ex.hr_index_at(t).is_some(),
        file,
        rank: slot[1] as usize,
        infer_s: slot[2],
        psnr_db: metric(3),
        ssim: metric(4),
        aad: metric(5),
        bicubic_psnr_db: metric(6),
        bicubic_ssim: metric(7),
        bicubic_aad: metric(8),
    }
}

fn summarise<B: Backend>(
    checked: &Checked<B>,
    args: &ReconstructArgs,
    rows: &[ManifestRow],
    ranks: usize,
    total_s: f64,
) -> ReconstructSummary {
    let ex = &checked.experiment;
    let (h, w) = ex.lr_size();
    let mean = |values: Vec<f64>| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let inputs = [&args.lr, &args.hr, &args.sequence]
        .into_iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    ReconstructSummary {
        trial_dir: args.trial_dir.display().to_string(),
        trial_id: checked.trial.meta.id.clone(),
        checkpoint_iteration: checked.checkpoint_iteration,
        total_iterations: checked.total_iterations,
        weights: args.weights.name().into(),
        mode: if args.sequence.is_some() {
            "resimulated"
        } else {
            "measured"
        }
        .into(),
        inputs,
        hr_every: args.hr_separation().frames(ex.len()),
        first_last: args.first_last,
        hr_offset: args.hr_offset,
        hr_times: ex.hr_times.clone(),
        time_unit: if args.lr_fps.is_some() {
            "s"
        } else {
            "lr_frame"
        }
        .into(),
        frames: rows.len(),
        ranks,
        format: ex.layout.format.name().into(),
        bit_depth: ex.layout.depth.bits(),
        lr_size: [h, w],
        hr_size: [SCALE * h, SCALE * w],
        params: checked.model.num_params() as u64,
        flops_per_frame: checked.config.flops_per_sample(h, w),
        total_s,
        frames_per_s: rows.len() as f64 / total_s,
        mean_infer_s: mean(rows.iter().map(|r| r.infer_s).collect()).unwrap_or(0.0),
        lr_b0: ex.lr_b0,
        lr_psnr_target_db: args.lr_psnr,
        lr_psnr_db: ex.lr_psnr_db,
        mean_psnr_db: mean(rows.iter().filter_map(|r| r.psnr_db).collect()),
        mean_bicubic_psnr_db: mean(rows.iter().filter_map(|r| r.bicubic_psnr_db).collect()),
    }
}
