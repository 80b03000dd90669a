//! A real SIGTERM (what PBS sends at walltime) makes `xvr-worker run` checkpoint the
//! iteration it is in, say so and exit with 143; running it again resumes and finishes.

mod train_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use train_support::{checkpoint_iteration, tiny_trial, train_rows, write_trial};

#[test]
fn sigterm_checkpoints_and_the_next_run_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let total = 250;
    let mut trial = tiny_trial(total);
    trial.train.checkpoint_every = 0;
    write_trial(dir.path(), &trial);
    let worker = env!("CARGO_BIN_EXE_xvr-worker");

    let child = Command::new(worker)
        .arg("run")
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !dir.path().join("train.csv").exists() || train_rows(dir.path()).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "no training progress within 120 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: plain kill(2) on the child's pid.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped on request (SIGTERM)"), "{stderr}");
    let stopped_at = checkpoint_iteration(dir.path());
    assert!((3..total).contains(&stopped_at), "stopped at {stopped_at}");
    assert_eq!(
        train_rows(dir.path()).len() as u64,
        stopped_at,
        "train.csv ends at the checkpoint"
    );

    let output = Command::new(worker)
        .arg("run")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "resuming from {}",
            dir.path().join("checkpoint").display()
        )),
        "{stderr}"
    );
    let rows = train_rows(dir.path());
    let iters: Vec<u64> = rows.iter().map(|r| r.0.parse().unwrap()).collect();
    assert_eq!(iters, (1..=total).collect::<Vec<_>>());
    assert!(dir.path().join("summary.json").is_file());
}
