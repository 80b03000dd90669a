//! Stopping a sweep keeps the training done so far: Ctrl-C on `xvr run`, `xvr cancel` and
//! a SIGTERM to a job's process group each reach the real `xvr-worker` ranks (1 rank, and
//! 2 ranks under mpiexec) through the local scheduler, which waits for them within the
//! kill grace period. With `checkpoint_every: 0` the checkpoint found afterwards can only
//! be the one the stop made; `xvr run --retry` then resumes from it, and the resumed
//! train.csv is row for row (iteration, learning rate, loss) that of an uninterrupted run.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{repo, text, trial_dirs, try_state, wait_exit, wait_for};

const SPEC: &str = "tests/specs/e2e/stop.yaml";
const ITERATIONS: u64 = 600;

fn xvr() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xvr"));
    cmd.current_dir(repo()).env("XVR_MPIEXEC_FLAVOR", "hydra");
    cmd
}

/// `cargo test -p xvr` builds only this package's binaries; the worker lives beside them.
fn ensure_worker() {
    let dir = Path::new(env!("CARGO_BIN_EXE_xvr")).parent().unwrap();
    if dir.join("xvr-worker").is_file() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "xvr-worker", "--bins"])
        .current_dir(repo())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building xvr-worker failed");
}

fn run_cmd(results: &Path, extra: &[&str]) -> Command {
    let mut cmd = xvr();
    cmd.args(["run", SPEC, "--results"])
        .arg(results)
        .args(["--kill-grace", "60", "--max-parallel", "2"])
        .args(extra);
    cmd
}

/// (iter, lr, loss) of train.csv, exactly as written.
fn train_rows(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("train.csv")).unwrap_or_default();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
        .collect()
}

fn checkpoint_iteration(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("checkpoint/state.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["iteration"].as_u64()
}

fn job_outputs(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| std::fs::read_to_string(d.join("job.out")).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n----\n")
}

/// Starts `xvr run` and waits until every trial has trained a few iterations.
fn start(results: &Path) -> (Child, Vec<PathBuf>) {
    let child = run_cmd(results, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sweep = results.join("stop");
    let mut dirs = Vec::new();
    wait_for("both trials to train", Duration::from_secs(240), || {
        if dirs.is_empty() && sweep.join("plan.csv").exists() {
            dirs = trial_dirs(&sweep);
        }
        !dirs.is_empty() && dirs.iter().all(|d| train_rows(d).len() >= 3)
    });
    (child, dirs)
}

/// After the stop: each trial has the checkpoint the stop wrote, mid-run, and train.csv
/// ends at it; `xvr run --retry` then finishes with the reference rows.
fn check_resumes(results: &Path, dirs: &[PathBuf], reference: &[Vec<String>], how: &str) {
    for dir in dirs {
        let at = checkpoint_iteration(dir).unwrap_or_else(|| {
            panic!(
                "{how}: no checkpoint in {}\njob output:\n{}",
                dir.display(),
                job_outputs(dirs)
            )
        });
        assert!((3..ITERATIONS).contains(&at), "{how}: checkpoint at {at}");
    }
    let out = run_cmd(results, &["--retry"]).output().unwrap();
    assert!(
        out.status.success(),
        "{how}: resume failed\n{}\njob output:\n{}",
        text(&out),
        job_outputs(dirs)
    );
    for (dir, expected) in dirs.iter().zip(reference) {
        let log = std::fs::read_to_string(dir.join("job.out")).unwrap();
        assert!(log.contains("resuming from"), "{how}: {log}");
        assert_eq!(&train_rows(dir), expected, "{how}: {}", dir.display());
    }
}

#[test]
fn ctrl_c_cancel_and_sigterm_to_the_job_keep_a_checkpoint_that_resumes_exactly() {
    ensure_worker();
    let reference_root = tempfile::tempdir().unwrap();
    let out = run_cmd(reference_root.path(), &[]).output().unwrap();
    let ref_dirs = trial_dirs(&reference_root.path().join("stop"));
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out),
        job_outputs(&ref_dirs)
    );
    let reference: Vec<Vec<String>> = ref_dirs.iter().map(|d| train_rows(d)).collect();
    for rows in &reference {
        assert_eq!(rows.len() as u64, ITERATIONS);
    }

    // Ctrl-C (SIGINT) on xvr run.
    let results = tempfile::tempdir().unwrap();
    let (mut child, dirs) = start(results.path());
    // SAFETY: plain kill(2) on our child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(120)).code(),
        Some(130)
    );
    check_resumes(results.path(), &dirs, &reference, "Ctrl-C");

    // xvr cancel from another process.
    let results = tempfile::tempdir().unwrap();
    let (mut child, dirs) = start(results.path());
    let sweep = results.path().join("stop");
    let out = xvr()
        .args(["cancel", sweep.to_str().unwrap(), "--kill-grace", "60"])
        .output()
        .unwrap();
    assert!(
        text(&out).contains("2 trial(s) cancelled"),
        "{}",
        text(&out)
    );
    wait_exit(&mut child, Duration::from_secs(120));
    check_resumes(results.path(), &dirs, &reference, "xvr cancel");

    // SIGTERM to each job's process group (what a walltime kill or `kill -TERM -<pgid>`
    // does), while xvr run watches.
    let results = tempfile::tempdir().unwrap();
    let (mut child, dirs) = start(results.path());
    for dir in &dirs {
        let job = try_state(dir)
            .and_then(|s| s.job_id)
            .expect("a running job id");
        let pgid: libc::pid_t = job.split('.').next().unwrap().parse().unwrap();
        // SAFETY: plain kill(2) on a process group this test's xvr started.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
    }
    wait_exit(&mut child, Duration::from_secs(120));
    check_resumes(results.path(), &dirs, &reference, "SIGTERM to the job");
}
