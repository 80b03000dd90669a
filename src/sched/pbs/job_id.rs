//! PBS job ids: `qsub` prints `<sequence>.<server>` (on Polaris
//! `640002.polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov`); arrays add `[]`. The ids qstat
//! reports can be shorter than what qsub printed (a shortened server name, or `*` where
//! the plain listing truncates), so ids are matched by sequence number and server prefix,
//! never by string equality. The id qsub printed is what state.json keeps, whole.

/// What qsub printed instead of a job id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAJobId {
    #[error("qsub printed no job id")]
    Nothing,
    #[error("qsub printed `{0}`, not a PBS job id")]
    Other(String),
}

/// The job id in qsub's standard output: its last non-empty line, which must look like
/// `<digits>[optional []][.<server>]`.
pub fn from_qsub_output(stdout: &str) -> Result<String, NotAJobId> {
    let line = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .ok_or(NotAJobId::Nothing)?;
    let (sequence, server) = split(line);
    let digits = sequence.trim_end_matches("[]");
    let valid_server = server.is_none_or(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    });
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !valid_server {
        return Err(NotAJobId::Other(line.to_string()));
    }
    Ok(line.to_string())
}

/// `(sequence, server)`: the id up to the first `.`, and the rest.
fn split(id: &str) -> (&str, Option<&str>) {
    match id.split_once('.') {
        Some((seq, server)) => (seq, Some(server)),
        None => (id, None),
    }
}

/// Whether `reported` (a qstat key) names the job qsub called `submitted`: same sequence
/// number, and one server name a prefix of the other (a trailing `*` marks truncation).
pub fn same_job(submitted: &str, reported: &str) -> bool {
    let reported = reported.trim().trim_end_matches('*');
    let (seq_a, server_a) = split(submitted.trim());
    let (seq_b, server_b) = split(reported);
    if seq_a != seq_b {
        // A truncated key may even cut into the sequence of a long array id.
        return false;
    }
    match (server_a, server_b) {
        (Some(a), Some(b)) => a.starts_with(b) || b.starts_with(a),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLARIS: &str = "640002.polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov";

    #[test]
    fn long_ids_are_kept_whole() {
        assert_eq!(from_qsub_output(&format!("{POLARIS}\n")).unwrap(), POLARIS);
        assert_eq!(from_qsub_output("5.vm").unwrap(), "5.vm");
        assert_eq!(
            from_qsub_output("1991684[].polaris-pbs-01").unwrap(),
            "1991684[].polaris-pbs-01"
        );
        assert_eq!(from_qsub_output("  17  \n").unwrap(), "17");
    }

    #[test]
    fn anything_else_is_refused_with_the_text() {
        let err = from_qsub_output("qsub: Job rejected by all possible destinations")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a PBS job id"), "{err}");
        assert!(from_qsub_output("\n \n").is_err());
        assert!(from_qsub_output("12.bad server").is_err());
    }

    #[test]
    fn qstat_keys_match_by_sequence_and_server_prefix() {
        assert!(same_job(POLARIS, POLARIS));
        assert!(same_job(POLARIS, "640002.polaris-pbs-01"));
        assert!(same_job(POLARIS, "640002.polaris-p*"));
        assert!(same_job("640002", POLARIS));
        assert!(!same_job(POLARIS, "640003.polaris-pbs-01"));
        assert!(!same_job(POLARIS, "6400021.polaris-pbs-01"));
        assert!(!same_job(POLARIS, "640002.aurora-pbs-0001"));
    }
}
