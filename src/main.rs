use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = lade::cli::Cli::parse();
    lade::commands::run(cli)
}
