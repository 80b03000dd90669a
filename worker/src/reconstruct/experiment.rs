//! The experiment a model is applied to: LR frames at the LR rate, the HR frames that exist
//! and the LR frame each was taken with, checked before any work (docs/reconstruction.md).

use std::path::Path;

use super::args::ReconstructArgs;
use xvr_contract::model::SCALE;
use crate::data::eval_input::reflection_circle_frames;
use crate::data::experiment::virtual_experiment;
use crate::data::frame::Frame;
use crate::data::poisson_noise::add_poisson_noise;
use crate::data::renorm::quantise_to_8bit;
use crate::data::seeding::{stream, Purpose};
use crate::data::sequence::{read_sequence, LevelSequence, Normalisation, SequenceSource};
use crate::data::sequence_writer::SequenceLayout;
use crate::metrics::to_grey_levels;
use crate::train::evaluate::capped_psnr;

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
    /// With `--lr-b0`: the mean over frames of the PSNR of the noisy LR frames against the
    /// noise-free ones (8-bit, capped as evaluation caps).
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
    pub fn load(args: &ReconstructArgs) -> Result<Self, String> {
        if args.hr_every == 0 {
            return Err("--hr-every 0: the HR frames are δ ≥ 1 LR frames apart".into());
        }
        let mut experiment = match (&args.lr, &args.hr, &args.sequence) {
            (Some(lr), Some(hr), None) => Self::measured(args, lr, hr),
            (None, None, Some(sequence)) => Self::resimulated(args, sequence),
            _ => Err("give either --lr and --hr, or --sequence".into()),
        }?;
        if let Some(b0) = args.lr_b0 {
            experiment.add_lr_noise(b0, args.noise_seed)?;
        }
        Ok(experiment)
    }

    /// Photon noise of blank-scan factor `b0` on every LR frame (frame t from its own seeded
    /// stream), stored as 8 bits as the paper's noisy test inputs are; records the LR PSNR.
    fn add_lr_noise(&mut self, b0: f64, seed: u64) -> Result<(), String> {
        let mut psnr_sum = 0.0;
        for (t, frame) in self.lr.iter_mut().enumerate() {
            let clean = to_grey_levels(&frame.pixels);
            let mut rng = stream(seed, Purpose::TestNoise, t as u64);
            add_poisson_noise(&mut frame.pixels, b0, &mut rng)
                .map_err(|e| format!("--lr-b0: {e}"))?;
            quantise_to_8bit(frame);
            psnr_sum += capped_psnr(&to_grey_levels(&frame.pixels), &clean)?;
        }
        self.lr_psnr_db = Some(psnr_sum / self.lr.len() as f64);
        Ok(())
    }

    /// A real experiment: an LR and an HR sequence.
    fn measured(args: &ReconstructArgs, lr_path: &Path, hr_path: &Path) -> Result<Self, String> {
        let lr = read(lr_path, args.lr_dataset.as_deref())?;
        let hr = read(hr_path, args.hr_dataset.as_deref())?;
        let (lh, lw) = lr.size();
        let (hh, hw) = hr.size();
        if hh % SCALE != 0 || hw % SCALE != 0 {
            return Err(format!(
                "{}: HR frames are {hh}x{hw} (HxW), not multiples of the scale {SCALE}",
                hr_path.display()
            ));
        }
        if (hh, hw) != (SCALE * lh, SCALE * lw) {
            return Err(format!(
                "{} ({hh}x{hw}) and {} ({lh}x{lw}): the HR and LR fields of view do not match; HR frames must be exactly {SCALE}x the LR frames in both directions (crop or bin the inputs to the same field of view)",
                hr_path.display(),
                lr_path.display()
            ));
        }
        let hr_times: Vec<usize> = (0..hr.frames.len())
            .map(|j| args.hr_offset + j * args.hr_every)
            .collect();
        let last = *hr_times.last().expect("a read sequence has frames");
        if last >= lr.frames.len() {
            return Err(format!(
                "{}: {} HR frames at LR frames {} + j·{} reach LR frame {last}, but {} has {} frames; check --hr-every and --hr-offset",
                hr_path.display(),
                hr.frames.len(),
                args.hr_offset,
                args.hr_every,
                lr_path.display(),
                lr.frames.len()
            ));
        }
        Ok(Self {
            lr: lr.to_video("lr").frames,
            hr: hr.to_video("hr").frames,
            hr_times,
            truth: None,
            layout: layout(&hr, args.hr_dataset.as_deref()),
            norm: hr.normalisation(),
            lr_psnr_db: None,
        })
    }

    /// One well-sampled sequence through the virtual experiment, as evaluation does.
    fn resimulated(args: &ReconstructArgs, path: &Path) -> Result<Self, String> {
        let sequence = read(path, args.sequence_dataset.as_deref())?;
        let (h, w) = sequence.size();
        if h % SCALE != 0 || w % SCALE != 0 {
            return Err(format!(
                "{}: frames are {h}x{w} (HxW), not multiples of the scale {SCALE} (LR is binned {SCALE}x{SCALE})",
                path.display()
            ));
        }
        let n = sequence.frames.len();
        if args.hr_offset >= n {
            return Err(format!(
                "--hr-offset {}: {} has {n} frames",
                args.hr_offset,
                path.display()
            ));
        }
        // Levels / max, unnormalised: the virtual experiment re-normalises it.
        let reference = sequence.raw_video("sequence");
        let paired =
            virtual_experiment(&reference).map_err(|e| format!("{}: {e}", path.display()))?;
        // HR frames on the grid, and the last frame, as evaluation's HR inputs are
        // (eval_input::hr_grid_frames clamps "after" to the last frame).
        let mut hr_times: Vec<usize> = (args.hr_offset..n).step_by(args.hr_every).collect();
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

    /// The HR frame taken at LR time `t`, if any, and the reference to score the output of
    /// `t` against: the re-simulated truth, or the measured HR frame at a key time.
    pub fn reference(&self, t: usize) -> Option<&Frame> {
        match &self.truth {
            Some(truth) => truth.get(t),
            None => self.hr_times.binary_search(&t).ok().map(|j| &self.hr[j]),
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

fn read(path: &Path, dataset: Option<&str>) -> Result<LevelSequence, String> {
    SequenceSource::at(path, dataset)
        .and_then(|source| read_sequence(&source))
        .map_err(|e| e.to_string())
}

fn layout(sequence: &LevelSequence, dataset: Option<&str>) -> SequenceLayout {
    SequenceLayout {
        format: sequence.format,
        depth: sequence.depth,
        dataset: dataset.map(str::to_string),
    }
}
