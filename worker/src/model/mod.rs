//! SWIN-XVR (the reference's `PatchTransformerSTF`) in burn, generic over the backend,
//! exactly as docs/model.md describes it, quirks included.
//!
//! Entry points: [`ModelConfig`] (the trial's hyperparameters, shared with the driver) and
//! [`InitSwinXvr::init`], [`SwinXvr`] (`forward`, `check_inputs`), [`ModelInfo`]
//! (parameters and FLOPs for `xvr-worker model-info`).
//!
//! Layout: the deep features travel channels-last as (B, T, H, W, C); every Linear and
//! LayerNorm sees 2-D `[tokens, C]`; convs see (frames, C, H, W).

pub mod attention;
pub mod block;
pub mod drop_path;
pub mod flops;
pub mod fused;
pub mod head;
pub mod mask;
pub mod mlp;
pub mod relative_position;
pub mod shallow;
pub mod stage;
pub mod swin_xvr;
pub mod window;

pub use flops::{CountFlops, FlopsBreakdown, ModelInfo, ModelInfoError};
pub use swin_xvr::{InitSwinXvr, InputShapeError, SwinXvr};
pub use xvr_contract::model::ModelConfig;
