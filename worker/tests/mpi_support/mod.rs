//! Running `xvr-mpi-selftest` with and without `mpiexec` from the integration tests.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Launcher variables cleared for runs that must look launcher-free.
pub const LAUNCHER_VARS: &[&str] = &[
    "PMI_SIZE",
    "PMI_RANK",
    "PMIX_SIZE",
    "PMIX_RANK",
    "MPI_LOCALNRANKS",
    "MPI_LOCALRANKID",
    "PMI_LOCAL_SIZE",
    "PALS_LOCAL_SIZE",
    "PALS_RANKID",
    "OMPI_COMM_WORLD_SIZE",
    "OMPI_COMM_WORLD_RANK",
    "OMPI_COMM_WORLD_LOCAL_SIZE",
];

/// `mpiexec` on PATH, or `None` after saying that `test` is skipped.
pub fn mpiexec_or_skip(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("mpiexec"))
            .find(|c| c.is_file())
    });
    if found.is_none() {
        eprintln!("SKIPPED {test}: no mpiexec on PATH (install MPICH: scripts/setup.sh)");
    }
    found
}

pub fn selftest() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xvr-mpi-selftest"));
    for v in LAUNCHER_VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// `mpiexec -n <ranks> xvr-mpi-selftest <args>`, killed by Hydra after 120 s if it hangs.
pub fn under_mpiexec(mpiexec: &PathBuf, ranks: usize, args: &[&str]) -> Output {
    Command::new(mpiexec)
        .env("MPIEXEC_TIMEOUT", "120")
        .args([
            "-n",
            &ranks.to_string(),
            env!("CARGO_BIN_EXE_xvr-mpi-selftest"),
        ])
        .args(args)
        .output()
        .expect("mpiexec starts")
}

/// Panics with both streams unless `out` succeeded.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
