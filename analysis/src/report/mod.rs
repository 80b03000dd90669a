//! The report: one section per study found in the sweep, each a set of tables and
//! figures, written under `results/<sweep>/report/` and gathered into index.html.

mod base64;
mod html;
mod kernel_mix;
mod loss;
mod profile;
mod quality;
mod scaling;
pub mod selection;
mod selected_spec;
mod trials;
mod utilisation;

use crate::plot::FigureFiles;
use crate::sweep::Sweep;
use crate::table::Table;
use std::path::{Path, PathBuf};
use xvr::spec::trial::KernelPreset;

/// Everything the command line can change about the report.
#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    /// Kernel classification used for the kernel-mix report.
    pub preset: KernelPreset,
    pub selection: selection::Rule,
    pub final_run: selected_spec::FinalRun,
}

/// One part of the page.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// HTML anchor.
    pub id: String,
    pub title: String,
    /// Sentences shown above the tables: what was measured, what is missing.
    pub notes: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<FigureFiles>,
}

impl Section {
    pub fn new(id: &str, title: &str) -> Self {
        Self { id: id.into(), title: title.into(), ..Self::default() }
    }
}

pub use selected_spec::FinalRun;

/// What was written, for the command's closing message.
#[derive(Debug, Clone)]
pub struct Written {
    pub index: PathBuf,
    pub tables: usize,
    pub figures: usize,
    pub selected: Option<PathBuf>,
}

/// Builds every section that the sweep has data for and writes the report directory.
pub fn write(sweep: &Sweep, options: &Options) -> Result<Written, String> {
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: cannot create: {e}", out.display()))?;
    let mut sections = vec![trials::section(sweep)];
    sections.push(scaling::section(sweep, out)?);
    sections.push(utilisation::section(sweep, options.preset, out)?);
    sections.push(kernel_mix::section(sweep, options.preset, out)?);
    sections.extend(quality::sections(sweep, out)?);
    sections.push(loss::section(sweep, out)?);
    let (selection_section, selected) = selection::section(sweep, &options.selection, &options.final_run, out)?;
    sections.push(selection_section);
    for section in &sections {
        for table in &section.tables {
            table.write_csv(out)?;
        }
    }
    let index = out.join("index.html");
    let page = html::page(sweep, &sections)?;
    xvr::results::write_atomic(&index, page.as_bytes()).map_err(|e| e.to_string())?;
    Ok(Written {
        index,
        tables: sections.iter().map(|s| s.tables.len()).sum(),
        figures: sections.iter().map(|s| s.figures.len()).sum(),
        selected,
    })
}

/// File-name-safe form of an axis path (`model.window` → `model_window`).
pub fn slug(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// The report directory's default place: `<sweep>/report/`.
pub fn default_out(sweep_dir: &Path) -> PathBuf {
    sweep_dir.join(xvr::results::names::REPORT_DIR)
}
