use std::process::ExitCode;

fn main() -> ExitCode {
    lade::commands::main(std::env::args_os())
}
