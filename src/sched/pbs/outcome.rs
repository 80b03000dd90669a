//! How a finished PBS job ended, read from its `qstat -x -f` record: PBS's comment and
//! substate first, the exit status as the last resort. What a real OpenPBS 23.06 server
//! records (docs/pbs.md, "What the real server does"):
//!
//! | end | `Exit_status` | substate | comment |
//! |---|---|---|---|
//! | walltime kill | −29 | 93 (failed) | `… Job exceeded resource walltime` |
//! | `qdel` of a running job | 271 | 91 | `… terminated by <user>@<host>` |
//! | `qdel` of a queued job | none | 91 | none |
//! | `afterok` parent failed | none | 92 | none (the `depend` attribute names the parent) |
//!
//! 271 (256 + SIGTERM) alone is ambiguous, so without a comment or substate it is a
//! kill by an unknown hand: failed, for `xvr resubmit --failed`, never resumed or
//! cancelled on a guess.

use super::qstat::QstatJob;
use crate::sched::{EndKind, Outcome};

/// PBS substates of finished jobs (openpbs `src/include/job.h`, `JOB_SUBSTATE_*`):
/// 91 terminated (qdel), 92 finished, 93 failed (a walltime kill among other failures,
/// so 93 alone does not say walltime).
const SUBSTATE_TERMINATED: i64 = 91;
const SUBSTATE_FINISHED: i64 = 92;

/// PBS's exit status for a walltime kill (`JOB_EXEC_KILL_WALLTIME`).
const EXIT_WALLTIME: i64 = -29;

/// Classifies a job in state F or X.
pub fn classify(job: &QstatJob) -> Outcome {
    let comment = job.comment.clone().unwrap_or_default();
    let lower = comment.to_ascii_lowercase();
    let exit = job.exit_status;
    let said = |fallback: String| {
        if comment.is_empty() {
            fallback
        } else {
            format!("PBS: {comment}")
        }
    };
    if lower.contains("exceeded resource walltime") || exit == Some(EXIT_WALLTIME) {
        return Outcome::new(
            EndKind::Walltime,
            exit,
            said(format!(
                "killed for exceeding its walltime (exit {})",
                exit.unwrap_or(EXIT_WALLTIME)
            )),
        );
    }
    if lower.contains("preempt") {
        return Outcome::new(EndKind::Preempted, exit, said(String::new()));
    }
    if lower.contains("terminated by") || (job.substate == Some(SUBSTATE_TERMINATED) && exit.is_some()) {
        return Outcome::new(
            EndKind::CancelledByUser,
            exit,
            said("removed with qdel while running".into()),
        );
    }
    let Some(exit) = exit else {
        return ended_unrun(job, &comment);
    };
    match exit {
        0..=255 => Outcome::exited(exit),
        s if s > 256 => Outcome::new(
            EndKind::Killed,
            Some(s),
            said(format!(
                "job shell killed by signal {} (exit {s}) with no word from PBS on who sent it; `xvr resubmit --failed` reruns it",
                s - 256
            )),
        ),
        s => Outcome::new(
            EndKind::SchedulerFailure,
            Some(s),
            format!(
                "PBS failure {}(exit {s}), not the job's; `xvr resubmit --failed` reruns it{}",
                exec_name(s).map(|n| format!("{n} ")).unwrap_or_default(),
                if comment.is_empty() { String::new() } else { format!(" (PBS: {comment})") }
            ),
        ),
    }
}

/// A job that ended without an exit status never ran: deleted while queued, or removed
/// because a job it depended on failed (the real server then leaves no comment; the
/// `depend` attribute names the parent).
fn ended_unrun(job: &QstatJob, comment: &str) -> Outcome {
    let parent = job.depend.as_deref().map(parents).filter(|p| !p.is_empty());
    // The real server ends such a child F with substate 92 and no comment.
    let dependency =
        comment.contains("dependency") || (job.substate == Some(SUBSTATE_FINISHED) && parent.is_some());
    if dependency {
        let detail = match &parent {
            Some(p) => format!(
                "deleted before it ran: the job it waited for (afterok) did not succeed: {p}{}",
                if comment.is_empty() { String::new() } else { format!(" (PBS: {comment})") }
            ),
            None => format!("deleted before it ran: PBS: {comment}"),
        };
        return Outcome::new(EndKind::DependencyFailed, None, detail);
    }
    if job.substate == Some(SUBSTATE_TERMINATED) || comment.contains("deleted") {
        return Outcome::new(
            EndKind::CancelledByUser,
            None,
            if comment.is_empty() {
                "removed with qdel before it started".to_string()
            } else {
                format!("removed before it started: PBS: {comment}")
            },
        );
    }
    Outcome::new(
        EndKind::NeverRan,
        None,
        if comment.is_empty() {
            "ended without running and without a word from PBS".to_string()
        } else {
            format!("ended without running: PBS: {comment}")
        },
    )
}

/// The parent job ids in a `depend` attribute (`afterok:12.pbstest@pbstest:13.pbstest`).
fn parents(depend: &str) -> String {
    depend
        .split(',')
        .flat_map(|d| d.split(':').skip(1))
        .map(|id| id.split('@').next().unwrap_or(id))
        .filter(|id| !id.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// PBS's names for its internal exit statuses (openpbs `src/include/job.h`).
fn exec_name(exit_status: i64) -> Option<&'static str> {
    const NAMES: [&str; 30] = [
        "JOB_EXEC_FAIL1",
        "JOB_EXEC_FAIL2",
        "JOB_EXEC_RETRY",
        "JOB_EXEC_INITABT",
        "JOB_EXEC_INITRST",
        "JOB_EXEC_INITRMG",
        "JOB_EXEC_BADRESRT",
        "",
        "",
        "JOB_EXEC_FAILUID",
        "JOB_EXEC_RERUN",
        "JOB_EXEC_CHKP",
        "JOB_EXEC_FAIL_PASSWORD",
        "JOB_EXEC_RERUN_ON_SIS_FAIL",
        "JOB_EXEC_QUERST",
        "JOB_EXEC_FAILHOOK_RERUN",
        "JOB_EXEC_FAILHOOK_DELETE",
        "JOB_EXEC_HOOK_RERUN",
        "JOB_EXEC_HOOK_DELETE",
        "JOB_EXEC_RERUN_MS_FAIL",
        "JOB_EXEC_FAIL_SECURITY",
        "JOB_EXEC_HOOKERROR",
        "JOB_EXEC_FAIL_KRB5",
        "JOB_EXEC_KILL_NCPUS_BURST",
        "JOB_EXEC_KILL_NCPUS_SUM",
        "JOB_EXEC_KILL_VMEM",
        "JOB_EXEC_KILL_MEM",
        "JOB_EXEC_KILL_CPUT",
        "JOB_EXEC_KILL_WALLTIME",
        "JOB_EXEC_JOINJOB",
    ];
    let index = usize::try_from(-exit_status).ok()?.checked_sub(1)?;
    NAMES.get(index).copied().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(exit: Option<i64>, substate: Option<i64>, comment: Option<&str>) -> QstatJob {
        QstatJob {
            key: "12.pbstest".into(),
            state: "F".into(),
            substate,
            exit_status: exit,
            comment: comment.map(String::from),
            queue: Some("tiny".into()),
            walltime_used: None,
            depend: None,
        }
    }

    // The records below are what the real OpenPBS testbed server wrote (2026-12-01).
    #[test]
    fn a_walltime_kill_and_a_qdel_are_told_apart() {
        let walltime = classify(&job(
            Some(-29),
            Some(93),
            Some("Job run at Tue Dec 01 at 10:00 on (pbstest:ncpus=1) and exceeded resource walltime"),
        ));
        assert_eq!(walltime.kind, EndKind::Walltime);
        let qdel = classify(&job(
            Some(271),
            Some(91),
            Some("Job run at Tue Dec 01 at 10:00 on (pbstest:ncpus=1) and terminated by xvruser@pbstest"),
        ));
        assert_eq!(qdel.kind, EndKind::CancelledByUser);
        assert!(qdel.detail.contains("terminated by xvruser@pbstest"), "{}", qdel.detail);
        // Substate alone, when the comment is missing; the exit status as the last resort.
        assert_eq!(classify(&job(Some(271), Some(91), None)).kind, EndKind::CancelledByUser);
        assert_eq!(classify(&job(Some(-29), None, None)).kind, EndKind::Walltime);
        // Substate 93 is any failure, not only a walltime kill.
        assert_eq!(classify(&job(Some(3), Some(93), None)).kind, EndKind::Exited);
        // 271 alone is no proof of either.
        assert_eq!(classify(&job(Some(271), None, None)).kind, EndKind::Killed);
        // A queued job removed with qdel: no exit status, substate 91.
        assert_eq!(classify(&job(None, Some(91), None)).kind, EndKind::CancelledByUser);
    }

    #[test]
    fn a_child_of_a_failed_parent_names_the_parent() {
        let mut child = job(None, Some(92), None);
        child.depend = Some("afterok:11.pbstest@pbstest".into());
        let o = classify(&child);
        assert_eq!(o.kind, EndKind::DependencyFailed);
        assert!(o.detail.contains("11.pbstest"), "{}", o.detail);
        assert!(!o.detail.contains('@'), "{}", o.detail);
        // Polaris words it in a comment.
        let polaris = classify(&job(
            None,
            None,
            Some("Job deleted as result of dependency on job 640004.polaris-pbs-01"),
        ));
        assert_eq!(polaris.kind, EndKind::DependencyFailed);
    }

    #[test]
    fn exits_of_the_script_of_pbs_and_of_signals() {
        assert_eq!(classify(&job(Some(0), Some(92), None)), Outcome::exited(0));
        assert_eq!(classify(&job(Some(3), Some(92), None)).kind, EndKind::Exited);
        let rerun = classify(&job(Some(-11), None, None));
        assert_eq!(rerun.kind, EndKind::SchedulerFailure);
        assert!(rerun.detail.starts_with("PBS failure JOB_EXEC_RERUN (exit -11)"), "{}", rerun.detail);
        assert!(classify(&job(Some(-1), None, None)).detail.contains("JOB_EXEC_FAIL1"));
        assert!(classify(&job(Some(-8), None, None)).detail.starts_with("PBS failure (exit -8)"));
        assert_eq!(classify(&job(Some(265), None, None)).kind, EndKind::Killed);
        assert_eq!(
            classify(&job(Some(271), None, Some("Job preempted by scheduler"))).kind,
            EndKind::Preempted
        );
    }
}
