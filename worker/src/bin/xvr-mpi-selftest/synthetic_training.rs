//! What `train-bench` and `train-equivalence` share: SWIN-XVR training steps on
//! deterministic synthetic batches, split over the ranks.

use std::error::Error;
use std::path::Path;

use burn::backend::{Autodiff, Flex};
use burn::tensor::{Device, Tensor, TensorData};
use xvr_contract::trial::TrainConfig;
use xvr_worker::dist::{compute_threads, Collectives};
use xvr_contract::model::{HR_FRAMES, SCALE};
use xvr_worker::train::Batch;

pub type B = Autodiff<Flex>;

pub const LR_FRAMES: usize = 3;

/// A smooth, sample-dependent image stack: `len` values for global sample `k`, part `part`.
pub fn pattern(k: usize, part: usize, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| 0.5 + 0.4 * (0.37 * i as f32 + 1.3 * k as f32 + 0.7 * part as f32).sin())
        .collect()
}

/// Global samples `first..first + count` with LR crops of `crop`² as one batch.
pub fn batch(first: usize, count: usize, crop: usize, device: &Device<B>) -> Batch<B> {
    let (lq_len, hr) = (LR_FRAMES * crop * crop, SCALE * crop);
    let ks = first..first + count;
    let lq: Vec<f32> = ks.clone().flat_map(|k| pattern(k, 0, lq_len)).collect();
    let hq: Vec<f32> = ks
        .clone()
        .flat_map(|k| pattern(k, 1, HR_FRAMES * hr * hr))
        .collect();
    let gt: Vec<f32> = ks.flat_map(|k| pattern(k, 2, hr * hr)).collect();
    Batch {
        lq: Tensor::from_data(
            TensorData::new(lq, [count, LR_FRAMES, 1, crop, crop]),
            device,
        ),
        hq: Tensor::from_data(TensorData::new(hq, [count, HR_FRAMES, 1, hr, hr]), device),
        gt: Tensor::from_data(TensorData::new(gt, [count, 1, hr, hr]), device),
    }
}

/// Sets this rank's compute threads (before burn's thread pool starts).
pub fn set_threads(coll: &dyn Collectives) {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var(
            "RAYON_NUM_THREADS",
            compute_threads(coll.world(), 0).to_string(),
        );
    }
}

pub fn train_config(steps: u64) -> TrainConfig {
    TrainConfig {
        iterations: steps,
        warmup: -1,
        lr: 1e-3,
        seed: 7,
        ..TrainConfig::default()
    }
}

pub fn write(out: &Path, name: String, bytes: &[u8]) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(name);
    xvr_contract::results::write_atomic(&path, bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}
