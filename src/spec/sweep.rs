//! The sweep spec as written: name, site, base trial, and the sweep modes. Reading it
//! checks everything that can be checked without the site profile: syntax, unknown keys,
//! types, axis paths, list shapes, variant names, repeats, an empty sweep. Rules on whole
//! trials (divisibility, GPU counts, queues) are checked after expansion.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::axis;
use super::error::SpecErrors;
use super::marked::{self, Node, NodeKind, Pos};
use super::rules;
use super::suggest;

/// Default site profile name (`pbs/polaris.yaml`).
pub const DEFAULT_SITE: &str = "polaris";

const TOP_KEYS: [&str; 5] = ["name", "site", "account", "base", "sweep"];
const SWEEP_KEYS: [&str; 4] = ["grid", "zip", "variants", "repeats"];
const VARIANT_KEYS: [&str; 2] = ["name", "set"];

/// A value the spec sets at an axis path, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub path: String,
    pub value: Value,
    pub pos: Pos,
}

/// A swept axis: its path and its values, each with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    pub pos: Pos,
    pub values: Vec<Setting>,
}

/// A named one-at-a-time change on the base.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    pub pos: Pos,
    pub set: Vec<Setting>,
}

/// A parsed, structurally valid sweep spec.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The file it was read from (errors name it).
    pub file: PathBuf,
    /// The exact text, copied to `results/<sweep>/sweep.yaml`.
    pub text: String,
    pub name: String,
    pub site: String,
    pub site_pos: Pos,
    pub account: Option<String>,
    /// Leaf values set under `base`.
    pub base: Vec<Setting>,
    pub grid: Vec<Axis>,
    pub zip: Vec<Axis>,
    pub variants: Vec<Variant>,
    pub repeats: u32,
}

impl SweepSpec {
    /// Reads and checks a spec file; every problem found is returned, each with a position.
    pub fn read(file: &Path) -> Result<Self, SpecErrors> {
        let mut errors = SpecErrors::default();
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(
                    file,
                    Pos { line: 1, column: 1 },
                    format!("cannot read the spec: {e}"),
                );
                return Err(errors);
            }
        };
        Self::parse(file, text)
    }

    /// Checks spec `text` as if read from `file`.
    pub fn parse(file: &Path, text: String) -> Result<Self, SpecErrors> {
        let mut errors = SpecErrors::default();
        // Editors on Windows may start a UTF-8 file with a byte-order mark; it is not YAML.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        let root = match marked::parse(&text) {
            Ok(root) => root,
            Err(e) => {
                errors.push(file, e.pos, format!("malformed YAML: {}", e.message));
                return Err(errors);
            }
        };
        let mut reader = Reader {
            file,
            template: axis::template(),
            errors,
        };
        let spec = reader.spec(&root, text);
        reader.errors.into_result(spec)
    }
}

/// Walks the marked tree, collecting errors as it goes.
struct Reader<'a> {
    file: &'a Path,
    template: Value,
    errors: SpecErrors,
}

impl Reader<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(self.file, pos, message);
    }

    /// The entries of a mapping node, or an error naming `what` and `None`.
    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Node, Node)]> {
        let entries = node.as_map();
        if entries.is_none() {
            self.error(
                node.pos,
                format!("{what}: got {}, expected a mapping", node.describe()),
            );
        }
        entries
    }

    /// Checks keys against `allowed`; returns the known (key, value) pairs.
    fn known_keys<'n>(
        &mut self,
        entries: &'n [(Node, Node)],
        section: &str,
        allowed: &[&str],
    ) -> Vec<(&'n str, &'n Node)> {
        let mut seen = BTreeSet::new();
        let mut known = Vec::new();
        for (k, v) in entries {
            let key = k.as_str().unwrap_or_default();
            let shown = if section.is_empty() {
                key.to_string()
            } else {
                format!("{section}.{key}")
            };
            if !allowed.contains(&key) {
                let hint = suggest::hint(key, allowed.iter().copied());
                self.error(
                    k.pos,
                    format!(
                        "unknown key `{shown}`{hint}; allowed here: {}",
                        allowed.join(", ")
                    ),
                );
            } else if !seen.insert(key) {
                self.error(k.pos, format!("duplicate key `{shown}`"));
            } else {
                known.push((key, v));
            }
        }
        known
    }

    fn spec(&mut self, root: &Node, text: String) -> SweepSpec {
        let mut spec = SweepSpec {
            file: self.file.to_path_buf(),
            text,
            name: String::new(),
            site: DEFAULT_SITE.into(),
            site_pos: root.pos,
            account: None,
            base: vec![],
            grid: vec![],
            zip: vec![],
            variants: vec![],
            repeats: 1,
        };
        let Some(entries) = self.mapping(root, "the spec") else {
            return spec;
        };
        let keys = self.known_keys(entries, "", &TOP_KEYS);
        let mut sweep_node = None;
        for (key, value) in &keys {
            match *key {
                "name" => spec.name = self.sweep_name(value),
                "site" => {
                    spec.site = self.text(value, "site", "a site profile name or a path to one");
                    spec.site_pos = value.pos;
                }
                "account" => {
                    spec.account = Some(self.text(value, "account", "a PBS project name (`-A`)"))
                }
                "base" => spec.base = self.base(value),
                "sweep" => sweep_node = Some(*value),
                _ => unreachable!("filtered by known_keys"),
            }
        }
        if !keys.iter().any(|(k, _)| *k == "name") {
            self.error(
                root.pos,
                "missing key `name` (the sweep name: results go to results/<name>/)",
            );
        }
        match sweep_node {
            Some(node) => self.sweep(node, &mut spec),
            None => self.error(
                root.pos,
                "missing key `sweep` (grid, zip, variants and/or repeats)",
            ),
        }
        spec
    }

    fn text(&mut self, node: &Node, field: &str, allowed: &str) -> String {
        match &node.kind {
            NodeKind::Scalar { text, .. } if !text.is_empty() => text.clone(),
            _ => {
                self.error(
                    node.pos,
                    format!("{field}: got {}, expected {allowed}", node.describe()),
                );
                String::new()
            }
        }
    }

    /// Sweep names become directory names and PBS job-name prefixes.
    fn sweep_name(&mut self, node: &Node) -> String {
        let name = self.text(node, "name", "a sweep name");
        if name.len() > rules::MAX_NAME_LEN {
            self.error(
                node.pos,
                format!(
                    "name: `{name}`: {} characters; at most {} (it names the results directory)",
                    name.len(),
                    rules::MAX_NAME_LEN
                ),
            );
            return name;
        }
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name.is_empty() && !ok {
            self.error(
                node.pos,
                format!("name: `{name}`: must start with a letter and use only letters, digits, `_` and `-`"),
            );
        }
        name
    }

    /// `base`: sections of the trial config; every leaf is type-checked.
    fn base(&mut self, node: &Node) -> Vec<Setting> {
        let mut out = Vec::new();
        if let Some(entries) = self.mapping(node, "base") {
            let template = self.template.clone();
            self.base_mapping(entries, "", &template, &mut out);
        }
        out
    }

    fn base_mapping(
        &mut self,
        entries: &[(Node, Node)],
        prefix: &str,
        template: &Value,
        out: &mut Vec<Setting>,
    ) {
        let allowed: Vec<&str> = match template.as_mapping() {
            Some(m) => m.keys().filter_map(Value::as_str).collect(),
            None => vec![],
        };
        let section = if prefix.is_empty() {
            "base".to_string()
        } else {
            format!("base.{prefix}")
        };
        for (key, value) in self.known_keys(entries, &section, &allowed) {
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            let sub = template
                .as_mapping()
                .and_then(|m| m.get(key))
                .cloned()
                .unwrap_or(Value::Null);
            if sub.is_mapping() {
                if let Some(inner) = self.mapping(value, &format!("base.{path}")) {
                    self.base_mapping(inner, &path, &sub, out);
                }
            } else if let Some(setting) = self.setting(&path, value, &format!("base.{path}")) {
                out.push(setting);
            }
        }
    }

    /// A value for the leaf at `path`, type-checked against the trial config.
    fn setting(&mut self, path: &str, node: &Node, shown: &str) -> Option<Setting> {
        let value = node.to_value();
        match axis::check_type(&self.template, path, &value) {
            Ok(()) => Some(Setting {
                path: path.to_string(),
                value,
                pos: node.pos,
            }),
            Err(e) => {
                self.error(
                    node.pos,
                    format!("{shown}: value `{}`: {e}", node.to_value_text()),
                );
                None
            }
        }
    }

    /// An axis path key: must name one setting of the trial.
    fn axis_path(&mut self, key: &Node, section: &str) -> Option<String> {
        let path = key.as_str().unwrap_or_default();
        if axis::is_leaf(&self.template, path) {
            return Some(path.to_string());
        }
        let leaves = axis::leaf_paths(&self.template);
        let hint = suggest::hint(path, leaves.iter().map(String::as_str));
        let sections = axis::SECTIONS.join(", ");
        self.error(
            key.pos,
            format!("{section}: unknown axis path `{path}`{hint}; an axis is a dotted path to one trial setting in {sections}, e.g. model.window"),
        );
        None
    }

    fn sweep(&mut self, node: &Node, spec: &mut SweepSpec) {
        let Some(entries) = self.mapping(node, "sweep") else {
            return;
        };
        for (key, value) in self.known_keys(entries, "sweep", &SWEEP_KEYS) {
            match key {
                "grid" => spec.grid = self.axes(value, "sweep.grid"),
                "zip" => spec.zip = self.zip(value),
                "variants" => spec.variants = self.variants(value),
                "repeats" => spec.repeats = self.repeats(value),
                _ => unreachable!("filtered by known_keys"),
            }
        }
        for a in &spec.zip {
            if let Some(g) = spec.grid.iter().find(|g| g.path == a.path) {
                self.error(
                    a.pos,
                    format!(
                        "sweep.zip.{}: also a grid axis (line {}); an axis is swept by grid or by zip, not both",
                        a.path, g.pos.line
                    ),
                );
            }
        }
        // Judged on what was written, so a grid whose only axis is misspelt is reported
        // as that, not also as empty.
        let declares_trials = entries.iter().any(|(k, v)| {
            ["grid", "zip", "variants"].contains(&k.as_str().unwrap_or_default())
                && match &v.kind {
                    NodeKind::Map(m) => !m.is_empty(),
                    NodeKind::Seq(s) => !s.is_empty(),
                    NodeKind::Scalar { .. } => true,
                }
        });
        if !declares_trials {
            self.error(
                node.pos,
                "sweep: empty sweep: give at least one of `grid`, `zip` or `variants` (with at least one axis or variant)",
            );
        }
    }

    /// A mapping of axis path → non-empty list of values.
    fn axes(&mut self, node: &Node, section: &str) -> Vec<Axis> {
        let mut out = Vec::new();
        let Some(entries) = self.mapping(node, section) else {
            return out;
        };
        let mut seen = BTreeSet::new();
        for (key, list) in entries {
            let Some(path) = self.axis_path(key, section) else {
                continue;
            };
            if !seen.insert(path.clone()) {
                self.error(key.pos, format!("{section}: duplicate axis `{path}`"));
                continue;
            }
            let shown = format!("{section}.{path}");
            let Some(items) = list.as_seq() else {
                self.error(
                    list.pos,
                    format!(
                        "{shown}: got {}, expected a list of values",
                        list.describe()
                    ),
                );
                continue;
            };
            if items.is_empty() {
                self.error(
                    list.pos,
                    format!("{shown}: empty list; give at least one value"),
                );
                continue;
            }
            let values: Vec<Setting> = items
                .iter()
                .filter_map(|v| self.setting(&path, v, &shown))
                .collect();
            if values.len() == items.len() {
                out.push(Axis {
                    path,
                    pos: key.pos,
                    values,
                });
            }
        }
        out
    }

    /// Like a grid, and every list has the same length.
    fn zip(&mut self, node: &Node) -> Vec<Axis> {
        let axes = self.axes(node, "sweep.zip");
        if let Some(first) = axes.first() {
            for a in &axes[1..] {
                if a.values.len() != first.values.len() {
                    self.error(
                        a.pos,
                        format!(
                            "sweep.zip.{}: {} values, but sweep.zip.{} has {}; zip lists are taken in parallel and must have equal lengths",
                            a.path, a.values.len(), first.path, first.values.len()
                        ),
                    );
                }
            }
        }
        axes
    }

    fn variants(&mut self, node: &Node) -> Vec<Variant> {
        let mut out: Vec<Variant> = Vec::new();
        let Some(items) = node.as_seq() else {
            self.error(
                node.pos,
                format!(
                    "sweep.variants: got {}, expected a list of {{name, set}} entries",
                    node.describe()
                ),
            );
            return out;
        };
        for item in items {
            let Some(entries) = self.mapping(item, "sweep.variants entry") else {
                continue;
            };
            let mut name = None;
            let mut set = Vec::new();
            for (key, value) in self.known_keys(entries, "sweep.variants", &VARIANT_KEYS) {
                match key {
                    "name" => {
                        name = Some((
                            self.text(value, "sweep.variants.name", "a variant name"),
                            value.pos,
                        ))
                    }
                    "set" => set = self.variant_set(value),
                    _ => unreachable!("filtered by known_keys"),
                }
            }
            let Some((name, pos)) = name else {
                self.error(item.pos, "sweep.variants: entry without `name`");
                continue;
            };
            if let Some(first) = out.iter().find(|v| v.name == name) {
                self.error(
                    pos,
                    format!(
                        "sweep.variants: duplicate variant name `{name}` (first at line {}); variant names must be unique",
                        first.pos.line
                    ),
                );
                continue;
            }
            out.push(Variant { name, pos, set });
        }
        out
    }

    fn variant_set(&mut self, node: &Node) -> Vec<Setting> {
        let mut out = Vec::new();
        let Some(entries) = self.mapping(node, "sweep.variants.set") else {
            return out;
        };
        for (key, value) in entries {
            if let Some(path) = self.axis_path(key, "sweep.variants.set") {
                let shown = format!("sweep.variants.set.{path}");
                out.extend(self.setting(&path, value, &shown));
            }
        }
        out
    }

    fn repeats(&mut self, node: &Node) -> u32 {
        match node.to_value().as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => n,
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "sweep.repeats: value {}: must be an integer >= 1",
                        node.describe()
                    ),
                );
                1
            }
        }
    }
}
