//! Why an HR and an LR sequence do not make one video: every error names the video.

use xvr_contract::model::SCALE;

/// An HR and an LR sequence of video `video` that cannot be paired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error("video {video}: {hr} HR frames and {lr} LR frames; need the same number, at least 1")]
    FrameCounts { video: String, hr: usize, lr: usize },
    /// The first HR frame is not exactly `SCALE`× the first LR frame (sizes as (height, width)).
    #[error(
        "video {video}: HR frames are {}x{} (HxW) and LR frames {}x{}; HR must be exactly {SCALE}x LR",
        hr.0, hr.1, lr.0, lr.1
    )]
    NotScaled {
        video: String,
        hr: (usize, usize),
        lr: (usize, usize),
    },
    /// Frame `frame` (of either sequence) has another size than frame 0 of its sequence.
    #[error("video {video}: frame {frame} differs in size from frame 0")]
    FrameSize { video: String, frame: usize },
}
