//! Packing: several claimed one-node trials of one queue submitted as one job
//! ([`crate::plan::pack`] renders its script); each member is still its own trial.

use std::path::Path;

use super::claim::{claim, Claim};
use super::{Pending, Submitter};
use crate::plan::pack;
use crate::results::write_atomic;
use crate::sched::{budget, state, JobRequest, SchedError};

/// Start of the reason recorded for a trial submitted in a pack.
pub(super) const PACKED: &str = "packed in";

/// The exit status the pack script wrote for a trial.
pub(super) fn pack_exit(trial_dir: &Path) -> Option<i64> {
    std::fs::read_to_string(trial_dir.join(pack::PACK_EXIT))
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl Submitter<'_> {
    /// Moves claimed one-node trials of the first member's queue from `pending[from..]`
    /// into `members`, up to the pack size.
    pub(super) fn gather_pack(&mut self, from: usize, members: &mut Vec<Pending>) -> Result<(), SchedError> {
        let queue = members[0].job.queue.clone();
        let mut j = from;
        while members.len() < self.opts.pack && j < self.pending.len() {
            let fits = self.pending[j].job.nodes == 1 && self.pending[j].job.queue == queue;
            if !fits {
                j += 1;
                continue;
            }
            if self.pending[j].claimed.is_none() {
                match claim(&self.pending[j].job, self.sched)? {
                    Claim::Start(lock, prev) if self.wanted(&prev) => {
                        self.pending[j].claimed = Some((lock, prev));
                    }
                    // Anything else is settled by start_ready's own pass.
                    _ => {
                        j += 1;
                        continue;
                    }
                }
            }
            members.push(self.pending.remove(j).expect("index in range"));
        }
        Ok(())
    }

    /// Submits several one-node trials as one pack job.
    pub(super) fn submit_pack(&mut self, members: Vec<Pending>) -> Result<(), SchedError> {
        let first = &members[0].job;
        let name = format!("pk-{}", first.trial_id);
        let sweep_dir = first
            .trial_dir
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| SchedError::NotInASweep { trial_dir: first.trial_dir.clone() })?;
        let dir = pack::pack_dir(sweep_dir, &name);
        std::fs::create_dir_all(&dir).map_err(|source| SchedError::File { path: dir.clone(), source })?;
        let header = std::fs::read_to_string(&first.script)
            .map_err(|source| SchedError::File { path: first.script.clone(), source })?;
        let walltime_s = members.iter().map(|m| m.job.walltime_s).max().unwrap_or(0);
        let list: Vec<pack::PackMember> = members
            .iter()
            .map(|m| pack::PackMember {
                trial_id: &m.job.trial_id,
                trial_dir: &m.job.trial_dir,
            })
            .collect();
        let script = pack::render(&name, &dir, &list, walltime_s, &header)?;
        let script_path = dir.join(pack::PACK_SCRIPT);
        write_atomic(&script_path, script.as_bytes())
            .map_err(|source| SchedError::File { path: script_path.clone(), source })?;
        let request = JobRequest {
            trial_id: name.clone(),
            trial_dir: dir,
            script: script_path,
            job_name: name.clone(),
            queue: first.queue.clone(),
            nodes: members.len() as u32,
            walltime_s,
            after: first.after.clone(),
            account: first.account.clone(),
        };
        let ids: Vec<String> = members.iter().map(|m| m.job.trial_id.clone()).collect();
        let cost = request.node_hours();
        if budget::exceeded(self.opts.budget_node_hours, self.report.node_hours + cost).is_some() {
            // Too big together: submit them one by one (each checked on its own).
            for m in members {
                self.submit_one(m)?;
            }
            return Ok(());
        }
        let result = self.sched.submit(&request);
        for m in members {
            let Pending { job, claimed } = m;
            let (lock, prev) = claimed.expect("claimed before submission");
            match &result {
                Ok(id) => {
                    let _ = std::fs::remove_file(job.trial_dir.join(pack::PACK_EXIT));
                    let reason = format!("{PACKED} {name} with {}", ids.join(", "));
                    self.record_start(job, lock, &prev, id, Some(reason))?;
                }
                Err(e) => {
                    state::write(&job.trial_dir, &state::submission_failed(&prev, &e.to_string()))?;
                    self.report.unsuccessful += 1;
                    self.done += 1;
                }
            }
        }
        match result {
            Ok(id) => {
                self.report.node_hours += cost;
                self.say(&format!(
                    "trials {}: started together as job {id} (pack {name}, {} nodes, queue {}, walltime {walltime_s} s, {cost:.2} node-h)",
                    ids.join(", "),
                    ids.len(),
                    request.queue
                ));
            }
            Err(e) => self.say(&format!(
                "trials {}: submission of pack {name} failed: {e}; they stay planned",
                ids.join(", ")
            )),
        }
        Ok(())
    }
}
