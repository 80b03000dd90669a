//! Independent, reproducible random streams derived from one seed.
//!
//! Every random decision of the pipeline comes from a generator seeded by
//! `(seed, purpose, index)`, so a draw depends only on *which* thing is drawn (video `i`,
//! epoch `e`, sample position `p`) and never on how many draws happened before it. This is
//! what makes shards disjoint and a restored sampler reproduce the same samples.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// What a stream is used for; distinct purposes never share a stream.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Purpose {
    /// The keep/drop draw of training videos for `data.fraction`.
    VideoSelection = 1,
    /// The permutation of training keys in one epoch.
    EpochOrder = 2,
    /// Everything random about one training sample (interval, gaps, crop, flips, noise).
    Sample = 3,
    /// Generation of one synthetic video.
    SyntheticVideo = 4,
    /// Photon noise added to one LR frame of a reconstruction's test condition
    /// (`xvr-worker reconstruct --lr-b0`).
    TestNoise = 5,
}

/// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for item `index` of `purpose` under `seed`.
pub fn stream(seed: u64, purpose: Purpose, index: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(mix(mix(mix(seed) ^ purpose as u64) ^ index))
}
