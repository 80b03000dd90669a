//! Layer 2: trials + a site profile → queues, nodes, node-hours and job scripts.
//! Everything a scheduler would reject is rejected here first, at the spec value to change.

pub mod job_script;
pub mod pack;
pub mod shell;
pub mod site;
mod site_error;
pub mod table;
pub mod trained;
pub mod trial_id;
pub mod write;

/// PBS walltimes (`xvr-contract`: the trial rules check them too).
pub use xvr_contract::walltime;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::results::names;
use crate::spec::marked::Pos;
use crate::spec::rules::RuleError;
use crate::spec::{expand, ExpandedTrial, SpecErrors, SweepSpec, TrialConfig};
use site::SiteProfile;

/// Command-line settings that override the spec and the site profile when placing
/// trials. They are not part of a trial's config, so they never change trial ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// PBS project (`-A`), over the spec's `account` and the profile's.
    pub account: Option<String>,
    /// Queue for every trial, over `resources.queue` and the profile's preference order.
    pub queue: Option<String>,
}

/// One trial, placed on the site.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTrial {
    /// Resolved config, `meta.id` filled in.
    pub config: TrialConfig,
    pub nodes: u32,
    pub queue: String,
    pub walltime_s: u64,
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
    /// PBS project (`-A`) of every job: `--account`, the spec's, else the site's; `None`
    /// leaves it to `xvr submit --account` (a PBS submission without one is refused).
    pub account: Option<String>,
    /// The worker every job script runs, resolved at plan time, or why it was not found.
    pub worker: Result<site::ResolvedWorker, site::NoWorker>,
}

impl Plan {
    /// Reads, validates and places a spec; `results_root` is where `<sweep>/` would go.
    pub fn build(spec_file: &Path, results_root: &Path) -> Result<Plan, SpecErrors> {
        Plan::build_with(spec_file, results_root, &Overrides::default())
    }

    /// [`Plan::build`] with command-line overrides (`--account`, `--queue`).
    pub fn build_with(
        spec_file: &Path,
        results_root: &Path,
        overrides: &Overrides,
    ) -> Result<Plan, SpecErrors> {
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
        let account = overrides
            .account
            .clone()
            .or_else(|| spec.account.clone())
            .or_else(|| site.account.clone());
        if let Some(a) = &account {
            if let Err(e) = shell::directive("account", a, shell::Directive::Name) {
                errors.push(&file, root_pos, e.to_string());
            }
        }
        // Needed only to render job scripts: a plan that is read (validate, predict) works
        // without a built worker; writing one refuses ([`Plan::job_script`]).
        let worker = site.resolve_worker().map_err(|reason| site::NoWorker {
            spec: file.clone(),
            reason,
        });
        let expanded = expand(&spec).map_err(|e| {
            let mut errs = SpecErrors::default();
            errs.push(&file, root_pos, e.to_string());
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
        let mut trained = HashMap::new();
        for t in expanded {
            let ExpandedTrial { mut config, sources } = t;
            let placed = trained::resolve(&mut config, &results_root, &mut trained)
                .map_err(|rule| (rule, config.clone()))
                .and_then(|()| place(config, &site, overrides.queue.as_deref()));
            match placed {
                Ok(planned) => {
                    if let Some(twin) = index.get(planned.id()).map(|&i| &trials[i]) {
                        let pos = sources.locate(axes.iter().map(String::as_str), root_pos);
                        errors.push(&file, pos, format!(
                            "sweep: two trials resolve to the same config (id {}: {} and {}); use `repeats` to run a trial more than once",
                            planned.id(), twin.config.meta.describe(), planned.config.meta.describe()
                        ));
                    } else {
                        index.insert(planned.id().to_string(), trials.len());
                        trials.push(planned);
                    }
                }
                Err((rule, config)) => {
                    let pos = sources.locate(rule.fields(), root_pos);
                    errors.push_for_trial(&file, pos, rule.to_string(), config.meta.describe());
                }
            }
        }
        // A rule broken by a base value breaks it in every trial: reported once.
        errors.into_result(Plan {
            spec,
            site,
            sweep_dir,
            axes,
            trials,
            account,
            worker,
        })
    }

    /// The PBS job script of trial `t` (rendered when written or shown, not at validation:
    /// a sweep of 100 000 trials is checked without 100 000 scripts in memory).
    /// Refused when the worker was not found: a script must name one that exists.
    pub fn job_script(&self, t: &PlannedTrial) -> Result<String, site::NoWorker> {
        let worker = self.worker.as_ref().map_err(Clone::clone)?;
        let summary = t.config.meta.describe();
        let job = job_script::JobSpec {
            trial_id: t.id(),
            sweep: &t.config.meta.sweep,
            account: self.account.as_deref(),
            queue: &t.queue,
            rerunnable: self.site.queue(&t.queue).is_some_and(|q| q.preemptable),
            nodes: t.nodes,
            ranks: t.config.resources.gpus,
            walltime_s: t.walltime_s,
            summary: &summary,
            worker,
        };
        Ok(job_script::render(&job, &self.site))
    }

    pub fn trial_dir(&self, id: &str) -> PathBuf {
        self.sweep_dir.join(names::TRIALS_DIR).join(id)
    }

    pub fn total_node_hours(&self) -> f64 {
        self.trials.iter().map(PlannedTrial::node_hours).sum()
    }
}

/// Checks one trial's rules and places it on a queue (`queue`: `--queue`, over the
/// trial's own); a refusal gives the config back.
fn place(
    mut config: TrialConfig,
    site: &SiteProfile,
    queue: Option<&str>,
) -> Result<PlannedTrial, (RuleError, TrialConfig)> {
    let placed = (|| -> Result<_, RuleError> {
        config.check()?;
        let walltime_s = walltime::parse(&config.resources.walltime)
            .map_err(|e| RuleError::new("resources.walltime", e.to_string()))?;
        let nodes = site.nodes(config.resources.gpus);
        let requested = queue.or(config.resources.queue.as_deref());
        let queue = site.select_queue(nodes, walltime_s, requested)?.name.clone();
        let id = trial_id::trial_id(&config);
        let name = job_script::job_name(&config.meta.sweep, &id);
        shell::directive("name", &name, shell::Directive::Name)?;
        Ok((walltime_s, nodes, queue, id))
    })();
    let (walltime_s, nodes, queue, id) = match placed {
        Ok(p) => p,
        Err(message) => return Err((message, config)),
    };
    config.meta.id = id;
    Ok(PlannedTrial {
        config,
        nodes,
        queue,
        walltime_s,
    })
}
