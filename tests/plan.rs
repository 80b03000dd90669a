//! `xvr plan` on real specs: the results layout, plan.csv, idempotence, every sweep in
//! sweeps/, and the rendered Polaris job script against a golden file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xvr::results::names;
use xvr::spec::TrialConfig;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn xvr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xvr"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("xvr runs")
}

fn plan(spec: &str, results: &Path) -> Output {
    let out = xvr(&["plan", spec, "--results", results.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{spec}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut rows = vec![header];
    rows.extend(
        r.records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect()),
    );
    rows
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[test]
fn every_sweep_in_sweeps_validates_and_plans_with_the_expected_trial_count() {
    let results = tempfile::tempdir().unwrap();
    // Hand counts: variants x grid x zip x repeats.
    let expected = [
        ("utilisation", 5),
        ("scaling", 7),
        ("lr_frames", 4),
        ("window", 4),
        ("data_fraction", 8),
        ("model_size", 5),
        ("final", 1),
        ("smoke", 4),
        ("example", 2 * 4 * 2),
    ];
    let mut specs: Vec<PathBuf> = std::fs::read_dir(repo().join("sweeps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    assert_eq!(specs.len(), expected.len(), "{specs:?}");
    for spec in &specs {
        let name = spec.file_stem().unwrap().to_str().unwrap();
        let rel = format!("sweeps/{name}.yaml");
        assert!(xvr(&["validate", &rel]).status.success(), "{rel}");
        plan(&rel, results.path());
        let rows = read_csv(&results.path().join(name).join(names::PLAN_CSV));
        let want = expected
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("unexpected {name}"))
            .1;
        assert_eq!(rows.len() - 1, want, "{name}");
        for id in column(&rows, "trial_id") {
            let dir = results.path().join(name).join(names::TRIALS_DIR).join(&id);
            let trial = TrialConfig::from_yaml_file(&dir.join(names::TRIAL_YAML)).unwrap();
            assert_eq!(trial.meta.id, id);
            assert_eq!(trial.meta.sweep, name);
            assert!(dir.join(names::JOB_SCRIPT).is_file());
        }
    }
}

#[test]
fn scaling_sweep_covers_4_to_256_gpus_on_the_right_polaris_queues() {
    let results = tempfile::tempdir().unwrap();
    plan("sweeps/scaling.yaml", results.path());
    let rows = read_csv(&results.path().join("scaling").join(names::PLAN_CSV));
    assert_eq!(
        column(&rows, "gpus"),
        ["4", "8", "16", "32", "64", "128", "256"]
    );
    assert_eq!(
        column(&rows, "nodes"),
        ["1", "2", "4", "8", "16", "32", "64"]
    );
    // 1-4 nodes for >1 h: preemptable; 8 nodes for 1 h: debug-scaling; 16-64 nodes: prod.
    assert_eq!(
        column(&rows, "queue"),
        [
            "preemptable",
            "preemptable",
            "preemptable",
            "debug-scaling",
            "prod",
            "prod",
            "prod"
        ]
    );
    // 16 nodes x 0.75 h.
    assert_eq!(column(&rows, "node_hours")[4], "12.000");
    for id in column(&rows, "trial_id") {
        let t = TrialConfig::from_yaml_file(
            &results
                .path()
                .join("scaling/trials")
                .join(id)
                .join(names::TRIAL_YAML),
        )
        .unwrap();
        assert_eq!(
            (t.train.batch_per_gpu, t.train.total_samples),
            (10, Some(1_206_240))
        );
    }
}

#[test]
fn the_table_shows_ids_axes_resources_and_the_total() {
    let results = tempfile::tempdir().unwrap();
    let out = plan("sweeps/model_size.yaml", results.path());
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text.lines().next().unwrap();
    for col in [
        "trial",
        "variant",
        "model.channels",
        "model.depths",
        "model.heads",
        "gpus",
        "nodes",
        "queue",
        "walltime",
        "node-h",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(
        text.contains("blocks48") && text.contains("[4, 4, 36, 4]"),
        "{text}"
    );
    // 5 trials x 1 node x 6 h.
    assert!(
        text.contains("total: 5 trials, largest 4 GPUs, 30.00 node-hours"),
        "{text}"
    );
}

#[test]
fn planning_twice_changes_nothing_and_a_changed_spec_is_refused() {
    let results = tempfile::tempdir().unwrap();
    plan("sweeps/window.yaml", results.path());
    let snapshot = |dir: &Path| {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let meta = std::fs::metadata(&p).unwrap();
                    files.push((
                        p.clone(),
                        std::fs::read(&p).unwrap(),
                        meta.modified().unwrap(),
                    ));
                }
            }
        }
        files.sort();
        files
    };
    let before = snapshot(results.path());
    assert_eq!(
        before.len(),
        2 + 4 * 3,
        "sweep.yaml, plan.csv and 4 trials x (trial.yaml, job.pbs, state.json)"
    );
    plan("sweeps/window.yaml", results.path());
    assert_eq!(before, snapshot(results.path()));

    let changed = results.path().join("window-changed.yaml");
    let text = std::fs::read_to_string(repo().join("sweeps/window.yaml"))
        .unwrap()
        .replace("[1, 2, 4, 8]", "[2, 4]");
    std::fs::write(&changed, text).unwrap();
    let out = xvr(&[
        "plan",
        changed.to_str().unwrap(),
        "--results",
        results.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("planned from a different spec"));
}

#[test]
fn trial_ids_do_not_depend_on_where_results_go() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    plan("sweeps/lr_frames.yaml", a.path());
    plan("sweeps/lr_frames.yaml", b.path());
    let ids = |d: &Path| {
        column(
            &read_csv(&d.join("lr_frames").join(names::PLAN_CSV)),
            "trial_id",
        )
    };
    assert_eq!(ids(a.path()), ids(b.path()));
}

/// The job script of tests/specs/golden.yaml with machine-specific paths and the trial id
/// replaced by placeholders.
fn golden_job_script(results: &Path) -> (String, String) {
    plan("tests/specs/golden.yaml", results);
    let rows = read_csv(&results.join("golden").join(names::PLAN_CSV));
    let id = column(&rows, "trial_id").remove(0);
    let script = std::fs::read_to_string(
        results
            .join("golden/trials")
            .join(&id)
            .join(names::JOB_SCRIPT),
    )
    .unwrap();
    let root = std::fs::canonicalize(repo()).unwrap();
    let generic = script
        .replace(results.to_str().unwrap(), "<RESULTS>")
        .replace(root.to_str().unwrap(), "<REPO>")
        .replace(&id, "<ID>");
    (script, generic)
}

#[test]
fn the_job_script_matches_the_golden_file() {
    let results = tempfile::tempdir().unwrap();
    let (_, generic) = golden_job_script(results.path());
    let golden = repo().join("tests/golden/job.pbs");
    if std::env::var_os("XVR_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &generic).unwrap();
    }
    assert_eq!(
        generic,
        std::fs::read_to_string(golden).unwrap(),
        "set XVR_UPDATE_GOLDEN=1 to accept a deliberate change"
    );
}

#[test]
fn the_job_script_obeys_the_polaris_rules() {
    let results = tempfile::tempdir().unwrap();
    let (script, _) = golden_job_script(results.path());
    let lines: Vec<&str> = script.lines().collect();
    assert_eq!(lines[0], "#!/bin/bash");
    let first_command = lines
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    let directives: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("#PBS"))
        .copied()
        .collect();
    assert!(
        lines[..first_command]
            .iter()
            .filter(|l| l.starts_with("#PBS"))
            .count()
            == directives.len()
    );
    for d in &directives {
        assert!(!d[1..].contains('#'), "comment on a directive: {d}");
    }
    for want in [
        "#PBS -A TESTPROJ",
        "#PBS -q debug",
        "#PBS -l select=2:system=polaris",
        "#PBS -l place=scatter",
        "#PBS -l walltime=00:30:00",
        "#PBS -l filesystems=home:eagle",
        "#PBS -k doe",
        "#PBS -j oe",
    ] {
        assert!(directives.contains(&want), "missing {want}: {directives:?}");
    }
    let out_dir = directives
        .iter()
        .find(|d| d.starts_with("#PBS -o "))
        .unwrap()[8..]
        .to_string();
    let out_dir = Path::new(&out_dir);
    assert_eq!(out_dir.file_name().unwrap(), names::JOB_OUTPUT);
    assert!(
        out_dir.parent().unwrap().is_dir(),
        "PBS does not create the -o directory"
    );
    assert!(script.contains("mpiexec -n 8 --ppn 4 --depth=8 --cpu-bind depth"));
    let dir = out_dir.parent().unwrap();
    let check = Command::new("bash")
        .arg("-n")
        .arg(dir.join(names::JOB_SCRIPT))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn the_affinity_wrapper_assigns_gpus_in_reverse_order_under_pals_and_hydra() {
    let wrapper = repo().join("pbs/set_affinity_gpu_polaris.sh");
    let gpu_for = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(&wrapper);
        for var in [
            "PMI_LOCAL_RANK",
            "PALS_LOCAL_RANKID",
            "MPI_LOCALRANKID",
            "PMI_RANK",
            "PALS_RANKID",
            "XVR_GPUS_PER_NODE",
        ] {
            cmd.env_remove(var);
        }
        let out = cmd
            .envs(env.iter().copied())
            .args(["printenv", "CUDA_VISIBLE_DEVICES"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    // Cray PALS: PMI_LOCAL_RANK 0..3 -> GPUs 3..0; local rank 5 wraps to 1 -> GPU 2.
    assert_eq!(gpu_for(&[("PMI_LOCAL_RANK", "0"), ("PMI_RANK", "4")]), "3");
    assert_eq!(gpu_for(&[("PMI_LOCAL_RANK", "3")]), "0");
    assert_eq!(gpu_for(&[("PMI_LOCAL_RANK", "5")]), "2");
    // Hydra: MPI_LOCALRANKID, or failing that PMI_RANK mod 4 (rank 6 -> local 2 -> GPU 1).
    assert_eq!(gpu_for(&[("MPI_LOCALRANKID", "1"), ("PMI_RANK", "1")]), "2");
    assert_eq!(gpu_for(&[("PMI_RANK", "6")]), "1");
    // No MPI at all: rank 0.
    assert_eq!(gpu_for(&[]), "3");
}

/// Runs a rendered job script with a stand-in `mpiexec` first on PATH that records its
/// arguments, and returns them.
fn launch_args(flavor: Option<&str>, version_banner: &str) -> String {
    let results = tempfile::tempdir().unwrap();
    let (script, _) = golden_job_script(results.path());
    let bin = results.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = results.path().join("mpiexec.args");
    let fake = format!(
        "#!/bin/bash\nif [ \"$1\" = --version ]; then echo '{version_banner}'; exit 0; fi\necho \"$*\" > {}\n",
        log.display()
    );
    std::fs::write(bin.join("mpiexec"), fake).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("mpiexec"))
        .status()
        .unwrap();
    let job = results.path().join("job.pbs");
    std::fs::write(&job, script).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = Command::new("bash");
    cmd.arg(&job)
        .env("PATH", path)
        .env_remove("XVR_MPIEXEC_FLAVOR");
    if let Some(f) = flavor {
        cmd.env("XVR_MPIEXEC_FLAVOR", f);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(log).unwrap()
}

#[test]
fn the_job_script_picks_launcher_flags_for_pals_or_hydra() {
    let wrapper = std::fs::canonicalize(repo().join("pbs/set_affinity_gpu_polaris.sh")).unwrap();
    let tail = format!("{} xvr-worker run ", wrapper.display());
    // Cray PALS (its --version banner does not say HYDRA): Polaris flags.
    let pals = launch_args(None, "mpiexec version 1.2.12 (PALS)");
    assert!(
        pals.starts_with(&format!("-n 8 --ppn 4 --depth=8 --cpu-bind depth {tail}")),
        "{pals}"
    );
    // MPICH Hydra: no --depth / --cpu-bind, which it rejects.
    let hydra = launch_args(None, "HYDRA build details:");
    assert!(
        hydra.starts_with(&format!("-n 8 --ppn 4 {tail}")),
        "{hydra}"
    );
    // The environment override wins over detection.
    let forced = launch_args(Some("pals"), "HYDRA build details:");
    assert!(forced.contains("--cpu-bind depth"), "{forced}");
}

#[test]
fn the_spec_format_doc_shows_the_example_sweep_verbatim() {
    let doc = std::fs::read_to_string(repo().join("docs/spec-format.md")).unwrap();
    let example = std::fs::read_to_string(repo().join("sweeps/example.yaml")).unwrap();
    assert!(
        doc.contains(&example),
        "docs/spec-format.md must embed sweeps/example.yaml"
    );
}

#[test]
fn an_os_error_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    // The results root is a file: creating results/<sweep>/trials fails with ENOTDIR.
    let not_a_dir = dir.path().join("results");
    std::fs::write(&not_a_dir, "").unwrap();
    let out = xvr(&[
        "plan",
        "sweeps/example.yaml",
        "--results",
        not_a_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{}/", not_a_dir.display())) && stderr.contains("cannot create"),
        "{stderr}"
    );
}
