//! Shared by the `train_*` integration tests: tiny trials written to temporary directories.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;

use xvr_contract::trial::TrialConfig;

/// A tiny trial (one stage of two blocks, C8, 8×8 LR crops of 32×32 synthetic videos) that
/// trains in well under a second per iteration in the test profile.
pub fn tiny_trial(iterations: u64) -> TrialConfig {
    let mut t = TrialConfig::default();
    t.meta.id = "tiny".into();
    t.model.lr_frames = 3;
    t.model.window = 4;
    t.model.heads = 2;
    t.model.channels = 8;
    t.model.depths = vec![2];
    t.model.recon_channels = 8;
    t.data.crop_lr = 8;
    t.data.synthetic.videos = 4;
    t.data.synthetic.frames = 12;
    t.data.synthetic.height = 32;
    t.data.synthetic.width = 32;
    t.data.val_videos = 1;
    t.data.val_frames = 2;
    t.data.hr_separation = 4;
    t.train.iterations = iterations;
    t.train.warmup = 2;
    t.train.batch_per_gpu = 2;
    t.train.checkpoint_every = 3;
    t.train.val_every = 0;
    t.resources.gpus = 1;
    t.profile.enabled = false;
    t
}

/// Writes `trial` as `dir/trial.yaml`.
pub fn write_trial(dir: &Path, trial: &TrialConfig) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("trial.yaml"),
        serde_yaml::to_string(trial).unwrap(),
    )
    .unwrap();
}

/// The data rows of `dir/train.csv` as (iter, lr, loss) strings, exactly as written.
pub fn train_rows(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("train.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("iter,lr,loss,step_s,samples_per_s"));
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect()
}

/// The `iteration` recorded in `dir/checkpoint/state.json`.
pub fn checkpoint_iteration(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("checkpoint/state.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["iteration"].as_u64().unwrap()
}
