//! `xvr-analysis SWEEP_DIR` and `xvr-analysis predict PLANNED --from DIR`: see `--help`.

use std::error::Error;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use xvr_analysis::cli::{Cli, Command, UsageError};
use xvr_analysis::predict;
use xvr_analysis::report;
use xvr_analysis::sweep::Sweep;

/// Exit status when no report or prediction could be written (the reason on stderr);
/// clap exits 2 on a command line it cannot parse.
const FAILED: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xvr-analysis: error: {e}");
            ExitCode::from(FAILED)
        }
    }
}

/// Writes the report of a sweep, or a prediction.
fn execute(cli: &Cli) -> Result<(), Box<dyn Error>> {
    if let Some(Command::Predict(args)) = &cli.command {
        return Ok(predict::command::predict_and_report(&args.request()?)?);
    }
    let options = cli.options()?;
    let sweep_dir = cli.sweep_dir.as_deref().ok_or(UsageError::NoSweepDir)?;
    let sweep = Sweep::load(sweep_dir)?;
    // Damaged or inconsistent trials are named here as well as in the report: they are left
    // out of the numbers, and nobody should have to open the HTML to learn that.
    for t in &sweep.trials {
        for p in &t.problems {
            eprintln!("xvr-analysis: warning: trial {} left out: {p}", t.id);
        }
        for m in &t.mismatches {
            eprintln!("xvr-analysis: warning: trial {} not selectable: {m}", t.id);
        }
    }
    let written = report::write(&sweep, &options)?;
    let complete = sweep.complete().count();
    // A reconstruction sweep selects nothing: it has no selection step to report on.
    let selected = match (&written.selected, written.selects) {
        (Some(p), _) => format!("selected: {}\n", p.display()),
        (None, true) => "selected: nothing (see the selection section)\n".into(),
        (None, false) => String::new(),
    };
    // The report is written; a reader of stdout that went away (`| head`) changes nothing.
    let _ = writeln!(
        std::io::stdout(),
        "{}: {} of {} trials complete; wrote {} tables and {} figures to {}\n{selected}report: {}",
        sweep.name,
        complete,
        sweep.trials.len(),
        written.tables,
        written.figures,
        options.out.display(),
        written.index.display()
    );
    Ok(())
}
