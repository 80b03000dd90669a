//! Exponential moving average of the weights (docs/training.md#one-step): `ema ← d·ema + (1 − d)·param`
//! after every optimizer step, parameters only, initialised as a copy of the model. The
//! EMA weights are what validation and inference use.

use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::container::TensorContainer;
use burn::tensor::Tensor;

use crate::model::SwinXvr;

/// The EMA copy of a model, on the inner (non-autodiff) backend.
#[derive(Debug, Clone)]
pub struct ModelEma<B: Backend> {
    /// The averaged weights. Its parameters share the trained model's ids, which is how
    /// [`update`](Self::update) pairs them.
    pub model: SwinXvr<B>,
    /// Decay d per update.
    pub decay: f64,
}

impl<B: Backend> ModelEma<B> {
    /// Starts the average at the current weights of `model`; `decay` is a checked trial's
    /// `train.ema` (in [0, 1), `xvr_contract::rules`).
    pub fn new<A: AutodiffBackend<InnerBackend = B>>(
        model: &SwinXvr<A>,
        decay: f64,
    ) -> Self {
        Self {
            model: model.valid(),
            decay,
        }
    }

    /// One EMA update towards the current weights of `model` (after an optimizer step).
    pub fn update<A: AutodiffBackend<InnerBackend = B>>(&mut self, model: &SwinXvr<A>) {
        let mut collect = Collect {
            current: TensorContainer::new(),
        };
        model.visit(&mut collect);
        let mut blend = Blend {
            current: collect.current,
            decay: self.decay,
        };
        self.model = self.model.clone().map(&mut blend);
    }
}

/// The trained model's current weights, keyed by parameter id, on the inner backend.
struct Collect {
    current: TensorContainer<ParamId>,
}

impl<A: AutodiffBackend> ModuleVisitor<A> for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<A, D>>) {
        self.current
            .register::<A::InnerBackend>(param.id, param.val().inner().into_primitive());
    }
}

/// `ema ← d·ema + (1 − d)·current`, parameter by parameter.
struct Blend {
    current: TensorContainer<ParamId>,
    decay: f64,
}

impl<B: Backend> ModuleMapper<B> for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, ema, mapper) = param.consume();
        let current = self
            .current
            .remove::<B>(&id)
            .map(Tensor::<B, D>::from_primitive)
            .expect("the EMA copy shares the trained model's parameter ids");
        let blended = ema.mul_scalar(self.decay) + current.mul_scalar(1.0 - self.decay);
        Param::from_mapped_value(id, blended, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{InitSwinXvr, ModelConfig};
    use crate::train::flat_params::{flatten_values, load_values};
    use burn::backend::{Autodiff, Flex};

    #[test]
    fn update_blends_towards_the_current_weights() {
        type Ad = Autodiff<Flex>;
        let config = ModelConfig::small()
            .with_channels(4)
            .with_depths(vec![1])
            .with_recon_channels(4);
        let model = config.init::<Ad>(&Default::default());
        let n = flatten_values(&model).len();
        let model = load_values(model, &vec![1.0; n]).unwrap();
        let mut ema = ModelEma::new(&model, 0.9);
        let model = load_values(model, &vec![3.0; n]).unwrap();
        ema.update(&model);
        // 0.9·1 + 0.1·3 = 1.2, then 0.9·1.2 + 0.1·3 = 1.38.
        assert!(flatten_values(&ema.model)
            .iter()
            .all(|&v| (v - 1.2).abs() < 1e-6));
        ema.update(&model);
        assert!(flatten_values(&ema.model)
            .iter()
            .all(|&v| (v - 1.38).abs() < 1e-6));
    }
}
