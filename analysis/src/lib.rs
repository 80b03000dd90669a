//! xvr-analysis: turns `results/<sweep>/` (the contract in results/README.md) into
//! `results/<sweep>/report/`: tables (CSV), plots (PNG + SVG), `selected.yaml` and one
//! self-contained `index.html`. No burn, no MPI: it runs wherever the files are.

pub mod cli;
pub mod fit;
pub mod output_error;
pub mod plot;
pub mod predict;
pub mod quality_metrics;
pub mod report;
pub mod scaling;
pub mod stats;
pub mod sweep;
pub mod table;
