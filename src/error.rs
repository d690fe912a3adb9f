//! The crate-wide error type.
//!
//! Numerics modules return [`Error`]; the scripting layer converts it into a
//! Rhai runtime error and the host adds the script position. Every variant
//! names what went wrong (the file, the argument, the shapes) so that the
//! message alone tells the user what to fix.

use std::path::PathBuf;

/// Everything that can go wrong inside locus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a file operation.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is not what the format requires.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A function argument or option is invalid (`name` is the argument or option key).
    #[error("{name}: {message}")]
    Argument { name: String, message: String },
    /// Two arrays that must agree in shape do not.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The user pressed Ctrl-C (see [`crate::interrupt`]).
    #[error("interrupted")]
    Interrupted,
    /// A numerical failure (NaN, singular matrix, empty input) with an explanation.
    #[error("{0}")]
    Numeric(String),
    /// An error from the deep-learning backend (candle).
    #[error("neural network: {0}")]
    Nn(String),
}

impl Error {
    /// An invalid argument or option.
    pub fn arg(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Argument {
            name: name.into(),
            message: message.into(),
        }
    }
    /// A file whose content is malformed.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }
    /// A failed file operation.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        // Without the backtrace candle attaches when RUST_BACKTRACE is set.
        Error::Nn(crate::nn::device::plain_message(&e))
    }
}

/// Result with the crate error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
