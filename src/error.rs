//! The crate-wide error type and the mapping from errors to the README's exit codes.

use std::path::PathBuf;

/// Crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way edustat can fail. `main` maps each variant to an exit code with [`Error::exit`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command line: unknown run folder, missing argument.
    #[error("{0}")]
    Usage(String),

    /// The pipeline file is malformed or refers to something that does not exist.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Spec { path: PathBuf, line: Option<usize>, message: String },

    /// An input file cannot be read as a table at all (undecodable bytes, missing header column).
    #[error("{}{}: {message}", file.display(), if location.is_empty() { String::new() } else { format!(":{location}") })]
    Input { file: PathBuf, location: String, message: String },

    /// A data-quality gate failed; nothing was published.
    #[error("data-quality gate failed: {0}")]
    Gate(String),

    /// `check` found indicators moved beyond tolerance or targets changed status.
    #[error("{0}")]
    Regression(String),

    /// Another run of the same pipeline holds the lock.
    #[error("another run is in progress: {0}")]
    Locked(String),

    /// File-system failure while reading or publishing.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    /// polars refused a plan or an operation: a bug in edustat, not in the data.
    #[error("query engine: {0}")]
    Engine(#[from] polars::error::PolarsError),

    /// Any other internal failure.
    #[error("internal: {0}")]
    Internal(String),

    /// The reader of standard output went away (`edustat targets | head`): not a failure, the
    /// verb just stops.
    #[error("standard output closed")]
    OutputClosed,
}

/// The exit codes of the README's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    /// A bug, or the file system refused.
    Internal = 1,
    /// Usage or pipeline-file error.
    Usage = 2,
    /// Bad input data or a failed quality gate; nothing published.
    BadInput = 3,
    /// `check` found a regression.
    Regression = 4,
    /// Another run holds the lock.
    Locked = 5,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

impl Error {
    /// The process exit code documented in the README.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) | Error::Spec { .. } => Exit::Usage,
            Error::Input { .. } | Error::Gate(_) => Exit::BadInput,
            Error::Regression(_) => Exit::Regression,
            Error::Locked(_) => Exit::Locked,
            Error::Io { .. } | Error::Engine(_) | Error::Internal(_) => Exit::Internal,
            Error::OutputClosed => Exit::Success,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Bad input in `file` as a whole (no line or cell to point at).
    /// A failed write to standard output: a closed pipe ends the verb quietly.
    pub(crate) fn from_output(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => Error::OutputClosed,
            _ => Error::Io { path: PathBuf::from("<stdout>"), source: e },
        }
    }

    pub(crate) fn input(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input { file: file.into(), location: String::new(), message: message.into() }
    }
}
