//! Why a rank's training sampler cannot be made.

use super::sample::UnsampleableVideo;

/// A sampler that cannot be built or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamplerError {
    /// The rank is not inside the world (a corrupt state, or a world of 0).
    #[error("sampler: rank {rank} of world {world}: need 0 <= rank < world")]
    Rank { rank: u64, world: u64 },
    #[error("sampler: no training videos")]
    NoTrainingVideos,
    /// A training video samples cannot be drawn from.
    #[error(transparent)]
    Video(#[from] UnsampleableVideo),
}
