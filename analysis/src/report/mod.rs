//! The report: one section per study found in the sweep, each a set of tables and
//! figures, written under `results/<sweep>/report/` and gathered into index.html.

mod base64;
mod configs;
mod html;
mod kernel_mix;
mod loss;
pub(crate) mod profile;
mod quality;
mod scaling;
mod selected_spec;
pub mod selection;
mod test_conditions;
mod trials;
mod utilisation;

pub use selected_spec::{FinalRun, FinalSetError};

use crate::output_error::OutputError;
use crate::plot::FigureFiles;
use crate::sweep::Sweep;
use crate::table::Table;
use std::path::{Path, PathBuf};
use xvr_contract::trial::KernelPreset;

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
        Self {
            id: id.into(),
            title: title.into(),
            ..Self::default()
        }
    }
}

/// What was written, for the command's closing message.
#[derive(Debug, Clone)]
pub struct Written {
    pub index: PathBuf,
    pub tables: usize,
    pub figures: usize,
    /// Whether the report has a selection step (training sweeps), and the spec it wrote.
    pub selects: bool,
    pub selected: Option<PathBuf>,
}

/// Builds every section that the sweep has data for and writes the report directory.
pub fn write(sweep: &Sweep, options: &Options) -> Result<Written, OutputError> {
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|source| OutputError::CreateDir { dir: out.clone(), source })?;
    let mut sections = vec![trials::section(sweep)];
    let mut selected = None;
    let selects = !test_conditions::applies(sweep);
    if !selects {
        // Reconstruction trials train nothing: no scaling, profile, loss or selection.
        sections.push(test_conditions::section(sweep, out)?);
    } else {
        sections.push(scaling::section(sweep, out)?);
        sections.push(utilisation::section(sweep, options.preset, out)?);
        sections.push(kernel_mix::section(sweep, options.preset, out)?);
        sections.extend(quality::sections(sweep, out)?);
        sections.push(loss::section(sweep, out)?);
        let (selection_section, spec) =
            selection::section(sweep, &options.selection, &options.final_run, out)?;
        sections.push(selection_section);
        selected = spec;
    }
    for section in &sections {
        for table in &section.tables {
            table.write_csv(out)?;
        }
    }
    let index = out.join("index.html");
    let page = html::page(sweep, &sections)?;
    xvr_contract::results::write_atomic(&index, page.as_bytes())
        .map_err(|source| OutputError::File { path: index.clone(), source })?;
    let mut files: Vec<PathBuf> = vec![index.clone()];
    files.extend(selected.iter().cloned());
    for section in &sections {
        files.extend(
            section
                .tables
                .iter()
                .map(|t| out.join(format!("{}.csv", t.stem))),
        );
        files.extend(
            section
                .figures
                .iter()
                .flat_map(|f| [f.png.clone(), f.svg.clone()]),
        );
    }
    remove_stale(out, &files)?;
    Ok(Written {
        index,
        tables: sections.iter().map(|s| s.tables.len()).sum(),
        figures: sections.iter().map(|s| s.figures.len()).sum(),
        selects,
        selected,
    })
}

/// Lists what this run wrote in `out/.xvr-analysis-files` and deletes what the previous run
/// listed but this one did not write (a study or plot that no longer applies), so the
/// directory never mixes two runs. Files we did not write are never touched.
fn remove_stale(out: &Path, written: &[PathBuf]) -> Result<(), OutputError> {
    let manifest = out.join(".xvr-analysis-files");
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if let Ok(previous) = std::fs::read_to_string(&manifest) {
        for old in previous
            .lines()
            .filter(|l| !l.is_empty() && !l.contains('/') && !names.iter().any(|n| n == l))
        {
            let path = out.join(old);
            if path.is_file() {
                std::fs::remove_file(&path)
                    .map_err(|source| OutputError::RemoveStale { path: path.clone(), source })?;
            }
        }
    }
    let mut text = names.join("\n");
    text.push('\n');
    xvr_contract::results::write_atomic(&manifest, text.as_bytes())
        .map_err(|source| OutputError::File { path: manifest.clone(), source })
}

/// File-name-safe form of an axis path (`model.window` → `model_window`).
pub fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The report directory's default place: `<sweep>/report/`.
pub fn default_out(sweep_dir: &Path) -> PathBuf {
    sweep_dir.join(xvr_contract::results::names::REPORT_DIR)
}
