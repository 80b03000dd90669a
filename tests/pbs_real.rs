//! The PBS adapter against a real OpenPBS server: the testbed of the project's shared
//! folder (`testbed.sh up` starts a one-node server configured like Polaris in a network
//! namespace of its own, with an unprivileged test user). Every `xvr` here runs as that
//! user, inside the namespace, in a directory it owns, and talks to the real qsub, qstat
//! and qdel. What the server does is recorded in docs/pbs.md.
//!
//! Where the testbed script is not found (a clone without the shared folder), or the
//! server is not up, each test prints one line and passes; `XVR_REQUIRE_TESTBED=1` (set by
//! `.ci/run`, which brings the server up) turns that into a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use xvr::results::{names, TrialState, TrialStatus};

mod support;

use support::*;

/// The server has one node: the tests take turns.
static SERVER: Mutex<()> = Mutex::new(());

/// The test site: Polaris's profile with the testbed's queues and a worker stand-in
/// (tests/specs/fake-worker.sh, whose behaviour the trial's seed picks). The node is
/// shared, so each chunk states what the trial uses.
const SITE: &str = "\
name: testbed
gpus_per_node: 4
system: polaris
place: scatter
filesystems: home:eagle
depth: 1
worker: ../../fake-worker.sh
affinity_wrapper: set_affinity_gpu_polaris.sh
modules: {enabled: true, load: [cudatoolkit-standalone/12.9.1]}
nccl: {enabled: true, env: {NCCL_NET: AWS Libfabric}}
chunk_resources: [mpiprocs, ncpus, ngpus]
queues:
  - name: tiny
    limits:
      - {nodes: [1, 2], walltime: ['00:00:01', '01:00:00']}
";

/// One sweep spec for the test site: `n` trials of the fake worker with `seed`.
fn fake_spec(name: &str, seed: u32, n: usize, walltime: &str) -> String {
    let seeds: Vec<String> = (0..n).map(|k| k.to_string()).collect();
    format!(
        "name: {name}\nsite: testbed\naccount: TESTPROJ\nbase:\n  train: {{seed: {seed}}}\n  resources: {{gpus: 1, walltime: \"{walltime}\"}}\nsweep:\n  grid:\n    data.seed: [{}]\n",
        seeds.join(", ")
    )
}

/// The testbed's control script: `$XVR_PBS_TESTBED`, else `shared/testbed/openpbs/` in the
/// directory that holds the repository (where the project's workplace keeps it).
fn testbed_script() -> Option<PathBuf> {
    let path = std::env::var_os("XVR_PBS_TESTBED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("..").join("shared/testbed/openpbs/testbed.sh"));
    path.is_file().then_some(path)
}

/// A directory of the test user's, with xvr, the fake worker and the test site in it.
struct Testbed {
    script: PathBuf,
    dir: PathBuf,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Testbed {
    /// `None` (after saying why) when no server can be used here.
    fn open(test: &str) -> Option<Testbed> {
        let turn = SERVER.lock().unwrap_or_else(|e| e.into_inner());
        let required = std::env::var_os("XVR_REQUIRE_TESTBED").is_some_and(|v| v == "1");
        let skip = |why: String| {
            assert!(!required, "{test}: XVR_REQUIRE_TESTBED=1 but {why}");
            eprintln!("{test}: skipped: {why}");
            None
        };
        let Some(script) = testbed_script() else {
            return skip("no OpenPBS testbed here (set XVR_PBS_TESTBED to its testbed.sh)".into());
        };
        let up = Command::new(&script)
            .args(["root", "qstat", "-Q", "tiny"])
            .output();
        if !up.as_ref().is_ok_and(|o| o.status.success()) {
            return skip(format!(
                "the testbed server is not up (sudo {} up)",
                script.display()
            ));
        }
        let home = user_home();
        let dir = home
            .join("xvr-tests")
            .join(format!("{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        copy_exec(&xvr_bin(), &dir.join("xvr"));
        copy_exec(&repo().join("tests/specs/fake-worker.sh"), &dir.join("fake-worker.sh"));
        std::fs::create_dir_all(dir.join("specs/pbs")).unwrap();
        std::fs::write(dir.join("specs/pbs/testbed.yaml"), SITE).unwrap();
        copy_exec(
            &repo().join("pbs/set_affinity_gpu_polaris.sh"),
            &dir.join("specs/pbs/set_affinity_gpu_polaris.sh"),
        );
        let tb = Testbed {
            script,
            dir,
            _turn: turn,
        };
        tb.chown();
        Some(tb)
    }

    /// Gives the directory to the test user.
    fn chown(&self) {
        let user = std::env::var("XVR_PBS_USER").unwrap_or_else(|_| "xvruser".into());
        let ok = Command::new("chown")
            .args(["-R", &format!("{user}:{user}")])
            .arg(self.dir.parent().unwrap())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    fn write_spec(&self, name: &str, text: &str) -> String {
        std::fs::write(self.dir.join(format!("specs/{name}.yaml")), text).unwrap();
        self.chown();
        format!("specs/{name}.yaml")
    }

    /// A shell command line run as the test user in this directory, inside the namespace.
    fn user(&self, line: &str) -> Command {
        let mut cmd = Command::new(&self.script);
        cmd.arg("user")
            .arg(format!("cd {} && {line}", self.dir.display()));
        cmd
    }

    /// `./xvr ARGS` as the test user, polling every 2 s.
    fn xvr(&self, args: &str) -> Output {
        self.user(&format!("./xvr {args}")).output().unwrap()
    }

    fn submit_args(spec: &str, extra: &str) -> String {
        format!("submit {spec} --scheduler pbs --poll-interval 2 {extra}")
    }

    fn sweep(&self, name: &str) -> PathBuf {
        self.dir.join("results").join(name)
    }

    /// `qstat -x -f -F json ID` as root: the server's own record of a job.
    fn qstat(&self, id: &str) -> serde_json::Value {
        let out = Command::new(&self.script)
            .args(["root", "qstat", "-x", "-f", "-F", "json", id])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["Jobs"].as_object().unwrap().values().next().unwrap().clone()
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        // Nothing of a test may outlive it on the one node.
        let _ = Command::new(&self.script)
            .args(["root", "sh", "-c", "qselect -s QHRW | xargs -r qdel -W force"])
            .output();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn user_home() -> PathBuf {
    let user = std::env::var("XVR_PBS_USER").unwrap_or_else(|_| "xvruser".into());
    let out = Command::new("getent").args(["passwd", &user]).output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    PathBuf::from(line.trim().split(':').nth(5).expect("the test user has a home"))
}

/// A PBS time attribute (`Wed Dec  2 00:50:01 2026`).
fn pbs_time(value: &serde_json::Value) -> chrono::NaiveDateTime {
    let text = value.as_str().unwrap_or_else(|| panic!("not a PBS time: {value}"));
    let words: Vec<&str> = text.split_whitespace().collect();
    chrono::NaiveDateTime::parse_from_str(&words.join(" "), "%a %b %d %H:%M:%S %Y")
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn copy_exec(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

fn only_trial(sweep: &Path) -> PathBuf {
    trial_dirs(sweep).remove(0)
}

/// Waits until the only trial of `sweep` has a job id (the submitter recorded its qsub).
fn wait_job_id(sweep: &Path) -> String {
    wait_for("the trial's job id", Duration::from_secs(60), || {
        sweep.join(names::PLAN_CSV).exists()
            && try_state(&only_trial(sweep)).is_some_and(|s| s.job_id.is_some())
    });
    state(&only_trial(sweep)).job_id.unwrap()
}

fn wait_state(dir: &Path, timeout: Duration, what: impl Fn(&TrialState) -> bool) -> TrialState {
    let start = Instant::now();
    loop {
        if let Some(s) = try_state(dir).filter(|s| what(s)) {
            return s;
        }
        assert!(start.elapsed() < timeout, "timed out waiting on {}", dir.display());
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn two_jobs_in_flight_at_once_both_succeed_and_none_is_lost() {
    let Some(tb) = Testbed::open("two_in_flight") else { return };
    let spec = tb.write_spec("two", &fake_spec("two", 5, 2, "00:05:00"));
    // Lost at the first absence: a job the batched qstat left out would fail at once.
    let out = tb.xvr(&Testbed::submit_args(&spec, "--lost-after 0"));
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(!log.contains("lost"), "{log}");
    let dirs = trial_dirs(&tb.sweep("two"));
    let runs: Vec<TrialState> = dirs.iter().map(|d| state(d)).collect();
    for s in &runs {
        assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 1), "{s:?}\n{log}");
    }
    // Both were in flight at once: the second started before the first ended.
    let first = tb.qstat(runs[0].job_id.as_deref().unwrap());
    let second = tb.qstat(runs[1].job_id.as_deref().unwrap());
    let (started2, ended1) = (pbs_time(&second["stime"]), pbs_time(&first["obittime"]));
    assert!(started2 < ended1, "second job started at {started2}, first ended at {ended1}");
    // The job's chunk states what the trial uses (a shared node accounts 1 rank as 1).
    let select = first["Resource_List"]["select"].as_str().unwrap().to_string();
    assert_eq!(select, "1:system=polaris:mpiprocs=1:ncpus=1:ngpus=1");
}

#[test]
fn a_walltime_kill_is_resumed_from_the_checkpoint_to_success() {
    let Some(tb) = Testbed::open("walltime") else { return };
    let spec = tb.write_spec("wall", &fake_spec("wall", 4, 1, "00:00:05"));
    let out = tb.xvr(&Testbed::submit_args(&spec, ""));
    assert!(out.status.success(), "{}", text(&out));
    let dir = only_trial(&tb.sweep("wall"));
    let s = state(&dir);
    assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 2), "{}", text(&out));
    // The first attempt: PBS's walltime kill, with its exit status and comment.
    let first = &s.history[0];
    assert_eq!((first.status, first.exit_status), (TrialStatus::TimedOut, Some(-29)));
    assert!(
        first.reason.as_deref().unwrap().contains("exceeded resource walltime"),
        "{first:?}"
    );
    let killed = tb.qstat(first.job_id.as_deref().unwrap());
    assert_eq!(killed["substate"].as_i64(), Some(93));
    let out_file = std::fs::read_to_string(dir.join(names::JOB_OUTPUT)).unwrap();
    assert!(out_file.contains("PBS: job killed: walltime"), "{out_file}");
}

#[test]
fn a_hand_qdel_is_recorded_cancelled_and_never_resubmitted() {
    let Some(tb) = Testbed::open("qdel") else { return };
    let spec = tb.write_spec("hold", &fake_spec("hold", 2, 1, "00:10:00"));
    let mut child = tb
        .user(&format!("./xvr {}", Testbed::submit_args(&spec, "")))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let dir_of = || tb.sweep("hold").join(names::PLAN_CSV).exists().then(|| only_trial(&tb.sweep("hold")));
    wait_for("the trial's directory", Duration::from_secs(60), || dir_of().is_some());
    let dir = dir_of().unwrap();
    let s = wait_state(&dir, Duration::from_secs(90), |s| s.status == TrialStatus::Running);
    let job = s.job_id.unwrap();
    let qdel = tb.user(&format!("qdel {job}")).output().unwrap();
    assert!(qdel.status.success(), "{}", text(&qdel));
    let status = wait_exit(&mut child, Duration::from_secs(120));
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1), "{}", text(&out));
    let s = state(&dir);
    // The real server records 271 (256 + SIGTERM: the MoM killed the job) — or, observed on
    // 2026-12-02 in one run of three, 143 when the job shell, handed qdel's SIGTERM, exits
    // first. Either way the comment says "terminated by", which is what makes it a cancel.
    assert_eq!((s.status, s.attempts), (TrialStatus::Cancelled, 1));
    assert!(matches!(s.exit_status, Some(271) | Some(143)), "{s:?}");
    assert!(s.reason.as_deref().unwrap().contains("terminated by"), "{s:?}");
    // And a later plain submit leaves it alone.
    let again = tb.xvr(&Testbed::submit_args(&spec, ""));
    assert!(text(&again).contains("started 0"), "{}", text(&again));
    assert_eq!(state(&dir).attempts, 1);
}

#[test]
fn an_afterok_child_of_a_failing_parent_names_the_parent() {
    let Some(tb) = Testbed::open("afterok") else { return };
    let parent_spec = tb.write_spec("parent", &fake_spec("parent", 6, 1, "00:05:00"));
    let child_spec = tb.write_spec("child", &fake_spec("child", 0, 1, "00:05:00"));
    let mut parent = tb
        .user(&format!("./xvr {}", Testbed::submit_args(&parent_spec, "")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sweep = tb.sweep("parent");
    let parent_job = wait_job_id(&sweep);
    let out = tb.xvr(&Testbed::submit_args(&child_spec, "--after results/parent"));
    wait_exit(&mut parent, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let s = state(&only_trial(&tb.sweep("child")));
    assert_eq!((s.status, s.exit_status), (TrialStatus::Failed, None));
    let reason = s.reason.unwrap();
    let seq = parent_job.split('.').next().unwrap();
    assert!(reason.contains("afterok") && reason.contains(seq), "{reason}");
}

#[test]
fn a_rejected_qsub_leaves_the_trial_planned_with_pbs_message() {
    let Some(tb) = Testbed::open("rejected") else { return };
    // The profile allows an hour in `tiny`; the server allows 30 minutes.
    let spec = tb.write_spec("long", &fake_spec("long", 0, 1, "00:45:00"));
    let out = tb.xvr(&Testbed::submit_args(&spec, ""));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = only_trial(&tb.sweep("long"));
    let s = state(&dir);
    assert_eq!(s.status, TrialStatus::Planned);
    let reason = s.reason.unwrap();
    assert!(reason.contains("qsub exit 188"), "{reason}");
    // An unknown queue: PBS's exit 170.
    let out = tb.xvr("submit results/long --scheduler pbs --poll-interval 2 --queue nosuch");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let reason = state(&dir).reason.unwrap();
    assert!(reason.contains("qsub exit 170"), "{reason}");
    // No project anywhere: refused before qsub.
    let no_account = tb.write_spec("noacct", &fake_spec("long", 0, 1, "00:05:00").replace("account: TESTPROJ\n", "").replace("name: long", "name: noacct"));
    let out = tb.xvr(&Testbed::submit_args(&no_account, ""));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--account"), "{}", text(&out));
    assert!(state(&only_trial(&tb.sweep("noacct"))).job_id.is_none());
}

#[test]
fn a_killed_driver_rerun_adopts_its_job_without_a_second_submission() {
    let Some(tb) = Testbed::open("adopt") else { return };
    let spec = tb.write_spec("adopt", &fake_spec("adopt", 5, 1, "00:05:00"));
    let pid_file = tb.dir.join("xvr.pid");
    let mut first = tb
        .user(&format!(
            "echo $$ > xvr.pid && exec ./xvr {}",
            Testbed::submit_args(&spec, "")
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sweep = tb.sweep("adopt");
    let job = wait_job_id(&sweep);
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_exit(&mut first, Duration::from_secs(30));
    let out = tb.xvr(&Testbed::submit_args(&spec, ""));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("tracking job {job}")), "{}", text(&out));
    let s = state(&only_trial(&sweep));
    assert_eq!((s.status, s.attempts, s.job_id), (TrialStatus::Succeeded, 1, Some(job)));
}

#[test]
fn the_shipped_polaris_profile_runs_the_real_worker_unchanged() {
    let Some(tb) = Testbed::open("polaris") else { return };
    // The shipped profile as it is, beside the spec (pbs/polaris.yaml); the testbed has
    // Polaris's queue names and the `filesystems` resource.
    std::fs::create_dir_all(tb.dir.join("specs/pbs")).unwrap();
    copy_exec(&repo().join("pbs/polaris.yaml"), &tb.dir.join("specs/pbs/polaris.yaml"));
    copy_exec(&bin_dir().join("xvr-worker"), &tb.dir.join("xvr-worker"));
    let spec = tb.write_spec(
        "tiny",
        "name: tiny\nbase:\n  model: {lr_frames: 3, window: 2, heads: 1, channels: 8, depths: [1], recon_channels: 8}\n  data:\n    crop_lr: 8\n    synthetic: {videos: 2, frames: 12, height: 32, width: 32}\n    val_videos: 1\n    val_frames: 2\n  train: {total_samples: 4, batch_per_gpu: 1, warmup: 1, val_every: 0}\n  profile: {warmup: 1, iterations: 1}\n  resources: {gpus: 1, walltime: \"00:10:00\"}\nsweep:\n  grid:\n    data.seed: [0]\n",
    );
    let out = tb.xvr(&format!("{} --account TESTPROJ", Testbed::submit_args(&spec, "")));
    assert!(tb.sweep("tiny").join(names::PLAN_CSV).is_file(), "{}", text(&out));
    let dir = only_trial(&tb.sweep("tiny"));
    let job_out = std::fs::read_to_string(dir.join(names::JOB_OUTPUT)).unwrap_or_default();
    assert!(out.status.success(), "{}\njob.out:\n{job_out}", text(&out));
    assert_eq!(state(&dir).status, TrialStatus::Succeeded);
    assert!(dir.join(names::SUMMARY_JSON).is_file());
    let script = std::fs::read_to_string(dir.join(names::JOB_SCRIPT)).unwrap();
    assert!(script.contains("# Worker: `xvr-worker` beside"), "{script}");
}
