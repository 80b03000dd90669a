//! Chrome-trace / Kineto JSON of one rank's profiled window (`trace-rank<k>.json`).
//!
//! The layout follows what PyTorch's Kineto writes, which is what Perfetto and
//! HolisticTraceAnalysis read: `traceEvents` of complete events (`"ph": "X"`, `ts`/`dur` in
//! µs), device activities under `pid` = device with `tid` = stream and `args.stream` set
//! (HTA's test for a GPU event is `stream != -1`), categories `kernel`, `gpu_memcpy` and
//! `gpu_memset`, and a top-level `distributedInfo` with the rank and world size (HTA refuses
//! a trace without `distributedInfo.rank`). Each iteration gets an `iteration#<iter>`
//! annotation on the host process. Not Kineto's `ProfilerStep#<iter>`: with those present,
//! HTA keeps only device events whose `correlation` matches a host launch event of a
//! complete step, and we record no launch events (the file holds the profiled window only).

use std::collections::BTreeMap;

use serde_json::{json, Value};
use xvr_contract::trial::KernelPreset;

use super::category::{classify, preset_name, trace_name};
use super::{Activity, ActivityKind};
use crate::dist::WorldInfo;

/// Everything a trace carries besides the activities.
#[derive(Debug, Clone)]
pub struct TraceContext<'a> {
    pub world: WorldInfo,
    /// Collective backend (`mpi`, `nccl`, `none`), as Kineto's `distributedInfo.backend`.
    pub backend: &'a str,
    /// Device ordinal used as the `pid` of device events (0 on CPU runs).
    pub device: u32,
    /// What the device is, for the process name (e.g. `CPU compute engine`, `GPU 0`).
    pub device_label: &'a str,
}

/// µs with ns resolution, as Kineto writes timestamps.
fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// The Kineto trace of `activities` as JSON.
pub fn kineto_trace(activities: &[Activity], ctx: &TraceContext<'_>) -> Value {
    let host_pid = std::process::id();
    let mut events = vec![
        meta(
            "process_name",
            ctx.device,
            None,
            json!({ "name": format!("{} (rank {})", ctx.device_label, ctx.world.rank) }),
        ),
        meta(
            "process_name",
            host_pid,
            None,
            json!({ "name": format!("host (rank {})", ctx.world.rank) }),
        ),
    ];
    let streams: std::collections::BTreeSet<u32> = activities.iter().map(|a| a.stream).collect();
    for s in streams {
        events.push(meta(
            "thread_name",
            ctx.device,
            Some(s),
            json!({ "name": format!("stream {s}") }),
        ));
    }
    let mut steps: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (correlation, a) in activities.iter().enumerate() {
        let step = steps.entry(a.iteration).or_insert((a.start_ns, a.end_ns));
        *step = (step.0.min(a.start_ns), step.1.max(a.end_ns));
        let cat = match a.kind {
            ActivityKind::Kernel => "kernel",
            ActivityKind::Memcpy(_) => "gpu_memcpy",
            ActivityKind::Memset => "gpu_memset",
        };
        events.push(json!({
            "ph": "X", "cat": cat, "name": trace_name(a),
            "pid": ctx.device, "tid": a.stream,
            "ts": us(a.start_ns), "dur": us(a.end_ns.saturating_sub(a.start_ns)),
            "args": {
                "device": ctx.device, "stream": a.stream, "correlation": correlation + 1,
                "iteration": a.iteration,
                "category_hta": classify(KernelPreset::Hta, a).as_str(),
                "category_paper": classify(KernelPreset::Paper, a).as_str(),
            },
        }));
    }
    for (iteration, (start, end)) in steps {
        events.push(json!({
            "ph": "X", "cat": "user_annotation", "name": format!("iteration#{iteration}"),
            "pid": host_pid, "tid": host_pid,
            "ts": us(start), "dur": us(end - start),
            "args": { "iteration": iteration },
        }));
    }
    json!({
        "schemaVersion": 1,
        "distributedInfo": { "backend": ctx.backend, "rank": ctx.world.rank, "world_size": ctx.world.size },
        "deviceProperties": [],
        "displayTimeUnit": "ms",
        "xvr": {
            "clock": "CLOCK_MONOTONIC",
            "presets": [preset_name(KernelPreset::Hta), preset_name(KernelPreset::Paper)],
            "local_rank": ctx.world.local_rank,
        },
        "traceEvents": events,
    })
}

fn meta(name: &str, pid: u32, tid: Option<u32>, args: Value) -> Value {
    let mut e = json!({ "ph": "M", "name": name, "pid": pid, "args": args });
    if let Some(tid) = tid {
        e["tid"] = json!(tid);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CopyKind;

    #[test]
    fn device_events_carry_stream_category_and_microseconds() {
        let acts = vec![
            Activity {
                name: "forward_backward".into(),
                kind: ActivityKind::Kernel,
                start_ns: 2_000,
                end_ns: 5_500,
                stream: 0,
                iteration: 7,
            },
            Activity {
                name: "grad_gather".into(),
                kind: ActivityKind::Memcpy(CopyKind::DtoH),
                start_ns: 5_500,
                end_ns: 6_000,
                stream: 1,
                iteration: 7,
            },
        ];
        let world = WorldInfo {
            rank: 1,
            size: 2,
            local_rank: 1,
            local_size: 2,
        };
        let ctx = TraceContext {
            world,
            backend: "mpi",
            device: 0,
            device_label: "CPU compute engine",
        };
        let t = kineto_trace(&acts, &ctx);
        assert_eq!(t["distributedInfo"]["rank"], 1);
        assert_eq!(t["distributedInfo"]["world_size"], 2);
        let events = t["traceEvents"].as_array().unwrap();
        let x: Vec<&Value> = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] != "user_annotation")
            .collect();
        assert_eq!(x.len(), 2);
        assert_eq!(x[0]["ts"], 2.0);
        assert_eq!(x[0]["dur"], 3.5);
        assert_eq!(x[0]["args"]["category_paper"], "computation");
        assert_eq!(x[1]["name"], "Memcpy DtoH (grad_gather)");
        assert_eq!(x[1]["cat"], "gpu_memcpy");
        assert_eq!(
            (x[1]["tid"].clone(), x[1]["args"]["stream"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(x[1]["args"]["category_hta"], "memory");
        let step = events.iter().find(|e| e["name"] == "iteration#7").unwrap();
        assert_eq!(
            (step["ts"].clone(), step["dur"].clone()),
            (json!(2.0), json!(4.0))
        );
        assert!(step["args"].get("stream").is_none());
    }
}
