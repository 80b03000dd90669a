//! The facts about the site a sweep was planned for that the analysis needs without reading
//! the site profile (`pbs/<site>.yaml`, which is the driver's): `site.json` in
//! `results/<sweep>/`, written by `xvr plan` and read by `xvr-analysis predict`.

use serde::{Deserialize, Serialize};

/// What `site.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFacts {
    /// Site name, as the profile names it (shown in messages).
    pub name: String,
    /// GPUs (= ranks) per node; a trial's nodes = ceil(gpus / gpus_per_node).
    pub gpus_per_node: u32,
    /// The profile's link figures; absent when the profile has none.
    #[serde(default)]
    pub links: Option<Links>,
}

/// Bandwidth and latency of the links a gradient all-reduce crosses: between the GPUs of
/// one node and between nodes (the α–β model of `xvr-analysis predict`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    pub intra_node: Link,
    pub inter_node: Link,
}

/// One kind of link: bandwidth per direction in GB/s (10⁹ bytes per second; between
/// nodes, the whole node's) and latency per message in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub bandwidth_gb_s: f64,
    pub latency_us: f64,
}
