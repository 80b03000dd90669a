//! `train-equivalence`: the strong-scaling claim of data parallelism (n ranks × b samples
//! give the update one rank computes on the n·b samples) on a tiny model.

use std::error::Error;
use std::path::Path;

use xvr_worker::dist::Collectives;
use xvr_worker::model::ModelConfig;
use xvr_worker::profile::Recorder;
use xvr_worker::train::flat_params::flatten_values;
use xvr_worker::train::Trainer;

use crate::synthetic_training::{batch, set_threads, train_config, write, B, LR_FRAMES};

pub fn train_equivalence(
    coll: &dyn Collectives,
    out: &Path,
    global_batch: usize,
    steps: u64,
) -> Result<(), Box<dyn Error>> {
    let world = coll.world();
    if global_batch == 0 || global_batch % world.size != 0 {
        return Err(format!(
            "--global-batch {global_batch}: must be a positive multiple of the {} ranks",
            world.size
        )
        .into());
    }
    set_threads(coll);
    let per_rank = global_batch / world.size;
    // No stochastic depth: its draws are per rank, which no split can reproduce.
    let config = ModelConfig::small()
        .with_lr_frames(LR_FRAMES)
        .with_channels(8)
        .with_heads(1)
        .with_depths(vec![1])
        .with_recon_channels(8)
        .with_drop_path(0.0);
    let device = Default::default();
    let mut trainer = Trainer::<B>::new(&config, &train_config(steps), steps, &device, coll)?;
    let mut rec = Recorder::disabled();
    let mut losses = Vec::new();
    for step in 0..steps as usize {
        let first = step * global_batch + world.rank * per_rank;
        let report = trainer
            .step(&batch(first, per_rank, 8, &device), coll, &mut rec, false)?;
        losses.push(report.loss);
    }
    let weights: Vec<u8> = flatten_values(trainer.model())
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    write(out, format!("weights-rank{}.bin", world.rank), &weights)?;
    write(
        out,
        format!("losses-rank{}.json", world.rank),
        serde_json::to_string(&losses).expect("JSON").as_bytes(),
    )
}
