//! Packing one-node trials into one PBS job (`xvr submit --pack N`), against the PBS
//! stand-in of tests/pbs-standin: the rendered pack script matches tests/golden/pack.pbs,
//! and each packed trial runs on its own node and is judged by its own exit status.

use std::path::PathBuf;
use std::process::Command;

mod support;

use support::*;
use xvr::results::TrialStatus;

#[test]
fn packed_trials_share_a_job_and_keep_their_own_outcomes() {
    let server = tempfile::tempdir().unwrap();
    let results = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        repo().join("tests/pbs-standin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(support::xvr_bin())
        .current_dir(repo())
        .env("PATH", path)
        .env("XVR_PBS_STANDIN", server.path())
        .args([
            "submit",
            "tests/pbs-standin/specs/pack.yaml",
            "--scheduler",
            "pbs",
        ])
        .args(["--results", results.path().to_str().unwrap()])
        .args(["--poll-interval", "0.2", "--pack", "2"])
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "one trial fails: {log}");
    let sweep = results.path().join("pack");
    let dirs = trial_dirs(&sweep);
    let [ok, failed, single] = [&dirs[0], &dirs[1], &dirs[2]].map(|d| state(d));
    assert_eq!(
        (ok.status, ok.exit_status),
        (TrialStatus::Succeeded, Some(0))
    );
    assert_eq!(
        (failed.status, failed.exit_status),
        (TrialStatus::Failed, Some(3))
    );
    assert_eq!(
        (single.status, single.exit_status),
        (TrialStatus::Succeeded, Some(0))
    );
    assert_eq!(ok.job_id, failed.job_id, "the first two share one job");
    assert_ne!(ok.job_id, single.job_id);
    // Two qsubs: the pack (2 nodes) and the third trial alone (1 node).
    let qsubs = std::fs::read_to_string(server.path().join("qsub.log")).unwrap();
    assert_eq!(qsubs.lines().count(), 2, "{qsubs}");
    let seq = ok
        .job_id
        .as_deref()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let select =
        std::fs::read_to_string(server.path().join("jobs").join(&seq).join("select")).unwrap();
    assert_eq!(select, "2:system=polaris");
    // PBS records the pack's status as the failing member's.
    let pack_exit =
        std::fs::read_to_string(server.path().join("jobs").join(&seq).join("exit_status")).unwrap();
    assert_eq!(pack_exit, "3");
    // Each packed trial saw a PBS_NODEFILE of one node.
    for d in &dirs[..2] {
        let worker = std::fs::read_to_string(d.join("fake-worker.log")).unwrap();
        assert!(worker.ends_with("nodefile=1\n"), "{worker}");
    }

    // The pack script, with machine paths and trial ids as placeholders.
    let id = |d: &PathBuf| d.file_name().unwrap().to_str().unwrap().to_string();
    let script = std::fs::read_to_string(
        sweep
            .join("packs")
            .join(format!("pk-{}", id(&dirs[0])))
            .join("pack.pbs"),
    )
    .unwrap();
    let root = std::fs::canonicalize(repo()).unwrap();
    let generic = script
        .replace(results.path().to_str().unwrap(), "<RESULTS>")
        .replace(root.to_str().unwrap(), "<REPO>")
        .replace(&id(&dirs[0]), "<ID1>")
        .replace(&id(&dirs[1]), "<ID2>");
    let golden = repo().join("tests/golden/pack.pbs");
    if std::env::var_os("XVR_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &generic).unwrap();
    }
    assert_eq!(generic, std::fs::read_to_string(&golden).unwrap());
}
