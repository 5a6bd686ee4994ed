//! File system access that does not trust the file system: every file reckon reads or writes
//! goes through here.
//!
//! - [`read`]: only regular files, under a size limit, read with a bounded reader; a FIFO, a
//!   device or a directory is an error at once (a FIFO is opened non-blocking, so it never
//!   hangs); data files must still be inside the workspace once links are resolved.
//! - [`write`]: state is created exclusively and never through a symbolic link; replacing a
//!   file goes through an unpredictably named temp file in the same folder and a rename; an
//!   existing link where reckon writes is refused with its path.
//! - [`locked`]: an advisory lock (`flock`) held across a read-modify-write of a shared file.
//!
//! Owns how files are opened and how much of them is read; knows nothing of what they hold.
//! Error messages name paths and never quote content.

pub mod locked;
pub mod read;
pub mod write;

pub use read::{ReadError, Within};

/// Size limits, per kind of file.
pub mod limit {
    /// Configuration files: `reckon.yaml`, integrations, approvals, the sandbox PSA file.
    pub const CONFIG: u64 = crate::yaml::MAX_FILE_BYTES;
    /// Usage files and Keeper reports.
    pub const USAGE: u64 = 256 * 1024 * 1024;
    /// A credential file.
    pub const CREDENTIAL: u64 = 64 * 1024;
    /// A saved plan (`plan --out`).
    pub const SAVED_PLAN: u64 = 64 * 1024 * 1024;
    /// The apply journal.
    pub const JOURNAL: u64 = 256 * 1024 * 1024;
    /// The apply lock file.
    pub const LOCK: u64 = 64 * 1024;
}
