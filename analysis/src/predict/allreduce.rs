//! Time of one gradient all-reduce from link figures (the α–β model: a message of n bytes
//! over a link costs α + n/β, α the latency, β the bandwidth), for the two algorithms NCCL
//! chooses between:
//!
//! - **ring** over all g ranks: 2(g−1) steps, each moving n/g bytes per rank;
//!   T = 2(g−1)·α + 2·(g−1)/g · n/β, with the slowest link of the ring (the inter-node one as
//!   soon as the ring leaves a node; the node's NICs carry all of its rings together).
//! - **tree** (hierarchical): a ring inside each node (reduce-scatter then all-gather over
//!   the k GPUs of a node, as above with the intra-node link) plus a pipelined binary tree
//!   between the N nodes for the node's data (reduce up, broadcast down):
//!   2·⌈log₂ N⌉·α + 2·n/β with the inter-node link.
//!
//! The prediction takes the faster of the two, as NCCL's tuner does.

use xvr_contract::site::{Link, Links};

/// Seconds for a ring all-reduce of `bytes` over `ranks` ranks on one kind of `link`.
pub fn ring(ranks: u32, bytes: f64, link: Link) -> f64 {
    if ranks < 2 {
        return 0.0;
    }
    let p = f64::from(ranks);
    2.0 * (p - 1.0) * alpha(link) + 2.0 * (p - 1.0) / p * bytes / beta(link)
}

/// Seconds for a pipelined binary-tree all-reduce of `bytes` over `nodes` nodes.
pub fn tree(nodes: u32, bytes: f64, link: Link) -> f64 {
    if nodes < 2 {
        return 0.0;
    }
    let depth = f64::from(nodes).log2().ceil();
    2.0 * depth * alpha(link) + 2.0 * bytes / beta(link)
}

/// The two candidate algorithms for `gpus` ranks packed `per_node` to a node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllReduce {
    /// Flat ring over every rank.
    pub ring_s: f64,
    /// Ring inside the node plus tree between nodes.
    pub tree_s: f64,
}

impl AllReduce {
    pub fn of(gpus: u32, per_node: u32, bytes: f64, links: &Links) -> Self {
        let nodes = gpus.div_ceil(per_node.max(1));
        let in_node = gpus.min(per_node.max(1));
        // A ring that leaves the node runs at the pace of the inter-node link.
        let ring_link = if nodes > 1 {
            links.inter_node
        } else {
            links.intra_node
        };
        Self {
            ring_s: ring(gpus, bytes, ring_link),
            tree_s: ring(in_node, bytes, links.intra_node) + tree(nodes, bytes, links.inter_node),
        }
    }

    /// The faster algorithm's time and name.
    pub fn best(&self) -> (f64, &'static str) {
        if self.tree_s < self.ring_s {
            (self.tree_s, "tree")
        } else {
            (self.ring_s, "ring")
        }
    }
}

fn alpha(link: Link) -> f64 {
    link.latency_us * 1e-6
}

fn beta(link: Link) -> f64 {
    link.bandwidth_gb_s * 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    const NV: Link = Link {
        bandwidth_gb_s: 100.0,
        latency_us: 1.0,
    };
    const NET: Link = Link {
        bandwidth_gb_s: 10.0,
        latency_us: 10.0,
    };

    #[test]
    fn ring_by_hand() {
        // 4 ranks, 1 GB: 6 steps of 1 µs, plus 2·3/4·1e9 / 1e11 = 15 ms.
        assert!(close(ring(4, 1e9, NV), 6e-6 + 0.015));
        assert_eq!(ring(1, 1e9, NV), 0.0);
    }

    #[test]
    fn one_node_uses_nvlink_only_and_many_nodes_pick_the_faster_algorithm() {
        let links = Links {
            intra_node: NV,
            inter_node: NET,
        };
        let one = AllReduce::of(4, 4, 1e9, &links);
        assert!(close(one.ring_s, ring(4, 1e9, NV)) && close(one.tree_s, one.ring_s));
        // 16 GPUs on 4 nodes, 1 GB. Ring: 30·10 µs + 2·15/16·1e9/1e10 = 0.3 ms + 187.5 ms.
        // Tree: intra ring 15.006 ms + 2·2·10 µs + 2·1e9/1e10 = 200.04 ms.
        let many = AllReduce::of(16, 4, 1e9, &links);
        assert!(close(many.ring_s, 300e-6 + 0.1875));
        assert!(close(many.tree_s, 0.015006 + 40e-6 + 0.2));
        assert_eq!(many.best().1, "ring");
        // Tiny messages: latency decides; the tree's log depth wins at 256 GPUs (64 nodes).
        let small = AllReduce::of(256, 4, 1e3, &links);
        assert_eq!(small.best().1, "tree");
    }
}
