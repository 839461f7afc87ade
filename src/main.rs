//! The `edustat` binary: parse the command line, run, map errors to exit codes. Nothing else.

use std::process::ExitCode;

fn main() -> ExitCode {
    match edustat::cli::main() {
        Ok(()) | Err(edustat::Error::OutputClosed) => edustat::error::Exit::Success.into(),
        Err(e) => {
            eprintln!("edustat: error: {e}");
            e.exit().into()
        }
    }
}
