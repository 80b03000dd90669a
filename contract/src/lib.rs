//! xvr-contract: what the driver (`xvr`), the worker (`xvr-worker`) and the analysis
//! (`xvr-analysis`) share, and nothing else: the resolved trial ([`trial::TrialConfig`], the
//! `trial.yaml` the driver writes and the worker reads) with its model section
//! ([`model::ModelConfig`]) and [`rules`], a reconstruction trial's section ([`reconstruct`]),
//! PBS [`walltime`]s, the [`results`] files of a sweep directory (plan.csv, site.json) and of
//! a trial directory (state.json, summary.json, train.csv, profile.csv, validation.csv), and
//! the [`site`] facts a sweep was planned with.

pub mod model;
pub mod reconstruct;
pub mod results;
pub mod rules;
pub mod site;
pub mod trial;
pub mod walltime;
