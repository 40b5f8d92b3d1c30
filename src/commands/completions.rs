//! `lade completions SHELL`: the shell completion script, on stdout.

use std::io::Write as _;

use anyhow::Context as _;
use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn run(shell: Shell) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "lade", &mut script);
    std::io::stdout()
        .write_all(&script)
        .context("could not write the completion script")
}
