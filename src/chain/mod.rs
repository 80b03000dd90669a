//! `xvr run SPEC`: the whole chain for one spec — validate, plan, submit and wait, then the
//! analysis — so a new user needs one command. The steps are the same library calls the
//! separate subcommands make; this module adds only what sits after them.

pub mod analysis;
pub mod predict;
pub mod reconstruct;
pub mod sibling;
