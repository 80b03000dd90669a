//! A sweep's results directory as read from disk (DESIGN.md "Results contract"): plan.csv
//! for what was planned, `trials/<id>/` for what exists. Every planned trial and every trial
//! directory appears exactly once, whatever state it is in.

mod files;
mod plan;
mod trial;

pub use plan::{Plan, PlanRow};
pub use trial::Trial;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use xvr::results::names;

#[derive(Debug, Clone)]
pub struct Sweep {
    /// Directory name under `results/`.
    pub name: String,
    pub dir: PathBuf,
    /// Swept axes (dotted paths) in plan.csv column order.
    pub axes: Vec<String>,
    /// Plan order first, then trial directories not in the plan (sorted by id).
    pub trials: Vec<Trial>,
    /// sweep.yaml as planned, when present (the selection copies its `site`).
    pub spec: Option<serde_yaml::Value>,
}

impl Sweep {
    pub fn load(dir: &Path) -> Result<Self, String> {
        if !dir.is_dir() {
            return Err(format!(
                "{}: not a directory (expected results/<sweep>/)",
                dir.display()
            ));
        }
        let plan_path = dir.join(names::PLAN_CSV);
        if !plan_path.exists() {
            return Err(format!(
                "{}: missing; is this a results/<sweep>/ directory written by `xvr plan`?",
                plan_path.display()
            ));
        }
        let plan = Plan::read(&plan_path)?;
        let trials_dir = dir.join(names::TRIALS_DIR);
        let mut on_disk = BTreeSet::new();
        if trials_dir.is_dir() {
            let entries = std::fs::read_dir(&trials_dir)
                .map_err(|e| format!("{}: cannot list: {e}", trials_dir.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("{}: {e}", trials_dir.display()))?;
                if entry.path().is_dir() {
                    on_disk.insert(entry.file_name().to_string_lossy().into_owned());
                }
            }
        }
        let mut trials = Vec::new();
        for row in &plan.rows {
            on_disk.remove(&row.trial_id);
            trials.push(Trial::load(
                &row.trial_id,
                &trials_dir.join(&row.trial_id),
                Some(row.clone()),
            ));
        }
        for id in on_disk {
            trials.push(Trial::load(&id, &trials_dir.join(&id), None));
        }
        // Axes a trial names in its meta but plan.csv lacks (a hand-made or older plan).
        let mut axes = plan.axes;
        let extra: BTreeSet<String> = trials
            .iter()
            .filter_map(|t| t.config.as_ref())
            .flat_map(|c| c.meta.axes.keys().cloned())
            .filter(|a| !axes.contains(a))
            .collect();
        axes.extend(extra);
        let spec = files::read_yaml(&dir.join(names::SWEEP_SPEC))?;
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| dir.display().to_string());
        Ok(Self {
            name,
            dir: dir.to_path_buf(),
            axes,
            trials,
            spec,
        })
    }

    pub fn complete(&self) -> impl Iterator<Item = &Trial> {
        self.trials.iter().filter(|t| t.is_complete())
    }

    /// Whether any trial comes from `sweep.variants` (the model-size study's shape).
    pub fn has_variants(&self) -> bool {
        self.trials.iter().any(|t| t.variant().is_some())
    }

    /// The sweep's independent axes, each with the axes that follow it: an axis whose value
    /// is fixed by an earlier axis's value (the walltime zipped to the GPU count) is not a
    /// study of its own. Returns (axis, [axes it determines]).
    pub fn study_axes(&self) -> Vec<(String, Vec<String>)> {
        let determines = |a: &str, b: &str| {
            self.trials.iter().all(|x| {
                self.trials.iter().all(|y| {
                    x.axis_value(a) != y.axis_value(a) || x.axis_value(b) == y.axis_value(b)
                })
            })
        };
        let mut studies: Vec<(String, Vec<String>)> = Vec::new();
        for axis in &self.axes {
            match studies
                .iter_mut()
                .find(|(first, _)| determines(first, axis))
            {
                Some((_, zipped)) => zipped.push(axis.clone()),
                None => studies.push((axis.clone(), Vec::new())),
            }
        }
        studies
    }

    /// What distinguishes a trial's configuration from its siblings, repeats aside:
    /// the variant name, else `axis=value` pairs, else `base`.
    pub fn config_label(&self, trial: &Trial) -> String {
        if let Some(v) = trial.variant() {
            return v.to_string();
        }
        // Zipped axes add nothing to tell trials apart: name the first of each study.
        let parts: Vec<String> = self
            .study_axes()
            .iter()
            .filter_map(|(a, _)| trial.axis_value(a).map(|v| format!("{a}={v}")))
            .collect();
        if parts.is_empty() {
            "base".into()
        } else {
            parts.join(", ")
        }
    }

    /// `config_label` plus the repeat index when the sweep has repeats.
    pub fn trial_label(&self, trial: &Trial) -> String {
        let repeats = self.trials.iter().any(|t| t.repeat() > 0);
        let label = self.config_label(trial);
        if repeats {
            format!("{label} #{}", trial.repeat())
        } else {
            label
        }
    }
}
