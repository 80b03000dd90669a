//! `train.csv` (rank 0): one row per iteration, appended and flushed as training goes, so
//! `xvr status` can follow a running trial. On resume the rows beyond the checkpoint's
//! iteration (from the interrupted attempt) are dropped first, so the file always describes
//! one consistent run.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use xvr_contract::results::{write_atomic, TrainRow};

/// Why train.csv could not be read or written, naming it.
#[derive(Debug, thiserror::Error)]
pub enum TrainLogError {
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Row { path: PathBuf, source: csv::Error },
}

/// The open train.csv.
pub struct TrainLog {
    path: PathBuf,
    file: File,
}

impl TrainLog {
    /// The k for which `path` holds rows of iterations 1..=k without a gap (0 when the file
    /// is missing or has none): how far a checkpoint may be ahead of the log.
    pub fn logged_iterations(path: &Path) -> Result<u64, TrainLogError> {
        let failed = |source| TrainLogError::File { path: path.to_path_buf(), source };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(failed(e)),
        };
        let mut next = 1;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(failed)?;
            if iteration_of(&line) == Some(next) {
                next += 1;
            }
        }
        Ok(next - 1)
    }

    /// Opens `path` for a run continuing after iteration `completed` (0 = fresh start): keeps
    /// the header and the rows with `iter <= completed`, drops the rest (atomically), and
    /// writes a header when there is none.
    pub fn open(path: &Path, completed: u64) -> Result<Self, TrainLogError> {
        let failed = |source| TrainLogError::File { path: path.to_path_buf(), source };
        let mut kept = header();
        if completed > 0 {
            if let Ok(file) = File::open(path) {
                for line in BufReader::new(file).lines() {
                    let line = line.map_err(failed)?;
                    if iteration_of(&line).is_some_and(|i| i <= completed) {
                        kept.push_str(&line);
                        kept.push('\n');
                    }
                }
            }
        }
        write_atomic(path, kept.as_bytes()).map_err(failed)?;
        let file = OpenOptions::new().append(true).open(path).map_err(failed)?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// Appends one row and flushes it.
    pub fn append(&mut self, row: &TrainRow) -> Result<(), TrainLogError> {
        let failed = |source| TrainLogError::File { path: self.path.clone(), source };
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        writer
            .serialize(row)
            .map_err(|source| TrainLogError::Row { path: self.path.clone(), source })?;
        let bytes = writer.into_inner().map_err(|e| failed(e.into_error()))?;
        self.file.write_all(&bytes).map_err(failed)
    }
}

/// The iteration a train.csv line records (its first field); `None` for the header or a
/// half-written line.
fn iteration_of(line: &str) -> Option<u64> {
    line.split(',').next().and_then(|f| f.trim().parse().ok())
}

/// The header line of train.csv, from [`TrainRow`]'s fields.
fn header() -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .serialize(TrainRow {
            iter: 0,
            lr: 0.0,
            loss: 0.0,
            step_s: 0.0,
            samples_per_s: 0.0,
        })
        .expect("a TrainRow serialises");
    let text =
        String::from_utf8(writer.into_inner().expect("in-memory writer")).expect("csv is UTF-8");
    text.lines().next().expect("header line").to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(iter: u64) -> TrainRow {
        TrainRow {
            iter,
            lr: 1e-4,
            loss: 0.5,
            step_s: 0.25,
            samples_per_s: 4.0,
        }
    }

    #[test]
    fn resume_drops_rows_after_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.csv");
        let mut log = TrainLog::open(&path, 0).unwrap();
        for i in 1..=5 {
            log.append(&row(i)).unwrap();
        }
        drop(log);
        let mut log = TrainLog::open(&path, 3).unwrap();
        log.append(&row(4)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "iter,lr,loss,step_s,samples_per_s");
        let iters: Vec<&str> = lines[1..]
            .iter()
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(iters, ["1", "2", "3", "4"]);
        assert_eq!(lines[1], "1,0.0001,0.5,0.25,4.0");
    }

    #[test]
    fn a_fresh_start_replaces_an_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.csv");
        std::fs::write(&path, "iter,lr,loss,step_s,samples_per_s\n1,1,1,1,1\n").unwrap();
        TrainLog::open(&path, 0).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "iter,lr,loss,step_s,samples_per_s\n"
        );
    }
}
