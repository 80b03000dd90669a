//! Picking a trial's profile.csv rows: one row per rank and preset, the preset chosen on
//! the command line.

use std::collections::BTreeMap;
use xvr_contract::results::ProfileRow;
use xvr_contract::trial::KernelPreset;

/// The preset's name as profile.csv writes it (`hta`, `paper`).
pub fn preset_name(preset: KernelPreset) -> String {
    serde_json::to_value(preset)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// One row per rank for `preset`. `None` when the file has no row of that preset.
pub fn rows_for(rows: &[ProfileRow], preset: KernelPreset) -> Option<Vec<&ProfileRow>> {
    let name = preset_name(preset);
    let by_rank: BTreeMap<usize, &ProfileRow> = rows
        .iter()
        .filter(|r| r.preset == name)
        .map(|r| (r.rank, r))
        .collect();
    (!by_rank.is_empty()).then(|| by_rank.into_values().collect())
}

/// One row per rank whatever the preset: span, busy and idle time do not depend on how
/// kernels are classified, so utilisation can use any preset's rows.
pub fn rows_any_preset(rows: &[ProfileRow], preferred: KernelPreset) -> Vec<&ProfileRow> {
    rows_for(rows, preferred).unwrap_or_else(|| {
        let by_rank: BTreeMap<usize, &ProfileRow> = rows.iter().map(|r| (r.rank, r)).collect();
        by_rank.into_values().collect()
    })
}

/// Mean communication seconds over the ranks of one profiled window: the `hta` rows when
/// present (only collectives count), else the `paper` rows (host↔device copies too).
pub fn rows_for_communication(rows: &[ProfileRow]) -> Option<f64> {
    let ranks =
        rows_for(rows, KernelPreset::Hta).or_else(|| rows_for(rows, KernelPreset::Paper))?;
    Some(ranks.iter().map(|r| r.communication_s).sum::<f64>() / ranks.len() as f64)
}
