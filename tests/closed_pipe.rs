//! Output into a pipe whose reader has gone (`xvr plan big.yaml | head -1`) ends quietly:
//! no panic, exit status as without the pipe, and the work is done all the same (`submit`
//! runs its trials to the end).

mod support;

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{repo, state, trial_dirs};
use xvr::results::TrialStatus;

/// The write end of a pipe whose read end is already closed: every write fails with EPIPE.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills both descriptors; the read end is closed at once and the write
    // end handed to the child as its stdout (owned from here on).
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        Stdio::from(OwnedFd::from_raw_fd(fds[1]))
    }
}

fn xvr_into_closed_pipe(args: &[&str], results: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xvr"))
        .args(args)
        .arg("--results")
        .arg(results)
        .current_dir(repo())
        .stdout(closed_pipe())
        .output()
        .unwrap()
}

fn assert_quiet(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: {:?}\n{stderr}", out.status);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
}

#[test]
fn plan_status_and_submit_into_a_closed_pipe_end_quietly_and_finish_their_work() {
    let results = tempfile::tempdir().unwrap();
    let spec = "tests/specs/local/shared.yaml";
    let out = xvr_into_closed_pipe(&["plan", spec], results.path());
    assert_quiet("plan", &out);
    let sweep = results.path().join("shared");
    assert!(
        sweep.join("plan.csv").is_file(),
        "the plan is written all the same"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_xvr"))
        .arg("status")
        .arg(&sweep)
        .stdout(closed_pipe())
        .output()
        .unwrap();
    assert_quiet("status", &out);

    let out = xvr_into_closed_pipe(
        &["submit", spec, "--kill-grace", "1", "--max-parallel", "4"],
        results.path(),
    );
    assert_quiet("submit", &out);
    for dir in trial_dirs(&sweep) {
        assert_eq!(
            state(&dir).status,
            TrialStatus::Succeeded,
            "{}",
            dir.display()
        );
    }
}
