//! Site profiles (`pbs/<site>.yaml`): what a machine's scheduler accepts and what a job
//! script needs there. Polaris is described in `pbs/polaris.yaml`; the facts behind it
//! are in the ALCF user guide (queues, filesystems, modules, NCCL settings).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use super::site_error::{NoWorker, SiteError, WorkerNotFound};
pub use xvr_contract::site::{Link, Links, SiteFacts};

use super::{shell, walltime};
use crate::spec::rules::RuleError;

/// A site profile as written in `pbs/<site>.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteProfile {
    /// Site name (shown in messages).
    pub name: String,
    /// PBS project (`-A`) used when the spec names none.
    #[serde(default)]
    pub account: Option<String>,
    /// GPUs (= ranks) per node; nodes = ceil(gpus / gpus_per_node).
    pub gpus_per_node: u32,
    /// Value of `system=` in `-l select=N:system=...`.
    pub system: String,
    /// `-l place=...`.
    pub place: String,
    /// `-l filesystems=...` (Polaris: `home:eagle`).
    pub filesystems: String,
    /// Hardware threads per rank (`mpiexec --depth`, with `--cpu-bind depth`).
    pub depth: u32,
    /// The worker the job script runs: a path (relative paths are taken from the
    /// profile's directory) or a command name, which `xvr plan` resolves to an absolute
    /// path (beside the running `xvr` first, then on its PATH): a batch job's PATH is
    /// the user's login PATH, not the planning shell's ([`SiteProfile::resolve_worker`]).
    pub worker: String,
    /// GPU affinity wrapper between mpiexec and the worker, relative to the profile's directory.
    pub affinity_wrapper: String,
    /// Environment modules loaded before the run.
    pub modules: Modules,
    /// NCCL / libfabric environment for multi-node collectives.
    pub nccl: Nccl,
    /// Queues in preference order: the first whose limits fit a trial is chosen.
    pub queues: Vec<Queue>,
    /// Per-chunk resources the `select` statement states, for sites that share nodes
    /// and charge what a job asks for (none on Polaris, which schedules whole nodes).
    #[serde(default)]
    pub chunk_resources: Vec<ChunkResource>,
    /// Link figures for the scaling prediction (`xvr-analysis predict`); absent: none.
    #[serde(default)]
    pub links: Option<Links>,
    /// Directory the profile was read from (relative paths resolve against it).
    #[serde(skip)]
    pub dir: PathBuf,
    /// The profile file itself, for messages.
    #[serde(skip)]
    pub file: PathBuf,
}

/// `module load` lines, switchable.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modules {
    pub enabled: bool,
    #[serde(default)]
    pub load: Vec<String>,
}

/// NCCL environment, switchable (the AWS libfabric plugin hangs some applications).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nccl {
    pub enabled: bool,
    /// Variables exported as given.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Directories prepended to LD_LIBRARY_PATH.
    #[serde(default)]
    pub ld_library_path: Vec<String>,
}

/// A queue and the limits it accepts. A routing queue (Polaris `prod`) lists one limit
/// per execution queue it routes to; a job must fit one of them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    pub limits: Vec<Limits>,
    /// Jobs of one sweep in this queue at once (queued and running), from the site's
    /// per-user or per-project limits; `xvr submit` holds further trials back rather than
    /// have qsub refuse them or PBS leave them unrouted. Absent: no limit.
    #[serde(default)]
    pub max_jobs: Option<u32>,
    /// Jobs may be preempted here (Polaris `preemptable`): they are submitted rerunnable
    /// (`#PBS -r y`), so PBS requeues a preempted job and it resumes from its checkpoint.
    #[serde(default)]
    pub preemptable: bool,
}

/// A resource of one `select` chunk (one node) as a trial uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChunkResource {
    /// `mpiprocs=`: ranks on the node.
    Mpiprocs,
    /// `ncpus=`: ranks on the node × `depth`.
    Ncpus,
    /// `ngpus=`: GPUs the node's ranks use (one per rank).
    Ngpus,
}

/// The worker executable a job script runs, and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedWorker {
    pub path: PathBuf,
    /// Where it came from, for the script's comment.
    pub origin: String,
}

/// Node and walltime ranges, both inclusive.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Execution queue a routing queue sends such jobs to.
    #[serde(default)]
    pub route: Option<String>,
    pub nodes: [u32; 2],
    /// `[min, max]` as `HH:MM:SS`.
    pub walltime: [String; 2],
}

impl Limits {
    fn fits(&self, nodes: u32, seconds: u64) -> bool {
        (self.nodes[0]..=self.nodes[1]).contains(&nodes) && {
            let [lo, hi] = self.walltime_seconds();
            (lo..=hi).contains(&seconds)
        }
    }

    fn walltime_seconds(&self) -> [u64; 2] {
        // Checked when the profile is loaded.
        self.walltime
            .each_ref()
            .map(|w| walltime::parse(w).unwrap_or(0))
    }

    fn describe(&self) -> String {
        let route = self
            .route
            .as_ref()
            .map(|r| format!("{r}: "))
            .unwrap_or_default();
        format!(
            "{route}{}-{} nodes, {}-{}",
            self.nodes[0], self.nodes[1], self.walltime[0], self.walltime[1]
        )
    }
}

impl Queue {
    fn fits(&self, nodes: u32, seconds: u64) -> bool {
        self.limits.iter().any(|l| l.fits(nodes, seconds))
    }

    fn describe(&self) -> String {
        format!(
            "{} ({})",
            self.name,
            self.limits
                .iter()
                .map(Limits::describe)
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

impl SiteProfile {
    /// What the sweep directory records about the site (`site.json`).
    pub fn facts(&self) -> SiteFacts {
        SiteFacts {
            name: self.name.clone(),
            gpus_per_node: self.gpus_per_node,
            links: self.links,
        }
    }

    /// Reads a profile file and checks its queue limits.
    pub fn load(path: &Path) -> Result<Self, SiteError> {
        let file = || path.to_path_buf();
        let text = std::fs::read_to_string(path)
            .map_err(|source| SiteError::Read { path: file(), source })?;
        let mut profile: SiteProfile = serde_yaml::from_str(&text)
            .map_err(|source| SiteError::Parse { path: file(), source })?;
        profile.file = path.to_path_buf();
        profile.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if profile.dir.as_os_str().is_empty() {
            profile.dir = PathBuf::from(".");
        }
        profile.dir = std::fs::canonicalize(&profile.dir).unwrap_or(profile.dir);
        for q in &profile.queues {
            for l in &q.limits {
                for w in &l.walltime {
                    walltime::parse(w).map_err(|source| SiteError::Walltime {
                        path: file(),
                        queue: q.name.clone(),
                        source,
                    })?;
                }
            }
        }
        profile
            .check_script_values()
            .map_err(|source| SiteError::Unsafe { path: file(), source })?;
        if let Some(l) = &profile.links {
            for (link, figures) in [("intra_node", l.intra_node), ("inter_node", l.inter_node)] {
                if !(figures.bandwidth_gb_s > 0.0 && figures.latency_us >= 0.0) {
                    return Err(SiteError::BadLink { path: file(), link });
                }
            }
        }
        if profile.gpus_per_node == 0 || profile.queues.is_empty() {
            return Err(SiteError::Empty { path: file() });
        }
        Ok(profile)
    }

    /// Nodes a trial of `gpus` ranks occupies (whole-node scheduling).
    pub fn nodes(&self, gpus: u32) -> u32 {
        gpus.div_ceil(self.gpus_per_node)
    }

    /// The queue for `nodes` nodes and `seconds` of walltime: the one named by the spec
    /// (which must accept the job) or the first in preference order that does. The error
    /// names every queue's limits, and mentions `resources.gpus` first when the node count
    /// is the problem and `resources.walltime` first otherwise, so it is reported at the
    /// value to change.
    pub fn select_queue(
        &self,
        nodes: u32,
        seconds: u64,
        requested: Option<&str>,
    ) -> Result<&Queue, RuleError> {
        // Built only for a message: this runs once per trial of a sweep.
        let job = || format!("{nodes} node(s) for {}", walltime::format(seconds));
        let all = || {
            self.queues
                .iter()
                .map(Queue::describe)
                .collect::<Vec<_>>()
                .join("; ")
        };
        if let Some(name) = requested {
            let queue = self.queues.iter().find(|q| q.name == name).ok_or_else(|| {
                let names: Vec<&str> = self.queues.iter().map(|q| q.name.as_str()).collect();
                RuleError::new(
                    "resources.queue",
                    format!("`{name}` is not a queue of site {}; allowed: {}", self.name, names.join(", ")),
                )
            })?;
            return if queue.fits(nodes, seconds) {
                Ok(queue)
            } else {
                Err(RuleError::new(
                    "resources.queue",
                    format!(
                        "queue {} does not accept {} (resources.gpus, resources.walltime); its limits: {}",
                        name,
                        job(),
                        queue.limits.iter().map(Limits::describe).collect::<Vec<_>>().join("; ")
                    ),
                )
                .involving(&["resources.gpus", "resources.walltime"]))
            };
        }
        if let Some(q) = self.queues.iter().find(|q| q.fits(nodes, seconds)) {
            return Ok(q);
        }
        let nodes_fit_somewhere = self
            .queues
            .iter()
            .flat_map(|q| &q.limits)
            .any(|l| (l.nodes[0]..=l.nodes[1]).contains(&nodes));
        // The field to change first: the walltime when some queue takes the nodes.
        let (field, with) = if nodes_fit_somewhere {
            ("resources.walltime", "resources.gpus")
        } else {
            ("resources.gpus", "resources.walltime")
        };
        Err(RuleError::new(
            field,
            format!("{} fits no queue of site {} (with {with}); queues: {}", job(), self.name, all()),
        )
        .involving(&[with]))
    }

    /// The queue called `name`.
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// `max_jobs` of the queue called `name`, if it has one.
    pub fn max_jobs(&self, name: &str) -> Option<u32> {
        self.queue(name)?.max_jobs
    }

    /// A path setting of the profile, absolute (relative ones are from the profile's dir).
    pub fn resolve(&self, setting: &str) -> PathBuf {
        self.dir.join(setting)
    }

    /// Every profile value that reaches a job script, checked for its field (see
    /// [`shell`]): directive values are names, the rest text without control characters.
    fn check_script_values(&self) -> Result<(), shell::UnsafeValue> {
        use shell::Directive::{Name, NameList};
        if let Some(account) = &self.account {
            shell::directive("account", account, Name)?;
        }
        shell::directive("system", &self.system, Name)?;
        shell::directive("place", &self.place, NameList)?;
        shell::directive("filesystems", &self.filesystems, NameList)?;
        for q in &self.queues {
            shell::directive("queues.name", &q.name, Name)?;
        }
        shell::text("worker", &self.worker)?;
        shell::text("affinity_wrapper", &self.affinity_wrapper)?;
        for m in &self.modules.load {
            shell::text("modules.load", m)?;
        }
        for (k, v) in &self.nccl.env {
            shell::variable("nccl.env", k)?;
            shell::text(&format!("nccl.env.{k}"), v)?;
        }
        for d in &self.nccl.ld_library_path {
            shell::text("nccl.ld_library_path", d)?;
        }
        Ok(())
    }

    /// The worker executable for job scripts, as an absolute path: the profile's path,
    /// or for a bare command name the one beside the running `xvr` (how a build leaves
    /// them), else the one on this process's PATH. A batch job does not inherit the
    /// planning shell's PATH, so a bare name in the script would not be found there.
    pub fn resolve_worker(&self) -> Result<ResolvedWorker, WorkerNotFound> {
        if self.worker.contains('/') {
            let path = self.resolve(&self.worker);
            return if is_executable(&path) {
                Ok(ResolvedWorker {
                    origin: format!("site profile {}: worker: {}", self.name, self.worker),
                    path,
                })
            } else {
                Err(WorkerNotFound::NotExecutable { path, site: self.name.clone() })
            };
        }
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| Some((exe.parent()?.join(&self.worker), exe)));
        if let Some((path, exe)) = beside.filter(|(p, _)| is_executable(p)) {
            return Ok(ResolvedWorker {
                origin: format!("`{}` beside {}", self.worker, exe.display()),
                path,
            });
        }
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|d| std::path::absolute(d.join(&self.worker)).unwrap_or_default())
            .find(|p| is_executable(p));
        match on_path {
            Some(path) => Ok(ResolvedWorker {
                origin: format!("`{}` on the PATH of `xvr plan`", self.worker),
                path,
            }),
            None => Err(WorkerNotFound::Nowhere {
                worker: self.worker.clone(),
                site: self.name.clone(),
                profile: self.file.clone(),
            }),
        }
    }
}

/// A regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Finds the profile file for a spec's `site` value: a value with a `/` or ending in
/// `.yaml` is a path relative to the spec's directory; a name is looked up as
/// `pbs/<name>.yaml` in `$XVR_SITE_DIR`, then in the spec's directory and its ancestors,
/// then in the working directory and its ancestors, then in this source tree's `pbs/`.
pub fn find(site: &str, spec_file: &Path) -> Result<PathBuf, SiteError> {
    let spec_dir = spec_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if site.contains('/') || site.ends_with(".yaml") {
        let path = spec_dir.join(site);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(SiteError::FileNotFound { path })
        };
    }
    let file = format!("{site}.yaml");
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("XVR_SITE_DIR") {
        candidates.push(PathBuf::from(dir).join(&file));
    }
    let spec_dir = std::fs::canonicalize(spec_dir).unwrap_or(spec_dir.to_path_buf());
    let cwd = std::env::current_dir().unwrap_or_default();
    for start in [spec_dir.as_path(), cwd.as_path()] {
        candidates.extend(start.ancestors().map(|d| d.join("pbs").join(&file)));
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("pbs")
            .join(&file),
    );
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| SiteError::NameNotFound { site: site.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polaris() -> SiteProfile {
        SiteProfile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pbs/polaris.yaml")).unwrap()
    }

    #[test]
    fn polaris_queue_choice_follows_the_alcf_limits() {
        let p = polaris();
        let h = 3600;
        assert_eq!(p.select_queue(1, h, None).unwrap().name, "debug");
        assert_eq!(p.select_queue(2, h, None).unwrap().name, "debug");
        assert_eq!(p.select_queue(4, h, None).unwrap().name, "debug-scaling");
        assert_eq!(p.select_queue(16, h, None).unwrap().name, "prod");
        assert_eq!(p.select_queue(64, 6 * h, None).unwrap().name, "prod");
        assert_eq!(p.select_queue(8, 6 * h, None).unwrap().name, "preemptable");
        assert_eq!(p.select_queue(1, 100 * h, None).unwrap().name, "capacity");
    }

    #[test]
    fn polaris_refuses_what_no_queue_takes_and_names_the_limits() {
        let p = polaris();
        // 16 nodes for 4 h: prod-small stops at 3 h, medium starts at 25 nodes.
        let err = p.select_queue(16, 4 * 3600, None).unwrap_err().to_string();
        assert!(err.starts_with("resources.walltime"), "{err}");
        assert!(
            err.contains("small: 10-24 nodes, 00:05:00-03:00:00"),
            "{err}"
        );
        let err = p.select_queue(600, 3600, None).unwrap_err().to_string();
        assert!(err.starts_with("resources.gpus"), "{err}");
        // Under the 5-minute minimum.
        assert!(p.select_queue(1, 60, None).is_err());
        let err = p.select_queue(16, 3600, Some("debug")).unwrap_err().to_string();
        assert!(err.contains("1-2 nodes"), "{err}");
        let err = p.select_queue(1, 3600, Some("fast")).unwrap_err().to_string();
        assert!(err.contains("allowed: debug, debug-scaling"), "{err}");
    }

    #[test]
    fn polaris_links_are_nvlink_and_two_slingshot_ports() {
        let links = polaris().links.unwrap();
        // 600 GB/s per A100 both ways together; two 200 Gb/s Slingshot 11 ports per node.
        assert_eq!(links.intra_node.bandwidth_gb_s, 300.0);
        assert_eq!(links.inter_node.bandwidth_gb_s, 2.0 * 200.0 / 8.0);
    }

    #[test]
    fn nodes_round_up_to_whole_nodes() {
        let p = polaris();
        assert_eq!(
            (p.nodes(1), p.nodes(2), p.nodes(4), p.nodes(8), p.nodes(256)),
            (1, 1, 1, 2, 64)
        );
    }
}
