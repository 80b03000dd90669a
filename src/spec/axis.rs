//! Dotted paths into [`TrialConfig`] (`model.window`, `resources.gpus`, ...).
//!
//! The set of valid paths and the type each one takes come from `TrialConfig` itself: the
//! default config serialised to YAML is the template, and a value is accepted at a path
//! exactly when serde accepts the template with that one value replaced. So the spec
//! format never drifts from the trial type and no schema is written twice.

use serde_yaml::{Mapping, Value};

use super::trial::TrialConfig;

/// The sections of a trial a spec may set (`meta` is written by the planner).
pub const SECTIONS: [&str; 6] = ["model", "data", "train", "resources", "profile", RECONSTRUCT];

/// The optional section that makes a trial a reconstruction trial: present in a trial only
/// when the spec sets something in it.
pub const RECONSTRUCT: &str = "reconstruct";

/// The default trial as a YAML tree, without `meta`, with the defaults of the optional
/// `reconstruct` section (so that its paths are known).
pub fn template() -> Value {
    let trial = TrialConfig {
        reconstruct: Some(Default::default()),
        ..TrialConfig::default()
    };
    let mut v = serde_yaml::to_value(trial).expect("TrialConfig serialises");
    if let Value::Mapping(m) = &mut v {
        m.remove("meta");
    }
    v
}

/// The value at `path` in `tree`, if the path exists.
pub fn get<'a>(tree: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(tree, |node, key| node.as_mapping()?.get(key))
}

/// Replaces the value at an existing `path` of `tree`.
pub fn set(tree: &mut Value, path: &str, value: Value) {
    let mut node = tree;
    for key in path.split('.') {
        node = node
            .as_mapping_mut()
            .and_then(|m| m.get_mut(key))
            .unwrap_or_else(|| panic!("axis path {path} checked before set"));
    }
    *node = value;
}

/// Whether `path` names a single setting (not a section or sub-section).
pub fn is_leaf(template: &Value, path: &str) -> bool {
    matches!(get(template, path), Some(v) if !v.is_mapping())
}

/// Every leaf path of the template, in declaration order.
pub fn leaf_paths(template: &Value) -> Vec<String> {
    fn walk(prefix: &str, m: &Mapping, out: &mut Vec<String>) {
        for (k, v) in m {
            let key = k.as_str().unwrap_or_default();
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            match v {
                Value::Mapping(inner) => walk(&path, inner, out),
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    if let Some(m) = template.as_mapping() {
        walk("", m, &mut out);
    }
    out
}

/// Checks that `value` has the type the trial field at `path` takes, by deserialising the
/// template with just that value replaced. The error is serde's, which says what is allowed.
pub fn check_type(template: &Value, path: &str, value: &Value) -> Result<(), serde_yaml::Error> {
    let mut tree = template.clone();
    set(&mut tree, path, value.clone());
    serde_yaml::from_value::<TrialConfig>(tree).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_knows_the_paper_axes() {
        let t = template();
        for p in [
            "model.lr_frames",
            "model.window",
            "data.fraction",
            "model.heads",
            "model.channels",
            "model.depths",
            "resources.gpus",
            "train.batch_per_gpu",
            "data.synthetic.videos",
        ] {
            assert!(is_leaf(&t, p), "{p}");
        }
        assert!(!is_leaf(&t, "model"));
        assert!(!is_leaf(&t, "model.windw"));
        assert!(leaf_paths(&t).contains(&"resources.queue".to_string()));
    }

    #[test]
    fn type_check_accepts_right_and_names_the_expected_type_for_wrong() {
        let t = template();
        assert!(check_type(&t, "model.window", &Value::from(4)).is_ok());
        assert!(check_type(&t, "resources.queue", &Value::from("prod")).is_ok());
        let err = check_type(&t, "model.window", &Value::from("big")).unwrap_err().to_string();
        assert!(err.contains("expected usize"), "{err}");
        let err = check_type(&t, "profile.preset", &Value::from("fancy")).unwrap_err().to_string();
        assert!(err.contains("hta") && err.contains("paper"), "{err}");
    }

    #[test]
    fn set_replaces_one_value() {
        let mut t = template();
        set(
            &mut t,
            "model.depths",
            serde_yaml::from_str("[4, 4, 36, 4]").unwrap(),
        );
        let trial: TrialConfig = serde_yaml::from_value(t).unwrap();
        assert_eq!(trial.model.depths, vec![4, 4, 36, 4]);
        assert_eq!(trial.model.window, 8);
    }
}
