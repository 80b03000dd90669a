//! Readers for the per-trial result files. A missing file is `Ok(None)`: partial sweeps are
//! normal. A malformed file is an error naming the file, the line and what serde objected to
//! (for CSVs that includes the missing or unparsable column).

use serde::de::DeserializeOwned;
use std::path::Path;

use super::SweepError;

/// Rows of a CSV file with a header line, deserialised by column name.
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>, SweepError> {
    if !path.exists() {
        return Ok(None);
    }
    let csv_error = |source| SweepError::Csv { path: path.to_path_buf(), source };
    let mut reader = csv::Reader::from_path(path).map_err(csv_error)?;
    let mut rows = Vec::new();
    for row in reader.deserialize() {
        rows.push(row.map_err(csv_error)?);
    }
    Ok(Some(rows))
}

/// A JSON document.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, SweepError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| SweepError::Json { path: path.to_path_buf(), source })
}

/// A YAML document (positions are in serde_yaml's message).
pub fn read_yaml<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, SweepError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    serde_yaml::from_str(&text)
        .map(Some)
        .map_err(|source| SweepError::Yaml { path: path.to_path_buf(), source })
}

fn read_text(path: &Path) -> Result<Option<String>, SweepError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SweepError::Read { path: path.to_path_buf(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xvr_contract::results::TrainRow;

    #[test]
    fn renamed_column_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("train.csv");
        std::fs::write(
            &p,
            "iter,lr,l1_loss,step_s,samples_per_s\n1,0.1,0.5,1.0,10\n",
        )
        .unwrap();
        let err = read_csv::<TrainRow>(&p).unwrap_err().to_string();
        assert!(err.contains("train.csv") && err.contains("loss"), "{err}");
        assert_eq!(
            read_csv::<TrainRow>(&dir.path().join("absent.csv")).unwrap(),
            None
        );
    }
}
