//! xvr: the SWIN-XVR sweep driver library.
//!
//! Layers (arrows point down): [`spec`] (YAML sweeps → trials) → [`plan`] (trials → job
//! scripts) → [`sched`] (local | pbs). [`results`] is the on-disk contract shared with the
//! worker and the analysis.

pub mod chain;
pub mod plan;
pub mod sched;
pub mod spec;

/// The results contract, shared with the worker and the analysis (crate `xvr-contract`).
pub use xvr_contract::results;
