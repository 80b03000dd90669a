//! The PBS job script of one trial. One script serves Polaris (Cray PALS `mpiexec`) and
//! this machine (MPICH Hydra `mpiexec`, run by the local scheduler): PALS takes
//! `--depth/--cpu-bind`, Hydra rejects them, so the script picks the flags at run time.

use std::fmt::Write as _;
use std::path::Path;

use super::site::SiteProfile;
use super::walltime;
use crate::results::names;

/// Environment variable that forces the launcher flavour (`pals` or `hydra`) instead of
/// asking `mpiexec --version`.
pub const LAUNCHER_ENV: &str = "XVR_MPIEXEC_FLAVOR";

/// What a job script needs to know about its trial.
pub struct JobSpec<'a> {
    pub trial_id: &'a str,
    pub sweep: &'a str,
    /// Absolute trial directory (`results/<sweep>/trials/<id>`).
    pub trial_dir: &'a Path,
    pub account: &'a str,
    pub queue: &'a str,
    pub nodes: u32,
    pub ranks: u32,
    pub walltime_s: u64,
    /// One-line description of the trial's axis values, for the script's header comment.
    pub summary: &'a str,
}

/// PBS job name: a prefix of the sweep name and the trial id, within the 15 characters
/// qstat shows, starting with a letter as PBS requires.
pub fn job_name(sweep: &str, trial_id: &str) -> String {
    let prefix: String = sweep.chars().take(15 - trial_id.len() - 1).collect();
    format!("{prefix}-{trial_id}")
}

/// Quotes a word for bash (single quotes; `'` spelt `'\''`).
fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:=+,@%".contains(&b))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Renders the job script. Every `#PBS` line comes before the first command and carries
/// no comment (PBS would read a comment as part of the directive).
pub fn render(job: &JobSpec, site: &SiteProfile) -> String {
    let dir = job.trial_dir.display().to_string();
    let out = job.trial_dir.join(names::JOB_OUTPUT).display().to_string();
    let ppn = job.ranks.min(site.gpus_per_node);
    let mut s = String::new();
    let mut line = |text: &str| {
        s.push_str(text);
        s.push('\n');
    };
    line("#!/bin/bash");
    line(&format!("#PBS -A {}", job.account));
    line(&format!("#PBS -q {}", job.queue));
    line(&format!(
        "#PBS -l select={}:system={}",
        job.nodes, site.system
    ));
    line(&format!("#PBS -l place={}", site.place));
    line(&format!(
        "#PBS -l walltime={}",
        walltime::format(job.walltime_s)
    ));
    line(&format!("#PBS -l filesystems={}", site.filesystems));
    line("#PBS -k doe");
    line("#PBS -j oe");
    line(&format!("#PBS -o {out}"));
    line(&format!("#PBS -N {}", job_name(job.sweep, job.trial_id)));
    line("");
    line(&format!(
        "# xvr trial {} of sweep {}: {}",
        job.trial_id, job.sweep, job.summary
    ));
    line("# Rendered by `xvr plan`; re-plan rather than edit (trial ids hash the config).");
    line("set -euo pipefail");
    line("");
    line(&format!("trial_dir={}", quote(&dir)));
    line("cd \"$trial_dir\"");
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
    let mut launch = String::new();
    let _ = write!(
        launch,
        "\"${{launch[@]}}\" {} {} run \"$trial_dir\"",
        quote(&wrapper),
        quote(&site.worker_command())
    );
    line(&launch);
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

    #[test]
    fn quoting_leaves_plain_words_and_protects_the_rest() {
        assert_eq!(quote("/soft/lib:x"), "/soft/lib:x");
        assert_eq!(quote("AWS Libfabric"), "'AWS Libfabric'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
