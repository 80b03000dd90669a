//! The trained trial of a reconstruction trial (docs/reconstruction.md#as-a-trial):
//! `reconstruct.trained` as a spec writes it — a sweep name, `<sweep>/<trial id>` or a trial
//! directory — becomes that trial directory's absolute path, and the trained trial's `model`
//! section is copied into the reconstruction trial, so its trial.yaml says which network it
//! runs and its id changes with the model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::results::{names, Summary};
use crate::spec::rules::RuleError;
use crate::spec::trial::{ModelConfig, TrialConfig};

const FIELD: &str = "reconstruct.trained";

/// What a `trained` text resolves to: the directory and its model.
pub type Resolved = Result<(PathBuf, ModelConfig), RuleError>;

/// Resolves `config.reconstruct.trained` against `results_root` (where `<sweep>/` directories
/// are) and copies the trained model into `config`; `cache` holds what each text resolved
/// to (a sweep of many conditions names one trained trial). Trials without a `reconstruct`
/// section are left as they are.
pub fn resolve(
    config: &mut TrialConfig,
    results_root: &Path,
    cache: &mut HashMap<String, Resolved>,
) -> Result<(), RuleError> {
    let Some(reconstruct) = &mut config.reconstruct else {
        return Ok(());
    };
    let resolved = cache
        .entry(reconstruct.trained.clone())
        .or_insert_with(|| trained_trial(&reconstruct.trained, results_root))
        .clone()?;
    reconstruct.trained = resolved.0.display().to_string();
    config.model = resolved.1;
    Ok(())
}

/// The directory `text` names and the model of its trial.
fn trained_trial(text: &str, results_root: &Path) -> Resolved {
    if text.is_empty() {
        // The rule reports it, with what may be given.
        return Err(RuleError::new(FIELD, "not set: name the trained trial (a sweep name, <sweep>/<trial id>, or a trial directory)"));
    }
    let path = Path::new(text);
    let dir = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [sweep] => best_of(&results_root.join(sweep))?,
            [sweep, id] => results_root.join(sweep).join(names::TRIALS_DIR).join(id),
            _ => results_root.join(path),
        }
    };
    let yaml = dir.join(names::TRIAL_YAML);
    if !yaml.is_file() {
        return Err(RuleError::new(
            FIELD,
            format!(
                "{text}: {} is not a trial directory (no {})",
                dir.display(),
                names::TRIAL_YAML
            ),
        ));
    }
    let trained = TrialConfig::from_yaml_file(&yaml)
        .map_err(|e| RuleError::new(FIELD, format!("{text}: {e}")))?;
    if trained.reconstruct.is_some() {
        return Err(RuleError::new(
            FIELD,
            format!(
                "{text}: {} is itself a reconstruction trial; name a trained one",
                dir.display()
            ),
        ));
    }
    Ok((dir, trained.model))
}

/// The finished training trial of `sweep_dir` with the highest validation PSNR (ties: the
/// smaller id), as the trials' summary.json files say now.
fn best_of(sweep_dir: &Path) -> Result<PathBuf, RuleError> {
    let trials = sweep_dir.join(names::TRIALS_DIR);
    let entries = std::fs::read_dir(&trials).map_err(|e| {
        RuleError::new(
            FIELD,
            format!("{}: cannot list the sweep's trials ({e}); run that sweep first, or name a trial directory", trials.display()),
        )
    })?;
    let mut best: Option<(f64, String)> = None;
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let Ok(bytes) = std::fs::read(entry.path().join(names::SUMMARY_JSON)) else {
            continue;
        };
        let Ok(summary) = serde_json::from_slice::<Summary>(&bytes) else {
            continue;
        };
        let trained = entry.path().join(names::CHECKPOINT_DIR).is_dir();
        if summary.status != "succeeded" || !trained || !summary.psnr_db.is_finite() {
            continue;
        }
        let better = match &best {
            None => true,
            Some((psnr, best_id)) => {
                summary.psnr_db > *psnr || (summary.psnr_db == *psnr && id < *best_id)
            }
        };
        if better {
            best = Some((summary.psnr_db, id));
        }
    }
    best.map(|(_, id)| trials.join(id)).ok_or_else(|| {
        RuleError::new(
            FIELD,
            format!(
                "{}: no finished, checkpointed trial yet (none has a summary.json with status succeeded); run that sweep first, or name a trial",
                trials.display()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trial directory with `trial.yaml` (of `channels`) and, when `psnr` is given, a
    /// finished summary.json and a checkpoint folder.
    fn trial(root: &Path, sweep: &str, id: &str, channels: usize, psnr: Option<f64>) -> PathBuf {
        let dir = root.join(sweep).join(names::TRIALS_DIR).join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = TrialConfig::default();
        config.model.channels = channels;
        std::fs::write(
            dir.join(names::TRIAL_YAML),
            serde_yaml::to_string(&config).unwrap(),
        )
        .unwrap();
        if let Some(psnr) = psnr {
            std::fs::create_dir_all(dir.join(names::CHECKPOINT_DIR)).unwrap();
            let summary = format!(
                r#"{{"trial_id":"{id}","axes":{{}},"gpus":1,"world_size":1,"batch_per_gpu":1,"iterations":1,"train_wall_s":1,"psnr_db":{psnr},"ssim":0.9,"aad":1,"bicubic_psnr_db":30,"infer_s_per_frame":0.1,"params":1,"flops_per_sample":1,"status":"succeeded"}}"#
            );
            std::fs::write(dir.join(names::SUMMARY_JSON), summary).unwrap();
        }
        dir
    }

    fn reconstruction(trained: &str) -> TrialConfig {
        TrialConfig {
            reconstruct: Some(crate::spec::trial::ReconstructConfig {
                trained: trained.into(),
                ..Default::default()
            }),
            ..TrialConfig::default()
        }
    }

    #[test]
    fn a_sweep_name_picks_its_best_finished_trial_and_copies_its_model() {
        let root = tempfile::tempdir().unwrap();
        trial(root.path(), "smoke", "aaaa", 16, Some(31.0));
        let best = trial(root.path(), "smoke", "bbbb", 24, Some(33.5));
        trial(root.path(), "smoke", "cccc", 32, None); // still running
        let mut config = reconstruction("smoke");
        resolve(&mut config, root.path(), &mut HashMap::new()).unwrap();
        assert_eq!(
            config.reconstruct.unwrap().trained,
            best.display().to_string()
        );
        assert_eq!(config.model.channels, 24);
    }

    #[test]
    fn a_sweep_and_id_or_a_directory_name_one_trial() {
        let root = tempfile::tempdir().unwrap();
        let dir = trial(root.path(), "final", "0123456789", 48, None);
        for text in ["final/0123456789".to_string(), dir.display().to_string()] {
            let mut config = reconstruction(&text);
            resolve(&mut config, root.path(), &mut HashMap::new()).unwrap();
            assert_eq!(
                config.reconstruct.unwrap().trained,
                dir.display().to_string()
            );
            assert_eq!(config.model.channels, 48);
        }
    }

    #[test]
    fn what_cannot_be_resolved_is_refused_at_the_field() {
        let root = tempfile::tempdir().unwrap();
        trial(root.path(), "running", "aaaa", 16, None);
        for (text, says) in [
            ("running", "no finished"),
            ("nosuch", "run that sweep first"),
            ("final/0000000000", "not a trial directory"),
        ] {
            let err =
                resolve(&mut reconstruction(text), root.path(), &mut HashMap::new()).unwrap_err();
            assert_eq!(err.path, FIELD);
            assert!(err.message.contains(says), "{text}: {err}");
        }
    }
}
