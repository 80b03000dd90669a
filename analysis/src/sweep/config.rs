//! A trial's configuration: every setting that tells it apart from its siblings except the
//! repeat index (the variant name and the value of each swept axis). Only trials of equal
//! configuration are repeats of one another; every report section groups by it, leaving
//! out the settings that the section puts on its own axis (the GPU count for scaling, the
//! batch size for utilisation, the studied axis for quality).

use super::{Sweep, Trial};

/// Name of the pseudo-setting holding the variant (`sweep.variants`).
pub const VARIANT: &str = "variant";

/// The GPU-count axis.
pub const GPUS_AXIS: &str = "resources.gpus";

/// Prefix of the axes that ask for machine resources rather than set the model, data or
/// training recipe (GPU count, walltime, queue, threads).
pub const RESOURCES_PREFIX: &str = "resources.";

/// Setting name → value (empty when the trial leaves the setting at the base), in the
/// sweep's order: the variant first, then the axes in plan.csv order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Config(pub Vec<(String, String)>);

impl Config {
    /// `heads1, model.window=4`: the variant by its name, axes as `axis=value`; `base`
    /// when nothing tells the trial apart.
    pub fn label(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                if k == VARIANT {
                    v.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        if parts.is_empty() {
            "base".into()
        } else {
            parts.join(", ")
        }
    }

    /// Values in setting order (for the table columns named by [`Sweep::config_names`]).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, v)| v.as_str())
    }
}

impl Sweep {
    /// The settings that tell configurations apart, leaving out `without` and every axis
    /// tied to one of them (zipped with it: the walltime that follows the GPU count). An
    /// axis tied to an earlier one adds nothing and is left out too.
    pub fn config_names(&self, without: &[&str]) -> Vec<String> {
        let mut names = Vec::new();
        if self.has_variants() && !without.contains(&VARIANT) {
            names.push(VARIANT.to_string());
        }
        for (axis, tied) in self.study_axes() {
            let dropped = without
                .iter()
                .any(|w| *w == axis || tied.iter().any(|t| t == w));
            if !dropped {
                names.push(axis);
            }
        }
        names
    }

    /// `trial`'s configuration over `names` (from [`Sweep::config_names`]).
    pub fn config_over(&self, trial: &Trial, names: &[String]) -> Config {
        Config(
            names
                .iter()
                .map(|n| {
                    (
                        n.clone(),
                        Sweep::setting_value(trial, n).unwrap_or_default(),
                    )
                })
                .collect(),
        )
    }

    /// `trial`'s configuration without the settings `without` (and those tied to them).
    pub fn config_of(&self, trial: &Trial, without: &[&str]) -> Config {
        self.config_over(trial, &self.config_names(without))
    }

    /// The axes that set the model, data or training recipe: the hyperparameters a
    /// selection chooses (resources are not among them).
    pub fn resource_axes(&self) -> Vec<&str> {
        self.axes
            .iter()
            .filter(|a| a.starts_with(RESOURCES_PREFIX))
            .map(String::as_str)
            .collect()
    }
}

/// Items grouped by key, groups in order of first appearance, items in input order.
pub fn group_by<T, K: PartialEq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for item in items {
        let k = key(&item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_the_variant_bare_and_axes_with_values() {
        let c = Config(vec![
            (VARIANT.into(), "heads1".into()),
            ("model.window".into(), "4".into()),
            ("model.channels".into(), String::new()),
        ]);
        assert_eq!(c.label(), "heads1, model.window=4");
        assert_eq!(Config::default().label(), "base");
    }

    #[test]
    fn groups_keep_first_appearance_order() {
        let g = group_by([3, 1, 4, 1, 5, 9, 2, 6], |x| x % 2);
        assert_eq!(g, vec![(1, vec![3, 1, 1, 5, 9]), (0, vec![4, 2, 6])]);
    }
}
