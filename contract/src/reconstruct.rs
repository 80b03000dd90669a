//! The `reconstruct` section of a trial: instead of training, apply a trained trial's model to
//! a video and score it (docs/reconstruction.md#as-a-trial). A sweep of such trials over
//! `hr_every` and `lr_psnr_db` is the paper's test-condition study (Figs. 8 and 9;
//! `sweeps/test_conditions.yaml`); a single one reconstructs a measured experiment as a PBS
//! job like any trial.

use serde::{Deserialize, Serialize};

/// What a reconstruction trial applies to what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconstructConfig {
    /// The trained trial whose model is applied. In a spec: a sweep name (that sweep's
    /// finished trial with the highest validation PSNR), `<sweep>/<trial id>`, or the absolute
    /// path of a trial directory. `xvr plan` resolves it to the trial directory's absolute
    /// path and copies that trial's `model` section into this trial. Required.
    pub trained: String,
    /// The well-sampled video a test condition re-simulates (LR = its frames binned 4×4, HR =
    /// every `hr_every`-th frame plus the last): the absolute path of a frame folder, a TIFF
    /// stack or an HDF5 file (`video_dataset`). Unset (default): one synthetic video made
    /// from `data.synthetic` — video number `data.synthetic.videos` of seed `data.seed`, the
    /// first past the set a trial with these settings trains and validates on.
    pub video: Option<String>,
    /// Dataset path of an HDF5 `video`.
    pub video_dataset: Option<String>,
    /// A measured experiment instead of `video`: the LR sequence (absolute path) …
    pub lr: Option<String>,
    pub lr_dataset: Option<String>,
    /// … and the HR sequence, HR frame j taken with LR frame `hr_offset` + j·`hr_every`.
    pub hr: Option<String>,
    pub hr_dataset: Option<String>,
    /// HR frame separation δ in LR frames (the paper tests 2, 10, 20 and 450), or
    /// `first_last`: only the video's first and last frames (re-simulation only). Default 20.
    pub hr_every: HrEvery,
    /// LR frame of the first HR frame. Default 0.
    pub hr_offset: usize,
    /// Test condition: photon noise on the LR frames with the blank-scan factor b0 that makes
    /// their PSNR against the noise-free frames this many dB (the paper: 20 … 60); `.inf`
    /// (the default) adds none.
    pub lr_psnr_db: f64,
    /// Seed of that noise (frame t draws from its own stream). Default 0.
    pub noise_seed: u64,
    /// Reconstruct only the first N LR frames (0 = all, the default).
    pub frames: usize,
    /// Which weights of the trained trial's checkpoint: `ema` (default, as evaluation) or `raw`.
    pub weights: Weights,
}

impl Default for ReconstructConfig {
    fn default() -> Self {
        Self {
            trained: String::new(),
            video: None,
            video_dataset: None,
            lr: None,
            lr_dataset: None,
            hr: None,
            hr_dataset: None,
            hr_every: HrEvery::Frames(20),
            hr_offset: 0,
            lr_psnr_db: f64::INFINITY,
            noise_seed: 0,
            frames: 0,
            weights: Weights::Ema,
        }
    }
}

impl ReconstructConfig {
    /// The target LR PSNR when noise is added (`None` for `.inf`: noise-free).
    pub fn noise_target_db(&self) -> Option<f64> {
        self.lr_psnr_db.is_finite().then_some(self.lr_psnr_db)
    }

    /// Whether this is a measured experiment (`lr` and `hr`) rather than a re-simulation.
    pub fn is_measured(&self) -> bool {
        self.lr.is_some() || self.hr.is_some()
    }
}

/// Which weights of a checkpoint a trained model is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    /// The EMA of the weights (`ema.bin`), as evaluation uses (docs/training.md).
    Ema,
    /// The optimised weights themselves (`model.bin`).
    Raw,
}

impl Weights {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ema => "ema",
            Self::Raw => "raw",
        }
    }
}

/// HR frame separation: a number of LR frames, or only the first and last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HrEvery {
    Frames(usize),
    FirstLast,
}

/// How `first_last` is written.
const FIRST_LAST: &str = "first_last";

impl HrEvery {
    /// δ for a re-simulated video of `n` frames: `first_last` is δ = n − 1 (HR frames 0 and
    /// n − 1), at least 1.
    pub fn frames(self, n: usize) -> usize {
        match self {
            Self::Frames(d) => d,
            Self::FirstLast => n.saturating_sub(1).max(1),
        }
    }
}

impl std::fmt::Display for HrEvery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Frames(d) => write!(f, "{d}"),
            Self::FirstLast => f.write_str(FIRST_LAST),
        }
    }
}

impl Serialize for HrEvery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Frames(d) => s.serialize_u64(*d as u64),
            Self::FirstLast => s.serialize_str(FIRST_LAST),
        }
    }
}

impl<'de> Deserialize<'de> for HrEvery {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = HrEvery;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a number of LR frames (>= 1) or `{FIRST_LAST}`")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<HrEvery, E> {
                usize::try_from(v)
                    .map(HrEvery::Frames)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<HrEvery, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HrEvery, E> {
                if v == FIRST_LAST {
                    Ok(HrEvery::FirstLast)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hr_every_reads_numbers_and_first_last_and_names_what_is_allowed() {
        let read = |s: &str| serde_yaml::from_str::<HrEvery>(s);
        assert_eq!(read("20").unwrap(), HrEvery::Frames(20));
        assert_eq!(read("first_last").unwrap(), HrEvery::FirstLast);
        let err = read("firstlast").unwrap_err().to_string();
        assert!(err.contains("first_last") && err.contains(">= 1"), "{err}");
        assert!(read("-3").is_err());
        assert_eq!(
            serde_yaml::to_string(&HrEvery::FirstLast).unwrap().trim(),
            "first_last"
        );
        assert_eq!(serde_json::to_string(&HrEvery::Frames(450)).unwrap(), "450");
    }

    #[test]
    fn first_last_is_the_whole_video_apart() {
        assert_eq!(HrEvery::FirstLast.frames(450), 449);
        assert_eq!(HrEvery::FirstLast.frames(1), 1);
        assert_eq!(HrEvery::Frames(10).frames(450), 10);
    }

    #[test]
    fn infinite_lr_psnr_means_no_noise_and_survives_yaml() {
        let c = ReconstructConfig::default();
        assert_eq!(c.noise_target_db(), None);
        let text = serde_yaml::to_string(&c).unwrap();
        assert!(text.contains("lr_psnr_db: .inf"), "{text}");
        let back: ReconstructConfig = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, c);
        let noisy: ReconstructConfig = serde_yaml::from_str("lr_psnr_db: 30").unwrap();
        assert_eq!(noisy.noise_target_db(), Some(30.0));
    }
}
