# Shared by the stand-in qsub, qstat, qdel and job runner (sourced, not run).
#
# A stand-in PBS Pro server for tests, behaving as docs/pbs.md records the
# real one where they overlap (as the real OpenPBS 23.06 testbed server showed, docs/pbs.md):
# ids `<seq>.<server>`, a rejected qsub still using a sequence number, `qstat -x -f -F json`
# layout, job states Q/H/R/F, Exit_status -29 (substate 93) on a walltime kill, a qdel'ed
# running job ending F with Exit_status 271 (substate 91, "terminated by"), an afterok
# child deleted without Exit_status or comment (substate 92) when its parent fails. It is
# kept for what a real server will not do on demand: broken JSON, qstat outages, lost jobs.
#
# All state lives in the directory $XVR_PBS_STANDIN (required):
#   seq                  last job sequence number
#   jobs/<seq>/          one job: id, state, substate, exit_status, comment, queue, name,
#                        account, nodes, walltime (s), output, depend, ctime, stime,
#                        used (s), script (copied at qsub time), pgid, deleted (qdel mark)
#   events.log           `<epoch ms> <submit|run|end> <seq>` lines
#   qsub.log, qstat.log, qdel.log   one line per call: `<epoch ms> <cwd> <args…>`
# and can be told to misbehave by files in it:
#   reject               next qsub fails: first line its exit code, the rest PBS's message
#   lose                 next qsub prints an id but the job vanishes (never in qstat)
#   json                 qstat output variant: invalid-escape, unquoted-number,
#                        duplicate-keys, unescaped-quote, bash-func (broken JSON PBS
#                        really prints), garbage (not JSON), empty (nothing), fail (rc 1)
#   short_keys           qstat keys carry a shortened server name (`<seq>.polaris-pbs-01`)
#   queue_delay          seconds a job stays queued before it runs (default 0.3)
#   never_run            jobs stay queued with the comment in this file (e.g. PBS's
#                        `Can Never Run: Insufficient amount of resource: …`) while it exists
#   first_only           a batched `qstat ID1 ID2 …` prints only the first job (openpbs #2672)

set -u
: "${XVR_PBS_STANDIN:?the PBS stand-in needs XVR_PBS_STANDIN (its state directory)}"
D=$XVR_PBS_STANDIN
SERVER=polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov
mkdir -p "$D/jobs"

now_ms() { date +%s%3N; }
pbs_date() { date -u +"%a %b %e %H:%M:%S %Y"; }
log_call() { local name=$1; shift; echo "$(now_ms) $PWD $*" >> "$D/$name.log"; }
event() { echo "$(now_ms) $1 $2" >> "$D/events.log"; }
# Reads one attribute of job $1 (empty when unset).
attr() { cat "$D/jobs/$1/$2" 2>/dev/null || true; }
set_attr() { printf '%s' "$3" > "$D/jobs/$1/$2.tmp" && mv "$D/jobs/$1/$2.tmp" "$D/jobs/$1/$2"; }
# The sequence number of a job id, whatever server suffix it carries.
seq_of() { local id=${1%%.*}; echo "${id%%\[*}"; }
# Serialises updates of the server state.
with_lock() { ( flock 9; "$@" ) 9>"$D/lock"; }
