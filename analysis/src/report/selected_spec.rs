//! `selected.yaml`: a ready sweep spec for the final training run (the spec format of
//! `src/spec/`): `base` = the selected trial's model, data and training settings with the
//! sweep's base resources (not the selected trial's GPU count or walltime), and one
//! variant that applies the final run's changes (by default the paper's 75 000 iterations
//! with 2000 warm-up iterations).

use crate::output_error::OutputError;
use crate::sweep::Sweep;
use serde::Serialize;
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};
use xvr_contract::trial::TrialConfig;

/// What the final run changes relative to the selected trial.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalRun {
    /// Variant name in the written spec.
    pub variant: String,
    /// Dotted path → value, applied by the variant.
    pub set: Vec<(String, Value)>,
}

impl Default for FinalRun {
    /// The paper's final model: 75 k iterations, warm-up 2000 (§5).
    fn default() -> Self {
        Self {
            variant: "final".into(),
            set: vec![
                ("train.iterations".into(), Value::from(75_000)),
                ("train.warmup".into(), Value::from(2000)),
            ],
        }
    }
}

impl FinalRun {
    /// Adds or replaces one `PATH=VALUE` (VALUE is YAML: `75000`, `prod`, `[2, 2, 18, 2]`).
    pub fn apply(&mut self, assignment: &str) -> Result<(), FinalSetError> {
        let (path, text) = assignment
            .split_once('=')
            .ok_or_else(|| FinalSetError::NotAnAssignment { assignment: assignment.to_string() })?;
        let path = path.trim();
        if !path.contains('.') {
            return Err(FinalSetError::NotADottedPath {
                assignment: assignment.to_string(),
                path: path.to_string(),
            });
        }
        let value: Value = serde_yaml::from_str(text).map_err(|source| FinalSetError::NotYaml {
            assignment: assignment.to_string(),
            value: text.to_string(),
            source,
        })?;
        self.set.retain(|(p, _)| p != path);
        self.set.push((path.to_string(), value));
        Ok(())
    }
}

/// A `--final-set` the final run cannot apply.
#[derive(Debug, thiserror::Error)]
pub enum FinalSetError {
    #[error("--final-set `{assignment}`: expected PATH=VALUE, e.g. train.iterations=75000")]
    NotAnAssignment { assignment: String },
    #[error("--final-set `{assignment}`: `{path}` is not a dotted path like train.iterations")]
    NotADottedPath { assignment: String, path: String },
    #[error("--final-set `{assignment}`: value `{value}` is not YAML: {source}")]
    NotYaml { assignment: String, value: String, source: serde_yaml::Error },
}

#[derive(Serialize)]
struct Spec {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    site: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Value>,
    base: Mapping,
    sweep: SweepPart,
}

#[derive(Serialize)]
struct SweepPart {
    variants: Vec<VariantPart>,
}

#[derive(Serialize)]
struct VariantPart {
    name: String,
    set: Mapping,
}

/// Drops null leaves: an unset optional setting is the default and need not be written.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Mapping(m) => Value::Mapping(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The spec text, headed by a comment saying where it came from.
pub fn render(
    sweep: &Sweep,
    config: &TrialConfig,
    run: &FinalRun,
    header: &str,
) -> Result<String, OutputError> {
    let mut base = Mapping::new();
    let sections = [
        ("model", serde_yaml::to_value(&config.model)),
        ("data", serde_yaml::to_value(&config.data)),
        ("train", serde_yaml::to_value(&config.train)),
    ];
    for (name, value) in sections {
        let value = value.map_err(|source| OutputError::Serialise { what: name, source })?;
        base.insert(Value::from(name), without_nulls(value));
    }
    // A fixed total of samples overrides the iteration count: a final run that sets the
    // iterations must not inherit the scaling study's total.
    if run.set.iter().any(|(p, _)| p == "train.iterations") {
        if let Some(Value::Mapping(train)) = base.get_mut("train") {
            train.remove("total_samples");
        }
    }
    let from_spec = |key: &str| sweep.spec.as_ref().and_then(|s| s.get(key)).cloned();
    // Resources are not what the selection chose: the sweep's own base resources stay.
    if let Some(resources) = from_spec("base").and_then(|b| b.get("resources").cloned()) {
        base.insert(Value::from("resources"), resources);
    }
    let spec = Spec {
        name: format!("{}-final", sweep.name),
        site: from_spec("site"),
        account: from_spec("account"),
        base,
        sweep: SweepPart {
            variants: vec![VariantPart {
                name: run.variant.clone(),
                set: run
                    .set
                    .iter()
                    .map(|(p, v)| (Value::from(p.as_str()), v.clone()))
                    .collect(),
            }],
        },
    };
    let body = serde_yaml::to_string(&spec)
        .map_err(|source| OutputError::Serialise { what: "the spec", source })?;
    let comment: String = header.lines().map(|l| format!("# {l}\n")).collect();
    Ok(format!("{comment}{body}"))
}

pub fn write(
    sweep: &Sweep,
    config: &TrialConfig,
    run: &FinalRun,
    header: &str,
    out: &Path,
) -> Result<PathBuf, OutputError> {
    let path = out.join("selected.yaml");
    let text = render(sweep, config, run, header)?;
    xvr_contract::results::write_atomic(&path, text.as_bytes())
        .map_err(|source| OutputError::File { path: path.clone(), source })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_set_parses_yaml_values_and_replaces() {
        let mut run = FinalRun::default();
        run.apply("train.iterations=1000").unwrap();
        run.apply("resources.queue=prod").unwrap();
        assert_eq!(run.set[0], ("train.warmup".to_string(), Value::from(2000)));
        assert!(run
            .set
            .contains(&("train.iterations".to_string(), Value::from(1000))));
        assert!(run
            .set
            .contains(&("resources.queue".to_string(), Value::from("prod"))));
        assert!(run.apply("iterations").unwrap_err().to_string().contains("PATH=VALUE"));
        assert!(run
            .apply("iterations=3")
            .unwrap_err()
            .to_string()
            .contains("dotted path"));
    }
}
