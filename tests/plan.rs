//! `xvr plan` on real specs: the results layout, plan.csv, idempotence, every sweep in
//! sweeps/, and the rendered Polaris job script against a golden file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xvr::results::names;
use xvr::spec::TrialConfig;

mod support;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn xvr(args: &[&str]) -> Output {
    Command::new(support::xvr_bin())
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
        ("test_conditions", 10),
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
        if name == "test_conditions" {
            // It tests the smoke sweep's best finished trial (planned above, as the files are
            // in name order): one of them is made to look trained.
            finish_one_trial(&results.path().join("smoke"));
        }
        let validated = xvr(&["validate", &rel, "--results", results.path().to_str().unwrap()]);
        assert!(validated.status.success(), "{rel}: {}", String::from_utf8_lossy(&validated.stderr));
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

/// Makes the first trial of a planned sweep look finished and checkpointed (what a trained
/// trial a reconstruction spec names has): a succeeded summary.json and a checkpoint folder.
fn finish_one_trial(sweep_dir: &Path) {
    let rows = read_csv(&sweep_dir.join(names::PLAN_CSV));
    let id = &column(&rows, "trial_id")[0];
    let dir = sweep_dir.join(names::TRIALS_DIR).join(id);
    std::fs::create_dir_all(dir.join(names::CHECKPOINT_DIR)).unwrap();
    let summary = xvr::results::Summary {
        trial_id: id.clone(),
        axes: Default::default(),
        gpus: 1,
        world_size: 1,
        batch_per_gpu: 1,
        iterations: 1,
        train_wall_s: 1.0,
        psnr_db: 30.0,
        ssim: 0.9,
        aad: 2.0,
        bicubic_psnr_db: 28.0,
        infer_s_per_frame: 0.1,
        params: 1,
        flops_per_sample: 1,
        status: "succeeded".into(),
    };
    std::fs::write(dir.join(names::SUMMARY_JSON), serde_json::to_vec(&summary).unwrap()).unwrap();
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
        3 + 4 * 3,
        "sweep.yaml, plan.csv, site.json and 4 trials x (trial.yaml, job.pbs, state.json)"
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

/// The trial directory of tests/specs/golden.yaml, planned under `results`.
fn golden_trial_dir(results: &Path) -> PathBuf {
    plan("tests/specs/golden.yaml", results);
    let rows = read_csv(&results.join("golden").join(names::PLAN_CSV));
    let id = column(&rows, "trial_id").remove(0);
    results.join("golden/trials").join(id)
}

/// The job script of tests/specs/golden.yaml with machine-specific paths and the trial id
/// replaced by placeholders.
fn golden_job_script(results: &Path) -> (String, String) {
    let dir = golden_trial_dir(results);
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    let script = std::fs::read_to_string(dir.join(names::JOB_SCRIPT)).unwrap();
    let root = std::fs::canonicalize(repo()).unwrap();
    let bin = std::fs::canonicalize(support::bin_dir()).unwrap();
    let generic = script
        .replace(results.to_str().unwrap(), "<RESULTS>")
        .replace(bin.to_str().unwrap(), "<BIN>")
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
    // Relative: PBS takes it from the directory qsub runs in, the trial's (which exists:
    // PBS does not create the -o directory), so a moved sweep writes into itself.
    assert!(directives.contains(&"#PBS -o job.out"), "{directives:?}");
    assert!(!script.contains(results.path().to_str().unwrap()), "no sweep path in the script");
    assert!(script.contains("mpiexec -n 8 --ppn 4 --depth=8 --cpu-bind depth"));
    let dir = golden_trial_dir(results.path());
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
    let trial_dir = golden_trial_dir(results.path());
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
        .env("PBS_O_WORKDIR", &trial_dir)
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
    // The worker by the absolute path `xvr plan` resolved: the one beside xvr.
    let worker = support::bin_dir().join("xvr-worker");
    let tail = format!("{} {} run ", wrapper.display(), worker.display());
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

/// A spec beside a site profile in a fresh directory, planned; (succeeded, output).
fn plan_with_site(site: &str, spec: &str) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pbs")).unwrap();
    std::fs::write(dir.path().join("pbs/hostile.yaml"), site).unwrap();
    std::fs::copy(
        repo().join("pbs/set_affinity_gpu_polaris.sh"),
        dir.path().join("pbs/set_affinity_gpu_polaris.sh"),
    )
    .unwrap();
    std::fs::write(dir.path().join("spec.yaml"), spec).unwrap();
    let out = xvr(&[
        "plan",
        dir.path().join("spec.yaml").to_str().unwrap(),
        "--results",
        dir.path().join("results").to_str().unwrap(),
    ]);
    (dir, out)
}

const SAFE_SITE: &str = "name: hostile\ngpus_per_node: 4\nsystem: polaris\nplace: scatter\nfilesystems: home:eagle\ndepth: 8\nworker: xvr-worker\naffinity_wrapper: set_affinity_gpu_polaris.sh\nmodules: {enabled: true, load: [MODULE]}\nnccl: {enabled: true, env: {NCCL_NET: NCCLVALUE}, ld_library_path: [LDPATH]}\nqueues:\n  - name: debug\n    limits:\n      - {nodes: [1, 2], walltime: ['00:05:00', '01:00:00']}\n";

fn site_with(field: &str, value: &str) -> String {
    SAFE_SITE
        .replace("MODULE", "cudatoolkit")
        .replace("NCCLVALUE", "AWS Libfabric")
        .replace("LDPATH", "/soft/lib")
        .replace(field, value)
}

const SPEC: &str = "name: hostile\nsite: hostile\naccount: PROJ\nbase:\n  resources: {gpus: 1, walltime: '00:10:00'}\nsweep:\n  grid:\n    data.seed: [0]\n";

#[test]
fn hostile_values_never_reach_a_job_script_as_shell() {
    // Directive values cannot be quoted: refused, naming the field and the value.
    for (field, safe, hostile) in [
        ("account", "account: PROJ", "account: \"X\\necho INJECTED > /tmp/x\""),
        ("filesystems", "filesystems: home:eagle", "filesystems: \"home\\n#PBS -A other\""),
        ("system", "system: polaris", "system: \"polaris; id\""),
        ("place", "place: scatter", "place: \"scatter $(id)\""),
        ("queues.name", "name: debug", "name: \"debug\\nid\""),
    ] {
        let (site, spec) = if field == "account" {
            (site_with("", ""), SPEC.replace(safe, hostile))
        } else {
            (site_with(safe, hostile), SPEC.to_string())
        };
        let (_dir, out) = plan_with_site(&site, &spec);
        let t = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success(), "{field}: planned anyway");
        assert!(t.contains(field) && t.contains("cannot go into a job script"), "{field}: {t}");
    }
    // Line breaks in quoted values are refused too.
    let (_dir, out) = plan_with_site(&site_with("cudatoolkit", "\"a\\nid\""), SPEC);
    assert!(String::from_utf8_lossy(&out.stderr).contains("modules.load"));
    let (_dir, out) = plan_with_site(&site_with("NCCL_NET:", "\"NCCL;id\":"), SPEC);
    assert!(String::from_utf8_lossy(&out.stderr).contains("shell variable name"));

    // Quoted values with shell in them are planned, and stay text when the script runs.
    let site = site_with("", "")
        .replace("cudatoolkit", "\"x'; touch INJECTED1; '\"")
        .replace("AWS Libfabric", "\"$(touch INJECTED2)\"")
        .replace("/soft/lib", "\"a b;touch INJECTED3\"");
    let (dir, out) = plan_with_site(&site, SPEC);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sweep = dir.path().join("results/hostile");
    let trial = sweep
        .join("trials")
        .join(&column(&read_csv(&sweep.join(names::PLAN_CSV)), "trial_id")[0]);
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // `module` and `mpiexec` stand-ins: the script's words are printed, never run.
    std::fs::write(bin.join("module"), "#!/bin/bash\necho \"module $*\"\n").unwrap();
    std::fs::write(
        bin.join("mpiexec"),
        "#!/bin/bash\n[ \"$1\" = --version ] && exit 0\necho \"NCCL_NET=$NCCL_NET\"\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("module")).arg(bin.join("mpiexec")).status().unwrap();
    let out = Command::new("bash")
        .arg(trial.join(names::JOB_SCRIPT))
        .current_dir(dir.path())
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()))
        .env("PBS_O_WORKDIR", &trial)
        .env("XVR_MPIEXEC_FLAVOR", "hydra")
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("NCCL_NET=$(touch INJECTED2)"), "{t}");
    for n in 1..=3 {
        for d in [dir.path(), trial.as_path()] {
            assert!(!d.join(format!("INJECTED{n}")).exists(), "INJECTED{n}: {t}");
        }
    }
}

#[test]
fn a_changed_profile_re_renders_scripts_of_trials_not_in_flight_only() {
    let site = site_with("", "");
    let spec = SPEC.replace("data.seed: [0]", "data.seed: [0, 1, 2]");
    let (dir, out) = plan_with_site(&site, &spec);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sweep = dir.path().join("results/hostile");
    let ids = column(&read_csv(&sweep.join(names::PLAN_CSV)), "trial_id");
    let trial = |k: usize| sweep.join("trials").join(&ids[k]);
    // Trial 0 finished (its results stay), trial 1 is running, trial 2 planned.
    std::fs::write(trial(0).join(names::SUMMARY_JSON), "{}").unwrap();
    let state_of = |status: &str| format!("{{\"status\": \"{status}\", \"job_id\": \"7.pbs\"}}");
    std::fs::write(trial(0).join(names::STATE_JSON), state_of("succeeded")).unwrap();
    std::fs::write(trial(1).join(names::STATE_JSON), state_of("running")).unwrap();
    let script = |k: usize| std::fs::read_to_string(trial(k).join(names::JOB_SCRIPT)).unwrap();
    let before = script(1);

    // The profile's filesystems fixed: planning again re-renders 0 and 2, refuses for 1.
    std::fs::write(
        dir.path().join("pbs/hostile.yaml"),
        site.replace("filesystems: home:eagle", "filesystems: home:flare"),
    )
    .unwrap();
    let replan = |extra: &[&str]| {
        let mut args = vec![
            "plan".to_string(),
            dir.path().join("spec.yaml").display().to_string(),
            "--results".to_string(),
            dir.path().join("results").display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xvr(&args)
    };
    let out = replan(&[]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(err.contains(&format!("trial {} (running as job 7.pbs)", ids[1])), "{err}");
    assert!(err.contains(&ids[0]) && err.contains(&ids[2]), "re-rendered list: {err}");
    assert!(script(0).contains("filesystems=home:flare") && script(2).contains("filesystems=home:flare"));
    assert_eq!(script(1), before, "the running trial keeps the script PBS copied");
    assert!(trial(0).join(names::SUMMARY_JSON).is_file());

    // Once it is no longer in flight, a plan (here with --account) goes through and says so.
    std::fs::write(trial(1).join(names::STATE_JSON), state_of("cancelled")).unwrap();
    let out = replan(&["--account", "OTHER"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("re-rendered the job scripts of 3 trial(s)"), "{text}");
    for k in 0..3 {
        assert!(script(k).contains("#PBS -A OTHER"), "{}", script(k));
    }
    // Trial ids do not change with the account.
    assert_eq!(column(&read_csv(&sweep.join(names::PLAN_CSV)), "trial_id"), ids);
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

#[test]
fn a_worker_that_cannot_be_found_refuses_the_plan_and_names_the_profile() {
    let site = site_with("worker: xvr-worker", "worker: /nonexistent/xvr-worker");
    let (dir, out) = plan_with_site(&site, SPEC);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "planned without a worker");
    assert!(err.contains("/nonexistent/xvr-worker") && err.contains("hostile"), "{err}");
    assert!(!dir.path().join("results/hostile").exists(), "nothing is written before the refusal");
    // Validation still reads the spec, and warns.
    let out = xvr(&["validate", dir.path().join("spec.yaml").to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning"), "{}", String::from_utf8_lossy(&out.stderr));
}
