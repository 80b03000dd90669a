//! Layer 2: trials + a site profile → queues, nodes, node-hours and job scripts.
//! Everything a scheduler would reject is rejected here first, at the spec value to change.

pub mod job_script;
pub mod pack;
pub mod site;
pub mod table;
pub mod trial_id;
pub mod walltime;
pub mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::results::names;
use crate::spec::marked::Pos;
use crate::spec::{expand, ExpandedTrial, SpecErrors, SweepSpec, TrialConfig};
use site::SiteProfile;

/// One trial, placed on the site.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTrial {
    /// Resolved config, `meta.id` filled in.
    pub config: TrialConfig,
    pub nodes: u32,
    pub queue: String,
    pub walltime_s: u64,
    pub job_script: String,
}

impl PlannedTrial {
    pub fn id(&self) -> &str {
        &self.config.meta.id
    }

    /// Nodes × walltime hours: what the allocation is charged at most.
    pub fn node_hours(&self) -> f64 {
        f64::from(self.nodes) * self.walltime_s as f64 / 3600.0
    }
}

/// A whole sweep, placed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: SweepSpec,
    pub site: SiteProfile,
    /// `results/<sweep>`, absolute.
    pub sweep_dir: PathBuf,
    /// Axis paths in the order plan.csv and the table show them.
    pub axes: Vec<String>,
    pub trials: Vec<PlannedTrial>,
}

impl Plan {
    /// Reads, validates and places a spec; `results_root` is where `<sweep>/` would go.
    pub fn build(spec_file: &Path, results_root: &Path) -> Result<Plan, SpecErrors> {
        let spec = SweepSpec::read(spec_file)?;
        let mut errors = SpecErrors::default();
        let file = spec.file.clone();
        let root_pos = Pos { line: 1, column: 1 };
        let site = match site::find(&spec.site, &file).and_then(|p| SiteProfile::load(&p)) {
            Ok(site) => site,
            Err(e) => {
                errors.push(&file, spec.site_pos, format!("site: {e}"));
                return Err(errors);
            }
        };
        let account = match spec.account.clone().or_else(|| site.account.clone()) {
            Some(a) => a,
            None => {
                errors.push(
                    &file,
                    root_pos,
                    format!(
                        "account: none given and site {} has no default; set `account:` (PBS -A)",
                        site.name
                    ),
                );
                String::new()
            }
        };
        let expanded = expand(&spec).map_err(|e| {
            let mut errs = SpecErrors::default();
            errs.push(&file, root_pos, e);
            errs
        })?;
        let results_root = std::path::absolute(results_root).unwrap_or(results_root.to_path_buf());
        let sweep_dir = results_root.join(&spec.name);
        let axes: Vec<String> = expanded
            .first()
            .map(|t| t.config.meta.axes.keys().cloned().collect())
            .unwrap_or_default();

        let mut trials: Vec<PlannedTrial> = Vec::with_capacity(expanded.len());
        // Trial id → index in `trials`: duplicates are found in one pass.
        let mut index: HashMap<String, usize> = HashMap::with_capacity(expanded.len());
        for t in &expanded {
            match place(t, &site, &account, &sweep_dir) {
                Ok(planned) => {
                    if let Some(twin) = index.get(planned.id()).map(|&i| &trials[i]) {
                        let pos = t.locate(&axes.join(" "), root_pos);
                        errors.push(&file, pos, format!(
                            "sweep: two trials resolve to the same config (id {}: {} and {}); use `repeats` to run a trial more than once",
                            planned.id(), describe(&twin.config), describe(&planned.config)
                        ));
                    } else {
                        index.insert(planned.id().to_string(), trials.len());
                        trials.push(planned);
                    }
                }
                Err(message) => {
                    let pos = t.locate(&message, root_pos);
                    errors.push(
                        &file,
                        pos,
                        format!("{message} (trial {})", describe(&t.config)),
                    );
                }
            }
        }
        // A rule broken by a base value breaks it in every trial: report it once.
        errors.0.sort();
        errors.0.dedup_by(|a, b| {
            a.pos == b.pos
                && a.message.split(" (trial ").next() == b.message.split(" (trial ").next()
        });
        errors.into_result(Plan {
            spec,
            site,
            sweep_dir,
            axes,
            trials,
        })
    }

    pub fn trial_dir(&self, id: &str) -> PathBuf {
        self.sweep_dir.join(names::TRIALS_DIR).join(id)
    }

    pub fn total_node_hours(&self) -> f64 {
        self.trials.iter().map(PlannedTrial::node_hours).sum()
    }
}

/// `variant heads1, model.window=4, repeat 1`: how a trial is named in messages.
pub fn describe(config: &TrialConfig) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &config.meta.variant {
        parts.push(format!("variant {v}"));
    }
    for (k, v) in &config.meta.axes {
        parts.push(format!("{k}={}", crate::spec::marked::value_text(v)));
    }
    if config.meta.repeat > 0 {
        parts.push(format!("repeat {}", config.meta.repeat));
    }
    if parts.is_empty() {
        "base".into()
    } else {
        parts.join(", ")
    }
}

/// Checks one trial's rules and places it on a queue.
fn place(
    t: &ExpandedTrial,
    site: &SiteProfile,
    account: &str,
    sweep_dir: &Path,
) -> Result<PlannedTrial, String> {
    let mut config = t.config.clone();
    config.check()?;
    let walltime_s = walltime::parse(&config.resources.walltime)
        .map_err(|e| format!("resources.walltime: {e}"))?;
    let nodes = site.nodes(config.resources.gpus);
    let queue = site
        .select_queue(nodes, walltime_s, config.resources.queue.as_deref())?
        .name
        .clone();
    config.meta.id = trial_id::trial_id(&config);
    let trial_dir = sweep_dir.join(names::TRIALS_DIR).join(&config.meta.id);
    let summary = describe(&config);
    let job = job_script::JobSpec {
        trial_id: &config.meta.id,
        sweep: &config.meta.sweep,
        trial_dir: &trial_dir,
        account,
        queue: &queue,
        nodes,
        ranks: config.resources.gpus,
        walltime_s,
        summary: &summary,
    };
    let job_script = job_script::render(&job, site);
    Ok(PlannedTrial {
        config,
        nodes,
        queue,
        walltime_s,
        job_script,
    })
}
