//! Expansion of a spec into trials: variants (or just the base) × grid × zip × repeats.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::axis;
use super::marked::Pos;
use super::sweep::{Setting, SweepSpec};
use super::trial::{
    DataConfig, ModelConfig, ProfileConfig, ReconstructConfig, ResourcesConfig, TrainConfig, TrialConfig, TrialMeta,
};

/// One trial before it has an id: its config and where each value it got came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedTrial {
    /// Resolved config; `meta` has everything but `id`.
    pub config: TrialConfig,
    /// Axis path → position of the spec value that set it: the base's (shared by every
    /// trial) overridden by the trial's own settings, in order (later settings win).
    pub sources: Sources,
}

/// Where a trial's values were written in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    pub base: Rc<BTreeMap<String, Pos>>,
    pub set: Vec<(String, Pos)>,
}

impl Sources {
    /// The position of the value at `path`, if the spec set it.
    pub fn get(&self, path: &str) -> Option<Pos> {
        match self.set.iter().rev().find(|(p, _)| p == path) {
            Some((_, pos)) => Some(*pos),
            None => self.base.get(path).copied(),
        }
    }

    /// Where in the spec a rule about `fields` (in order of preference) should point: the
    /// value of the first field the spec set, itself or through a section that holds it
    /// (`fallback` when it set none).
    pub fn locate<'a>(&self, fields: impl IntoIterator<Item = &'a str>, fallback: Pos) -> Pos {
        fields
            .into_iter()
            .find_map(|field| {
                // `data.synthetic.height`, then `data.synthetic`, then `data`.
                std::iter::successors(Some(field), |f| f.rsplit_once('.').map(|(parent, _)| parent))
                    .find_map(|f| self.get(f))
            })
            .unwrap_or(fallback)
    }
}

/// A section that did not deserialise: values were type-checked when the spec was read,
/// so this is a bug, reported as an error rather than a panic.
#[derive(Debug, thiserror::Error)]
#[error("{}: internal error expanding a trial: {section}: {source}", file.display())]
pub struct ExpandError {
    pub file: std::path::PathBuf,
    pub section: &'static str,
    pub source: serde_yaml::Error,
}

/// Expands a spec.
///
/// Each section of a trial (model, data, train, resources, profile) depends only on the
/// settings that touch it, and a sweep of many trials has few distinct sections (a grid of
/// 100 seeds × 1000 data seeds has 100 train and 1000 data sections), so each distinct
/// section is deserialised once and cloned into its trials: expansion stays linear and
/// cheap at 100 000 trials.
pub fn expand(spec: &SweepSpec) -> Result<Vec<ExpandedTrial>, ExpandError> {
    let mut base = axis::template();
    let mut base_sources = BTreeMap::new();
    apply(&mut base, &mut base_sources, &spec.base);
    let base_sources = Rc::new(base_sources);

    // Axis paths recorded in meta.axes: everything a variant, the grid or zip changes.
    let mut axis_paths: Vec<&str> = Vec::new();
    let varied = spec
        .variants
        .iter()
        .flat_map(|v| v.set.iter().map(|s| s.path.as_str()));
    for path in varied.chain(spec.grid.iter().chain(&spec.zip).map(|a| a.path.as_str())) {
        if !axis_paths.contains(&path) {
            axis_paths.push(path);
        }
    }

    let variants: Vec<(Option<&str>, &[Setting])> = if spec.variants.is_empty() {
        vec![(None, &[])]
    } else {
        spec.variants
            .iter()
            .map(|v| (Some(v.name.as_str()), v.set.as_slice()))
            .collect()
    };
    let zip_len = spec.zip.first().map_or(1, |a| a.values.len());
    let internal = |(section, source): (&'static str, serde_yaml::Error)| ExpandError {
        file: spec.file.clone(),
        section,
        source,
    };

    let prefix = format!("{}.", axis::RECONSTRUCT);
    let reconstructs = spec
        .base
        .iter()
        .chain(spec.variants.iter().flat_map(|v| &v.set))
        .map(|s| &s.path)
        .chain(spec.grid.iter().chain(&spec.zip).map(|a| &a.path))
        .any(|path| path.starts_with(&prefix));
    let mut sections = Sections::default();
    let points = grid_points(spec);
    let mut trials = Vec::new();
    for (variant, changes) in variants {
        for point in &points {
            for z in 0..zip_len {
                // Later settings win: the variant, then the grid point, then the zip entry.
                let settings: Vec<&Setting> = changes
                    .iter()
                    .chain(point.iter().copied())
                    .chain(spec.zip.iter().map(|a| &a.values[z]))
                    .collect();
                let sources = Sources {
                    base: base_sources.clone(),
                    set: settings.iter().map(|s| (s.path.clone(), s.pos)).collect(),
                };
                let axes: BTreeMap<String, Value> = axis_paths
                    .iter()
                    .map(|p| {
                        let set = settings.iter().rev().find(|s| s.path == *p);
                        let value = match set {
                            Some(s) => s.value.clone(),
                            None => axis::get(&base, p).cloned().unwrap_or(Value::Null),
                        };
                        (p.to_string(), value)
                    })
                    .collect();
                let section_config =
                    sections.config(&base, &settings, reconstructs).map_err(internal)?;
                for repeat in 0..spec.repeats {
                    let mut config = section_config.clone();
                    config.meta = TrialMeta {
                        id: String::new(),
                        sweep: spec.name.clone(),
                        variant: variant.map(str::to_string),
                        repeat,
                        axes: axes.clone(),
                    };
                    trials.push(ExpandedTrial {
                        config,
                        sources: sources.clone(),
                    });
                }
            }
        }
    }
    Ok(trials)
}

/// Deserialised sections, one per distinct set of settings touching the section (keyed by
/// the settings' addresses in the spec, which outlives the expansion).
#[derive(Default)]
struct Sections {
    model: HashMap<Vec<usize>, ModelConfig>,
    data: HashMap<Vec<usize>, DataConfig>,
    train: HashMap<Vec<usize>, TrainConfig>,
    resources: HashMap<Vec<usize>, ResourcesConfig>,
    profile: HashMap<Vec<usize>, ProfileConfig>,
    reconstruct: HashMap<Vec<usize>, ReconstructConfig>,
}

impl Sections {
    /// The trial config of `base` with `settings` applied in order (`meta` left default).
    /// `reconstructs`: whether the spec sets anything in the `reconstruct` section (in its
    /// base or anywhere in the sweep), which makes every trial a reconstruction trial.
    fn config(
        &mut self,
        base: &Value,
        settings: &[&Setting],
        reconstructs: bool,
    ) -> Result<TrialConfig, (&'static str, serde_yaml::Error)> {
        let reconstruct = match reconstructs {
            true => Some(section(&mut self.reconstruct, base, axis::RECONSTRUCT, settings)?),
            false => None,
        };
        Ok(TrialConfig {
            meta: TrialMeta::default(),
            model: section(&mut self.model, base, "model", settings)?,
            data: section(&mut self.data, base, "data", settings)?,
            train: section(&mut self.train, base, "train", settings)?,
            resources: section(&mut self.resources, base, "resources", settings)?,
            profile: section(&mut self.profile, base, "profile", settings)?,
            reconstruct,
        })
    }
}

/// Section `name` of `base` with the settings under it applied, from `cache` or freshly
/// deserialised (with the same rules as a whole trial: unknown fields refused).
fn section<T: DeserializeOwned + Clone>(
    cache: &mut HashMap<Vec<usize>, T>,
    base: &Value,
    name: &'static str,
    settings: &[&Setting],
) -> Result<T, (&'static str, serde_yaml::Error)> {
    let prefix = format!("{name}.");
    let mine: Vec<&Setting> = settings
        .iter()
        .copied()
        .filter(|s| s.path.starts_with(&prefix))
        .collect();
    let key: Vec<usize> = mine.iter().map(|s| *s as *const Setting as usize).collect();
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    let mut tree = base.get(name).cloned().unwrap_or(Value::Null);
    for s in &mine {
        axis::set(&mut tree, &s.path[prefix.len()..], s.value.clone());
    }
    let value: T = serde_yaml::from_value(tree).map_err(|e| (name, e))?;
    cache.insert(key, value.clone());
    Ok(value)
}

fn apply(tree: &mut Value, sources: &mut BTreeMap<String, Pos>, settings: &[Setting]) {
    for s in settings {
        axis::set(tree, &s.path, s.value.clone());
        sources.insert(s.path.clone(), s.pos);
    }
}

/// The cartesian product of the grid axes, last axis varying fastest.
fn grid_points(spec: &SweepSpec) -> Vec<Vec<&Setting>> {
    spec.grid.iter().fold(vec![vec![]], |points, axis| {
        points
            .iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut next = p.clone();
                    next.push(v);
                    next
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn expand_text(text: &str) -> Vec<ExpandedTrial> {
        let spec = SweepSpec::parse(Path::new("t.yaml"), text.to_string()).unwrap();
        expand(&spec).unwrap()
    }

    #[test]
    fn grid_is_a_cartesian_product_times_repeats() {
        let trials = expand_text(
            "name: t\nsweep:\n  grid:\n    model.window: [2, 4]\n    train.batch_per_gpu: [1, 5, 10]\n  repeats: 2\n",
        );
        assert_eq!(trials.len(), 2 * 3 * 2);
        let combos: Vec<(usize, usize, u32)> = trials
            .iter()
            .map(|t| {
                (
                    t.config.model.window,
                    t.config.train.batch_per_gpu,
                    t.config.meta.repeat,
                )
            })
            .collect();
        assert_eq!(combos[0], (2, 1, 0));
        assert_eq!(combos[1], (2, 1, 1));
        assert_eq!(combos[2], (2, 5, 0));
        assert_eq!(combos[11], (4, 10, 1));
    }

    #[test]
    fn zip_takes_lists_in_parallel_and_variants_change_one_thing_each() {
        let trials = expand_text(concat!(
            "name: t\nbase:\n  model: {channels: 96}\n",
            "sweep:\n  zip:\n    resources.gpus: [4, 8]\n    resources.walltime: ['02:00:00', '01:00:00']\n",
            "  variants:\n    - {name: baseline, set: {}}\n    - {name: heads1, set: {model.heads: 1}}\n",
        ));
        assert_eq!(trials.len(), 4);
        let t = &trials[3];
        assert_eq!(t.config.meta.variant.as_deref(), Some("heads1"));
        assert_eq!((t.config.model.heads, t.config.model.channels), (1, 96));
        assert_eq!(
            (
                t.config.resources.gpus,
                t.config.resources.walltime.as_str()
            ),
            (8, "01:00:00")
        );
        assert_eq!(trials[0].config.model.heads, 3);
        let axes: Vec<&String> = t.config.meta.axes.keys().collect();
        assert_eq!(
            axes,
            ["model.heads", "resources.gpus", "resources.walltime"]
        );
        assert_eq!(trials[0].config.meta.axes["model.heads"], Value::from(3));
    }

    #[test]
    fn a_spec_that_sets_reconstruct_makes_every_trial_a_reconstruction() {
        use crate::spec::trial::ReconstructConfig;
        use xvr_contract::reconstruct::HrEvery;
        let trials = expand_text(concat!(
            "name: t\nbase:\n  reconstruct: {trained: smoke}\n",
            "sweep:\n  grid:\n    reconstruct.hr_every: [2, first_last]\n",
            "    reconstruct.lr_psnr_db: [20, .inf]\n",
        ));
        let got: Vec<(HrEvery, f64)> = trials
            .iter()
            .map(|t| {
                let r: &ReconstructConfig = t.config.reconstruct.as_ref().unwrap();
                assert_eq!(r.trained, "smoke");
                (r.hr_every, r.lr_psnr_db)
            })
            .collect();
        let inf = f64::INFINITY;
        let (two, ends) = (HrEvery::Frames(2), HrEvery::FirstLast);
        assert_eq!(got, [(two, 20.0), (two, inf), (ends, 20.0), (ends, inf)]);
        // A variant alone is enough; a spec that never names the section trains.
        let varied = expand_text(
            "name: t\nsweep:\n  variants:\n    - {name: a, set: {reconstruct.trained: x}}\n",
        );
        assert!(varied[0].config.reconstruct.is_some());
        let training = expand_text("name: t\nsweep:\n  grid:\n    model.window: [4]\n");
        assert!(training[0].config.reconstruct.is_none());
    }

    #[test]
    fn shared_sections_give_the_configs_of_whole_trial_deserialisation() {
        // Two axes in one section, one in another, a variant touching a third, a zip, and
        // repeats: every trial must equal the template with its settings applied in order
        // and deserialised as a whole (the straightforward expansion).
        let spec = SweepSpec::parse(
            Path::new("t.yaml"),
            concat!(
                "name: t\nbase:\n  train: {lr: 1.0e-4}\n  data: {crop_lr: 16}\n",
                "sweep:\n  grid:\n    train.seed: [1, 2]\n    train.batch_per_gpu: [1, 4]\n",
                "    data.seed: [7, 8]\n  zip:\n    resources.gpus: [4, 8]\n",
                "    resources.walltime: ['01:00:00', 1800]\n",
                "  variants:\n    - {name: a, set: {}}\n    - {name: b, set: {model.window: 4, train.seed: 9}}\n",
                "  repeats: 2\n",
            )
            .to_string(),
        )
        .unwrap();
        let trials = expand(&spec).unwrap();
        assert_eq!(trials.len(), 2 * 2 * 2 * 2 * 2 * 2);
        for t in &trials {
            let mut tree = axis::template();
            for s in &spec.base {
                axis::set(&mut tree, &s.path, s.value.clone());
            }
            let variant = spec
                .variants
                .iter()
                .find(|v| Some(&v.name) == t.config.meta.variant.as_ref())
                .unwrap();
            for s in &variant.set {
                axis::set(&mut tree, &s.path, s.value.clone());
            }
            for (path, value) in &t.config.meta.axes {
                if !variant.set.iter().any(|s| &s.path == path)
                    || spec.grid.iter().chain(&spec.zip).any(|a| &a.path == path)
                {
                    axis::set(&mut tree, path, value.clone());
                }
            }
            let mut whole: TrialConfig = serde_yaml::from_value(tree).unwrap();
            whole.meta = t.config.meta.clone();
            // The spec sets nothing in the optional reconstruct section: training trials.
            whole.reconstruct = None;
            assert_eq!(t.config, whole);
        }
        let b = trials
            .iter()
            .find(|t| t.config.meta.variant.as_deref() == Some("b"))
            .unwrap();
        assert_eq!(
            (
                b.config.model.window,
                b.config.train.lr,
                b.config.data.crop_lr
            ),
            (4, 1e-4, 16)
        );
        // The grid's train.seed is applied after the variant's, so the grid wins.
        assert!([1, 2].contains(&b.config.train.seed));
        // Repeats vary fastest, then the zip entry.
        assert_eq!(trials[2].config.resources.walltime, "1800");
    }

    #[test]
    fn locate_points_at_the_value_of_the_first_field_the_spec_set() {
        let trials = expand_text(
            "name: t\nbase:\n  model:\n    heads: 5\nsweep:\n  grid:\n    model.channels: [10]\n",
        );
        let t = &trials[0];
        let pos = t.sources.locate(["model.channels", "model.heads"], Pos::default());
        assert_eq!(pos.line, 7);
        let pos = t.sources.locate(["model.heads"], Pos::default());
        assert_eq!(
            pos,
            Pos {
                line: 4,
                column: 12
            }
        );
    }
}
