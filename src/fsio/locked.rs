//! An advisory lock (`flock`) held across a read-modify-write of a file other processes share,
//! such as the sandbox PSA file two workspaces may point at.
//!
//! Writers replace the file by renaming a new one over it, so the lock is taken on the file
//! currently at the path: after the lock is granted, the path is looked up again, and when it
//! now names another file (replaced while this process waited) the lock is taken again on that
//! one. Whoever holds the lock therefore reads the latest version and no write is lost.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::FlockOperation;

use super::read::{self, Opened, ReadError, Within};

/// How often the lock is retried when the file keeps being replaced under it.
const ATTEMPTS: usize = 1000;

/// Opens `path` and holds an exclusive lock on it until the returned handle is dropped. Blocks
/// while another process holds it.
pub fn exclusive(path: &Path, within: Within<'_>) -> Result<Opened, ReadError> {
    for _ in 0..ATTEMPTS {
        let mut opened = read::open(path, within)?;
        rustix::fs::flock(&opened.file, FlockOperation::LockExclusive)?;
        let current = std::fs::metadata(&opened.resolved)?;
        if current.dev() == opened.metadata.dev() && current.ino() == opened.metadata.ino() {
            // Its size may have changed while this process waited.
            opened.metadata = opened.file.metadata()?;
            return Ok(opened);
        }
    }
    Err(ReadError::Io(std::io::Error::other(
        "the file kept being replaced while reckon waited for its lock",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_for_the_first_and_sees_its_replacement() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("psa.yaml");
        std::fs::write(&path, "v1").expect("write");
        let first = exclusive(&path, Within::Anywhere).expect("lock");
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut second = exclusive(&path, Within::Anywhere).expect("lock");
                tx.send(()).expect("send");
                read::bounded(&mut second, 100).expect("read")
            })
        };
        // The waiter cannot have the lock while the first holder keeps it.
        assert!(rx.try_recv().is_err());
        super::super::write::replace(&path, b"v2").expect("replace");
        drop(first);
        assert_eq!(waiter.join().expect("join"), b"v2");
    }
}
