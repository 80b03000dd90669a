//! How far a running trial has got, read from its `train.csv` — for progress lines and
//! `xvr status`. Reads only the file's tail, so polling a long run stays cheap.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{names, TrainRow};

/// Bytes read from the end of train.csv: many rows' worth, so a half-written last row
/// still leaves a complete one before it.
const TAIL_BYTES: u64 = 4096;

/// The last complete row of `<trial_dir>/train.csv`, if the file exists and holds one.
pub fn last_train_row(trial_dir: &Path) -> Option<TrainRow> {
    let mut file = File::open(trial_dir.join(names::TRAIN_CSV)).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = String::new();
    file.take(TAIL_BYTES).read_to_string(&mut tail).ok()?;
    // Only lines that end with a newline are complete (a writer may be mid-row).
    let complete = &tail[..tail.rfind('\n')? + 1];
    complete
        .lines()
        .rev()
        .filter(|line| !line.starts_with("iter"))
        .find_map(parse_row)
}

/// A data row in train.csv's column order (iter, lr, loss, step_s, samples_per_s).
fn parse_row(line: &str) -> Option<TrainRow> {
    let mut fields = line.split(',').map(str::trim);
    let row = TrainRow {
        iter: fields.next()?.parse().ok()?,
        lr: fields.next()?.parse().ok()?,
        loss: fields.next()?.parse().ok()?,
        step_s: fields.next()?.parse().ok()?,
        samples_per_s: fields.next()?.parse().ok()?,
    };
    Some(row)
}

/// "it 120/300 loss 0.0213 ETA 3m05s" from the last row, the trial's total iterations and
/// the measured step time (a mean over the last row's step is noisy but honest).
pub fn describe(row: &TrainRow, total_iterations: u64) -> String {
    let left = total_iterations.saturating_sub(row.iter);
    let eta_s = (left as f64 * row.step_s).round() as u64;
    format!(
        "it {}/{} loss {:.4} ETA {}m{:02}s",
        row.iter,
        total_iterations,
        row.loss,
        eta_s / 60,
        eta_s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) {
        std::fs::write(dir.join(names::TRAIN_CSV), text).unwrap();
    }

    #[test]
    fn reads_last_complete_row_and_ignores_a_half_written_one() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "iter,lr,loss,step_s,samples_per_s\n1,0.0001,0.5,2.0,1.0\n2,0.0002,0.25,2.0,1.0\n3,0.00");
        let row = last_train_row(dir.path()).unwrap();
        assert_eq!((row.iter, row.loss), (2, 0.25));
        assert_eq!(describe(&row, 92), "it 2/92 loss 0.2500 ETA 3m00s");
    }

    #[test]
    fn header_only_or_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(last_train_row(dir.path()).is_none());
        write(dir.path(), "iter,lr,loss,step_s,samples_per_s\n");
        assert!(last_train_row(dir.path()).is_none());
    }

    #[test]
    fn long_files_are_read_from_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("iter,lr,loss,step_s,samples_per_s\n");
        for i in 1..=5000u64 {
            text.push_str(&format!("{i},0.0002,{},0.5,4.0\n", 1.0 / i as f64));
        }
        write(dir.path(), &text);
        let row = last_train_row(dir.path()).unwrap();
        assert_eq!(row.iter, 5000);
        assert!((row.loss - 0.0002).abs() < 1e-12);
    }
}
