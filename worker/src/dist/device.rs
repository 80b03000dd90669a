//! Which accelerator a rank drives.

use super::WorldInfo;

/// The device ordinal of this rank among `visible_devices`: its local rank, wrapped. With an
/// affinity wrapper that exposes one GPU per rank (Polaris: `CUDA_VISIBLE_DEVICES` =
/// 3 − local rank) every rank sees one device and gets ordinal 0; with all of a node's GPUs
/// visible, rank k on the node gets GPU k.
pub fn local_device(world: WorldInfo, visible_devices: usize) -> usize {
    world.local_rank % visible_devices.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_node(local_rank: usize) -> WorldInfo {
        WorldInfo {
            rank: 4 + local_rank,
            size: 8,
            local_rank,
            local_size: 4,
        }
    }

    #[test]
    fn one_visible_gpu_per_rank_is_ordinal_zero() {
        assert!((0..4).all(|l| local_device(on_node(l), 1) == 0));
    }

    #[test]
    fn all_gpus_visible_map_by_local_rank() {
        assert_eq!(
            (0..4)
                .map(|l| local_device(on_node(l), 4))
                .collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!(local_device(on_node(3), 2), 1);
        assert_eq!(
            local_device(on_node(1), 0),
            0,
            "no device count: 0, the error comes later"
        );
    }
}
