//! `xvr-analysis SWEEP_DIR` and `xvr-analysis predict SPEC --from DIR`: see `--help`.

use clap::Parser;
use xvr_analysis::cli::{Cli, Command};
use xvr_analysis::predict;
use xvr_analysis::report;
use xvr_analysis::sweep::Sweep;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("xvr-analysis: error: {e}");
        std::process::exit(1);
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    if let Some(Command::Predict(args)) = &cli.command {
        return predict::command::run(&args.request()?);
    }
    let options = cli.options()?;
    let sweep_dir = cli.sweep_dir.as_deref().ok_or("SWEEP_DIR is required")?;
    let sweep = Sweep::load(sweep_dir)?;
    let written = report::write(&sweep, &options)?;
    let complete = sweep.complete().count();
    println!(
        "{}: {} of {} trials complete; wrote {} tables and {} figures to {}",
        sweep.name,
        complete,
        sweep.trials.len(),
        written.tables,
        written.figures,
        options.out.display()
    );
    match &written.selected {
        Some(p) => println!("selected: {}", p.display()),
        None => println!("selected: nothing (see the selection section)"),
    }
    println!("report: {}", written.index.display());
    Ok(())
}
