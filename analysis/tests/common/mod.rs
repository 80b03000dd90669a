//! Synthetic results directories shaped like real sweeps (the results contract of
//! results/README.md, written through the contract types), with numbers chosen by the test so
//! that every expected value is known in advance.

#![allow(dead_code)] // each test file uses a part

use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use xvr_contract::results::{PlanRow, PlanTable, ProfileRow, Summary, TrialState, TrialStatus};
use xvr_contract::trial::TrialConfig;
use xvr_contract::walltime;

/// One succeeded trial and the numbers it reports.
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub variant: Option<String>,
    pub repeat: u32,
    /// Axis path → value (the trial's meta.axes; applied to the config by the caller).
    pub axes: Vec<(String, Value)>,
    pub config: TrialConfig,
    pub wall_s: f64,
    pub psnr_db: f64,
    pub bicubic_psnr_db: f64,
    pub infer_s: f64,
    pub params: u64,
    pub flops: u64,
    /// Span (s), utilisation and communication share of the busy time in the profiled
    /// window (every rank the same; memory is 5 % of the busy time, computation the rest);
    /// `None`: no profile.csv.
    pub profile: Option<(f64, f64, f64)>,
}

impl Synthetic {
    /// A trial of `config` with axis values `axes` (set on the config too).
    pub fn new(axes: &[(&str, Value)], mut config: TrialConfig) -> Self {
        for (path, value) in axes {
            set(&mut config, path, value);
        }
        Self {
            variant: None,
            repeat: 0,
            axes: axes
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            config,
            wall_s: 100.0,
            psnr_db: 30.0,
            bicubic_psnr_db: 25.0,
            infer_s: 0.05,
            params: 1_000_000,
            flops: 1_000_000_000,
            profile: None,
        }
    }

    /// A planned trial (from `xvr::plan::Plan`): its axes and variant as planned.
    pub fn planned(config: &TrialConfig) -> Self {
        let mut t = Self::new(&[], config.clone());
        t.axes = config
            .meta
            .axes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        t.variant = config.meta.variant.clone();
        t.repeat = config.meta.repeat;
        t
    }

    pub fn id(&self) -> String {
        let mut id: String = self
            .variant
            .iter()
            .cloned()
            .chain(
                self.axes
                    .iter()
                    .map(|(k, v)| format!("{}{}", k.rsplit('.').next().unwrap_or(k), text(v))),
            )
            .collect::<Vec<_>>()
            .join("-");
        if id.is_empty() {
            id = "base".into();
        }
        format!("{id}-r{}", self.repeat).replace(['.', ' ', '[', ']', ','], "_")
    }
}

/// A YAML value as plan.csv writes it.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap().trim().to_string(),
    }
}

/// Sets a dotted path of a config through its YAML form.
pub fn set(config: &mut TrialConfig, path: &str, value: &Value) {
    let mut doc = serde_yaml::to_value(&*config).unwrap();
    let mut node = &mut doc;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        node = node.get_mut(*p).unwrap_or_else(|| panic!("{path}"));
    }
    node[parts[parts.len() - 1]] = value.clone();
    *config = serde_yaml::from_value(doc).unwrap_or_else(|e| panic!("{path}: {e}"));
}

/// Writes `results/<name>/` under `root`: sweep.yaml (`spec`), plan.csv and one directory
/// per trial. Returns the sweep directory.
pub fn write_sweep(
    root: &Path,
    name: &str,
    spec: &str,
    axes: &[&str],
    trials: &[Synthetic],
) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("trials")).unwrap();
    std::fs::write(dir.join("sweep.yaml"), spec).unwrap();
    let mut plan = PlanTable {
        axes: axes.iter().map(|a| a.to_string()).collect(),
        rows: Vec::new(),
    };
    for t in trials {
        let id = t.id();
        let gpus = t.config.resources.gpus;
        let nodes = gpus.div_ceil(4);
        plan.rows.push(PlanRow {
            trial_id: id.clone(),
            variant: t.variant.clone(),
            repeat: Some(t.repeat),
            axes: axes
                .iter()
                .map(|a| {
                    let v = t.axes.iter().find(|(k, _)| k == a).map(|(_, v)| text(v));
                    (a.to_string(), v.unwrap_or_default())
                })
                .collect(),
            gpus,
            nodes,
            queue: "debug".into(),
            walltime_s: walltime::parse(&t.config.resources.walltime).unwrap(),
            node_hours: f64::from(nodes),
            queue_max_jobs: None,
        });
        write_trial(&dir.join("trials").join(&id), name, &id, t);
    }
    std::fs::write(dir.join("plan.csv"), plan.to_csv().unwrap()).unwrap();
    dir
}

fn write_trial(dir: &Path, sweep: &str, id: &str, t: &Synthetic) {
    std::fs::create_dir_all(dir).unwrap();
    let mut config = t.config.clone();
    config.meta.id = id.into();
    config.meta.sweep = sweep.into();
    config.meta.variant = t.variant.clone();
    config.meta.repeat = t.repeat;
    config.meta.axes = t.axes.iter().cloned().collect();
    std::fs::write(
        dir.join("trial.yaml"),
        serde_yaml::to_string(&config).unwrap(),
    )
    .unwrap();
    let mut state = TrialState::planned();
    state.status = TrialStatus::Succeeded;
    state.attempts = 1;
    state.exit_status = Some(0);
    std::fs::write(
        dir.join("state.json"),
        serde_json::to_string(&state).unwrap(),
    )
    .unwrap();
    let gpus = config.resources.gpus;
    let summary = Summary {
        trial_id: id.into(),
        axes: t
            .axes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap()))
            .collect::<BTreeMap<_, _>>(),
        gpus,
        world_size: gpus as usize,
        batch_per_gpu: config.train.batch_per_gpu,
        iterations: config.train.effective_iterations(gpus),
        train_wall_s: t.wall_s,
        psnr_db: t.psnr_db,
        ssim: 0.9,
        aad: 1.0,
        bicubic_psnr_db: t.bicubic_psnr_db,
        infer_s_per_frame: t.infer_s,
        params: t.params,
        flops_per_sample: t.flops,
        status: "succeeded".into(),
    };
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    // Two videos of one frame each at the trial's PSNR: the mean of video means is psnr_db.
    let mut v = String::from(
        "video,frame,psnr_db,ssim,aad,bicubic_psnr_db,bicubic_ssim,bicubic_aad,infer_s\n",
    );
    for video in ["v1", "v2"] {
        v.push_str(&format!(
            "{video},0,{},0.9,1.0,{},0.8,2.0,{}\n",
            t.psnr_db, t.bicubic_psnr_db, t.infer_s
        ));
    }
    std::fs::write(dir.join("validation.csv"), v).unwrap();
    let iterations = summary.iterations.max(2);
    std::fs::write(
        dir.join("train.csv"),
        format!(
            "iter,lr,loss,step_s,samples_per_s\n1,0.0002,0.3,0.5,8.0\n{},0.0001,{},0.5,8.0\n{iterations},1e-07,{},0.5,8.0\n",
            iterations / 2,
            0.1 + 1.0 / t.psnr_db,
            0.05 + 1.0 / t.psnr_db
        ),
    )
    .unwrap();
    if let Some((span, util, comm)) = t.profile {
        let mut w = csv::Writer::from_path(dir.join("profile.csv")).unwrap();
        for rank in 0..gpus as usize {
            let busy = util * span;
            w.serialize(ProfileRow {
                rank,
                preset: "paper".into(),
                span_s: span,
                busy_s: busy,
                idle_s: span - busy,
                utilization: util,
                computation_s: busy * (0.95 - comm),
                communication_s: busy * comm,
                memory_s: busy * 0.05,
                other_s: 0.0,
                comp_comm_overlap: 0.0,
            })
            .unwrap();
        }
        w.flush().unwrap();
    }
}

/// Runs `xvr-analysis DIR --out OUT ARGS`; panics with its output when it fails.
pub fn analyse(dir: &Path, out: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_xvr-analysis"))
        .arg(dir)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "xvr-analysis {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CSV table as rows of column → text.
pub fn table(dir: &Path, stem: &str) -> Vec<BTreeMap<String, String>> {
    let path = dir.join(format!("{stem}.csv"));
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The one row whose columns equal all of `keys`.
pub fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    keys: &[(&str, &str)],
) -> &'a BTreeMap<String, String> {
    let found: Vec<_> = rows
        .iter()
        .filter(|r| {
            keys.iter()
                .all(|(k, v)| r.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(found.len(), 1, "rows with {keys:?}: {rows:#?}");
    found[0]
}

pub fn num(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = `{}` is not a number", row[column]))
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

/// With XVR_README_FIGURES=<dir> set, copies `<stem>.png` of the report to
/// `<dir>/<prefix>_<stem>.png` (the pictures in analysis/README.md).
pub fn keep_for_readme(out: &Path, prefix: &str, stems: &[&str]) {
    if let Some(dir) = std::env::var_os("XVR_README_FIGURES") {
        std::fs::create_dir_all(&dir).unwrap();
        for stem in stems {
            std::fs::copy(
                out.join(format!("{stem}.png")),
                Path::new(&dir).join(format!("{prefix}_{stem}.png")),
            )
            .unwrap();
        }
    }
}
