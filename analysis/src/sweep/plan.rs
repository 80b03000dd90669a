//! `plan.csv`: the trials a sweep planned, with their axis values and resources. It is the
//! list of what *should* exist, so that a trial without outputs is reported, not forgotten.

use std::collections::BTreeMap;
use std::path::Path;

use super::SweepError;

/// Columns of plan.csv that are not axes. Axes are the dotted paths (`model.window`).
const TRIAL_ID: &str = "trial_id";
const GPUS: &str = "gpus";
const NODES: &str = "nodes";
const QUEUE: &str = "queue";
const WALLTIME: &str = "walltime";
const NODE_HOURS: &str = "node_hours";
/// Optional: written by `xvr plan` for variants and repeats.
const VARIANT: &str = "variant";
const REPEAT: &str = "repeat";

/// One planned trial.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub trial_id: String,
    /// Axis path → value as written in plan.csv (empty when the trial leaves it at the base).
    pub axes: BTreeMap<String, String>,
    pub gpus: u32,
    pub nodes: u32,
    pub queue: String,
    pub walltime: String,
    pub node_hours: f64,
    /// Variant name (empty column or absent: none).
    pub variant: Option<String>,
    pub repeat: Option<u32>,
}

/// plan.csv as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Swept axes in column order.
    pub axes: Vec<String>,
    pub rows: Vec<PlanRow>,
}

impl Plan {
    pub fn read(path: &Path) -> Result<Self, SweepError> {
        let mut reader = csv::Reader::from_path(path)
            .map_err(|source| SweepError::PlanUnreadable { path: path.to_path_buf(), source })?;
        let csv_error = |source| SweepError::Csv { path: path.to_path_buf(), source };
        let headers = reader.headers().map_err(csv_error)?.clone();
        let column = |column: &'static str| {
            headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| SweepError::MissingColumn { path: path.to_path_buf(), column })
        };
        let (id_col, gpus_col, nodes_col) = (column(TRIAL_ID)?, column(GPUS)?, column(NODES)?);
        let (queue_col, wall_col, nh_col) =
            (column(QUEUE)?, column(WALLTIME)?, column(NODE_HOURS)?);
        let optional = |name: &str| headers.iter().position(|h| h == name);
        let (variant_col, repeat_col) = (optional(VARIANT), optional(REPEAT));
        let axes: Vec<(usize, String)> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.contains('.'))
            .map(|(i, h)| (i, h.to_string()))
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            let field = |col: usize| record.get(col).unwrap_or("").trim();
            let not_a = |col: usize, column: &'static str, expected: &'static str| SweepError::NotANumber {
                path: path.to_path_buf(),
                line,
                column,
                value: field(col).to_string(),
                expected,
            };
            let number = |col: usize, column: &'static str| -> Result<f64, SweepError> {
                field(col).parse::<f64>().map_err(|_| not_a(col, column, "a number"))
            };
            let count = |col: usize, column: &'static str| -> Result<u32, SweepError> {
                field(col).parse::<u32>().map_err(|_| not_a(col, column, "a whole number"))
            };
            rows.push(PlanRow {
                trial_id: field(id_col).to_string(),
                axes: axes
                    .iter()
                    .map(|(i, name)| (name.clone(), field(*i).to_string()))
                    .collect(),
                gpus: count(gpus_col, GPUS)?,
                nodes: count(nodes_col, NODES)?,
                queue: field(queue_col).to_string(),
                walltime: field(wall_col).to_string(),
                node_hours: number(nh_col, NODE_HOURS)?,
                variant: variant_col
                    .map(field)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
                repeat: match repeat_col {
                    Some(col) if !field(col).is_empty() => Some(count(col, REPEAT)?),
                    _ => None,
                },
            });
        }
        Ok(Self {
            axes: axes.into_iter().map(|(_, name)| name).collect(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_the_dotted_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.csv");
        std::fs::write(
            &p,
            "trial_id,variant,repeat,model.window,resources.gpus,gpus,nodes,queue,walltime,node_hours\n\
             abc,,1,4,8,8,2,debug,01:00:00,2.0\n",
        )
        .unwrap();
        let plan = Plan::read(&p).unwrap();
        assert_eq!(plan.axes, vec!["model.window", "resources.gpus"]);
        assert_eq!(plan.rows[0].axes["model.window"], "4");
        assert_eq!(
            (
                plan.rows[0].gpus,
                plan.rows[0].nodes,
                plan.rows[0].node_hours
            ),
            (8, 2, 2.0)
        );
        assert_eq!(
            (plan.rows[0].variant.clone(), plan.rows[0].repeat),
            (None, Some(1))
        );
    }

    #[test]
    fn bad_number_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.csv");
        std::fs::write(
            &p,
            "trial_id,gpus,nodes,queue,walltime,node_hours\nabc,four,1,debug,01:00:00,1\n",
        )
        .unwrap();
        let err = Plan::read(&p).unwrap_err().to_string();
        assert!(
            err.contains("plan.csv:2") && err.contains("`gpus`") && err.contains("four"),
            "{err}"
        );
        std::fs::write(&p, "trial_id,gpus\n").unwrap();
        assert!(Plan::read(&p)
            .unwrap_err()
            .to_string()
            .contains("missing column `nodes`"));
    }
}
