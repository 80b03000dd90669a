//! Packing several one-node trials into one PBS allocation: on Polaris every job gets whole
//! nodes and queues limit jobs in flight (debug 1, prod 10), so a sweep of many one-node
//! trials runs faster as a few multi-node jobs. The pack script asks for one node per
//! trial, splits `$PBS_NODEFILE` into one host file per trial, runs each trial's own
//! job.pbs (one `mpiexec`, on its node) in the background and `wait`s for all — the
//! ALCF-documented way to run several applications in one job. Each trial's exit status
//! is written to `<trial>/.pack.exit`, so the driver judges every trial on its own.

use std::path::{Path, PathBuf};

use super::shell::quote;
use super::walltime;
use crate::results::names;

/// Written into each trial directory by the pack script: the trial's job exit status.
pub const PACK_EXIT: &str = ".pack.exit";
/// The host file (one line of `$PBS_NODEFILE`) a packed trial runs on.
pub const PACK_NODEFILE: &str = ".pack.nodefile";
/// Output of the pack script itself (each trial's output still goes to its job.out).
pub const PACK_OUTPUT: &str = "pack.out";
/// Pack script name inside the pack directory.
pub const PACK_SCRIPT: &str = "pack.pbs";

/// One trial of a pack.
pub struct PackMember<'a> {
    pub trial_id: &'a str,
    /// Absolute trial directory (holds job.pbs).
    pub trial_dir: &'a Path,
}

/// `packs/<name>/` of a sweep: where a pack's script and output live.
pub fn pack_dir(sweep_dir: &Path, name: &str) -> PathBuf {
    sweep_dir.join("packs").join(name)
}

/// A member job script without the `#PBS -l select=` line a pack script rewrites.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pack: the member job script has no `#PBS -l select=` line")]
pub struct NoSelectLine;

/// Renders the pack script. `header` is the first member's job.pbs, whose `#PBS` lines
/// (account, queue, filesystems, system, place) the pack keeps, with the node count,
/// walltime (`walltime_s`, the longest member's), output and name replaced.
pub fn render(
    name: &str,
    pack_dir: &Path,
    members: &[PackMember],
    walltime_s: u64,
    header: &str,
) -> Result<String, NoSelectLine> {
    let n = members.len();
    let mut s = String::from("#!/bin/bash\n");
    for line in header.lines().filter(|l| l.starts_with("#PBS ")) {
        let directive = &line["#PBS ".len()..];
        let replaced = if let Some(select) = directive.strip_prefix("-l select=") {
            let resources = select.split_once(':').map_or("", |(_, r)| r);
            if resources.is_empty() {
                format!("-l select={n}")
            } else {
                format!("-l select={n}:{resources}")
            }
        } else if directive.starts_with("-l walltime=") {
            format!("-l walltime={}", walltime::format(walltime_s))
        } else if directive.starts_with("-o ") {
            format!("-o {}", pack_dir.join(PACK_OUTPUT).display())
        } else if directive.starts_with("-N ") {
            format!("-N {name}")
        } else {
            directive.to_string()
        };
        s.push_str(&format!("#PBS {replaced}\n"));
    }
    if !s.contains("#PBS -l select=") {
        return Err(NoSelectLine);
    }
    let list =
        |f: &dyn Fn(&PackMember) -> String| members.iter().map(f).collect::<Vec<_>>().join(" ");
    s.push_str(&format!(
        "
# xvr pack {name}: {n} one-node trials in one allocation, one node each.
# Rendered by `xvr submit --pack`; each trial's own job.pbs runs unchanged on its node.
set -uo pipefail

trials=({ids})
dirs=({dirs})
mapfile -t nodes < \"$PBS_NODEFILE\"
if [ \"${{#nodes[@]}}\" -lt {n} ]; then
  echo \"xvr pack {name}: needs {n} nodes, PBS_NODEFILE lists ${{#nodes[@]}}\" >&2
  exit 2
fi

pids=()
for i in \"${{!trials[@]}}\"; do
  dir=${{dirs[$i]}}
  rm -f \"$dir/{exit}\"
  echo \"${{nodes[$i]}}\" > \"$dir/{nodefile}\"
  echo \"xvr pack {name}: trial ${{trials[$i]}} on ${{nodes[$i]}}\"
  (cd \"$dir\" && PBS_O_WORKDIR=\"$dir\" PBS_NODEFILE=\"$dir/{nodefile}\" bash \"$dir/{script}\") >> \"$dir/{out}\" 2>&1 &
  pids+=($!)
done

status=0
for i in \"${{!pids[@]}}\"; do
  wait \"${{pids[$i]}}\"
  code=$?
  echo \"$code\" > \"${{dirs[$i]}}/{exit}\"
  echo \"xvr pack {name}: trial ${{trials[$i]}} exited $code\"
  if [ \"$code\" -ne 0 ]; then status=$code; fi
done
exit \"$status\"
",
        ids = list(&|m| m.trial_id.to_string()),
        dirs = list(&|m| quote(&m.trial_dir.display().to_string())),
        exit = PACK_EXIT,
        nodefile = PACK_NODEFILE,
        script = names::JOB_SCRIPT,
        out = names::JOB_OUTPUT,
    ));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_kept_with_nodes_walltime_output_and_name_replaced() {
        let header = "#!/bin/bash\n#PBS -A P\n#PBS -q debug\n#PBS -l select=1:system=polaris\n#PBS -l walltime=00:10:00\n#PBS -o /r/t/job.out\n#PBS -N s-a\n\nset -e\n";
        let dirs = [PathBuf::from("/r/a"), PathBuf::from("/r/b c")];
        let members = [
            PackMember {
                trial_id: "a",
                trial_dir: &dirs[0],
            },
            PackMember {
                trial_id: "b",
                trial_dir: &dirs[1],
            },
        ];
        let s = render(
            "s-pack1",
            Path::new("/r/packs/s-pack1"),
            &members,
            1200,
            header,
        )
        .unwrap();
        let directives: Vec<&str> = s.lines().filter(|l| l.starts_with("#PBS")).collect();
        assert_eq!(
            directives,
            [
                "#PBS -A P",
                "#PBS -q debug",
                "#PBS -l select=2:system=polaris",
                "#PBS -l walltime=00:20:00",
                "#PBS -o /r/packs/s-pack1/pack.out",
                "#PBS -N s-pack1"
            ]
        );
        assert!(s.contains("dirs=(/r/a '/r/b c')"), "{s}");
        assert!(render("x", Path::new("/p"), &members, 1, "#PBS -A P\n").is_err());
    }
}
