//! Collectives and job joining under a real `mpiexec -n 2` (MPICH Hydra here), and the
//! refusals when the job is not the one the trial asks for.

mod mpi_support;

use mpi_support::{assert_ok, mpiexec_or_skip, selftest, under_mpiexec};
use serde_json::Value;

fn rank_lines(stdout: &[u8]) -> Vec<Value> {
    let mut lines: Vec<Value> = String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    lines.sort_by_key(|v| v["rank"].as_u64());
    lines
}

#[test]
fn two_ranks_sum_mean_broadcast_barrier_gather() {
    let Some(mpiexec) = mpiexec_or_skip("two_ranks_sum_mean_broadcast_barrier_gather") else {
        return;
    };
    let out = under_mpiexec(&mpiexec, 2, &["--expect", "2", "check"]);
    assert_ok(&out);
    let ranks = rank_lines(&out.stdout);
    assert_eq!(ranks.len(), 2, "one line per rank");
    for (r, v) in ranks.iter().enumerate() {
        assert_eq!(v["rank"], r as u64);
        assert_eq!(v["size"], 2);
        // One node: the shared-memory split holds both ranks.
        assert_eq!(
            (v["local_rank"].clone(), v["local_size"].clone()),
            (Value::from(r), Value::from(2))
        );
        assert_eq!(v["backend"], "mpi");
        assert_eq!(v["failures"], Value::Array(vec![]), "{v}");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let threads = v["threads"].as_u64().unwrap();
        assert!(
            threads >= 1 && 2 * threads <= cores.max(2),
            "{threads} threads × 2 ranks on {cores} cores"
        );
    }
}

#[test]
fn world_size_other_than_the_trials_is_refused() {
    let Some(mpiexec) = mpiexec_or_skip("world_size_other_than_the_trials_is_refused") else {
        return;
    };
    let out = under_mpiexec(&mpiexec, 2, &["--expect", "3", "check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("asks for 3 ranks") && err.contains("MPI_COMM_WORLD has 2"),
        "{err}"
    );
}

#[test]
fn launcher_claiming_more_processes_than_mpi_sees_is_refused() {
    // What an Open MPI `mpirun -n 2` does to an MPICH binary: its variables say 2, MPI says 1.
    for expect in ["1", "2"] {
        let out = selftest()
            .env("OMPI_COMM_WORLD_SIZE", "2")
            .args(["--expect", expect, "check"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("OMPI_COMM_WORLD_SIZE=2") && err.contains("different MPI"),
            "{err}"
        );
    }
}

#[test]
fn without_a_launcher_one_rank_runs_without_mpi() {
    let out = selftest().args(["check"]).output().unwrap();
    assert_ok(&out);
    let ranks = rank_lines(&out.stdout);
    assert_eq!(ranks.len(), 1);
    assert_eq!(
        (ranks[0]["size"].clone(), ranks[0]["backend"].clone()),
        (Value::from(1), Value::from("none"))
    );
}

#[test]
fn without_a_launcher_two_ranks_are_refused_with_the_command_to_use() {
    let out = selftest()
        .args(["--expect", "2", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mpiexec -n 2"), "{err}");
}
