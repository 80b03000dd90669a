//! The profiler: device-activity intervals over a window of training iterations, turned into
//! the paper's idle/busy/utilisation numbers, kernel-category time under the `hta` and
//! `paper` presets, and a Chrome/Kineto trace per rank.
//!
//! [`Recorder`] is what the training loop talks to: it marks iteration boundaries and wraps
//! each phase of a step in [`Recorder::record`]. Only iterations inside the configured window
//! are kept, so the cost outside the window is one branch per phase.

mod recorder;

pub use recorder::{Activity, ActivityKind, CopyKind, ProfileWindow, Recorder, monotonic_ns};
