//! What the driver's integration tests share: the repository root, reading a sweep's
//! trial directories and states, and waiting on child processes with a deadline.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use xvr::results::{names, TrialState};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/ of the binaries under test.
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_xvr")).parent().unwrap().to_path_buf()
}

/// The `xvr` under test, with `xvr-worker` and `xvr-analysis` beside it: `xvr plan`
/// resolves the worker there. `cargo test -p xvr` builds only this package's binaries;
/// the worker and the analysis live in sibling packages, so they are built when missing
/// (`cargo test --workspace`, the README's command, builds them in the same profile).
pub fn xvr_bin() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let dir = bin_dir();
        if dir.join("xvr-worker").is_file() && dir.join("xvr-analysis").is_file() {
            return;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "-p", "xvr-worker", "-p", "xvr-analysis", "--bins"])
            .current_dir(repo())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building xvr-worker and xvr-analysis failed");
        assert!(dir.join("xvr-worker").is_file(), "xvr-worker not in {}", dir.display());
    });
    PathBuf::from(env!("CARGO_BIN_EXE_xvr"))
}

/// stdout then stderr of a finished command, for assertion messages.
pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// Trial directories of a planned sweep, in plan order.
pub fn trial_dirs(sweep_dir: &Path) -> Vec<PathBuf> {
    let mut r = csv::Reader::from_path(sweep_dir.join(names::PLAN_CSV)).unwrap();
    r.records()
        .map(|rec| sweep_dir.join(names::TRIALS_DIR).join(&rec.unwrap()[0]))
        .collect()
}

pub fn state(dir: &Path) -> TrialState {
    serde_json::from_slice(&std::fs::read(dir.join(names::STATE_JSON)).unwrap()).unwrap()
}

/// The state, or `None` while state.json is missing or being replaced.
pub fn try_state(dir: &Path) -> Option<TrialState> {
    serde_json::from_slice(&std::fs::read(dir.join(names::STATE_JSON)).ok()?).ok()
}

/// Polls `done` every 50 ms; fails the test after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for `child` to exit; fails the test after `timeout`.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < timeout, "xvr did not exit within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
