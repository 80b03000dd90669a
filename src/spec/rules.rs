//! The rules a trial must satisfy before it is worth a place in a queue: everything
//! `xvr-worker` would otherwise refuse only after the job has waited and started. One
//! implementation serves both sides: `xvr validate`/`plan` run it on every expanded trial
//! (and point at the spec value a message names), the worker runs it on the `trial.yaml`
//! it reads ([`TrialConfig::from_yaml_file`]).
//!
//! Each rule returns `field: value: what is allowed`, naming the dotted field path first so
//! that the spec validator can locate the value ([`super::ExpandedTrial::locate`]).

use std::path::Path;

use super::trial::{DataConfig, DataSource, ModelConfig, TrainConfig, TrialConfig};
use crate::plan::walltime;

/// HR / LR size ratio of every frame pair (4× binning, reference §4).
pub const SCALE: usize = 4;

/// Largest blank-scan factor b0 the Poisson noise model accepts (beyond it, counts lose
/// integer precision in f64): `data.b0_exp[1]` is at most log10 of this.
pub const MAX_B0: f64 = 1e18;

/// Compute threads one rank may ask for: a Polaris node has 64 hardware threads; far more
/// only makes the worker fail to start its thread pool.
pub const MAX_THREADS_PER_RANK: usize = 256;

/// Longest sweep name: with the `results/<sweep>/` directory and its files it stays well
/// inside the 255 bytes a file name may have.
pub const MAX_NAME_LEN: usize = 64;

/// Checks every rule, in the order model, data, train, resources, profile; returns the
/// first one broken.
pub fn check(t: &TrialConfig) -> Result<(), String> {
    model(&t.model)?;
    data(&t.data, &t.model)?;
    train(&t.train, t.resources.gpus)?;
    resources(t)?;
    profile(t)
}

fn model(m: &ModelConfig) -> Result<(), String> {
    if m.lr_frames < 1 || m.lr_frames % 2 == 0 {
        return Err(format!(
            "model.lr_frames: {}: must be odd and >= 1",
            m.lr_frames
        ));
    }
    if m.window < 1 {
        return Err(format!("model.window: {}: must be >= 1", m.window));
    }
    if m.heads < 1 || m.channels < 1 || m.channels % m.heads != 0 {
        return Err(format!(
            "model.channels: {} is not divisible by model.heads {} (both must be >= 1)",
            m.channels, m.heads
        ));
    }
    if m.depths.is_empty() || m.depths.contains(&0) {
        return Err(format!(
            "model.depths: {:?}: need at least one stage, each >= 1 block",
            m.depths
        ));
    }
    // The MLP hidden width is floor(mlp_ratio × channels), as the worker builds it.
    if !(m.mlp_ratio.is_finite() && m.mlp_ratio > 0.0 && m.mlp_ratio * m.channels as f64 >= 1.0) {
        return Err(format!(
            "model.mlp_ratio: {}: must be a positive number giving an MLP width (mlp_ratio x model.channels {}) >= 1",
            m.mlp_ratio, m.channels
        ));
    }
    if !(0.0..1.0).contains(&m.drop_path) {
        return Err(format!(
            "model.drop_path: {}: must be in [0, 1)",
            m.drop_path
        ));
    }
    if m.recon_channels < 1 {
        return Err(format!(
            "model.recon_channels: {}: must be >= 1",
            m.recon_channels
        ));
    }
    Ok(())
}

fn data(d: &DataConfig, m: &ModelConfig) -> Result<(), String> {
    let f = d.fraction;
    if !(f > 0.0 && f <= 1.0) {
        return Err(format!("data.fraction: {f}: must be in (0, 1]"));
    }
    if d.crop_lr < 1 {
        return Err("data.crop_lr: 0: must be >= 1".into());
    }
    if d.lr_intervals.is_empty() || d.lr_intervals.contains(&0) {
        return Err(format!(
            "data.lr_intervals: {:?}: need at least one interval, each >= 1",
            d.lr_intervals
        ));
    }
    if d.hr_gap_max < 1 {
        return Err("data.hr_gap_max: 0: must be >= 1".into());
    }
    if d.hr_separation < 1 {
        return Err("data.hr_separation: 0: must be >= 1".into());
    }
    let [lo, hi] = d.b0_exp;
    if !(lo.is_finite() && hi.is_finite() && lo <= hi && 10f64.powf(hi) <= MAX_B0) {
        return Err(format!(
            "data.b0_exp: [{lo}, {hi}]: need finite lo <= hi with 10^hi <= {MAX_B0:e}"
        ));
    }
    if d.val_videos < 1 {
        return Err("data.val_videos: 0: evaluation needs at least one validation video".into());
    }
    match d.source {
        DataSource::Synthetic => synthetic(d, m),
        DataSource::Png | DataSource::Files => {
            let source = if d.source == DataSource::Png { "png" } else { "files" };
            let hr = d.hr_root.as_deref().ok_or(format!(
                "data.hr_root: not set, but data.source: {source} needs the directory of HR videos (<hr_root>/<clip>/<frame>.png, …)"
            ))?;
            existing_dir("data.hr_root", hr)?;
            if let Some(lr) = &d.lr_root {
                existing_dir("data.lr_root", lr)?;
            }
            Ok(())
        }
    }
}

fn synthetic(d: &DataConfig, m: &ModelConfig) -> Result<(), String> {
    let s = &d.synthetic;
    for (field, size) in [("height", s.height), ("width", s.width)] {
        if size == 0 || size % SCALE != 0 {
            return Err(format!(
                "data.synthetic.{field}: {size}: must be a positive multiple of {SCALE} (LR frames are HR binned {SCALE}x{SCALE})"
            ));
        }
        if size / SCALE < d.crop_lr {
            return Err(format!(
                "data.synthetic.{field}: {size}: LR frames would be {} pixels, smaller than data.crop_lr {}",
                size / SCALE,
                d.crop_lr
            ));
        }
    }
    if s.videos <= d.val_videos {
        return Err(format!(
            "data.synthetic.videos: {}: must be more than data.val_videos {} so that at least one video trains",
            s.videos, d.val_videos
        ));
    }
    let widest = d.lr_intervals.iter().max().copied().unwrap_or(1);
    let span = ((m.lr_frames - 1) * widest + 1).max(2);
    if s.frames < span {
        return Err(format!(
            "data.synthetic.frames: {}: {} LR frames at the largest of data.lr_intervals ({widest}) need at least {span}",
            s.frames, m.lr_frames
        ));
    }
    if let Some(texture) = &s.texture {
        let path = Path::new(texture);
        if !path.is_absolute() {
            return Err(format!(
                "data.synthetic.texture: {texture}: must be an absolute path (the job runs in the trial directory)"
            ));
        }
        if !path.is_file() {
            return Err(format!("data.synthetic.texture: {texture}: no such file"));
        }
    }
    Ok(())
}

fn existing_dir(field: &str, dir: &str) -> Result<(), String> {
    let path = Path::new(dir);
    if !path.is_absolute() {
        return Err(format!(
            "{field}: {dir}: must be an absolute path (the job runs in the trial directory)"
        ));
    }
    if !path.is_dir() {
        return Err(format!("{field}: {dir}: no such directory"));
    }
    Ok(())
}

fn train(t: &TrainConfig, gpus: u32) -> Result<(), String> {
    match t.total_samples {
        Some(0) => return Err("train.total_samples: 0: must be >= 1".into()),
        None if t.iterations == 0 => return Err("train.iterations: 0: must be >= 1".into()),
        _ => {}
    }
    if t.batch_per_gpu < 1 {
        return Err("train.batch_per_gpu: 0: must be >= 1".into());
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        return Err(format!("train.lr: {}: must be a positive number", t.lr));
    }
    if !(t.lr_min.is_finite() && (0.0..=t.lr).contains(&t.lr_min)) {
        return Err(format!(
            "train.lr_min: {}: must be in [0, train.lr = {}]",
            t.lr_min, t.lr
        ));
    }
    if !t.betas.iter().all(|b| (0.0..1.0).contains(b)) {
        return Err(format!(
            "train.betas: {:?}: both must be in [0, 1)",
            t.betas
        ));
    }
    if !(0.0..1.0).contains(&t.ema) {
        return Err(format!("train.ema: {}: must be in [0, 1)", t.ema));
    }
    debug_assert!(t.effective_iterations(gpus) >= 1);
    Ok(())
}

fn resources(t: &TrialConfig) -> Result<(), String> {
    let g = t.resources.gpus;
    if !(g == 1 || g == 2 || (g % 4 == 0 && (4..=256).contains(&g))) {
        return Err(format!(
            "resources.gpus: {g}: must be 1, 2 or a multiple of 4 up to 256"
        ));
    }
    walltime::parse(&t.resources.walltime).map_err(|e| format!("resources.walltime: {e}"))?;
    let threads = t.resources.threads_per_rank;
    if threads > MAX_THREADS_PER_RANK {
        return Err(format!(
            "resources.threads_per_rank: {threads}: must be at most {MAX_THREADS_PER_RANK} (0 = the node's cores shared by its ranks)"
        ));
    }
    Ok(())
}

fn profile(t: &TrialConfig) -> Result<(), String> {
    if t.profile.enabled && t.profile.iterations < 1 {
        return Err("profile.iterations: 0: must be >= 1 when profile.enabled".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(change: impl FnOnce(&mut TrialConfig)) -> String {
        let mut t = TrialConfig::default();
        change(&mut t);
        check(&t).expect_err("the rule is broken")
    }

    #[test]
    fn the_default_trial_passes() {
        assert_eq!(check(&TrialConfig::default()), Ok(()));
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(&str, Box<dyn FnOnce(&mut TrialConfig)>)> = vec![
            (
                "train.total_samples",
                Box::new(|t| t.train.total_samples = Some(0)),
            ),
            ("train.iterations", Box::new(|t| t.train.iterations = 0)),
            ("train.lr", Box::new(|t| t.train.lr = -1e-4)),
            ("train.lr", Box::new(|t| t.train.lr = f64::NAN)),
            ("data.crop_lr", Box::new(|t| t.data.crop_lr = 0)),
            (
                "data.synthetic.videos",
                Box::new(|t| t.data.synthetic.videos = 0),
            ),
            (
                "data.synthetic.height",
                Box::new(|t| t.data.synthetic.height = 130),
            ),
            (
                "data.synthetic.videos",
                Box::new(|t| t.data.val_videos = 30),
            ),
            ("model.mlp_ratio", Box::new(|t| t.model.mlp_ratio = 0.0)),
            ("train.ema", Box::new(|t| t.train.ema = 1.0)),
            ("data.b0_exp", Box::new(|t| t.data.b0_exp = [7.0, 1.0])),
            (
                "data.synthetic.texture",
                Box::new(|t| t.data.synthetic.texture = Some("/no/such.png".into())),
            ),
            (
                "data.hr_root",
                Box::new(|t| t.data.source = DataSource::Png),
            ),
            (
                "data.hr_root",
                Box::new(|t| {
                    t.data.source = DataSource::Png;
                    t.data.hr_root = Some("/no/such/dir".into());
                }),
            ),
            (
                "resources.threads_per_rank",
                Box::new(|t| t.resources.threads_per_rank = 100_000),
            ),
            (
                "data.synthetic.frames",
                Box::new(|t| t.data.synthetic.frames = 4),
            ),
        ];
        for (field, change) in cases {
            let message = broken(change);
            assert!(message.starts_with(field), "{field}: {message}");
        }
    }

    #[test]
    fn the_largest_lr_interval_decides_the_frames_needed() {
        // NL 3 at interval 3: frames c-3, c, c+3 span 7 frames (hand count).
        let message = broken(|t| {
            t.data.lr_intervals = vec![1, 3];
            t.data.synthetic.frames = 6;
        });
        assert!(message.contains("need at least 7"), "{message}");
        let mut t = TrialConfig::default();
        t.data.lr_intervals = vec![1, 3];
        t.data.synthetic.frames = 7;
        assert_eq!(check(&t), Ok(()));
    }
}
