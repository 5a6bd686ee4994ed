//! Reading files reckon did not write: regular files only, bounded, and (for data files)
//! inside the workspace once links are resolved.
//!
//! A file is opened non-blocking and checked on the open handle (`fstat`), so a FIFO swapped in
//! after a check still cannot block, and a device or directory is refused before a byte is read.
//! The read itself stops one byte past the limit, so a file that grows while being read (or
//! claims a size of 0, as `/proc` files do) cannot exhaust memory.

use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

/// Where a file may lead once its links are resolved.
#[derive(Debug, Clone, Copy)]
pub enum Within<'a> {
    /// Inside this workspace folder: for files the workspace names (config, usage, reports,
    /// the sandbox), so that a link cannot make reckon read — and echo in an error — a file
    /// outside it.
    Workspace(&'a Path),
    /// Anywhere: for files named on the command line and credential files (often links into a
    /// secret store); their content is never printed.
    Anywhere,
}

/// Why a file could not be read. Messages name no content of the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No such file.
    #[error("file not found")]
    NotFound,
    /// The OS refused.
    #[error("permission denied")]
    PermissionDenied,
    /// A FIFO, device, socket or directory.
    #[error("is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Over the limit.
    #[error("file is larger than {limit} bytes, the most reckon reads for this kind of file")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A link leading out of the workspace.
    #[error(
        "is a link to {}, outside the workspace; reckon reads workspace files only inside it",
        .0.display()
    )]
    OutsideWorkspace(PathBuf),
    /// Not UTF-8.
    #[error("file is not UTF-8 text")]
    NotText,
    /// Any other failure.
    #[error("cannot read file: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for ReadError {
    fn from(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound => Self::NotFound,
            std::io::ErrorKind::PermissionDenied => Self::PermissionDenied,
            _ => Self::Io(error),
        }
    }
}

impl From<rustix::io::Errno> for ReadError {
    fn from(errno: rustix::io::Errno) -> Self {
        std::io::Error::from(errno).into()
    }
}

/// An open regular file and where it really is.
#[derive(Debug)]
pub struct Opened {
    /// The open handle.
    pub file: File,
    /// Its metadata, taken on the handle.
    pub metadata: Metadata,
    /// The path it was opened at (links resolved for [`Within::Workspace`]).
    pub resolved: PathBuf,
}

/// Reads a whole text file of at most `limit` bytes.
pub fn text(path: &Path, within: Within<'_>, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(bytes(path, within, limit)?).map_err(|_| ReadError::NotText)
}

/// Reads a whole file of at most `limit` bytes.
pub fn bytes(path: &Path, within: Within<'_>, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut opened = open(path, within)?;
    bounded(&mut opened, limit)
}

/// Like [`text`], with a missing file as `None`.
pub fn text_if_exists(
    path: &Path,
    within: Within<'_>,
    limit: u64,
) -> Result<Option<String>, ReadError> {
    match text(path, within, limit) {
        Ok(text) => Ok(Some(text)),
        Err(ReadError::NotFound) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Opens a regular file for reading without blocking on FIFOs.
pub fn open(path: &Path, within: Within<'_>) -> Result<Opened, ReadError> {
    let (resolved, follow) = match within {
        Within::Workspace(root) => (inside(root, path)?, OFlags::NOFOLLOW),
        Within::Anywhere => (path.to_path_buf(), OFlags::empty()),
    };
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | follow;
    let file = File::from(rustix::fs::open(&resolved, flags, Mode::empty())?);
    let metadata = file.metadata()?;
    if let Some(kind) = not_regular(&metadata) {
        return Err(ReadError::NotRegular(kind));
    }
    Ok(Opened {
        file,
        metadata,
        resolved,
    })
}

/// Reads the rest of an opened file, refusing more than `limit` bytes.
pub fn bounded(opened: &mut Opened, limit: u64) -> Result<Vec<u8>, ReadError> {
    if opened.metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let expected = usize::try_from(opened.metadata.len()).unwrap_or(0);
    let mut buffer = Vec::with_capacity(expected);
    (&opened.file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut buffer)?;
    if buffer.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(buffer)
}

/// `path` with its links resolved, refused when that leaves `root`.
fn inside(root: &Path, path: &Path) -> Result<PathBuf, ReadError> {
    let resolved = std::fs::canonicalize(path)?;
    let root = std::fs::canonicalize(root)?;
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(ReadError::OutsideWorkspace(resolved))
    }
}

/// What the file is when it is not a regular file.
pub fn not_regular(metadata: &Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("reckon.yaml");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).expect("mkfifo");
        let error = text(&fifo, Within::Workspace(dir.path()), 100).expect_err("a FIFO");
        assert!(matches!(error, ReadError::NotRegular(kind) if kind.contains("FIFO")));
        let error = text(&fifo, Within::Anywhere, 100).expect_err("a FIFO");
        assert!(matches!(error, ReadError::NotRegular(_)));
    }

    #[test]
    fn devices_and_directories_are_refused() {
        let error = bytes(Path::new("/dev/zero"), Within::Anywhere, 100).expect_err("device");
        assert_eq!(error.to_string(), "is a device, not a regular file");
        let dir = tempfile::tempdir().expect("tempdir");
        let error = bytes(dir.path(), Within::Anywhere, 100).expect_err("directory");
        assert_eq!(error.to_string(), "is a directory, not a regular file");
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("big");
        std::fs::write(&file, "0123456789").expect("write");
        assert_eq!(
            bytes(&file, Within::Anywhere, 10)
                .expect("at the limit")
                .len(),
            10
        );
        let error = bytes(&file, Within::Anywhere, 9).expect_err("over");
        assert!(matches!(error, ReadError::TooLarge { limit: 9 }));
    }

    #[test]
    fn a_link_out_of_the_workspace_is_refused_without_reading_it() {
        let outside = tempfile::tempdir().expect("tempdir");
        let secret = outside.path().join("shadow");
        std::fs::write(&secret, "root:$6$hash:19000:0:99999:7:::\n").expect("write");
        let workspace = tempfile::tempdir().expect("tempdir");
        let link = workspace.path().join("reckon.yaml");
        std::os::unix::fs::symlink(&secret, &link).expect("symlink");
        let error = text(&link, Within::Workspace(workspace.path()), 100).expect_err("outside");
        assert!(matches!(error, ReadError::OutsideWorkspace(_)));
        assert!(!error.to_string().contains("root:"));
        assert!(
            text(&link, Within::Anywhere, 100).is_ok(),
            "credentials may link out"
        );
    }

    #[test]
    fn a_link_inside_the_workspace_is_followed() {
        let workspace = tempfile::tempdir().expect("tempdir");
        std::fs::write(workspace.path().join("real.yaml"), "a: 1\n").expect("write");
        let link = workspace.path().join("reckon.yaml");
        std::os::unix::fs::symlink("real.yaml", &link).expect("symlink");
        let read = text(&link, Within::Workspace(workspace.path()), 100).expect("inside");
        assert_eq!(read, "a: 1\n");
    }
}
