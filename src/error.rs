//! Top-level errors: every module's typed error, classified into what the user sees and the
//! process exit code. Messages say what went wrong, where, and what to do; no debug output.

use crate::diagnostic::Diagnostics;
use crate::psa::{ConnectError, PsaError};

/// A command that could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The workspace files are invalid; nothing was read from the PSA or written.
    #[error("the workspace is invalid ({} error(s)); nothing was planned or applied", .0.error_count())]
    Config(Diagnostics),
    /// The usage data must not be billed from; nothing was planned or applied.
    #[error("the usage data has {} problem(s); nothing was planned or applied", .0.error_count())]
    Usage(Diagnostics),
    /// The PSA client could not be built.
    #[error("cannot connect to the PSA")]
    Connect(#[from] ConnectError),
    /// A PSA read failed.
    #[error(transparent)]
    Psa(#[from] PsaError),
    /// The command refuses to go on, for the reason given.
    #[error("{message}")]
    Refused {
        /// What is refused and why.
        message: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// A local file could not be read or written.
    #[error("{context}")]
    Io {
        /// What reckon was doing.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// A refusal with a hint.
    pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Refused {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// What to do next, when there is something useful to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Refused { hint, .. } => hint.clone(),
            Self::Connect(ConnectError::Credential(_)) => Some(
                "set the variable (or create the file) named in reckon.yaml's psa block".into(),
            ),
            Self::Psa(PsaError::Unavailable(_)) => {
                Some("check the PSA settings in reckon.yaml and try again".into())
            }
            _ => None,
        }
    }

    /// The per-file problems behind this error, if any.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            Self::Config(d) | Self::Usage(d) => Some(d),
            _ => None,
        }
    }
}

/// How a successful command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done; with `--detailed-exitcode`, also "no changes".
    Success,
    /// 1: a failure (also used for errors).
    Failure,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// 130: stopped by Ctrl-C or SIGTERM (the shell's code for SIGINT).
    Interrupted,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Changes => 2,
            Self::Interrupted => 130,
        }
    }
}
