#!/bin/bash
# GPU affinity for one MPI rank on a Polaris node: CUDA_VISIBLE_DEVICES = 3 - (local rank mod 4).
# Reverse order because GPU3 sits next to CPUs 0-7 (NUMA 0), where `--cpu-bind depth`
# puts local rank 0, and so on up. Must run before the worker initialises MPI/NCCL.
#
# Usage: mpiexec ... set_affinity_gpu_polaris.sh COMMAND [ARGS...]
# Local rank: Cray PALS sets PMI_LOCAL_RANK (and PALS_LOCAL_RANKID); MPICH's Hydra sets
# MPI_LOCALRANKID; failing those, the global rank (PMI_RANK, PALS_RANKID) mod the GPUs per
# node, which is the local rank under the block placement both launchers use.
# XVR_GPUS_PER_NODE overrides the 4 GPUs of a Polaris node.
set -eu
gpus_per_node=${XVR_GPUS_PER_NODE:-4}
local_rank=${PMI_LOCAL_RANK:-${PALS_LOCAL_RANKID:-${MPI_LOCALRANKID:-}}}
if [ -z "$local_rank" ]; then
  local_rank=$(( ${PMI_RANK:-${PALS_RANKID:-0}} % gpus_per_node ))
fi
export CUDA_VISIBLE_DEVICES=$(( gpus_per_node - 1 - local_rank % gpus_per_node ))
echo "xvr affinity: rank ${PMI_RANK:-${PALS_RANKID:-0}} local rank $local_rank -> CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES" >&2
exec "$@"
