//! Kernel categories (presets: docs/definitions.md#kernel-categories), decided from the name an activity
//! carries in the trace, so that anyone re-reading `trace-rank<k>.json` gets our classes.
//!
//! - `hta`: the rules of HolisticTraceAnalysis 0.5.0 (`hta/utils/utils.py`, `get_kernel_type`),
//!   checked in order: names matching `^nccl.*Kernel` are communication; names starting
//!   `Memcpy`, `Memset` or `dma` are memory; names containing `Memcpy` or `Sync`, or starting
//!   `Memset`, are other; the rest is computation.
//! - `paper` (SWIN-XVR paper, Fig. 4): NCCL kernels and copies between host and device (or
//!   between devices) are communication; memsets and copies within one memory (DtoD, HtoH,
//!   array copies) are memory; other and computation as in `hta`.
//!
//! CPU runs name their intervals so that the same rules apply: backend work (e.g.
//! `forward_backward`, `optimizer_step`) is computation, the MPI all-reduce is recorded as
//! [`crate::dist::ALL_REDUCE_ACTIVITY`] (`ncclKernel_…`, hence communication), staging
//! copies carry a copy kind and become `Memcpy <kind> (<name>)` in the trace.

use std::borrow::Cow;

use xvr_contract::trial::KernelPreset;

use super::{Activity, ActivityKind};

/// What a device activity spent its time on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Computation,
    Communication,
    Memory,
    Other,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Self::Computation,
        Self::Communication,
        Self::Memory,
        Self::Other,
    ];

    /// Lower-case name, as written in traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Computation => "computation",
            Self::Communication => "communication",
            Self::Memory => "memory",
            Self::Other => "other",
        }
    }
}

/// The preset's name as written in `profile.csv`.
pub fn preset_name(preset: KernelPreset) -> &'static str {
    match preset {
        KernelPreset::Hta => "hta",
        KernelPreset::Paper => "paper",
    }
}

/// The name `activity` carries in the trace: kernels keep theirs; copies and memsets that do
/// not already have a Kineto-style name get one (`Memcpy DtoH (grad_gather)`,
/// `Memset (name)`), since trace readers classify by name alone.
pub fn trace_name(activity: &Activity) -> Cow<'_, str> {
    let name = activity.name.as_str();
    match activity.kind {
        ActivityKind::Kernel => Cow::Borrowed(name),
        ActivityKind::Memcpy(_) if name.starts_with("Memcpy ") => Cow::Borrowed(name),
        ActivityKind::Memcpy(kind) => Cow::Owned(format!("Memcpy {} ({name})", kind.label())),
        ActivityKind::Memset if name.starts_with("Memset") => Cow::Borrowed(name),
        ActivityKind::Memset => Cow::Owned(format!("Memset ({name})")),
    }
}

/// The category of `activity` under `preset`.
pub fn classify(preset: KernelPreset, activity: &Activity) -> Category {
    classify_name(preset, &trace_name(activity))
}

/// The category of a trace event named `name` under `preset`.
pub fn classify_name(preset: KernelPreset, name: &str) -> Category {
    let hta = hta_category(name);
    match preset {
        KernelPreset::Hta => hta,
        KernelPreset::Paper => match hta {
            Category::Memory if is_host_device_transfer(name) => Category::Communication,
            other => other,
        },
    }
}

/// HTA 0.5.0's `get_kernel_type`.
fn hta_category(name: &str) -> Category {
    let nccl_kernel = name
        .strip_prefix("nccl")
        .is_some_and(|rest| rest.contains("Kernel"));
    if nccl_kernel {
        Category::Communication
    } else if ["Memcpy", "Memset", "dma"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        Category::Memory
    } else if name.contains("Memcpy") || name.starts_with("Memset") || name.contains("Sync") {
        Category::Other
    } else {
        Category::Computation
    }
}

/// Whether a `Memcpy <kind> …` name crosses between host and device or between devices
/// (Kineto labels: HtoD, DtoH, HtoA, AtoH, PtoP).
fn is_host_device_transfer(name: &str) -> bool {
    let label = name.strip_prefix("Memcpy ").and_then(|rest| rest.get(..4));
    matches!(label, Some("HtoD" | "DtoH" | "HtoA" | "AtoH" | "PtoP"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CopyKind;
    use Category::*;
    use KernelPreset::{Hta, Paper};

    /// (name as CUPTI/Kineto or our recorder writes it, hta, paper)
    const REAL_NAMES: &[(&str, Category, Category)] = &[
        ("ncclDevKernel_AllReduce_Sum_f32_RING_LL(ncclDevKernelArgsStorage<4096ul>)", Communication, Communication),
        ("ncclKernel_AllReduce_RING_LL_Sum_float(ncclWorkElem)", Communication, Communication),
        ("Memcpy HtoD (Pageable -> Device)", Memory, Communication),
        ("Memcpy DtoH (Device -> Pinned)", Memory, Communication),
        ("Memcpy PtoP (Device -> Device)", Memory, Communication),
        ("Memcpy DtoD (Device -> Device)", Memory, Memory),
        ("Memset (Device)", Memory, Memory),
        ("cutlass_80_tensorop_s1688gemm_128x128_32x3_nn_align4", Computation, Computation),
        ("void cutlass::Kernel2<cutlass_80_wmma_tensorop_f16_s161616gemm_f16_32x32_128x2_tn_align8>(Params)", Computation, Computation),
        ("void at::native::vectorized_elementwise_kernel<4, at::native::GeluCUDAKernelImpl>", Computation, Computation),
        ("cudaDeviceSynchronize", Other, Other),
        ("forward_backward", Computation, Computation),
        ("optimizer_step", Computation, Computation),
    ];

    #[test]
    fn real_kernel_and_copy_names_under_both_presets() {
        for &(name, hta, paper) in REAL_NAMES {
            assert_eq!(classify_name(Hta, name), hta, "hta: {name}");
            assert_eq!(classify_name(Paper, name), paper, "paper: {name}");
        }
    }

    fn activity(name: &str, kind: ActivityKind) -> Activity {
        Activity {
            name: name.into(),
            kind,
            start_ns: 0,
            end_ns: 1,
            stream: 0,
            iteration: 1,
        }
    }

    #[test]
    fn cpu_recorder_activities() {
        let all_reduce = activity(crate::dist::ALL_REDUCE_ACTIVITY, ActivityKind::Kernel);
        assert_eq!(classify(Hta, &all_reduce), Communication);
        assert_eq!(classify(Paper, &all_reduce), Communication);

        let gather = activity("grad_gather", ActivityKind::Memcpy(CopyKind::DtoH));
        assert_eq!(trace_name(&gather), "Memcpy DtoH (grad_gather)");
        assert_eq!(classify(Hta, &gather), Memory);
        assert_eq!(classify(Paper, &gather), Communication);

        let scatter = activity("grad_scatter", ActivityKind::Memcpy(CopyKind::HtoD));
        assert_eq!(classify(Paper, &scatter), Communication);

        let within = activity("copy", ActivityKind::Memcpy(CopyKind::DtoD));
        assert_eq!(classify(Paper, &within), Memory);

        let zero = activity("zero_grads", ActivityKind::Memset);
        assert_eq!(trace_name(&zero), "Memset (zero_grads)");
        assert_eq!(
            (classify(Hta, &zero), classify(Paper, &zero)),
            (Memory, Memory)
        );
    }

    #[test]
    fn kineto_names_are_kept() {
        let a = activity(
            "Memcpy HtoD (Pageable -> Device)",
            ActivityKind::Memcpy(CopyKind::HtoD),
        );
        assert_eq!(trace_name(&a), "Memcpy HtoD (Pageable -> Device)");
        let m = activity("Memset (Device)", ActivityKind::Memset);
        assert_eq!(trace_name(&m), "Memset (Device)");
    }
}
