#!/usr/bin/env bash
# Installs what xvr needs beyond Rust on Debian 12 (or Ubuntu), only what is missing:
# MPICH (mpiexec, plus headers and mpicc for rsmpi), libclang (rsmpi's bindgen),
# libhdf5-dev (the worker's HDF5 input/output; its pkg-config file is how the build finds it),
# pkg-config and a C compiler. Safe to run again. Uses sudo when not root.
set -euo pipefail

if ! command -v dpkg >/dev/null 2>&1; then
    echo "setup: not a Debian-like system; install MPICH (or another MPI with mpicc), libclang, the HDF5 C library with headers and pkg-config yourself" >&2
    exit 0
fi

need=()
for pkg in mpich libmpich-dev libclang-dev libhdf5-dev pkg-config build-essential; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done

if [ ${#need[@]} -eq 0 ]; then
    echo "setup: mpich, libmpich-dev, libclang-dev, libhdf5-dev, pkg-config and build-essential are installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install: ${need[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "setup: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
