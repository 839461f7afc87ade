//! The `edustat` binary: parse the command line, run, map errors to exit codes. Nothing else.

use std::process::ExitCode;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    match edustat::cli::main() {
        Ok(()) | Err(edustat::Error::OutputClosed) => edustat::error::Exit::Success.into(),
        Err(e) => {
            eprintln!("edustat: error: {e}");
            e.exit().into()
        }
    }
}
