//! The local scheduler with real job scripts and real child processes: `xvr submit` runs
//! the rendered job.pbs (through bash, MPICH's mpiexec and the affinity wrapper) with a
//! stand-in worker (tests/specs/fake-worker.sh) whose behaviour each trial picks.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::*;
use xvr::results::{names, TrialStatus};

fn xvr() -> Command {
    let mut cmd = Command::new(support::xvr_bin());
    cmd.current_dir(repo());
    cmd
}

fn submit_cmd(spec: &str, results: &Path, extra: &[&str]) -> Command {
    let mut cmd = xvr();
    cmd.args([
        "submit",
        spec,
        "--results",
        results.to_str().unwrap(),
        "--kill-grace",
        "1",
    ])
    .args(extra);
    cmd
}

fn worker_log(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("fake-worker.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn group_alive(job_id: &str) -> bool {
    let pgid: i32 = job_id.split('.').next().unwrap().parse().unwrap();
    unsafe { libc::kill(-pgid, 0) == 0 }
}

#[test]
fn success_failure_and_walltime_kill_are_recorded_like_pbs() {
    let results = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let out = submit_cmd(
        "tests/specs/local/outcomes.yaml",
        results.path(),
        &["--max-parallel", "2"],
    )
    .output()
    .unwrap();
    let elapsed = t0.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "some trials failed: {}",
        text(&out)
    );
    let dirs = trial_dirs(&results.path().join("outcomes"));
    let [ok, fail, slow] = [&dirs[0], &dirs[1], &dirs[2]].map(|d| state(d));

    assert_eq!(
        (ok.status, ok.exit_status, ok.attempts),
        (TrialStatus::Succeeded, Some(0), 1)
    );
    assert_eq!(
        (fail.status, fail.exit_status),
        (TrialStatus::Failed, Some(3))
    );
    assert_eq!(
        (slow.status, slow.exit_status),
        (TrialStatus::TimedOut, Some(-29))
    );
    // Walltime 3 s: killed after 3 s, well before the worker's 600 s sleep ends.
    let slow_s = slow.elapsed_s.unwrap();
    assert!((3.0..10.0).contains(&slow_s), "{slow_s}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    for s in [&ok, &fail, &slow] {
        assert_eq!(s.scheduler.as_deref(), Some("local"));
        assert!(s.started_at.is_some() && s.finished_at.is_some());
        assert!(
            !group_alive(s.job_id.as_deref().unwrap()),
            "job processes left behind"
        );
    }
    let job_out = std::fs::read_to_string(dirs[2].join(names::JOB_OUTPUT)).unwrap();
    assert!(
        job_out.contains("=>> PBS: job killed: walltime"),
        "{job_out}"
    );
    // The job saw PBS_JOBID = its id and a one-line PBS_NODEFILE, and ran through the
    // affinity wrapper (rank 0 -> GPU 3).
    let log = worker_log(&dirs[0]);
    assert_eq!(
        log,
        [format!(
            "rank=0 cuda=3 job={} nodefile=1",
            ok.job_id.unwrap()
        )]
    );
}

#[test]
fn submitting_twice_does_not_rerun_finished_trials_and_retry_reruns_failures() {
    let results = tempfile::tempdir().unwrap();
    let spec = "tests/specs/local/outcomes.yaml";
    submit_cmd(spec, results.path(), &[]).output().unwrap();
    let dirs = trial_dirs(&results.path().join("outcomes"));
    let runs = |dirs: &[PathBuf]| dirs.iter().map(|d| worker_log(d).len()).collect::<Vec<_>>();
    assert_eq!(runs(&dirs), [1, 1, 1]);

    // Again, by spec and by sweep directory: nothing runs.
    let again = submit_cmd(spec, results.path(), &[]).output().unwrap();
    assert!(
        text(&again).contains("started 0, skipped 3"),
        "{}",
        text(&again)
    );
    let sweep_dir = results.path().join("outcomes");
    let again = submit_cmd(sweep_dir.to_str().unwrap(), results.path(), &[])
        .output()
        .unwrap();
    assert!(
        text(&again).contains("started 0, skipped 3"),
        "{}",
        text(&again)
    );
    assert_eq!(runs(&dirs), [1, 1, 1]);

    // --retry reruns the failed and the timed-out trial, not the succeeded one.
    let retry = submit_cmd(spec, results.path(), &["--retry"])
        .output()
        .unwrap();
    assert!(
        text(&retry).contains("started 2, skipped 1"),
        "{}",
        text(&retry)
    );
    assert_eq!(runs(&dirs), [1, 2, 2]);
    assert_eq!(state(&dirs[1]).attempts, 2);
}

#[test]
fn two_ranks_run_under_mpiexec_with_reverse_gpu_affinity() {
    let results = tempfile::tempdir().unwrap();
    let out = submit_cmd("tests/specs/local/ranks.yaml", results.path(), &[])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let dir = &trial_dirs(&results.path().join("ranks"))[0];
    let job = state(dir).job_id.unwrap();
    let mut log = worker_log(dir);
    log.sort();
    assert_eq!(
        log,
        [
            format!("rank=0 cuda=3 job={job} nodefile=1"),
            format!("rank=1 cuda=2 job={job} nodefile=1")
        ]
    );
}

#[test]
fn concurrent_submitters_never_run_a_trial_twice() {
    let results = tempfile::tempdir().unwrap();
    let spec = "tests/specs/local/shared.yaml";
    // Plan first so both submitters start from the same files at once.
    assert!(xvr()
        .args(["plan", spec, "--results", results.path().to_str().unwrap()])
        .output()
        .unwrap()
        .status
        .success());
    let spawn = || {
        submit_cmd(spec, results.path(), &["--max-parallel", "2"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        text(&a),
        text(&b)
    );
    let dirs = trial_dirs(&results.path().join("shared"));
    for d in &dirs {
        assert_eq!(
            worker_log(d).len(),
            1,
            "{} ran {} times",
            d.display(),
            worker_log(d).len()
        );
        assert_eq!(state(d).status, TrialStatus::Succeeded);
        assert_eq!(state(d).attempts, 1);
    }
    let started = |o: &Output| {
        let t = text(o);
        let line = t
            .lines()
            .find(|l| l.starts_with("started "))
            .unwrap()
            .to_string();
        line["started ".len()..]
            .split(',')
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(started(&a) + started(&b), 4, "{}\n{}", text(&a), text(&b));
}

/// Starts `xvr submit` on the never-ending trial and waits until it runs.
fn start_long(results: &Path) -> (Child, PathBuf, String) {
    let child = submit_cmd("tests/specs/local/long.yaml", results, &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let sweep = results.join("long");
    let mut dir = PathBuf::new();
    wait_for("the trial to run", Duration::from_secs(30), || {
        if !sweep.join(names::PLAN_CSV).exists() {
            return false;
        }
        dir = trial_dirs(&sweep)[0].clone();
        dir.join(names::STATE_JSON).exists()
            && state(&dir).status == TrialStatus::Running
            && !worker_log(&dir).is_empty()
    });
    let job = state(&dir).job_id.unwrap();
    assert!(group_alive(&job));
    (child, dir, job)
}

#[test]
fn cancel_stops_a_running_trial_and_records_it() {
    let results = tempfile::tempdir().unwrap();
    let (mut submitter, dir, job) = start_long(results.path());
    let sweep = results.path().join("long");
    // A second submit while the first runs it leaves the trial alone.
    let second = submit_cmd(sweep.to_str().unwrap(), results.path(), &[])
        .output()
        .unwrap();
    assert!(
        text(&second).contains("another xvr submit is running it"),
        "{}",
        text(&second)
    );
    assert!(
        text(&second).contains("started 0, skipped 1"),
        "{}",
        text(&second)
    );
    assert_eq!(worker_log(&dir).len(), 1);
    let out = xvr()
        .args(["cancel", sweep.to_str().unwrap(), "--kill-grace", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out).contains("1 trial(s) cancelled"),
        "{}",
        text(&out)
    );
    let status = wait_exit(&mut submitter, Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "a cancelled trial is not a success");
    let s = state(&dir);
    assert_eq!(s.status, TrialStatus::Cancelled);
    assert!(s.exit_status.is_some() && s.finished_at.is_some(), "{s:?}");
    assert!(!group_alive(&job));
    let status_out = xvr()
        .args(["status", sweep.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        text(&status_out).contains("1 trials: 1 cancelled"),
        "{}",
        text(&status_out)
    );
}

#[test]
fn ctrl_c_kills_running_jobs_and_leaves_them_resumable() {
    let results = tempfile::tempdir().unwrap();
    let (mut submitter, dir, job) = start_long(results.path());
    unsafe { libc::kill(submitter.id() as i32, libc::SIGINT) };
    let status = wait_exit(&mut submitter, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130));
    assert!(!group_alive(&job));
    let s = state(&dir);
    assert_eq!((s.status, s.attempts), (TrialStatus::Planned, 1));
    assert!(s.reason.unwrap().contains("interrupted"));
    assert!(s.exit_status.is_some());
}

#[test]
fn a_trial_whose_submitter_died_is_left_alone_while_its_job_lives_and_rerun_after() {
    let results = tempfile::tempdir().unwrap();
    let (mut submitter, dir, job) = start_long(results.path());
    let sweep = results.path().join("long");
    // SIGKILL gives the submitter no chance to record anything: state stays `running`.
    submitter.kill().unwrap();
    submitter.wait().unwrap();
    assert_eq!(state(&dir).status, TrialStatus::Running);
    assert!(
        group_alive(&job),
        "the job outlives its submitter, as a PBS job would"
    );
    let again = submit_cmd(sweep.to_str().unwrap(), results.path(), &[])
        .output()
        .unwrap();
    assert!(
        text(&again).contains(&format!("running as job {job}")),
        "{}",
        text(&again)
    );
    assert_eq!(worker_log(&dir).len(), 1);

    // Once the orphaned job is gone, the next submit runs the trial again.
    let pgid: i32 = job.split('.').next().unwrap().parse().unwrap();
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    wait_for("the orphaned job to die", Duration::from_secs(10), || {
        !group_alive(&job)
    });
    let mut rerun = submit_cmd(sweep.to_str().unwrap(), results.path(), &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the rerun to start", Duration::from_secs(30), || {
        worker_log(&dir).len() == 2
    });
    let s = state(&dir);
    assert_eq!((s.status, s.attempts), (TrialStatus::Running, 2));
    unsafe { libc::kill(rerun.id() as i32, libc::SIGINT) };
    assert_eq!(
        wait_exit(&mut rerun, Duration::from_secs(20)).code(),
        Some(130)
    );
}

/// Copies a directory tree (`cp -r`).
fn copy_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp").arg("-r").arg(from).arg(to).status().unwrap();
    assert!(ok.success());
}

#[test]
fn a_copied_or_moved_sweep_runs_in_place_and_never_writes_into_the_original() {
    let results = tempfile::tempdir().unwrap();
    // Plan only, then copy the planned sweep and run the copy.
    let plan = xvr()
        .args(["plan", "tests/specs/local/quick.yaml", "--results"])
        .arg(results.path())
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan));
    let original = results.path().join("quick");
    let copy = results.path().join("copy");
    copy_tree(&original, &copy);
    let out = xvr().arg("submit").arg(&copy).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let copied_trial = trial_dirs(&copy)[0].clone();
    let original_trial = trial_dirs(&original)[0].clone();
    assert_eq!(state(&copied_trial).status, TrialStatus::Succeeded);
    assert!(copied_trial.join(names::SUMMARY_JSON).is_file());
    assert!(copied_trial.join(names::JOB_OUTPUT).is_file());
    // The original is exactly as planned: nothing ran there.
    assert_eq!(state(&original_trial).status, TrialStatus::Planned);
    for file in [names::SUMMARY_JSON, names::JOB_OUTPUT, names::TRAIN_CSV, "fake-worker.log"] {
        assert!(!original_trial.join(file).exists(), "{file} written into the original");
    }

    // Moved (the original path gone) still runs where it is.
    let moved = results.path().join("moved");
    std::fs::rename(&original, &moved).unwrap();
    let out = xvr().arg("submit").arg(&moved).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state(&trial_dirs(&moved)[0]).status, TrialStatus::Succeeded);
    assert!(!original.exists());

    // The script refuses to run anywhere but its trial's directory.
    let script = trial_dirs(&moved)[0].join(names::JOB_SCRIPT);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(&script)
        .env("PBS_O_WORKDIR", elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("is not the directory of trial"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn an_orphaned_job_still_gets_its_walltime_and_status_stops_calling_it_running() {
    let results = tempfile::tempdir().unwrap();
    let mut submitter = submit_cmd("tests/specs/local/orphan.yaml", results.path(), &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let sweep = results.path().join("orphan");
    let mut dir = PathBuf::new();
    wait_for("the trial to run", Duration::from_secs(30), || {
        if !sweep.join(names::PLAN_CSV).exists() {
            return false;
        }
        dir = trial_dirs(&sweep)[0].clone();
        try_state(&dir).is_some_and(|s| s.status == TrialStatus::Running)
            && !worker_log(&dir).is_empty()
    });
    let job = state(&dir).job_id.unwrap();
    submitter.kill().unwrap();
    submitter.wait().unwrap();
    assert_eq!(state(&dir).status, TrialStatus::Running, "nobody recorded anything");
    // Walltime 5 s, kill grace 1 s; the fake worker would sleep 600 s.
    wait_for(
        "the orphaned job to be killed at its walltime",
        Duration::from_secs(30),
        || !group_alive(&job),
    );
    let job_out = std::fs::read_to_string(dir.join(names::JOB_OUTPUT)).unwrap();
    assert!(job_out.contains("=>> PBS: job killed: walltime"), "{job_out}");

    let out = xvr().args(["status", sweep.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 trials: 1 gone"), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("job {job} is no longer running")),
        "{}",
        text(&out)
    );
}

#[test]
fn zero_jobs_in_flight_and_zero_trials_per_pack_are_refused() {
    let results = tempfile::tempdir().unwrap();
    for (flag, says) in [
        ("--max-parallel", "--max-parallel 0: expected at least 1"),
        ("--pack", "--pack 0: expected at least 1"),
    ] {
        let out = submit_cmd("tests/specs/local/shared.yaml", results.path(), &[flag, "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}: {}", text(&out));
        assert!(text(&out).contains(says), "{flag}: {}", text(&out));
        assert!(
            !results.path().join("shared/trials").exists()
                || trial_dirs(&results.path().join("shared"))
                    .iter()
                    .all(|d| worker_log(d).is_empty()),
            "{flag}: nothing may run"
        );
    }
}

#[test]
fn a_trial_with_a_checkpoint_is_reported_as_resumed() {
    let results = tempfile::tempdir().unwrap();
    let spec = "tests/specs/local/shared.yaml";
    let plan = xvr()
        .args(["plan", spec, "--results", results.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan));
    let dirs = trial_dirs(&results.path().join("shared"));
    std::fs::create_dir(dirs[1].join("checkpoint")).unwrap();
    let out = submit_cmd(spec, results.path(), &["--max-parallel", "4"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let id = dirs[1].file_name().unwrap().to_str().unwrap();
    assert!(
        text(&out).lines().any(|l| l.contains(&format!("trial {id}: started"))
            && l.contains("resuming from its checkpoint")),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("started 4, skipped 0, succeeded 4, unsuccessful 0, resumed 1"), "{}", text(&out));
}

#[test]
fn status_names_damaged_files_and_still_shows_every_other_trial() {
    let results = tempfile::tempdir().unwrap();
    let spec = "tests/specs/local/shared.yaml";
    let out = submit_cmd(spec, results.path(), &["--max-parallel", "4"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let sweep = results.path().join("shared");
    let dirs = trial_dirs(&sweep);
    std::fs::write(dirs[0].join(names::STATE_JSON), "{\"status\": \"succ").unwrap();
    let summary = std::fs::read_to_string(dirs[1].join(names::SUMMARY_JSON)).unwrap();
    std::fs::write(dirs[1].join(names::SUMMARY_JSON), &summary[..summary.len() / 2]).unwrap();
    let train = std::fs::read_to_string(dirs[2].join(names::TRAIN_CSV)).unwrap();
    std::fs::write(dirs[2].join(names::TRAIN_CSV), &train[..train.len() - 3]).unwrap();

    let out = xvr().args(["status", sweep.to_str().unwrap()]).output().unwrap();
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("4 trials: 3 succeeded, 1 unreadable"), "{shown}");
    let id = |d: &PathBuf| d.file_name().unwrap().to_str().unwrap().to_string();
    for d in &dirs {
        assert!(shown.lines().any(|l| l.starts_with(&id(d))), "{}: {shown}", id(d));
    }
    let warns = |d: &PathBuf, file: &str| {
        shown.lines().any(|l| {
            l.starts_with(&format!("warning: trial {}: ", id(d)))
                && l.contains(&d.join(file).display().to_string())
        })
    };
    assert!(warns(&dirs[0], names::STATE_JSON), "{shown}");
    assert!(warns(&dirs[1], names::SUMMARY_JSON), "{shown}");
    assert!(warns(&dirs[2], names::TRAIN_CSV), "{shown}");
    assert!(!warns(&dirs[3], names::SUMMARY_JSON), "{shown}");
}
