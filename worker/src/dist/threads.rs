//! Compute threads per rank on CPU runs: ranks sharing a node must not oversubscribe it.

use super::WorldInfo;

/// Compute threads this rank should use.
///
/// `threads_per_rank` > 0 (trial `resources.threads_per_rank`) wins. Otherwise: when the
/// launcher already pinned this process to a subset of the node's CPUs (e.g. Polaris's
/// `--cpu-bind depth --depth=8`), that subset is this rank's share; when it did not (Hydra's
/// default), the node's CPUs are split evenly over the ranks on the node. Never less than 1.
pub fn compute_threads(world: WorldInfo, threads_per_rank: usize) -> usize {
    threads_for(
        threads_per_rank,
        affinity_cpus(),
        node_cpus(),
        world.local_size,
    )
}

/// [`compute_threads`] on explicit inputs.
pub fn threads_for(
    threads_per_rank: usize,
    affinity_cpus: usize,
    node_cpus: usize,
    local_size: usize,
) -> usize {
    if threads_per_rank > 0 {
        return threads_per_rank;
    }
    let node_cpus = node_cpus.max(1);
    if affinity_cpus > 0 && affinity_cpus < node_cpus {
        return affinity_cpus;
    }
    (node_cpus / local_size.max(1)).max(1)
}

/// CPUs online on this node.
fn node_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1)
}

/// CPUs this process may run on (0 when the mask cannot be read).
fn affinity_cpus() -> usize {
    // SAFETY: `set` is a valid, zeroed cpu_set_t of the size passed; pid 0 = this process.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return 0;
        }
        libc::CPU_COUNT(&set) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_setting_wins() {
        assert_eq!(threads_for(3, 64, 64, 4), 3);
    }

    #[test]
    fn unpinned_ranks_split_the_node() {
        assert_eq!(threads_for(0, 2, 2, 2), 1);
        assert_eq!(threads_for(0, 64, 64, 4), 16);
        assert_eq!(threads_for(0, 2, 2, 1), 2);
        assert_eq!(threads_for(0, 2, 2, 3), 1, "never below one");
    }

    #[test]
    fn launcher_pinning_is_the_share() {
        assert_eq!(threads_for(0, 8, 64, 4), 8);
    }

    #[test]
    fn this_process_gets_at_least_one() {
        assert!(compute_threads(WorldInfo::SOLO, 0) >= 1);
    }
}
