//! What the process launcher's environment says about the job, before MPI is asked.
//!
//! An `mpiexec` from one MPI starting a binary built against another MPI does not fail: each
//! process initialises as a world of one ("N singletons") and trains alone. The launcher's own
//! variables still say how many processes it started, so comparing them with MPI's answer
//! exposes the mismatch.

/// Variables launchers set to the number of processes in the job (or on this node, which is a
/// lower bound on the job size). Hydra (MPICH): `PMI_SIZE`, `MPI_LOCALNRANKS`; Cray PALS:
/// `PMI_SIZE`, `PMI_LOCAL_SIZE`, `PALS_LOCAL_SIZE`; Open MPI: `OMPI_COMM_WORLD_SIZE`,
/// `OMPI_COMM_WORLD_LOCAL_SIZE`; PMIx-based launchers: `PMIX_SIZE`... where set.
const SIZE_VARS: &[&str] = &[
    "PMI_SIZE",
    "OMPI_COMM_WORLD_SIZE",
    "PMIX_SIZE",
    "MPI_LOCALNRANKS",
    "PMI_LOCAL_SIZE",
    "PALS_LOCAL_SIZE",
    "OMPI_COMM_WORLD_LOCAL_SIZE",
];

/// Variables whose mere presence says a launcher started this process.
const RANK_VARS: &[&str] = &[
    "PMI_RANK",
    "PMIX_RANK",
    "OMPI_COMM_WORLD_RANK",
    "PALS_RANKID",
    "MPI_LOCALRANKID",
];

/// The launcher's claims about this job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LauncherEnv {
    /// Some launcher variable is set: this process was started by a launcher.
    pub launched: bool,
    /// The largest process count a launcher variable states, and the variable that said so.
    pub claimed_size: Option<(&'static str, usize)>,
}

impl LauncherEnv {
    /// Reads this process's environment.
    pub fn from_process_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the launcher variables through `get` (the environment, or a map in tests).
    /// Values that are not non-negative integers are ignored.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut launched = RANK_VARS.iter().any(|v| get(v).is_some());
        let mut claimed_size: Option<(&'static str, usize)> = None;
        for &var in SIZE_VARS {
            let Some(value) = get(var) else { continue };
            launched = true;
            let Ok(n) = value.trim().parse::<usize>() else {
                continue;
            };
            if claimed_size.is_none_or(|(_, best)| n > best) {
                claimed_size = Some((var, n));
            }
        }
        Self {
            launched,
            claimed_size,
        }
    }
}

/// MPI's world is not the job the trial asks for and the launcher started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldSizeError {
    /// The launcher started several processes but MPI sees each as a world of one.
    #[error(
        "the launcher started {claimed} processes ({var}={claimed}) but MPI reports a world of 1 in this \
         one: the mpiexec on PATH belongs to a different MPI than the library xvr-worker runs on \
         ({mpi_library}); every process would train alone. Use that library's mpiexec, or rebuild \
         against the launcher's MPI"
    )]
    Singletons {
        var: &'static str,
        claimed: usize,
        mpi_library: String,
    },
    /// A world of one without any launcher, for a trial of several ranks.
    #[error(
        "the trial asks for {expected} ranks (resources.gpus) but MPI_COMM_WORLD has 1; no launcher \
         variables are set: start it with `mpiexec -n {expected} xvr-worker ...`"
    )]
    NotLaunched { expected: usize },
    #[error("the trial asks for {expected} ranks (resources.gpus) but MPI_COMM_WORLD has {found}")]
    Size { expected: usize, found: usize },
}

/// Checks MPI's world size against what the trial asks for and what the launcher claims.
/// `mpi_library` names the MPI the binary runs on, for the mismatch message.
pub fn check_world_size(
    expected: usize,
    mpi_size: usize,
    launcher: &LauncherEnv,
    mpi_library: &str,
) -> Result<(), WorldSizeError> {
    if let Some((var, claimed)) = launcher.claimed_size {
        if claimed > 1 && mpi_size == 1 {
            return Err(WorldSizeError::Singletons {
                var,
                claimed,
                mpi_library: mpi_library.to_string(),
            });
        }
    }
    if mpi_size != expected {
        return Err(if mpi_size == 1 && !launcher.launched {
            WorldSizeError::NotLaunched { expected }
        } else {
            WorldSizeError::Size {
                expected,
                found: mpi_size,
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> LauncherEnv {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LauncherEnv::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn no_launcher_variables() {
        assert_eq!(
            env(&[("HOME", "/root")]),
            LauncherEnv {
                launched: false,
                claimed_size: None
            }
        );
    }

    #[test]
    fn hydra_and_pals_and_openmpi_sizes() {
        assert_eq!(
            env(&[
                ("PMI_RANK", "1"),
                ("PMI_SIZE", "4"),
                ("MPI_LOCALNRANKS", "2")
            ])
            .claimed_size,
            Some(("PMI_SIZE", 4))
        );
        assert_eq!(
            env(&[("PALS_RANKID", "0"), ("PALS_LOCAL_SIZE", "4")]).claimed_size,
            Some(("PALS_LOCAL_SIZE", 4))
        );
        assert_eq!(
            env(&[("OMPI_COMM_WORLD_SIZE", "8")]).claimed_size,
            Some(("OMPI_COMM_WORLD_SIZE", 8))
        );
        let rank_only = env(&[("PMIX_RANK", "3")]);
        assert!(rank_only.launched && rank_only.claimed_size.is_none());
        assert_eq!(
            env(&[("PMI_SIZE", "two")]),
            LauncherEnv {
                launched: true,
                claimed_size: None
            }
        );
    }

    #[test]
    fn singletons_are_refused_even_when_one_rank_is_expected() {
        let launcher = env(&[("PMI_SIZE", "2")]);
        for expected in [1, 2] {
            let err = check_world_size(expected, 1, &launcher, "MPICH 4")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("PMI_SIZE=2")
                    && err.contains("different MPI")
                    && err.contains("MPICH 4"),
                "{err}"
            );
        }
    }

    #[test]
    fn size_mismatch_names_both_sizes() {
        let err = check_world_size(4, 2, &env(&[("PMI_SIZE", "2")]), "x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("asks for 4 ranks") && err.contains("has 2"),
            "{err}"
        );
        let err = check_world_size(2, 1, &env(&[]), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mpiexec -n 2"), "{err}");
    }

    #[test]
    fn matching_sizes_pass() {
        assert_eq!(
            check_world_size(2, 2, &env(&[("PMI_SIZE", "2")]), "x"),
            Ok(())
        );
        assert_eq!(check_world_size(1, 1, &env(&[]), "x"), Ok(()));
        assert_eq!(
            check_world_size(1, 1, &env(&[("PMI_SIZE", "1")]), "x"),
            Ok(())
        );
    }
}
