//! Expansion of a spec into trials: variants (or just the base) × grid × zip × repeats.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::axis;
use super::marked::Pos;
use super::sweep::{Setting, SweepSpec};
use super::trial::{TrialConfig, TrialMeta};

/// One trial before it has an id: its config and where each value it got came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedTrial {
    /// Resolved config; `meta` has everything but `id`.
    pub config: TrialConfig,
    /// Axis path → position of the spec value that set it (later settings win).
    pub sources: BTreeMap<String, Pos>,
}

impl ExpandedTrial {
    /// Where in the spec a rule message about this trial should point: the value of the
    /// first field the message names that the spec set (`fallback` when it set none).
    pub fn locate(&self, message: &str, fallback: Pos) -> Pos {
        self.sources
            .iter()
            .filter_map(|(path, pos)| message.find(path.as_str()).map(|at| (at, *pos)))
            .min_by_key(|(at, _)| *at)
            .map_or(fallback, |(_, pos)| pos)
    }
}

/// Expands a spec. Values were type-checked when the spec was read, so a config that
/// fails to deserialise here is a bug, reported as an error rather than a panic.
pub fn expand(spec: &SweepSpec) -> Result<Vec<ExpandedTrial>, String> {
    let mut base = axis::template();
    let mut base_sources = BTreeMap::new();
    apply(&mut base, &mut base_sources, &spec.base);

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

    let mut trials = Vec::new();
    for (variant, changes) in variants {
        for point in grid_points(spec) {
            for z in 0..zip_len {
                let zipped: Vec<Setting> = spec.zip.iter().map(|a| a.values[z].clone()).collect();
                for repeat in 0..spec.repeats {
                    let mut tree = base.clone();
                    let mut sources = base_sources.clone();
                    apply(&mut tree, &mut sources, changes);
                    apply(&mut tree, &mut sources, &point);
                    apply(&mut tree, &mut sources, &zipped);
                    let axes = axis_paths
                        .iter()
                        .map(|p| {
                            (
                                p.to_string(),
                                axis::get(&tree, p).cloned().unwrap_or(Value::Null),
                            )
                        })
                        .collect();
                    let mut config = axis::to_trial(tree).map_err(|e| {
                        format!(
                            "{}: internal error expanding a trial: {e}",
                            spec.file.display()
                        )
                    })?;
                    config.meta = TrialMeta {
                        id: String::new(),
                        sweep: spec.name.clone(),
                        variant: variant.map(str::to_string),
                        repeat,
                        axes,
                    };
                    trials.push(ExpandedTrial { config, sources });
                }
            }
        }
    }
    Ok(trials)
}

fn apply(tree: &mut Value, sources: &mut BTreeMap<String, Pos>, settings: &[Setting]) {
    for s in settings {
        axis::set(tree, &s.path, s.value.clone());
        sources.insert(s.path.clone(), s.pos);
    }
}

/// The cartesian product of the grid axes, last axis varying fastest.
fn grid_points(spec: &SweepSpec) -> Vec<Vec<Setting>> {
    spec.grid.iter().fold(vec![vec![]], |points, axis| {
        points
            .iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut next = p.clone();
                    next.push(v.clone());
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
    fn locate_points_at_the_value_a_message_names() {
        let trials = expand_text(
            "name: t\nbase:\n  model:\n    heads: 5\nsweep:\n  grid:\n    model.channels: [10]\n",
        );
        let t = &trials[0];
        let pos = t.locate(
            "model.channels: 10 is not divisible by model.heads 5",
            Pos::default(),
        );
        assert_eq!(pos.line, 7);
        let pos = t.locate("model.heads is odd", Pos::default());
        assert_eq!(
            pos,
            Pos {
                line: 4,
                column: 12
            }
        );
    }
}
