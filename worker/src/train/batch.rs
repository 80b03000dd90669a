//! A batch of training samples as the model's input and target tensors.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::data::Sample;
use xvr_contract::model::{HR_FRAMES, SCALE};

/// Model inputs and target of one training step.
#[derive(Debug, Clone)]
pub struct Batch<B: Backend> {
    /// (B, NL, 1, h, w) noisy LR crops.
    pub lq: Tensor<B, 5>,
    /// (B, 2, 1, 4h, 4w) HR crops before and after the target time.
    pub hq: Tensor<B, 5>,
    /// (B, 1, 4h, 4w) HR crop at the target time.
    pub gt: Tensor<B, 4>,
}

/// Samples that cannot form one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a batch needs at least one sample")]
    Empty,
    #[error("batch: samples differ in crop size or number of LR frames")]
    Mixed,
}

impl<B: Backend> Batch<B> {
    /// Stacks `samples` (at least one, all of one crop size and NL) in order.
    pub fn from_samples(samples: &[Sample], device: &B::Device) -> Result<Self, BatchError> {
        let first = samples.first().ok_or(BatchError::Empty)?;
        let (h, w) = (first.h, first.w);
        let nl = first.lq.len() / (h * w);
        if samples
            .iter()
            .any(|s| (s.h, s.w, s.lq.len()) != (h, w, nl * h * w))
        {
            return Err(BatchError::Mixed);
        }
        let b = samples.len();
        let (hh, hw) = (SCALE * h, SCALE * w);
        let stack = |part: fn(&Sample) -> &[f32]| {
            samples
                .iter()
                .flat_map(|s| part(s).iter().copied())
                .collect::<Vec<f32>>()
        };
        Ok(Self {
            lq: Tensor::from_data(TensorData::new(stack(|s| &s.lq), [b, nl, 1, h, w]), device),
            hq: Tensor::from_data(
                TensorData::new(stack(|s| &s.hq), [b, HR_FRAMES, 1, hh, hw]),
                device,
            ),
            gt: Tensor::from_data(TensorData::new(stack(|s| &s.gt), [b, 1, hh, hw]), device),
        })
    }
}
