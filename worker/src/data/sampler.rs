//! The training sample stream and its per-rank shards (strong-scaling data parallelism).
//!
//! The *global stream* is an endless sequence of samples at positions 0, 1, 2, …: position
//! p belongs to epoch e = p / K (K = one key per frame of every training video, as in the
//! reference), whose seeded permutation of the keys gives the sample's key; the sample itself
//! is drawn with a generator seeded by (seed, p). Rank r of a world of W ranks takes the
//! positions r, r + W, r + 2W, … — disjoint shards whose union is the world-of-one stream,
//! so adding ranks splits the same work (strong scaling). Because a sample depends only on
//! (data, seed, p), the [`SamplerState`] (seed, rank, world, samples taken) restores the
//! stream exactly.

use std::sync::Arc;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::sample::{draw_sample, Sample, SampleParams};
use super::sampler_error::SamplerError;
use super::seeding::{stream, Purpose};

/// Everything needed to resume a rank's shard of the stream (stored in checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplerState {
    /// Seed of the global stream (`data.seed`).
    pub seed: u64,
    /// This rank.
    pub rank: u64,
    /// Number of ranks.
    pub world: u64,
    /// Samples this rank has taken so far; its next global position is rank + world·taken.
    pub taken: u64,
}

/// A rank's shard of the training sample stream.
#[derive(Debug)]
pub struct TrainSampler {
    data: Arc<Dataset>,
    params: SampleParams,
    state: SamplerState,
    /// (video, centre frame) for every frame of every training video.
    keys: Vec<(usize, usize)>,
    /// The key order of the most recently used epoch.
    epoch_order: Option<(u64, Vec<usize>)>,
}

impl TrainSampler {
    /// The shard of rank `rank` in a world of `world` ranks, from the start of the stream.
    pub fn new(
        data: Arc<Dataset>,
        params: SampleParams,
        seed: u64,
        rank: u64,
        world: u64,
    ) -> Result<Self, SamplerError> {
        Self::restore(
            data,
            params,
            SamplerState {
                seed,
                rank,
                world,
                taken: 0,
            },
        )
    }

    /// A sampler continuing exactly where the one that produced `state` stopped.
    /// Errors when the rank/world are inconsistent or a training video cannot be sampled.
    pub fn restore(
        data: Arc<Dataset>,
        params: SampleParams,
        state: SamplerState,
    ) -> Result<Self, SamplerError> {
        if state.world == 0 || state.rank >= state.world {
            return Err(SamplerError::Rank {
                rank: state.rank,
                world: state.world,
            });
        }
        if data.train.is_empty() {
            return Err(SamplerError::NoTrainingVideos);
        }
        for video in &data.train {
            params.check_video(video)?;
        }
        let keys = data
            .train
            .iter()
            .enumerate()
            .flat_map(|(v, video)| (0..video.len()).map(move |t| (v, t)))
            .collect();
        Ok(Self {
            data,
            params,
            state,
            keys,
            epoch_order: None,
        })
    }

    /// The state to store in a checkpoint.
    pub fn state(&self) -> SamplerState {
        self.state
    }

    /// Number of keys (frames of all training videos): the length of one epoch.
    pub fn epoch_len(&self) -> usize {
        self.keys.len()
    }

    /// The next `batch` samples of this rank's shard.
    pub fn next_batch(&mut self, batch: usize) -> Vec<Sample> {
        (0..batch)
            .map(|_| {
                let position = self.state.rank + self.state.world * self.state.taken;
                self.state.taken += 1;
                self.sample_at(position)
            })
            .collect()
    }

    /// The sample at global stream position `position` (independent of the rank).
    pub fn sample_at(&mut self, position: u64) -> Sample {
        let len = self.keys.len() as u64;
        let (epoch, slot) = (position / len, (position % len) as usize);
        let key = self.epoch_order(epoch)[slot];
        let (video, centre) = self.keys[key];
        let mut rng = stream(self.state.seed, Purpose::Sample, position);
        draw_sample(
            &self.data.train[video],
            video,
            centre,
            &self.params,
            &mut rng,
        )
    }

    /// The seeded key permutation of `epoch` (Fisher–Yates), cached for the current epoch.
    fn epoch_order(&mut self, epoch: u64) -> &[usize] {
        if self.epoch_order.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut rng = stream(self.state.seed, Purpose::EpochOrder, epoch);
            let mut order: Vec<usize> = (0..self.keys.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            self.epoch_order = Some((epoch, order));
        }
        &self.epoch_order.as_ref().expect("just filled").1
    }
}
