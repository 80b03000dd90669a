//! A sweep's results directory as read from disk (results/README.md): plan.csv
//! for what was planned, `trials/<id>/` for what exists. Every planned trial and every trial
//! directory appears exactly once, whatever state it is in.

mod config;
mod error;
mod files;
mod trial;

pub use config::{group_by, Config, GPUS_AXIS, RESOURCES_PREFIX, VARIANT};
pub use error::SweepError;
pub use trial::Trial;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use xvr_contract::results::{names, PlanTable};

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
    /// [`Sweep::study_axes`], worked out once at load (it compares every pair of trials).
    studies: Vec<(String, Vec<String>)>,
}

impl Sweep {
    pub fn load(dir: &Path) -> Result<Self, SweepError> {
        if !dir.is_dir() {
            return Err(SweepError::NotADirectory { dir: dir.to_path_buf() });
        }
        let plan_path = dir.join(names::PLAN_CSV);
        if !plan_path.exists() {
            return Err(SweepError::NoPlan { path: plan_path });
        }
        let plan = PlanTable::read(&plan_path)?;
        let trials_dir = dir.join(names::TRIALS_DIR);
        let mut on_disk = BTreeSet::new();
        if trials_dir.is_dir() {
            let cannot_list = |source| SweepError::List { dir: trials_dir.clone(), source };
            for entry in std::fs::read_dir(&trials_dir).map_err(cannot_list)? {
                let entry = entry.map_err(cannot_list)?;
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
        let mut sweep = Self {
            name,
            dir: dir.to_path_buf(),
            axes,
            trials,
            spec,
            studies: Vec::new(),
        };
        sweep.studies = sweep.find_study_axes();
        Ok(sweep)
    }

    pub fn complete(&self) -> impl Iterator<Item = &Trial> {
        self.trials.iter().filter(|t| t.is_complete())
    }

    /// Whether any trial comes from `sweep.variants` (the model-size study's shape).
    pub fn has_variants(&self) -> bool {
        self.trials.iter().any(|t| t.variant().is_some())
    }

    /// The value of a setting: the variant name for [`VARIANT`], else the axis value.
    pub fn setting_value(trial: &Trial, name: &str) -> Option<String> {
        if name == VARIANT {
            trial.variant().map(str::to_string)
        } else {
            trial.axis_value(name)
        }
    }

    /// Whether setting `a`'s value fixes setting `b`'s in every pair of trials.
    fn determines(&self, a: &str, b: &str) -> bool {
        self.trials.iter().all(|x| {
            self.trials.iter().all(|y| {
                Self::setting_value(x, a) != Self::setting_value(y, a)
                    || Self::setting_value(x, b) == Self::setting_value(y, b)
            })
        })
    }

    /// The sweep's independent axes, each with the axes that follow it: an axis whose value
    /// is fixed by an earlier axis's value (the walltime zipped to the GPU count) is not a
    /// study of its own, nor is an axis that only the variants set (the variant names the
    /// change). Returns (axis, [axes it determines]).
    pub fn study_axes(&self) -> Vec<(String, Vec<String>)> {
        self.studies.clone()
    }

    fn find_study_axes(&self) -> Vec<(String, Vec<String>)> {
        let variants = self.has_variants();
        let mut studies: Vec<(String, Vec<String>)> = Vec::new();
        for axis in &self.axes {
            if variants && self.determines(VARIANT, axis) {
                continue;
            }
            match studies
                .iter_mut()
                .find(|(first, _)| self.determines(first, axis))
            {
                Some((_, zipped)) => zipped.push(axis.clone()),
                None => studies.push((axis.clone(), Vec::new())),
            }
        }
        studies
    }

    /// What distinguishes a trial's configuration from its siblings, repeats aside: the
    /// variant name and `axis=value` pairs, or `base`.
    pub fn config_label(&self, trial: &Trial) -> String {
        self.config_of(trial, &[]).label()
    }
}
