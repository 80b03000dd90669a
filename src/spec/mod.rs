//! Layer 1: the YAML sweep format. A spec ([`sweep::SweepSpec`]) is read from a marked
//! YAML tree ([`marked`]) so every error has a position, checked against the trial type
//! through [`axis`] paths, and expanded into trials ([`expand`]).

pub mod axis;
pub mod error;
pub mod expand;
pub mod marked;
pub mod suggest;
pub mod sweep;

/// The resolved trial, its model section and their rules: the contract crate's
/// (`xvr-contract`), which the worker and the analysis read without this layer.
pub use xvr_contract::{model, rules, trial};

pub use error::{SpecError, SpecErrors};
pub use expand::{expand, ExpandedTrial};
pub use sweep::SweepSpec;
pub use trial::TrialConfig;
