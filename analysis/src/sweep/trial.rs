//! One trial as found on disk: its plan row, resolved config, state and whatever result
//! files exist. Accessors prefer the worker's own record (summary.json) and fall back to
//! the plan, so half-finished trials still have a GPU count and a label.

use super::files::{read_csv, read_json, read_yaml};
use super::plan::PlanRow;
use std::path::Path;
use xvr::results::{names, ProfileRow, Summary, TrainRow, TrialState, TrialStatus, ValidationRow};
use xvr::spec::TrialConfig;

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
    /// Files of an unfinished trial that could not be parsed (a running trial may be
    /// mid-write); shown in the report. For a succeeded trial these are fatal instead.
    pub problems: Vec<String>,
}

impl Trial {
    /// Reads `dir` (which may not exist). Parse errors are fatal only when the trial claims
    /// to have succeeded: then its numbers would be used, and a contract break must stop us.
    pub fn load(id: &str, dir: &Path, plan: Option<PlanRow>) -> Result<Self, String> {
        let state: Option<TrialState> = read_json(&dir.join(names::STATE_JSON))?;
        let strict = state
            .as_ref()
            .is_some_and(|s| s.status == TrialStatus::Succeeded);
        let mut problems = Vec::new();
        let mut keep = |result: Result<(), String>| -> Result<(), String> {
            match result {
                Err(e) if strict => Err(e),
                Err(e) => {
                    problems.push(e);
                    Ok(())
                }
                Ok(()) => Ok(()),
            }
        };
        let mut trial = Self {
            id: id.to_string(),
            plan,
            has_dir: dir.is_dir(),
            config: None,
            state,
            summary: None,
            train: None,
            profile: None,
            validation: None,
            problems: Vec::new(),
        };
        let trial_yaml = dir.join(names::TRIAL_YAML);
        keep(read_yaml::<TrialConfig>(&trial_yaml).and_then(|c| {
            if let Some(c) = &c {
                c.check()
                    .map_err(|e| format!("{}: {e}", trial_yaml.display()))?;
            }
            trial.config = c;
            Ok(())
        }))?;
        keep(read_json(&dir.join(names::SUMMARY_JSON)).map(|s| trial.summary = s))?;
        keep(read_csv(&dir.join(names::TRAIN_CSV)).map(|r| trial.train = r))?;
        keep(read_csv(&dir.join(names::PROFILE_CSV)).map(|r| trial.profile = r))?;
        keep(read_csv(&dir.join(names::VALIDATION_CSV)).map(|r| trial.validation = r))?;
        trial.problems = problems;
        Ok(trial)
    }

    /// Succeeded with final numbers: the only trials whose summary enters the reports.
    pub fn is_complete(&self) -> bool {
        self.state
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
            return "unknown (no state.json)".into();
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

    /// Result files the contract expects that are absent.
    pub fn missing_files(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.summary.is_none() {
            missing.push(names::SUMMARY_JSON);
        }
        if self.train.is_none() {
            missing.push(names::TRAIN_CSV);
        }
        if self.profile.is_none() {
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

    pub fn nodes(&self) -> Option<u32> {
        self.plan
            .as_ref()
            .map(|p| p.nodes)
            .or(self.gpus().map(|g| g.div_ceil(4)))
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
        Some(match value {
            serde_yaml::Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other).ok()?.trim().to_string(),
        })
    }
}
