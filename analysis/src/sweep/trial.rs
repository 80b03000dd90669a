//! One trial as found on disk: its plan row, resolved config, state and whatever result
//! files exist. Accessors prefer the worker's own record (summary.json) and fall back to
//! the plan, so half-finished trials still have a GPU count and a label.

use super::files::{read_csv, read_json, read_yaml};
use super::SweepError;
use crate::quality_metrics::QualityMetrics;
use std::path::Path;
use xvr_contract::results::{names, PlanRow, ProfileRow, ReconstructSummary, Summary, TrainRow, TrialState, TrialStatus, ValidationRow};
use xvr_contract::trial::{value_text, TrialConfig};

#[derive(Debug, Clone)]
pub struct Trial {
    pub id: String,
    pub plan: Option<PlanRow>,
    /// False when the trial is in plan.csv but has no `trials/<id>/` directory.
    pub has_dir: bool,
    pub config: Option<TrialConfig>,
    pub state: Option<TrialState>,
    pub summary: Option<Summary>,
    pub train: Option<Vec<TrainRow>>,
    pub profile: Option<Vec<ProfileRow>>,
    pub validation: Option<Vec<ValidationRow>>,
    /// A reconstruction trial's `reconstruction/reconstruct.json` (its noise level, speed).
    pub reconstruction: Option<ReconstructSummary>,
    /// Files that could not be read or parsed (a running trial may be mid-write, a
    /// finished one damaged). A trial with problems is left out of every table that uses
    /// its numbers, and named in the report and on the terminal; the others are unaffected.
    pub problems: Vec<String>,
    /// Where summary.json disagrees with the numbers recomputed from validation.csv. Such
    /// a trial is shown with both values but never selected.
    pub mismatches: Vec<String>,
}

impl Trial {
    /// Reads `dir` (which may not exist). Nothing here is fatal: what cannot be read is
    /// recorded in `problems`, so one damaged trial does not hide the rest of the sweep.
    pub fn load(id: &str, dir: &Path, plan: Option<PlanRow>) -> Self {
        let mut problems = Vec::new();
        let mut keep = |result: Result<(), SweepError>| {
            if let Err(e) = result {
                problems.push(e.to_string());
            }
        };
        let mut trial = Self {
            id: id.to_string(),
            plan,
            has_dir: dir.is_dir(),
            config: None,
            state: None,
            summary: None,
            train: None,
            profile: None,
            validation: None,
            reconstruction: None,
            problems: Vec::new(),
            mismatches: Vec::new(),
        };
        keep(read_json(&dir.join(names::STATE_JSON)).map(|s| trial.state = s));
        let trial_yaml = dir.join(names::TRIAL_YAML);
        keep(read_yaml::<TrialConfig>(&trial_yaml).and_then(|c| {
            if let Some(c) = &c {
                c.check()
                    .map_err(|source| SweepError::Rule { path: trial_yaml.clone(), source })?;
            }
            trial.config = c;
            Ok(())
        }));
        keep(read_json(&dir.join(names::SUMMARY_JSON)).map(|s| trial.summary = s));
        keep(read_csv(&dir.join(names::TRAIN_CSV)).map(|r| trial.train = r));
        keep(read_csv(&dir.join(names::PROFILE_CSV)).map(|r| trial.profile = r));
        keep(read_csv(&dir.join(names::VALIDATION_CSV)).map(|r| trial.validation = r));
        let record = dir.join(names::RECONSTRUCTION_DIR).join(names::RECONSTRUCT_JSON);
        keep(read_json(&record).map(|r| trial.reconstruction = r));
        trial.problems = problems;
        if let (Some(summary), Some(metrics)) = (
            &trial.summary,
            trial
                .validation
                .as_deref()
                .and_then(QualityMetrics::from_rows),
        ) {
            trial.mismatches = metrics.cross_check(summary);
        }
        trial
    }

    /// Succeeded with final numbers: the only trials whose summary enters the reports.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
            && self
                .state
                .as_ref()
                .is_some_and(|s| s.status == TrialStatus::Succeeded)
            && self
                .summary
                .as_ref()
                .is_some_and(|s| s.status == "succeeded")
    }

    /// Human-readable state, with exit status and reason for failures.
    pub fn status_text(&self) -> String {
        if !self.has_dir {
            return "missing (no trial directory)".into();
        }
        let Some(state) = &self.state else {
            return "unknown (no readable state.json)".into();
        };
        let mut text = self.status_word();
        if let Some(code) = state.exit_status.filter(|c| *c != 0) {
            text.push_str(&format!(" (exit {code})"));
        }
        if let Some(reason) = &state.reason {
            text.push_str(&format!(": {reason}"));
        }
        if state.status == TrialStatus::Succeeded {
            match &self.summary {
                None => text.push_str(" but no summary.json"),
                Some(s) if s.status != "succeeded" => {
                    text.push_str(&format!(" but summary.json status is `{}`", s.status))
                }
                Some(_) => {}
            }
        }
        text
    }

    /// One word for plot labels: the state's name, `missing` or `unknown`.
    pub fn status_word(&self) -> String {
        if !self.has_dir {
            return "missing".into();
        }
        self.state
            .as_ref()
            .and_then(|s| serde_json::to_value(s.status).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "unknown".into())
    }

    /// Whether the trial applies a trained model instead of training (a `reconstruct`
    /// section in its trial.yaml).
    pub fn is_reconstruction(&self) -> bool {
        self.config.as_ref().is_some_and(|c| c.reconstruct.is_some())
    }

    /// Result files the contract expects that are absent.
    pub fn missing_files(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.summary.is_none() {
            missing.push(names::SUMMARY_JSON);
        }
        // A reconstruction trial trains nothing, so it has no train.csv or profile.csv.
        let trains = !self.is_reconstruction();
        if trains && self.train.is_none() {
            missing.push(names::TRAIN_CSV);
        }
        if trains && self.profile.is_none() {
            missing.push(names::PROFILE_CSV);
        }
        if self.validation.is_none() {
            missing.push(names::VALIDATION_CSV);
        }
        missing
    }

    pub fn gpus(&self) -> Option<u32> {
        self.summary
            .as_ref()
            .map(|s| s.gpus)
            .or(self.config.as_ref().map(|c| c.resources.gpus))
            .or(self.plan.as_ref().map(|p| p.gpus))
    }

    /// Nodes as planned (the site's GPUs per node decide them); unknown for a trial
    /// directory that plan.csv does not list.
    pub fn nodes(&self) -> Option<u32> {
        self.plan.as_ref().map(|p| p.nodes)
    }

    pub fn batch_per_gpu(&self) -> Option<usize> {
        self.summary
            .as_ref()
            .map(|s| s.batch_per_gpu)
            .or(self.config.as_ref().map(|c| c.train.batch_per_gpu))
    }

    pub fn repeat(&self) -> u32 {
        self.config
            .as_ref()
            .map(|c| c.meta.repeat)
            .or(self.plan.as_ref().and_then(|p| p.repeat))
            .unwrap_or(0)
    }

    pub fn variant(&self) -> Option<&str> {
        match &self.config {
            Some(c) => c.meta.variant.as_deref(),
            None => self.plan.as_ref().and_then(|p| p.variant.as_deref()),
        }
    }

    /// The value of a swept axis as text: plan.csv first, else the trial's own meta.
    pub fn axis_value(&self, axis: &str) -> Option<String> {
        if let Some(v) = self.plan.as_ref().and_then(|p| p.axes.get(axis)) {
            return Some(v.clone()).filter(|v| !v.is_empty());
        }
        let value = self.config.as_ref()?.meta.axes.get(axis)?;
        Some(value_text(value))
    }
}
