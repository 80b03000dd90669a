//! What `xvr-worker reconstruct` records beside the frames: `manifest.csv`, one row per
//! reconstructed frame, and `reconstruct.json`, the run (docs/reconstruction.md#outputs).

use std::path::Path;

use xvr_contract::results::names::{MANIFEST_CSV, RECONSTRUCT_JSON};
pub use xvr_contract::results::{ManifestRow, ReconstructSummary};

use super::manifest_error::ManifestError;

/// Writes `rows` as `out/manifest.csv` and `summary` as `out/reconstruct.json`, each
/// atomically.
pub fn write(
    out: &Path,
    rows: &[ManifestRow],
    summary: &ReconstructSummary,
) -> Result<(), ManifestError> {
    let path = out.join(MANIFEST_CSV);
    let mut csv = csv::Writer::from_writer(Vec::new());
    for row in rows {
        csv.serialize(row).map_err(|source| ManifestError::Csv {
            path: path.clone(),
            source,
        })?;
    }
    let written = |path: &Path, source| ManifestError::Write {
        path: path.to_path_buf(),
        source,
    };
    let bytes = csv
        .into_inner()
        .map_err(|e| written(&path, e.into_error()))?;
    xvr_contract::results::write_atomic(&path, &bytes).map_err(|e| written(&path, e))?;
    let path = out.join(RECONSTRUCT_JSON);
    let json = serde_json::to_vec_pretty(summary).map_err(|source| ManifestError::Json {
        path: path.clone(),
        source,
    })?;
    xvr_contract::results::write_atomic(&path, &json).map_err(|e| written(&path, e))
}
