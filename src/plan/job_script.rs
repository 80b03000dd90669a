//! The PBS job script of one trial. One script serves Polaris (Cray PALS `mpiexec`) and
//! this machine (MPICH Hydra `mpiexec`, run by the local scheduler): PALS takes
//! `--depth/--cpu-bind`, Hydra rejects them, so the script picks the flags at run time.
//!
//! The script holds no path of its sweep: it runs in the directory it was submitted
//! from (`$PBS_O_WORKDIR`, which `xvr submit` makes the trial's directory, as the local
//! scheduler does), and refuses to start anywhere that is not this trial's directory.
//! A sweep directory can so be copied, moved or mounted elsewhere and submitted there
//! without ever writing into the original. Output goes to `job.out` beside it (PBS
//! resolves a relative `-o` against the directory qsub ran in). Values that reach the
//! script are checked or quoted by [`super::shell`].

use super::shell::quote;
use super::site::{ChunkResource, ResolvedWorker, SiteProfile};
use super::walltime;
use crate::results::names;

/// Environment variable that forces the launcher flavour (`pals` or `hydra`) instead of
/// asking `mpiexec --version`.
pub const LAUNCHER_ENV: &str = "XVR_MPIEXEC_FLAVOR";

/// What a job script needs to know about its trial.
pub struct JobSpec<'a> {
    pub trial_id: &'a str,
    pub sweep: &'a str,
    /// Project charged (`#PBS -A`); `None` leaves it to `xvr submit --account` (a PBS
    /// submission without one is refused before qsub).
    pub account: Option<&'a str>,
    pub queue: &'a str,
    /// The queue preempts jobs: submit rerunnable.
    pub rerunnable: bool,
    pub nodes: u32,
    pub ranks: u32,
    pub walltime_s: u64,
    /// One-line description of the trial's axis values, for the script's header comment.
    pub summary: &'a str,
    pub worker: &'a ResolvedWorker,
}

/// PBS job name: a prefix of the sweep name and the trial id, within the 15 characters
/// qstat shows, starting with a letter as PBS requires.
pub fn job_name(sweep: &str, trial_id: &str) -> String {
    let prefix: String = sweep.chars().take(15 - trial_id.len() - 1).collect();
    format!("{prefix}-{trial_id}")
}

/// `N:system=polaris[:mpiprocs=..][:ncpus=..][:ngpus=..]`: the chunks and what each uses.
fn select(job: &JobSpec, site: &SiteProfile) -> String {
    let per_node = job.ranks.min(site.gpus_per_node);
    let mut s = format!("{}:system={}", job.nodes, site.system);
    for r in &site.chunk_resources {
        match r {
            ChunkResource::Mpiprocs => s.push_str(&format!(":mpiprocs={per_node}")),
            ChunkResource::Ncpus => s.push_str(&format!(":ncpus={}", per_node * site.depth)),
            ChunkResource::Ngpus => s.push_str(&format!(":ngpus={per_node}")),
        }
    }
    s
}

/// Renders the job script. Every `#PBS` line comes before the first command and carries
/// no comment (PBS would read a comment as part of the directive).
pub fn render(job: &JobSpec, site: &SiteProfile) -> String {
    let ppn = job.ranks.min(site.gpus_per_node);
    let mut s = String::new();
    let mut line = |text: &str| {
        s.push_str(text);
        s.push('\n');
    };
    line("#!/bin/bash");
    if let Some(account) = job.account {
        line(&format!("#PBS -A {account}"));
    }
    line(&format!("#PBS -q {}", job.queue));
    line(&format!("#PBS -l select={}", select(job, site)));
    line(&format!("#PBS -l place={}", site.place));
    line(&format!(
        "#PBS -l walltime={}",
        walltime::format(job.walltime_s)
    ));
    line(&format!("#PBS -l filesystems={}", site.filesystems));
    line("#PBS -k doe");
    line("#PBS -j oe");
    line(&format!("#PBS -o {}", names::JOB_OUTPUT));
    if job.rerunnable {
        line("#PBS -r y");
    }
    line(&format!("#PBS -N {}", job_name(job.sweep, job.trial_id)));
    line("");
    line(&format!(
        "# xvr trial {} of sweep {}: {}",
        job.trial_id, job.sweep, job.summary
    ));
    line("# Rendered by `xvr plan`; re-plan rather than edit (trial ids hash the config).");
    line(&format!("# Worker: {}", job.worker.origin));
    if job.rerunnable {
        line("# Rerunnable: PBS requeues it when preempted; the worker resumes from its checkpoint.");
    }
    line("set -euo pipefail");
    line("");
    line("# The trial's directory is where the job was submitted from (xvr submit runs qsub there).");
    line("trial_dir=${PBS_O_WORKDIR:-$PWD}");
    line(&format!(
        "if [ \"$(basename \"$trial_dir\")\" != {id} ] || [ ! -f \"$trial_dir/{yaml}\" ]; then",
        id = job.trial_id,
        yaml = names::TRIAL_YAML
    ));
    line(&format!(
        "  echo \"xvr: $trial_dir is not the directory of trial {}; submit with \\`xvr submit\\`, which runs qsub there\" >&2",
        job.trial_id
    ));
    line("  exit 2");
    line("fi");
    line("cd \"$trial_dir\"");
    line(&format!("worker={}", quote(&job.worker.path.display().to_string())));
    line("if [ ! -x \"$worker\" ]; then");
    line("  echo \"xvr: worker $worker is not an executable file on $(hostname); re-plan where it exists (xvr plan resolves it)\" >&2");
    line("  exit 2");
    line("fi");
    if site.modules.enabled && !site.modules.load.is_empty() {
        line("");
        line("# Site modules (skipped where the `module` command does not exist, e.g. a laptop).");
        line("if command -v module >/dev/null 2>&1; then");
        for m in &site.modules.load {
            line(&format!("  module load {}", quote(m)));
        }
        line("fi");
    }
    if site.nccl.enabled {
        line("");
        line("# NCCL / libfabric settings for multi-node collectives (site profile: nccl).");
        for (k, v) in &site.nccl.env {
            line(&format!("export {k}={}", quote(v)));
        }
        if !site.nccl.ld_library_path.is_empty() {
            let dirs: Vec<String> = site.nccl.ld_library_path.iter().map(|d| quote(d)).collect();
            line(&format!(
                "export LD_LIBRARY_PATH={}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}",
                dirs.join(":")
            ));
        }
    }
    line("");
    line(&format!(
        "# Cray PALS (Polaris) takes --depth/--cpu-bind; MPICH's Hydra rejects them. {LAUNCHER_ENV}=pals|hydra overrides."
    ));
    line(&format!("flavor=${{{LAUNCHER_ENV}:-auto}}"));
    line("if [ \"$flavor\" = auto ]; then");
    line("  case \"$(mpiexec --version 2>&1 || true)\" in *HYDRA*) flavor=hydra ;; *) flavor=pals ;; esac");
    line("fi");
    line("case \"$flavor\" in");
    // PALS reads $PBS_NODEFILE by default; naming it makes a packed trial (whose
    // PBS_NODEFILE lists only its own node, see plan::pack) certain to stay there.
    line(&format!(
        "  pals) launch=(mpiexec -n {} --ppn {ppn} --depth={} --cpu-bind depth ${{PBS_NODEFILE:+--hostfile \"$PBS_NODEFILE\"}}) ;;",
        job.ranks, site.depth
    ));
    line(&format!(
        "  hydra) launch=(mpiexec -n {} --ppn {ppn}) ;;",
        job.ranks
    ));
    line(&format!(
        "  *) echo \"xvr: {LAUNCHER_ENV}=$flavor: expected pals or hydra\" >&2; exit 2 ;;"
    ));
    line("esac");
    line("");
    line(&format!(
        "echo \"xvr: trial {} on $(hostname) job ${{PBS_JOBID:-none}} launcher $flavor start $(date -u +%Y-%m-%dT%H:%M:%SZ)\"",
        job.trial_id
    ));
    let wrapper = site.resolve(&site.affinity_wrapper).display().to_string();
    line(&format!(
        "\"${{launch[@]}}\" {} \"$worker\" run \"$trial_dir\"",
        quote(&wrapper)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_fit_the_15_characters_qstat_shows() {
        assert_eq!(job_name("utilisation", "0123456789"), "util-0123456789");
        assert_eq!(job_name("ab", "0123456789"), "ab-0123456789");
        assert_eq!(job_name("data_fraction", "0123456789").len(), 15);
    }
}
