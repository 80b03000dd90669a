//! The PBS lifecycle end to end: the real `xvr` binary against the stand-in qsub / qstat /
//! qdel of tests/pbs-standin (first on PATH), which behave as docs/pbs.md
//! records PBS Pro (ids, JSON layout, exit statuses, broken JSON) and run the rendered
//! job.pbs with the stand-in worker (tests/specs/fake-worker.sh) on this machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::*;
use xvr::results::{names, TrialStatus};

const SERVER: &str = "polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov";

/// One stand-in PBS server (its state directory) and a results root.
struct Pbs {
    state: tempfile::TempDir,
    results: tempfile::TempDir,
}

impl Pbs {
    fn new() -> Pbs {
        Pbs {
            state: tempfile::tempdir().unwrap(),
            results: tempfile::tempdir().unwrap(),
        }
    }

    /// Tells the stand-in to misbehave (see tests/pbs-standin/standin.sh).
    fn set(&self, knob: &str, value: &str) {
        // Atomically: a stand-in reading a half-written knob would take it as unset.
        let tmp = self.state.path().join(format!(".{knob}.tmp"));
        std::fs::write(&tmp, value).unwrap();
        std::fs::rename(&tmp, self.state.path().join(knob)).unwrap();
    }

    fn unset(&self, knob: &str) {
        let _ = std::fs::remove_file(self.state.path().join(knob));
    }

    fn log(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.state.path().join(format!("{name}.log")))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// A stand-in job attribute by sequence number.
    fn job_attr(&self, job_id: &str, attr: &str) -> String {
        let seq = job_id.split('.').next().unwrap();
        std::fs::read_to_string(self.state.path().join("jobs").join(seq).join(attr))
            .unwrap_or_default()
    }

    fn xvr(&self, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            repo().join("tests/pbs-standin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(support::xvr_bin());
        cmd.current_dir(repo())
            .env("PATH", path)
            .env("XVR_PBS_STANDIN", self.state.path())
            .args(args);
        cmd
    }

    /// `xvr submit SPEC --scheduler pbs` polling every 0.2 s, plus `extra`.
    fn submit(&self, spec: &str, extra: &[&str]) -> Command {
        self.submit_in(self.results.path(), spec, extra)
    }

    /// The same with another results root.
    fn submit_in(&self, results: &Path, spec: &str, extra: &[&str]) -> Command {
        let mut cmd = self.xvr(&["submit", &format!("tests/pbs-standin/specs/{spec}.yaml")]);
        cmd.args(["--results", results.to_str().unwrap(), "--scheduler", "pbs"])
            .args(["--poll-interval", "0.2"])
            .args(extra);
        cmd
    }

    /// `xvr resubmit SWEEP_DIR --failed` on the stand-in.
    fn resubmit_failed(&self, sweep: &Path) -> Command {
        let mut cmd = self.xvr(&["resubmit", sweep.to_str().unwrap(), "--failed", "--scheduler", "pbs"]);
        cmd.args(["--poll-interval", "0.2"]);
        cmd
    }

    fn sweep(&self, name: &str) -> PathBuf {
        self.results.path().join(name)
    }
}

impl Drop for Pbs {
    /// Ends whatever a failed test left running: every unfinished stand-in job is marked
    /// finished (its runner then stops) and its process group killed.
    fn drop(&mut self) {
        let Ok(jobs) = std::fs::read_dir(self.state.path().join("jobs")) else {
            return;
        };
        for job in jobs.flatten() {
            let _ = std::fs::write(job.path().join("state"), "F");
            if let Ok(pgid) = std::fs::read_to_string(job.path().join("pgid")) {
                if let Ok(pgid) = pgid.trim().parse::<i32>() {
                    unsafe { libc::kill(-pgid, libc::SIGKILL) };
                }
            }
        }
    }
}

/// Waits for the one trial of `sweep` to reach `status` and returns its directory.
fn wait_status(pbs: &Pbs, sweep: &str, status: TrialStatus) -> PathBuf {
    let sweep = pbs.sweep(sweep);
    let mut dir = PathBuf::new();
    wait_for(&format!("{status:?}"), Duration::from_secs(30), || {
        if !sweep.join(names::PLAN_CSV).exists() {
            return false;
        }
        dir = trial_dirs(&sweep)[0].clone();
        try_state(&dir).is_some_and(|s| s.status == status)
    });
    dir
}

/// Milliseconds stamp of a stand-in log line.
fn stamp(line: &str) -> u64 {
    line.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn walltime_kills_are_resumed_to_success_within_the_queue_limit() {
    let pbs = Pbs::new();
    // Keys shortened as some PBS versions print them: jobs are matched by prefix.
    pbs.set("short_keys", "");
    let mut child = pbs
        .submit("resume", &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Watch the first trial's state.json through its lifecycle.
    let sweep = pbs.sweep("resume");
    let mut seen: Vec<(TrialStatus, u32)> = Vec::new();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "xvr submit hangs"
        );
        if sweep.join(names::PLAN_CSV).exists() {
            if let Some(s) = try_state(&trial_dirs(&sweep)[0]) {
                if seen.last() != Some(&(s.status, s.attempts)) {
                    seen.push((s.status, s.attempts));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    use TrialStatus::*;
    let order = [(Submitted, 1), (Running, 1), (Succeeded, 2)];
    let mut it = seen.iter();
    for step in &order {
        assert!(
            it.any(|s| s == step),
            "{step:?} missing or out of order in {seen:?}"
        );
    }
    assert!(log.contains("timed_out (exit -29"), "{log}");
    assert!(
        log.contains("resubmitting to resume from its checkpoint (2 of 3 submissions)"),
        "{log}"
    );
    assert!(log.contains("held back: queue debug has 2 job(s)"), "{log}");

    let dirs = trial_dirs(&sweep);
    for dir in &dirs {
        let s = state(dir);
        assert_eq!(
            (s.status, s.attempts, s.exit_status),
            (Succeeded, 2, Some(0)),
            "{s:?}"
        );
        assert_eq!(s.scheduler.as_deref(), Some("pbs"));
        // The whole id qsub printed, not the shortened qstat key.
        assert!(s.job_id.unwrap().ends_with(&format!(".{SERVER}")));
        let job_out = std::fs::read_to_string(dir.join(names::JOB_OUTPUT)).unwrap();
        assert!(
            job_out.contains("=>> PBS: job killed: walltime"),
            "{job_out}"
        );
        assert!(dir.join("checkpoint").is_dir() && dir.join(names::SUMMARY_JSON).is_file());
    }

    // Never more than the queue's max_jobs (2) of the sweep's jobs alive at once.
    let mut alive = 0;
    let mut most = 0;
    for line in pbs.log("events") {
        match line.split(' ').nth(1).unwrap() {
            "submit" => alive += 1,
            "end" => alive -= 1,
            _ => {}
        }
        most = most.max(alive);
    }
    assert_eq!(most, 2, "{:?}", pbs.log("events"));

    // One `qstat -x -f -F json` per poll for every job in flight, polls >= 0.2 s apart.
    let polls = pbs.log("qstat");
    assert!(
        polls.iter().all(|l| l.contains(" -x -f -F json ")),
        "{polls:?}"
    );
    assert!(
        polls.iter().any(|l| l.matches(SERVER).count() == 2),
        "{polls:?}"
    );
    for pair in polls.windows(2) {
        let gap = stamp(&pair[1]) - stamp(&pair[0]);
        assert!(gap >= 190, "polls {gap} ms apart: {pair:?}");
    }

    let status = pbs
        .xvr(&["status", sweep.to_str().unwrap()])
        .output()
        .unwrap();
    let table = text(&status);
    assert!(table.contains("3 trials: 3 succeeded"), "{table}");
    // Last loss of train.csv and PSNR of summary.json, as the fake worker wrote them.
    assert!(
        table.contains("0.2500") && table.contains("31.25"),
        "{table}"
    );
    assert!(
        table.contains("data.seed") && table.contains("elapsed/walltime"),
        "{table}"
    );
}

#[test]
fn a_rejected_qsub_shows_pbs_message_and_the_trial_stays_submittable() {
    let pbs = Pbs::new();
    pbs.set(
        "reject",
        "188\nqsub: Job violates queue and/or server resource limits\n",
    );
    let out = pbs.submit("quick", &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out)
            .contains("qsub: Job violates queue and/or server resource limits (qsub exit 188)"),
        "{}",
        text(&out)
    );
    let dir = trial_dirs(&pbs.sweep("quick"))[0].clone();
    let s = state(&dir);
    assert_eq!(
        (s.status, s.attempts, s.job_id),
        (TrialStatus::Planned, 0, None)
    );
    assert!(s.reason.unwrap().contains("Job violates queue"));

    // Fixed: the same plain submit runs it.
    let out = pbs.submit("quick", &[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let s = state(&dir);
    assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 1));
    // And again: nothing to do (idempotent).
    let again = pbs.submit("quick", &[]).output().unwrap();
    assert!(
        text(&again).contains("started 0, skipped 1"),
        "{}",
        text(&again)
    );
    assert_eq!(pbs.log("qsub").len(), 2);
}

#[test]
fn a_job_failing_on_its_own_shows_the_end_of_its_output() {
    let pbs = Pbs::new();
    let out = pbs.submit("fail", &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = trial_dirs(&pbs.sweep("fail"))[0].clone();
    let s = state(&dir);
    assert_eq!(
        (s.status, s.exit_status, s.attempts),
        (TrialStatus::Failed, Some(3), 1)
    );
    let table = text(
        &pbs.xvr(&["status", pbs.sweep("fail").to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(
        table.contains("failed with exit 3; last lines of"),
        "{table}"
    );
    assert!(
        table.contains("| fake-worker: loss diverged at iteration 7"),
        "{table}"
    );
}

#[test]
fn broken_qstat_json_is_read_and_a_failed_qstat_never_ends_a_job() {
    let pbs = Pbs::new();
    for variant in [
        "invalid-escape",
        "unquoted-number",
        "duplicate-keys",
        "unescaped-quote",
        "bash-func",
    ] {
        pbs.set("json", variant);
        let results = tempfile::tempdir().unwrap();
        let out = pbs
            .submit_in(results.path(), "quick", &[])
            .output()
            .unwrap();
        assert!(out.status.success(), "{variant}: {}", text(&out));
        let s = state(&trial_dirs(&results.path().join("quick"))[0]);
        assert_eq!(s.status, TrialStatus::Succeeded, "{variant}");
    }

    // qstat printing no JSON, nothing, or failing: the job ends meanwhile, yet the trial
    // is neither finished nor lost (even with a short --lost-after), and is recorded once
    // qstat answers again.
    pbs.set("json", "garbage");
    let mut child = pbs
        .submit("quick", &["--lost-after", "0.5"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let dir = wait_status(&pbs, "quick", TrialStatus::Submitted);
    let job = state(&dir).job_id.unwrap();
    wait_for("the job to end", Duration::from_secs(20), || {
        pbs.job_attr(&job, "state") == "F"
    });
    for variant in ["garbage", "empty", "fail"] {
        pbs.set("json", variant);
        std::thread::sleep(Duration::from_millis(800));
        assert_eq!(
            state(&dir).status,
            TrialStatus::Submitted,
            "after qstat {variant}"
        );
    }
    pbs.unset("json");
    assert!(wait_exit(&mut child, Duration::from_secs(20)).success());
    assert_eq!(state(&dir).status, TrialStatus::Succeeded);
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut log).unwrap();
    assert!(
        log.contains("poll failed (will retry): qstat report unreadable"),
        "{log}"
    );
    assert!(
        log.contains("poll failed (will retry): qstat printed no report"),
        "{log}"
    );
    assert!(log.contains("cannot connect to server"), "{log}");
}

#[test]
fn a_lost_job_is_reported_after_the_grace_period_and_resubmitted() {
    let pbs = Pbs::new();
    // PBS's known bug: qsub gives an id, then the job is gone, even from qstat -x.
    pbs.set("lose", "");
    let t0 = Instant::now();
    let out = pbs
        .submit("quick", &["--lost-after", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert!(text(&out).contains("no news of job"), "{}", text(&out));
    let dir = trial_dirs(&pbs.sweep("quick"))[0].clone();
    let s = state(&dir);
    assert_eq!(s.status, TrialStatus::Failed);
    let reason = s.reason.unwrap();
    assert!(
        reason.starts_with("lost: job 640001.") && reason.contains("missing from `qstat -x`"),
        "{reason}"
    );

    // A plain submit leaves it; `resubmit --failed` runs it again.
    let plain = pbs.submit("quick", &[]).output().unwrap();
    assert!(
        text(&plain).contains("started 0, skipped 1"),
        "{}",
        text(&plain)
    );
    let sweep = pbs.sweep("quick");
    let out = pbs.resubmit_failed(&sweep).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        (state(&dir).status, state(&dir).attempts),
        (TrialStatus::Succeeded, 2)
    );
}

/// `xvr submit` on the `long` sweep (a job that runs until stopped), once it runs: the
/// submitter, the trial directory and the job id.
fn start_long(pbs: &Pbs) -> (std::process::Child, PathBuf, String) {
    let child = pbs
        .submit("long", &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let dir = wait_status(pbs, "long", TrialStatus::Running);
    let job = state(&dir).job_id.unwrap();
    (child, dir, job)
}

#[test]
fn cancel_qdels_and_a_stopped_submitter_leaves_its_jobs_to_the_next() {
    let pbs = Pbs::new();
    let (mut first, dir, job) = start_long(&pbs);
    let sweep = pbs.sweep("long");
    let sweep = sweep.to_str().unwrap();

    // From another shell at the same time: nothing is submitted twice.
    let second = pbs.submit("long", &[]).output().unwrap();
    assert!(
        text(&second).contains("another xvr submit is running it"),
        "{}",
        text(&second)
    );
    assert_eq!(pbs.log("qsub").len(), 1);

    // Ctrl-C stops watching; the PBS job keeps running.
    unsafe { libc::kill(first.id() as i32, libc::SIGINT) };
    assert_eq!(
        wait_exit(&mut first, Duration::from_secs(10)).code(),
        Some(130)
    );
    assert_eq!(pbs.job_attr(&job, "state"), "R");
    assert_eq!(state(&dir).status, TrialStatus::Running);

    // The next submit tracks the same job instead of submitting another.
    let mut next = pbs
        .submit("long", &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let out = pbs
        .xvr(&["cancel", sweep, "--scheduler", "pbs"])
        .output()
        .unwrap();
    assert!(
        text(&out).contains("1 trial(s) cancelled"),
        "{}",
        text(&out)
    );
    assert!(pbs.log("qdel")[0].ends_with(&job), "{:?}", pbs.log("qdel"));
    assert_eq!(
        wait_exit(&mut next, Duration::from_secs(20)).code(),
        Some(1)
    );
    let mut log = String::new();
    std::io::Read::read_to_string(&mut next.stdout.take().unwrap(), &mut log).unwrap();
    assert!(
        log.contains(&format!("tracking job {job} submitted earlier")),
        "{log}"
    );
    let s = state(&dir);
    // A qdel'ed running job ends with exit status 271 ("terminated by"), as on the real
    // server: cancelled, not a walltime kill to resume.
    assert_eq!(
        (s.status, s.exit_status, s.attempts),
        (TrialStatus::Cancelled, Some(271), 1)
    );
    assert_eq!(pbs.log("qsub").len(), 1);
}

#[test]
fn a_hand_qdel_is_a_cancel_and_is_never_resubmitted() {
    let pbs = Pbs::new();
    let (mut child, dir, job) = start_long(&pbs);
    // The user's own qdel, not `xvr cancel`: state.json knows nothing of it.
    let qdel = Command::new(repo().join("tests/pbs-standin/qdel"))
        .arg(&job)
        .env("XVR_PBS_STANDIN", pbs.state.path())
        .output()
        .unwrap();
    assert!(qdel.status.success(), "{}", text(&qdel));
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(20)).code(),
        Some(1)
    );
    let s = state(&dir);
    assert_eq!(
        (s.status, s.exit_status, s.attempts),
        (TrialStatus::Cancelled, Some(271), 1)
    );
    assert!(s.reason.unwrap().contains("terminated by"));
    assert_eq!(pbs.log("qsub").len(), 1, "a qdel'ed trial is never resubmitted");
}

#[test]
fn jobs_a_batched_qstat_leaves_out_are_asked_for_and_never_lost() {
    let pbs = Pbs::new();
    // openpbs #2672: `qstat -x -f -F json ID1 ID2` prints only the first job.
    pbs.set("first_only", "");
    pbs.set("queue_delay", "1");
    let out = pbs
        .submit("resume", &["--lost-after", "0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // Each was killed at its walltime once and resumed: nothing lost, nothing run thrice.
    for dir in trial_dirs(&pbs.sweep("resume")) {
        let s = state(&dir);
        assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 2), "{s:?}");
        assert_eq!(s.history[0].status, TrialStatus::TimedOut, "{s:?}");
    }
    // Some polls were batched, and what they left out was asked for alone.
    let qstats = pbs.log("qstat");
    assert!(qstats.iter().any(|l| l.matches(".polaris").count() >= 2), "{qstats:?}");
    assert!(!text(&out).contains("no news"), "{}", text(&out));
}

#[test]
fn afterok_chains_a_stage_to_the_jobs_of_another() {
    let pbs = Pbs::new();
    pbs.set("queue_delay", "1");
    // Stage 1 in flight; stage 2 submitted to wait for it.
    let mut parent = pbs
        .submit("slow", &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let parent_dir = wait_status(&pbs, "slow", TrialStatus::Submitted);
    let parent_job = state(&parent_dir).job_id.unwrap();
    let slow = pbs.sweep("slow");
    let out = pbs
        .submit("quick", &["--after", slow.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(wait_exit(&mut parent, Duration::from_secs(20)).success());
    let qsubs = pbs.log("qsub");
    assert!(
        qsubs[1].contains(&format!("-W depend=afterok:{parent_job} ")),
        "{qsubs:?}"
    );
    let events = pbs.log("events");
    let at = |what: &str| {
        events
            .iter()
            .find(|l| l.ends_with(what))
            .map(|l| stamp(l))
            .unwrap()
    };
    assert!(at("run 640002") >= at("end 640001"), "{events:?}");

    // A parent that fails: PBS deletes the waiting child, which never ran.
    let failing = tempfile::tempdir().unwrap();
    let mut parent = pbs
        .submit_in(failing.path(), "fail", &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let fail_sweep = failing.path().join("fail");
    wait_for("the failing parent's job", Duration::from_secs(20), || {
        fail_sweep.join(names::PLAN_CSV).exists()
            && try_state(&trial_dirs(&fail_sweep)[0]).is_some_and(|s| s.job_id.is_some())
    });
    let child_root = tempfile::tempdir().unwrap();
    let out = pbs
        .submit_in(
            child_root.path(),
            "quick",
            &["--after", fail_sweep.to_str().unwrap()],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    wait_exit(&mut parent, Duration::from_secs(20));
    let s = state(&trial_dirs(&child_root.path().join("quick"))[0]);
    assert_eq!((s.status, s.exit_status), (TrialStatus::Failed, None));
    // As on the real server, PBS leaves no comment: the reason names the parent from
    // the child's `depend` attribute.
    let parent_job = state(&trial_dirs(&fail_sweep)[0]).job_id.unwrap();
    let reason = s.reason.unwrap();
    assert!(
        reason.contains("afterok") && reason.contains(&parent_job),
        "{reason}"
    );
    // Once the parent has failed, a dependency on it is refused before any qsub.
    let qsubs = pbs.log("qsub").len();
    let out = pbs
        .submit_in(
            child_root.path(),
            "slow",
            &["--after", fail_sweep.to_str().unwrap()],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("could never be met"), "{}", text(&out));
    assert_eq!(pbs.log("qsub").len(), qsubs);
}

#[test]
fn a_submission_over_the_budget_is_refused_before_any_qsub() {
    let pbs = Pbs::new();
    // resume: 3 trials x 1 node x 2 s = 0.00167 node-hours.
    let out = pbs
        .submit("resume", &["--budget", "0.001"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(
        t.contains("3 of 3 trial(s) to submit: 0.00 node-hours"),
        "{t}"
    );
    assert!(t.contains("refusing to submit: 3 trial(s) request"), "{t}");
    assert!(pbs.log("qsub").is_empty());

    // A dry run says what would go to qsub and submits nothing.
    let out = pbs.submit("resume", &["--dry-run"]).output().unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert_eq!(t.matches("would run: (cd ").count(), 3, "{t}");
    assert!(t.contains("queue debug: at most 2 job(s)"), "{t}");
    assert!(t.contains("dry run: nothing submitted"), "{t}");
    assert!(pbs.log("qsub").is_empty());
}

#[test]
fn a_walltime_resume_respects_the_budget() {
    let pbs = Pbs::new();
    // One submission is 1 node x 2 s = 0.00056 node-hours: the resume would exceed 0.0008.
    let out = pbs
        .submit("timeout", &["--budget", "0.0008"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = trial_dirs(&pbs.sweep("timeout"))[0].clone();
    let s = state(&dir);
    assert_eq!(
        (s.status, s.exit_status, s.attempts),
        (TrialStatus::TimedOut, Some(-29), 1)
    );
    let reason = s.reason.unwrap();
    assert!(
        reason.contains("would exceed the budget of 0.00"),
        "{reason}"
    );
    assert_eq!(pbs.log("qsub").len(), 1);

    // resubmit --failed takes timed-out trials too; the worker resumes from its checkpoint.
    let sweep = pbs.sweep("timeout");
    let out = pbs.resubmit_failed(&sweep).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let s = state(&dir);
    assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 2));
    let runs = std::fs::read_to_string(dir.join("fake-worker.log")).unwrap();
    assert_eq!(runs.lines().count(), 2, "{runs}");
}

#[test]
fn a_job_pbs_says_can_never_run_is_reported_and_waits() {
    let pbs = Pbs::new();
    let comment = "Can Never Run: Insufficient amount of resource: system (aurora != polaris)";
    pbs.set("never_run", comment);
    let mut child = pbs
        .submit("quick", &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let dir = wait_status(&pbs, "quick", TrialStatus::Submitted);
    wait_for(
        "PBS's comment in state.json",
        Duration::from_secs(20),
        || state(&dir).reason.is_some_and(|r| r.contains(comment)),
    );
    assert_eq!(
        state(&dir).reason.unwrap(),
        format!("PBS: queued (Q) in debug: {comment}")
    );
    // Still queued, not failed: the cause may go away (a filesystem back up).
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(state(&dir).status, TrialStatus::Submitted);
    pbs.unset("never_run");
    assert!(wait_exit(&mut child, Duration::from_secs(20)).success());
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut log).unwrap();
    assert_eq!(log.matches("the scheduler says it can never run").count(), 1, "{log}");
    assert_eq!(state(&dir).status, TrialStatus::Succeeded);
}
