//! The experiment a model is applied to: LR frames at the LR rate, the HR frames that exist
//! and the LR frame each was taken with, checked before any work (docs/reconstruction.md).

use std::path::Path;

use super::args::ReconstructArgs;
use super::experiment_error::ExperimentError;
use super::noise_level;
use crate::data::eval_input::reflection_circle_frames;
use crate::data::experiment::virtual_experiment;
use crate::data::frame::Frame;
use crate::data::sequence::{read_sequence, LevelSequence, Normalisation, SequenceSource};
use crate::data::sequence_error::SequenceError;
use crate::data::sequence_writer::SequenceLayout;
use xvr_contract::model::SCALE;

/// Normalised LR and HR frames and their relation in time.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// LR frames, [0, 1], one per LR time.
    pub lr: Vec<Frame>,
    /// HR frames that exist, [0, 1], in time order.
    pub hr: Vec<Frame>,
    /// The LR frame (time) of each HR frame, strictly increasing.
    pub hr_times: Vec<usize>,
    /// A reference HR frame for every LR time (re-simulation only: the sequence itself).
    pub truth: Option<Vec<Frame>>,
    /// How outputs are stored: the HR input's format and bit depth.
    pub layout: SequenceLayout,
    /// The HR input's levels ↔ [0, 1].
    pub norm: Normalisation,
    /// With `--lr-b0` or `--lr-psnr`: the b0 of the noise, and the mean over frames of the
    /// PSNR of the noisy LR frames against the noise-free ones (8-bit, capped as evaluation
    /// caps).
    pub lr_b0: Option<f64>,
    pub lr_psnr_db: Option<f64>,
}

/// The model inputs of one target LR time.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameInputs {
    pub t: usize,
    /// LR frames used (reflection at the ends, as evaluation).
    pub lr_frames: Vec<usize>,
    /// Indices into the HR sequence of the frames used (before, after).
    pub hr_frames: [usize; 2],
    /// `[NL, h, w]` and `[2, 4h, 4w]`, row-major.
    pub lq: Vec<f32>,
    pub hq: Vec<f32>,
}

impl Experiment {
    /// Reads and checks the experiment `args` names. Refused, naming the files: unreadable
    /// sequences, HR sizes that are not multiples of the scale, LR and HR fields of view that
    /// do not match (HR must be exactly 4× LR), and HR frames beyond the LR sequence.
    pub fn load(args: &ReconstructArgs) -> Result<Self, ExperimentError> {
        if args.hr_every == Some(0) {
            return Err(ExperimentError::HrEveryZero);
        }
        let mut experiment = match (&args.lr, &args.hr, &args.sequence) {
            (Some(lr), Some(hr), None) => Self::measured(args, lr, hr),
            (None, None, Some(sequence)) => Self::resimulated(args, sequence),
            _ => Err(ExperimentError::Inputs),
        }?;
        let b0 = match (args.lr_b0, args.lr_psnr) {
            (Some(b0), _) => Some(b0),
            (None, Some(db)) => Some(
                noise_level::b0_for_psnr(&experiment.lr, db, args.noise_seed)
                    .map_err(ExperimentError::LrPsnr)?,
            ),
            (None, None) => None,
        };
        if let Some(b0) = b0 {
            let psnr = noise_level::add_noise(&mut experiment.lr, b0, args.noise_seed)
                .map_err(ExperimentError::LrB0)?;
            experiment.lr_b0 = Some(b0);
            experiment.lr_psnr_db = Some(psnr);
        }
        Ok(experiment)
    }

    /// A real experiment: an LR and an HR sequence.
    fn measured(
        args: &ReconstructArgs,
        lr_path: &Path,
        hr_path: &Path,
    ) -> Result<Self, ExperimentError> {
        let lr = read(lr_path, args.lr_dataset.as_deref())?;
        let hr = read(hr_path, args.hr_dataset.as_deref())?;
        let (lh, lw) = lr.size();
        let (hh, hw) = hr.size();
        if hh % SCALE != 0 || hw % SCALE != 0 {
            return Err(ExperimentError::HrNotScalable {
                hr: hr_path.to_path_buf(),
                size: (hh, hw),
            });
        }
        if (hh, hw) != (SCALE * lh, SCALE * lw) {
            return Err(ExperimentError::FieldsOfView {
                hr: hr_path.to_path_buf(),
                hr_size: (hh, hw),
                lr: lr_path.to_path_buf(),
                lr_size: (lh, lw),
            });
        }
        let Some(delta) = args.hr_every else {
            return Err(ExperimentError::FirstLastMeasured);
        };
        let hr_times: Vec<usize> = (0..hr.frames.len())
            .map(|j| args.hr_offset + j * delta)
            .collect();
        let last = *hr_times.last().expect("a read sequence has frames");
        if last >= lr.frames.len() {
            return Err(ExperimentError::HrBeyondLr {
                hr: hr_path.to_path_buf(),
                hr_frames: hr.frames.len(),
                hr_offset: args.hr_offset,
                hr_every: delta,
                last,
                lr: lr_path.to_path_buf(),
                lr_frames: lr.frames.len(),
            });
        }
        Ok(Self {
            lr: lr.to_video("lr").frames,
            hr: hr.to_video("hr").frames,
            hr_times,
            truth: None,
            layout: layout(&hr, args.hr_dataset.as_deref()),
            norm: hr.normalisation(),
            lr_b0: None,
            lr_psnr_db: None,
        })
    }

    /// One well-sampled sequence through the virtual experiment, as evaluation does.
    fn resimulated(args: &ReconstructArgs, path: &Path) -> Result<Self, ExperimentError> {
        let sequence = read(path, args.sequence_dataset.as_deref())?;
        let (h, w) = sequence.size();
        if h % SCALE != 0 || w % SCALE != 0 {
            return Err(ExperimentError::SequenceNotScalable {
                sequence: path.to_path_buf(),
                size: (h, w),
            });
        }
        let n = sequence.frames.len();
        if args.hr_offset >= n {
            return Err(ExperimentError::HrOffsetBeyond {
                hr_offset: args.hr_offset,
                sequence: path.to_path_buf(),
                frames: n,
            });
        }
        // Levels / max, unnormalised: the virtual experiment re-normalises it.
        let reference = sequence.raw_video("sequence");
        let paired = virtual_experiment(&reference).map_err(|source| {
            ExperimentError::VirtualExperiment {
                sequence: path.to_path_buf(),
                source,
            }
        })?;
        // HR frames on the grid, and the last frame, as evaluation's HR inputs are
        // (eval_input::hr_grid_frames clamps "after" to the last frame).
        let delta = args.hr_separation().frames(n);
        let mut hr_times: Vec<usize> = (args.hr_offset..n).step_by(delta).collect();
        if hr_times.last() != Some(&(n - 1)) {
            hr_times.push(n - 1);
        }
        Ok(Self {
            hr: hr_times.iter().map(|&t| paired.hr[t].clone()).collect(),
            lr: paired.lr,
            hr_times,
            truth: Some(paired.hr),
            layout: layout(&sequence, args.sequence_dataset.as_deref()),
            norm: Normalisation::clipped(&sequence),
            lr_b0: None,
            lr_psnr_db: None,
        })
    }

    /// Number of LR times.
    pub fn len(&self) -> usize {
        self.lr.len()
    }

    /// Whether there are no LR frames (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.lr.is_empty()
    }

    /// LR frame size `(h, w)`.
    pub fn lr_size(&self) -> (usize, usize) {
        (self.lr[0].height, self.lr[0].width)
    }

    /// The HR frames around time `t`: the last at or before t (the first HR frame when t
    /// precedes them all) and the first after it (the last HR frame when none follows).
    /// With HR every D frames from 0 plus the last frame this is evaluation's grid
    /// (`eval_input::hr_grid_frames`).
    pub fn hr_around(&self, t: usize) -> [usize; 2] {
        let after = self.hr_times.partition_point(|&k| k <= t);
        let before = after.saturating_sub(1);
        [before, after.min(self.hr_times.len() - 1)]
    }

    /// Index into the HR sequence of the HR frame taken at LR time `t`, if one was.
    pub fn hr_index_at(&self, t: usize) -> Option<usize> {
        self.hr_times.binary_search(&t).ok()
    }

    /// The HR frame taken at LR time `t`, if any, and the reference to score the output of
    /// `t` against: the re-simulated truth, or the measured HR frame at a key time.
    pub fn reference(&self, t: usize) -> Option<&Frame> {
        match &self.truth {
            Some(truth) => truth.get(t),
            None => self.hr_index_at(t).map(|j| &self.hr[j]),
        }
    }

    /// The model inputs for target time `t` with `lr_frames` LR frames.
    pub fn inputs(&self, t: usize, lr_frames: usize) -> FrameInputs {
        let lr_idx = reflection_circle_frames(t, self.len(), lr_frames);
        let hr_idx = self.hr_around(t);
        FrameInputs {
            t,
            lq: lr_idx
                .iter()
                .flat_map(|&i| self.lr[i].pixels.iter().copied())
                .collect(),
            hq: hr_idx
                .iter()
                .flat_map(|&j| self.hr[j].pixels.iter().copied())
                .collect(),
            lr_frames: lr_idx,
            hr_frames: hr_idx,
        }
    }
}

fn read(path: &Path, dataset: Option<&str>) -> Result<LevelSequence, SequenceError> {
    SequenceSource::at(path, dataset).and_then(|source| read_sequence(&source))
}

fn layout(sequence: &LevelSequence, dataset: Option<&str>) -> SequenceLayout {
    SequenceLayout {
        format: sequence.format,
        depth: sequence.depth,
        dataset: dataset.map(str::to_string),
    }
}
