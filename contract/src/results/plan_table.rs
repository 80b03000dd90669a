//! `plan.csv`: one row per planned trial, with its axis values and resources. `xvr plan`
//! writes it; `xvr submit`/`status`/`cancel` read it to work on a sweep directory alone, and
//! the analysis reads it as the list of what *should* exist, so that a trial without outputs
//! is reported, not forgotten.
//!
//! Columns: `trial_id`, `variant`, `repeat`, one column per swept axis (its dotted path,
//! e.g. `model.window`, holding [`value_text`](crate::trial::value_text) of the value, empty
//! when the trial leaves it at the base), `gpus`, `nodes`, `queue`, `walltime` (HH:MM:SS),
//! `node_hours` (nodes × walltime) and `queue_max_jobs` (the queue's job limit, empty when
//! unlimited). `variant`, `repeat` and `queue_max_jobs` may be absent from a hand-made plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::walltime::{self, BadWalltime};

const TRIAL_ID: &str = "trial_id";
const VARIANT: &str = "variant";
const REPEAT: &str = "repeat";
const GPUS: &str = "gpus";
const NODES: &str = "nodes";
const QUEUE: &str = "queue";
const WALLTIME: &str = "walltime";
const NODE_HOURS: &str = "node_hours";
const QUEUE_MAX_JOBS: &str = "queue_max_jobs";

/// plan.csv as a whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanTable {
    /// Swept axes (dotted paths) in column order.
    pub axes: Vec<String>,
    /// In plan order.
    pub rows: Vec<PlanRow>,
}

/// One planned trial.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub trial_id: String,
    /// Variant name (an empty cell or no column: none).
    pub variant: Option<String>,
    /// Repeat index (no column: unknown).
    pub repeat: Option<u32>,
    /// Axis path → value as text (empty when the trial leaves it at the base).
    pub axes: BTreeMap<String, String>,
    pub gpus: u32,
    pub nodes: u32,
    pub queue: String,
    pub walltime_s: u64,
    /// Nodes × walltime in hours, as written (three decimals).
    pub node_hours: f64,
    /// The queue's `max_jobs` (empty cell or no column: no limit).
    pub queue_max_jobs: Option<u32>,
}

/// Why plan.csv cannot be read, naming the file and, where there is one, the line.
#[derive(Debug, thiserror::Error)]
pub enum PlanTableError {
    #[error(
        "{}: cannot read: {source}; is this a results/<sweep>/ directory written by `xvr plan`?",
        path.display()
    )]
    Unreadable { path: PathBuf, source: csv::Error },
    #[error("{}{}: {source}", path.display(), line_of(source))]
    Csv { path: PathBuf, source: csv::Error },
    #[error(
        "{}: missing column `{column}` (plan.csv needs trial_id, one column per axis, gpus, nodes, queue, walltime, node_hours)",
        path.display()
    )]
    MissingColumn { path: PathBuf, column: &'static str },
    /// A cell that is not the number its column holds (`a number`, `a whole number`).
    #[error("{}:{line}: column `{column}`: `{value}` is not {expected}", path.display())]
    NotANumber {
        path: PathBuf,
        line: u64,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{}:{line}: column `walltime`: {source}", path.display())]
    Walltime {
        path: PathBuf,
        line: u64,
        source: BadWalltime,
    },
}

/// `:line` of a CSV error that has a position.
fn line_of(e: &csv::Error) -> String {
    e.position()
        .map(|p| format!(":{}", p.line()))
        .unwrap_or_default()
}

impl PlanRow {
    /// Nodes × walltime in hours, unrounded.
    pub fn requested_node_hours(&self) -> f64 {
        f64::from(self.nodes) * self.walltime_s as f64 / 3600.0
    }
}

impl PlanTable {
    /// The file's bytes: the header, then one row per trial.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![TRIAL_ID, VARIANT, REPEAT];
        header.extend(self.axes.iter().map(String::as_str));
        header.extend([GPUS, NODES, QUEUE, WALLTIME, NODE_HOURS, QUEUE_MAX_JOBS]);
        w.write_record(&header)?;
        for r in &self.rows {
            let mut row = vec![
                r.trial_id.clone(),
                r.variant.clone().unwrap_or_default(),
                r.repeat.map(|n| n.to_string()).unwrap_or_default(),
            ];
            row.extend(
                self.axes
                    .iter()
                    .map(|a| r.axes.get(a).cloned().unwrap_or_default()),
            );
            row.extend([
                r.gpus.to_string(),
                r.nodes.to_string(),
                r.queue.clone(),
                walltime::format(r.walltime_s),
                format!("{:.3}", r.node_hours),
                r.queue_max_jobs.map(|n| n.to_string()).unwrap_or_default(),
            ]);
            w.write_record(&row)?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Self, PlanTableError> {
        let mut reader =
            csv::Reader::from_path(path).map_err(|source| PlanTableError::Unreadable {
                path: path.to_path_buf(),
                source,
            })?;
        let csv_error = |source| PlanTableError::Csv {
            path: path.to_path_buf(),
            source,
        };
        let headers = reader.headers().map_err(csv_error)?.clone();
        let optional = |name: &str| headers.iter().position(|h| h == name);
        let column = |column: &'static str| {
            optional(column).ok_or_else(|| PlanTableError::MissingColumn {
                path: path.to_path_buf(),
                column,
            })
        };
        let (id_col, gpus_col, nodes_col) = (column(TRIAL_ID)?, column(GPUS)?, column(NODES)?);
        let (queue_col, wall_col, nh_col) =
            (column(QUEUE)?, column(WALLTIME)?, column(NODE_HOURS)?);
        let (variant_col, repeat_col, max_col) = (
            optional(VARIANT),
            optional(REPEAT),
            optional(QUEUE_MAX_JOBS),
        );
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
            let not_a = |col: usize, column: &'static str, expected: &'static str| {
                PlanTableError::NotANumber {
                    path: path.to_path_buf(),
                    line,
                    column,
                    value: field(col).to_string(),
                    expected,
                }
            };
            let count = |col: usize, column: &'static str| -> Result<u32, PlanTableError> {
                field(col)
                    .parse::<u32>()
                    .map_err(|_| not_a(col, column, "a whole number"))
            };
            let filled = |col: Option<usize>| col.map(field).filter(|v| !v.is_empty());
            rows.push(PlanRow {
                trial_id: field(id_col).to_string(),
                variant: filled(variant_col).map(str::to_string),
                repeat: match repeat_col {
                    Some(col) if !field(col).is_empty() => Some(count(col, REPEAT)?),
                    _ => None,
                },
                axes: axes
                    .iter()
                    .map(|(i, name)| (name.clone(), field(*i).to_string()))
                    .collect(),
                gpus: count(gpus_col, GPUS)?,
                nodes: count(nodes_col, NODES)?,
                queue: field(queue_col).to_string(),
                walltime_s: walltime::parse(field(wall_col)).map_err(|source| {
                    PlanTableError::Walltime {
                        path: path.to_path_buf(),
                        line,
                        source,
                    }
                })?,
                node_hours: field(nh_col)
                    .parse::<f64>()
                    .map_err(|_| not_a(nh_col, NODE_HOURS, "a number"))?,
                queue_max_jobs: match max_col {
                    Some(col) if !field(col).is_empty() => Some(
                        field(col)
                            .parse::<u32>()
                            .map_err(|_| not_a(col, QUEUE_MAX_JOBS, "a whole number"))?,
                    ),
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
        let plan = PlanTable::read(&p).unwrap();
        assert_eq!(plan.axes, vec!["model.window", "resources.gpus"]);
        let row = &plan.rows[0];
        assert_eq!(row.axes["model.window"], "4");
        assert_eq!(
            (row.gpus, row.nodes, row.walltime_s, row.node_hours),
            (8, 2, 3600, 2.0)
        );
        assert_eq!(
            (row.variant.clone(), row.repeat, row.queue_max_jobs),
            (None, Some(1), None)
        );
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.csv");
        std::fs::write(
            &p,
            "trial_id,gpus,nodes,queue,walltime,node_hours\nabc,four,1,debug,01:00:00,1\n",
        )
        .unwrap();
        let err = PlanTable::read(&p).unwrap_err().to_string();
        assert!(
            err.contains("plan.csv:2") && err.contains("`gpus`") && err.contains("four"),
            "{err}"
        );
        std::fs::write(
            &p,
            "trial_id,gpus,nodes,queue,walltime,node_hours\nabc,4,1,debug,1h,1\n",
        )
        .unwrap();
        let err = PlanTable::read(&p).unwrap_err().to_string();
        assert!(
            err.contains("plan.csv:2: column `walltime`") && err.contains("`1h`"),
            "{err}"
        );
        std::fs::write(&p, "trial_id,gpus\n").unwrap();
        assert!(PlanTable::read(&p)
            .unwrap_err()
            .to_string()
            .contains("missing column `nodes`"));
        let missing = PlanTable::read(&dir.path().join("nothing.csv"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("written by `xvr plan`"), "{missing}");
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let row = |id: &str, window: &str, max: Option<u32>| PlanRow {
            trial_id: id.into(),
            variant: Some("heads1".into()).filter(|_| id == "b"),
            repeat: Some(0),
            axes: [("model.window".to_string(), window.to_string())].into(),
            gpus: 8,
            nodes: 2,
            queue: "debug-scaling".into(),
            walltime_s: 5400,
            node_hours: 3.0,
            queue_max_jobs: max,
        };
        let table = PlanTable {
            axes: vec!["model.window".into()],
            rows: vec![row("a", "4", Some(1)), row("b", "", None)],
        };
        let bytes = table.to_csv().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("trial_id,variant,repeat,model.window,gpus,nodes,queue,walltime,node_hours,queue_max_jobs")
        );
        assert!(
            text.contains("a,,0,4,8,2,debug-scaling,01:30:00,3.000,1\n"),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.csv");
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(PlanTable::read(&p).unwrap(), table);
    }
}
