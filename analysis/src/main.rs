//! `xvr-analysis SWEEP_DIR`: see `xvr-analysis --help`.

use clap::Parser;
use xvr_analysis::cli::Cli;
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
    let options = cli.options()?;
    let sweep = Sweep::load(&cli.sweep_dir)?;
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
