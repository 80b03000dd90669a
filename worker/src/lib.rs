//! xvr-worker: SWIN-XVR training, profiling, evaluation and inference under `mpiexec`.
//!
//! Modules (one job each):
//! - [`model`]: SWIN-XVR in burn, generic over the backend.
//! - [`data`]: videos (PNG folders, synthetic generator), the virtual experiment, samplers.
//! - [`metrics`]: PSNR / SSIM / AAD on 8-bit images, bicubic baseline.
//! - [`train`]: the training loop, schedule, EMA, checkpoints, evaluation and inference.
//! - [`reconstruct`]: a trained model applied to an experiment's videos.
//! - [`dist`]: rank discovery and collectives (MPI; NCCL with `cuda`).
//! - [`profile`]: activity intervals, idle/busy/category breakdowns, Chrome traces.
//! - [`process_memory`]: malloc settings that keep a step's freed buffers for the next step.

pub mod data;
pub mod dist;
pub mod metrics;
pub mod model;
pub mod process_memory;
pub mod profile;
pub mod reconstruct;
pub mod train;
