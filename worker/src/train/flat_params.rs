//! Parameters and gradients as one flat `f32` buffer, in the module's visiting order.
//!
//! Data parallelism moves host buffers ([`crate::dist::Collectives`]): the initial weights
//! are broadcast from rank 0 and the gradients are averaged over ranks. Both need every
//! parameter laid out identically on every rank, which the module's fixed visiting order
//! (field order, then vector order) gives without names or ids: `ParamId`s are random per
//! process, so they cannot key anything that crosses ranks.

use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};

/// All float parameter values of `module`, concatenated in visiting order.
pub fn flatten_values<B: Backend, M: Module<B>>(module: &M) -> Vec<f32> {
    struct Gather(Vec<f32>);
    impl<B: Backend> ModuleVisitor<B> for Gather {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.extend(host_values(param.val()));
        }
    }
    let mut gather = Gather(Vec::with_capacity(module.num_params()));
    module.visit(&mut gather);
    gather.0
}

/// A flat parameter buffer whose length is not the model's parameter count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("flat parameter buffer has {found} values, the model {expected}")]
pub struct LengthMismatch {
    pub found: usize,
    pub expected: usize,
}

/// `module` with every float parameter replaced by its slice of `flat` (same layout as
/// [`flatten_values`]); parameter ids and `require_grad` are kept. Errors when `flat` has
/// the wrong length.
pub fn load_values<B: Backend, M: Module<B>>(module: M, flat: &[f32]) -> Result<M, LengthMismatch> {
    let expected = module.num_params();
    if flat.len() != expected {
        return Err(LengthMismatch { found: flat.len(), expected });
    }
    struct Scatter<'a> {
        flat: &'a [f32],
        at: usize,
    }
    impl<B: Backend> ModuleMapper<B> for Scatter<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, old, mapper) = param.consume();
            let require_grad = old.is_require_grad();
            let new = tensor_from(&self.flat[self.at..], old.dims(), &old.device());
            self.at += old.shape().num_elements();
            let new = if require_grad {
                new.require_grad()
            } else {
                new
            };
            Param::from_mapped_value(id, new, mapper)
        }
    }
    Ok(module.map(&mut Scatter { flat, at: 0 }))
}

/// The gradients of `module`'s parameters, removed from `grads` and concatenated in visiting
/// order. A parameter without a gradient contributes zeros, so the layout never changes.
pub fn flatten_grads<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &mut GradientsParams,
) -> Vec<f32> {
    struct Gather<'a> {
        grads: &'a mut GradientsParams,
        flat: Vec<f32>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Gather<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            match self.grads.remove::<B::InnerBackend, D>(param.id) {
                Some(grad) => self.flat.extend(host_values(grad)),
                None => self
                    .flat
                    .extend(std::iter::repeat_n(0.0, param.shape().num_elements())),
            }
        }
    }
    let mut gather = Gather {
        grads,
        flat: Vec::with_capacity(module.num_params()),
    };
    module.visit(&mut gather);
    gather.flat
}

/// Gradients for every parameter of `module` from `flat` (layout of [`flatten_grads`]).
pub fn grads_from_flat<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    flat: &[f32],
) -> GradientsParams {
    struct Scatter<'a> {
        flat: &'a [f32],
        at: usize,
        grads: GradientsParams,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Scatter<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let value = param.val();
            let grad = tensor_from::<B::InnerBackend, D>(
                &self.flat[self.at..],
                value.dims(),
                &value.device(),
            );
            self.at += value.shape().num_elements();
            self.grads.register::<B::InnerBackend, D>(param.id, grad);
        }
    }
    let mut scatter = Scatter {
        flat,
        at: 0,
        grads: GradientsParams::new(),
    };
    module.visit(&mut scatter);
    scatter.grads
}

fn host_values<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .into_vec()
        .expect("float parameters convert to f32")
}

/// A tensor of `dims` from the first elements of `values`.
fn tensor_from<B: Backend, const D: usize>(
    values: &[f32],
    dims: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    let n: usize = dims.iter().product();
    Tensor::from_data(TensorData::new(values[..n].to_vec(), dims), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};
    use burn::module::ParamId;
    use burn::nn::{Linear, LinearConfig};

    type Ad = Autodiff<Flex>;

    /// Parameter ids in visiting order (to pair a module with a copy that shares its ids).
    fn param_ids<B: Backend, M: Module<B>>(module: &M) -> Vec<ParamId> {
        struct Ids(Vec<ParamId>);
        impl<B: Backend> ModuleVisitor<B> for Ids {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
                self.0.push(param.id);
            }
        }
        let mut ids = Ids(Vec::new());
        module.visit(&mut ids);
        ids.0
    }

    #[test]
    fn values_round_trip_and_keep_ids() {
        let device = Default::default();
        let layer: Linear<Ad> = LinearConfig::new(3, 2).init(&device);
        let flat = flatten_values(&layer);
        assert_eq!(flat.len(), 3 * 2 + 2);
        // Weight first (visiting order = field order), row-major [3, 2], then the bias.
        let w: Vec<f32> = layer.weight.val().into_data().to_vec().unwrap();
        assert_eq!(&flat[..6], &w[..]);
        let replaced: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let ids = param_ids(&layer);
        let loaded = load_values(layer, &replaced).unwrap();
        assert_eq!(flatten_values(&loaded), replaced);
        assert_eq!(param_ids(&loaded), ids);
        assert!(loaded.weight.val().is_require_grad());
        assert!(load_values(loaded, &replaced[..7])
            .unwrap_err()
            .to_string()
            .contains("7 values"));
    }

    #[test]
    fn gradients_round_trip_through_a_flat_buffer() {
        let device = Default::default();
        let layer: Linear<Ad> = LinearConfig::new(2, 1).init(&device);
        let layer = load_values(layer, &[1.0, 2.0, 0.5]).unwrap();
        // y = 1·x0 + 2·x1 + 0.5; L = y for x = (3, 4): dL/dw = (3, 4), dL/db = 1.
        let x = Tensor::<Ad, 2>::from_data([[3.0f32, 4.0]], &device);
        let mut grads = GradientsParams::from_grads(layer.forward(x).sum().backward(), &layer);
        let flat = flatten_grads(&layer, &mut grads);
        assert_eq!(flat, vec![3.0, 4.0, 1.0]);
        assert!(grads.is_empty(), "gathering removes the gradients");
        let back = grads_from_flat(&layer, &[6.0, 8.0, 2.0]);
        let w: Tensor<Flex, 2> = back.get(layer.weight.id).unwrap();
        assert_eq!(w.into_data().to_vec::<f32>().unwrap(), vec![6.0, 8.0]);
    }
}
