//! The rules a trial must satisfy before it is worth a place in a queue: everything
//! `xvr-worker` would otherwise refuse only after the job has waited and started. One
//! implementation serves both sides: `xvr validate`/`plan` run it on every expanded trial
//! (and point at the spec value of the field a [`RuleError`] names), the worker runs it on
//! the `trial.yaml` it reads ([`TrialConfig::from_yaml_file`]).
//!
//! A broken rule is a [`RuleError`]: the dotted path of the field to change, the other
//! fields the rule involves, and the message `value: what is allowed`.

use std::path::Path;

use crate::model::{ModelConfig, SCALE};
use crate::reconstruct::{HrEvery, ReconstructConfig};
use crate::trial::{DataConfig, DataSource, TrainConfig, TrialConfig};
use crate::walltime;

/// Largest blank-scan factor b0 the Poisson noise model accepts (beyond it, counts lose
/// integer precision in f64): `data.b0_exp[1]` is at most log10 of this.
pub const MAX_B0: f64 = 1e18;

/// Compute threads one rank may ask for: a Polaris node has 64 hardware threads; far more
/// only makes the worker fail to start its thread pool.
pub const MAX_THREADS_PER_RANK: usize = 256;

/// Longest sweep name: with the `results/<sweep>/` directory and its files it stays well
/// inside the 255 bytes a file name may have.
pub const MAX_NAME_LEN: usize = 64;

/// A rule a trial breaks, shown as `path: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuleError {
    /// Dotted path of the field the rule is about (`model.window`).
    pub path: String,
    /// Other fields the rule involves, in the order a spec value of theirs is pointed at
    /// when the spec did not set `path` itself.
    pub involves: Vec<String>,
    /// The value and what is allowed (`0: must be >= 1`).
    pub message: String,
}

impl RuleError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError {
            path: path.into(),
            involves: Vec::new(),
            message: message.into(),
        }
    }

    /// The same error, also involving `fields`.
    pub fn involving(mut self, fields: &[&str]) -> Self {
        self.involves.extend(fields.iter().map(|f| f.to_string()));
        self
    }

    /// `path`, then the fields it involves: where to look in a spec, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.involves.iter().map(String::as_str))
    }
}

/// Checks every rule, in the order model ([`ModelConfig::check`]), data, train, resources,
/// profile; returns the first one broken.
pub fn check(t: &TrialConfig) -> Result<(), RuleError> {
    t.model.check()?;
    data(&t.data, &t.model)?;
    train(&t.train, t.resources.gpus)?;
    resources(t)?;
    profile(t)?;
    match &t.reconstruct {
        Some(r) => reconstruct(r),
        None => Ok(()),
    }
}

fn data(d: &DataConfig, m: &ModelConfig) -> Result<(), RuleError> {
    let f = d.fraction;
    if !(f > 0.0 && f <= 1.0) {
        return Err(RuleError::new("data.fraction", format!("{f}: must be in (0, 1]")));
    }
    if d.crop_lr < 1 {
        return Err(RuleError::new("data.crop_lr", "0: must be >= 1"));
    }
    if d.lr_intervals.is_empty() || d.lr_intervals.contains(&0) {
        return Err(RuleError::new(
            "data.lr_intervals",
            format!("{:?}: need at least one interval, each >= 1", d.lr_intervals),
        ));
    }
    if d.hr_gap_max < 1 {
        return Err(RuleError::new("data.hr_gap_max", "0: must be >= 1"));
    }
    if d.hr_separation < 1 {
        return Err(RuleError::new("data.hr_separation", "0: must be >= 1"));
    }
    let [lo, hi] = d.b0_exp;
    if !(lo.is_finite() && hi.is_finite() && lo <= hi && 10f64.powf(hi) <= MAX_B0) {
        return Err(RuleError::new(
            "data.b0_exp",
            format!("[{lo}, {hi}]: need finite lo <= hi with 10^hi <= {MAX_B0:e}"),
        ));
    }
    if d.val_videos < 1 {
        return Err(RuleError::new("data.val_videos", "0: evaluation needs at least one validation video"));
    }
    match d.source {
        DataSource::Synthetic => synthetic(d, m),
        DataSource::Png | DataSource::Files => {
            let source = if d.source == DataSource::Png { "png" } else { "files" };
            let hr = d.hr_root.as_deref().ok_or_else(|| {
                RuleError::new(
                    "data.hr_root",
                    format!("not set, but data.source: {source} needs the directory of HR videos (<hr_root>/<clip>/<frame>.png, …)"),
                )
                .involving(&["data.source"])
            })?;
            existing_dir("data.hr_root", hr)?;
            if let Some(lr) = &d.lr_root {
                existing_dir("data.lr_root", lr)?;
            }
            Ok(())
        }
    }
}

fn synthetic(d: &DataConfig, m: &ModelConfig) -> Result<(), RuleError> {
    let s = &d.synthetic;
    for (field, size) in [("data.synthetic.height", s.height), ("data.synthetic.width", s.width)] {
        if size == 0 || size % SCALE != 0 {
            return Err(RuleError::new(
                field,
                format!("{size}: must be a positive multiple of {SCALE} (LR frames are HR binned {SCALE}x{SCALE})"),
            ));
        }
        if size / SCALE < d.crop_lr {
            return Err(RuleError::new(
                field,
                format!(
                    "{size}: LR frames would be {} pixels, smaller than data.crop_lr {}",
                    size / SCALE,
                    d.crop_lr
                ),
            )
            .involving(&["data.crop_lr"]));
        }
    }
    if s.videos <= d.val_videos {
        return Err(RuleError::new(
            "data.synthetic.videos",
            format!(
                "{}: must be more than data.val_videos {} so that at least one video trains",
                s.videos, d.val_videos
            ),
        )
        .involving(&["data.val_videos"]));
    }
    let widest = d.lr_intervals.iter().max().copied().unwrap_or(1);
    let span = ((m.lr_frames - 1) * widest + 1).max(2);
    if s.frames < span {
        return Err(RuleError::new(
            "data.synthetic.frames",
            format!(
                "{}: {} LR frames at the largest of data.lr_intervals ({widest}) need at least {span}",
                s.frames, m.lr_frames
            ),
        )
        .involving(&["data.lr_intervals"]));
    }
    if let Some(texture) = &s.texture {
        let path = Path::new(texture);
        if !path.is_absolute() {
            return Err(RuleError::new(
                "data.synthetic.texture",
                format!("{texture}: must be an absolute path (the job runs in the trial directory)"),
            ));
        }
        if !path.is_file() {
            return Err(RuleError::new("data.synthetic.texture", format!("{texture}: no such file")));
        }
    }
    Ok(())
}

fn reconstruct(r: &ReconstructConfig) -> Result<(), RuleError> {
    let trained = Path::new(&r.trained);
    if r.trained.is_empty() {
        return Err(RuleError::new(
            "reconstruct.trained",
            "not set: name the trained trial (a sweep name, <sweep>/<trial id>, or a trial directory)",
        ));
    }
    existing_dir("reconstruct.trained", &r.trained)?;
    if !trained.join("trial.yaml").is_file() {
        return Err(RuleError::new(
            "reconstruct.trained",
            format!("{}: not a trial directory (no trial.yaml in it)", r.trained),
        ));
    }
    if r.hr_every == HrEvery::Frames(0) {
        return Err(RuleError::new("reconstruct.hr_every", "0: must be >= 1 (LR frames between HR frames) or first_last"));
    }
    if !(r.lr_psnr_db > 0.0) {
        return Err(RuleError::new(
            "reconstruct.lr_psnr_db",
            format!("{}: must be a positive number of dB, or .inf for no noise", r.lr_psnr_db),
        ));
    }
    if r.is_measured() {
        for (field, path) in [("reconstruct.lr", &r.lr), ("reconstruct.hr", &r.hr)] {
            let path = path.as_deref().ok_or_else(|| {
                RuleError::new(field, "not set: a measured experiment needs both reconstruct.lr and reconstruct.hr")
                    .involving(&["reconstruct.lr", "reconstruct.hr"])
            })?;
            existing_path(field, path)?;
        }
        if r.video.is_some() {
            return Err(RuleError::new(
                "reconstruct.video",
                "set together with reconstruct.lr/hr: give either a video to re-simulate or a measured experiment",
            )
            .involving(&["reconstruct.lr"]));
        }
        if r.hr_every == HrEvery::FirstLast {
            return Err(RuleError::new(
                "reconstruct.hr_every",
                "first_last: only for a re-simulated video; a measured HR sequence has the frames it has (give δ)",
            )
            .involving(&["reconstruct.lr"]));
        }
    } else if let Some(video) = &r.video {
        existing_path("reconstruct.video", video)?;
    }
    Ok(())
}

/// What a path field must name.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Dir,
    /// A sequence: a frame folder or a file (TIFF stack, HDF5).
    DirOrFile,
}

fn existing_dir(field: &str, dir: &str) -> Result<(), RuleError> {
    existing(field, dir, Expect::Dir)
}

fn existing_path(field: &str, path: &str) -> Result<(), RuleError> {
    existing(field, path, Expect::DirOrFile)
}

/// An absolute path that exists, of the kind the field takes.
fn existing(field: &str, text: &str, expect: Expect) -> Result<(), RuleError> {
    let path = Path::new(text);
    if !path.is_absolute() {
        return Err(RuleError::new(
            field,
            format!("{text}: must be an absolute path (the job runs in the trial directory)"),
        ));
    }
    match expect {
        Expect::Dir if !path.is_dir() => Err(RuleError::new(field, format!("{text}: no such directory"))),
        Expect::DirOrFile if !path.exists() => {
            Err(RuleError::new(field, format!("{text}: no such file or directory")))
        }
        _ => Ok(()),
    }
}

fn train(t: &TrainConfig, gpus: u32) -> Result<(), RuleError> {
    match t.total_samples {
        Some(0) => return Err(RuleError::new("train.total_samples", "0: must be >= 1")),
        None if t.iterations == 0 => return Err(RuleError::new("train.iterations", "0: must be >= 1")),
        _ => {}
    }
    if t.batch_per_gpu < 1 {
        return Err(RuleError::new("train.batch_per_gpu", "0: must be >= 1"));
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        return Err(RuleError::new("train.lr", format!("{}: must be a positive number", t.lr)));
    }
    if !(t.lr_min.is_finite() && (0.0..=t.lr).contains(&t.lr_min)) {
        return Err(RuleError::new("train.lr_min", format!("{}: must be in [0, train.lr = {}]", t.lr_min, t.lr))
            .involving(&["train.lr"]));
    }
    if !t.betas.iter().all(|b| (0.0..1.0).contains(b)) {
        return Err(RuleError::new("train.betas", format!("{:?}: both must be in [0, 1)", t.betas)));
    }
    if !(0.0..1.0).contains(&t.ema) {
        return Err(RuleError::new("train.ema", format!("{}: must be in [0, 1)", t.ema)));
    }
    debug_assert!(t.effective_iterations(gpus) >= 1);
    Ok(())
}

fn resources(t: &TrialConfig) -> Result<(), RuleError> {
    let g = t.resources.gpus;
    if !(g == 1 || g == 2 || (g % 4 == 0 && (4..=256).contains(&g))) {
        return Err(RuleError::new("resources.gpus", format!("{g}: must be 1, 2 or a multiple of 4 up to 256")));
    }
    walltime::parse(&t.resources.walltime).map_err(|e| RuleError::new("resources.walltime", e.to_string()))?;
    let threads = t.resources.threads_per_rank;
    if threads > MAX_THREADS_PER_RANK {
        return Err(RuleError::new(
            "resources.threads_per_rank",
            format!("{threads}: must be at most {MAX_THREADS_PER_RANK} (0 = the node's cores shared by its ranks)"),
        ));
    }
    Ok(())
}

fn profile(t: &TrialConfig) -> Result<(), RuleError> {
    if t.profile.enabled && t.profile.iterations < 1 {
        return Err(RuleError::new("profile.iterations", "0: must be >= 1 when profile.enabled"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(change: impl FnOnce(&mut TrialConfig)) -> String {
        let mut t = TrialConfig::default();
        change(&mut t);
        check(&t).expect_err("the rule is broken").to_string()
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
            ("train.lr_min", Box::new(|t| t.train.lr_min = 1.0)),
            ("train.betas", Box::new(|t| t.train.betas = [0.9, 1.0])),
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
    fn reconstruction_rules_name_their_field() {
        let trained = tempfile::tempdir().unwrap();
        std::fs::write(trained.path().join("trial.yaml"), "{}").unwrap();
        let dir = trained.path().to_str().unwrap().to_string();
        let with = |change: &dyn Fn(&mut ReconstructConfig)| {
            let mut r = ReconstructConfig { trained: dir.clone(), ..Default::default() };
            change(&mut r);
            let mut t = TrialConfig::default();
            t.reconstruct = Some(r);
            check(&t).err().map(|e| e.to_string())
        };
        assert_eq!(with(&|_| {}), None);
        assert_eq!(with(&|r| r.lr_psnr_db = 30.0), None);
        let cases: Vec<(&str, &str, Box<dyn Fn(&mut ReconstructConfig)>)> = vec![
            ("reconstruct.trained", "not set", Box::new(|r| r.trained.clear())),
            ("reconstruct.trained", "absolute", Box::new(|r| r.trained = "smoke".into())),
            ("reconstruct.trained", "no trial.yaml", Box::new(|r| r.trained = "/".into())),
            ("reconstruct.hr_every", "first_last", Box::new(|r| r.hr_every = HrEvery::Frames(0))),
            ("reconstruct.lr_psnr_db", "-3", Box::new(|r| r.lr_psnr_db = -3.0)),
            ("reconstruct.lr_psnr_db", "NaN", Box::new(|r| r.lr_psnr_db = f64::NAN)),
            ("reconstruct.video", "no such file", Box::new(|r| r.video = Some("/no/such.h5".into()))),
            ("reconstruct.hr", "both", Box::new(|r| r.lr = Some("/".into()))),
            (
                "reconstruct.hr_every",
                "re-simulated",
                Box::new(|r| {
                    r.lr = Some("/".into());
                    r.hr = Some("/".into());
                    r.hr_every = HrEvery::FirstLast;
                }),
            ),
        ];
        for (field, says, change) in cases {
            let message = with(&*change).unwrap_or_else(|| panic!("{field}: passed"));
            assert!(message.starts_with(field) && message.contains(says), "{field}: {message}");
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
