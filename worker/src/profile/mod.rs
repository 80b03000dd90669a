//! The profiler: device-activity intervals over a window of training iterations, turned into
//! the paper's idle/busy/utilisation numbers, kernel-category time under the `hta` and
//! `paper` presets, and a Chrome/Kineto trace per rank.
//!
//! [`Recorder`] is what the training loop talks to: it marks iteration boundaries and wraps
//! each phase of a step in [`Recorder::record`]. Only iterations inside the configured window
//! are kept, so the cost outside the window is one branch per phase.

//!
//! At the end of training every rank calls [`write_outputs`] once: it writes
//! `trace-rank<k>.json` and, on rank 0, `profile.csv` (rows of all ranks, both presets).
//! The arithmetic is [`interval`] (unions/intersections), [`category`] (the `hta` and
//! `paper` presets) and [`breakdown`] (span/busy/idle/utilisation/categories/overlap).

pub mod breakdown;
pub mod category;
#[cfg(feature = "cuda")]
pub mod cupti;
pub mod interval;
mod output;
mod recorder;
pub mod trace;

pub use breakdown::Breakdown;
pub use category::{classify, Category};
pub use output::{profile_csv, write_outputs, ProfileError, PRESETS};
pub use recorder::{monotonic_ns, Activity, ActivityKind, CopyKind, ProfileWindow, Recorder};
