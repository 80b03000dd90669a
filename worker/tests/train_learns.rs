//! "It learns": with a fixed seed, a tiny SWIN-XVR trained for 800 iterations on synthetic
//! videos beats the bicubic baseline's validation PSNR. One test per file: the backend RNG
//! is process-global.
//!
//! The recipe is scaled down from the paper's so that this fits in about a minute: a
//! one-stage C24 model, 8×8 LR crops, a higher constant-ish learning rate (3e-3 → 5e-4
//! cosine instead of 2e-4 → 1e-7), EMA decay 0.9 (0.999 would still be ~45 % the initial
//! weights after 800 iterations), milder noise (b0 ≥ 1e5) and HR gaps of at most 2 frames,
//! matching validation on an HR grid of 2.

mod train_support;

use burn::backend::{Autodiff, Flex};
use xvr_worker::train::{run, RunOptions};

use train_support::{tiny_trial, write_trial};

#[test]
fn tiny_model_beats_bicubic_after_short_training() {
    let dir = tempfile::tempdir().unwrap();
    let mut trial = tiny_trial(800);
    trial.model.channels = 24;
    trial.model.recon_channels = 16;
    trial.data.synthetic.videos = 6;
    trial.data.synthetic.frames = 24;
    trial.data.synthetic.height = 48;
    trial.data.synthetic.width = 48;
    trial.data.val_frames = 4;
    trial.data.hr_separation = 2;
    trial.data.hr_gap_max = 2;
    trial.data.b0_exp = [5.0, 7.0];
    trial.train.warmup = 20;
    trial.train.lr = 3e-3;
    trial.train.lr_min = 5e-4;
    trial.train.ema = 0.9;
    trial.train.checkpoint_every = 0;
    write_trial(dir.path(), &trial);

    let summary = run::<Autodiff<Flex>>(dir.path(), &Default::default(), RunOptions::default())
        .unwrap()
        .unwrap();
    eprintln!(
        "validation PSNR {:.3} dB, bicubic {:.3} dB",
        summary.psnr_db, summary.bicubic_psnr_db
    );
    // Measured on the development machine: 26.91 dB against 26.28 dB for bicubic; at the
    // start the model is at ~6 dB.
    assert!(
        summary.psnr_db > summary.bicubic_psnr_db + 0.3,
        "PSNR {} dB does not beat bicubic {} dB by 0.3 dB",
        summary.psnr_db,
        summary.bicubic_psnr_db
    );
}
