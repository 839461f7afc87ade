//! The `edustat` binary: parse the command line, run, map errors to exit codes. Nothing else.

use std::process::ExitCode;

fn main() -> ExitCode {
    match edustat::cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edustat: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
