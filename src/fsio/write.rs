//! Writing state without following links: exclusive creation, no-follow appends, and atomic
//! replacement through an unpredictably named temp file.
//!
//! reckon often runs as root in CI. A symbolic link planted where it writes (`.reckon/journal.jsonl`
//! → `/etc/passwd`) must make it refuse, naming the link, never write to the target. Creation uses
//! `O_EXCL` (which never follows a link), appends use `O_NOFOLLOW` and check the opened file is
//! a regular file with one name, folders are created one component at a time and must not be
//! links, and replacement renames a `tempfile` temp file (random name, `O_EXCL`, mode 0600) over
//! the target — a rename replaces a link rather than writing through it, and a link in place is
//! refused before that.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags};

fn link_refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; reckon writes no state through links (remove it)",
            path.display()
        ),
    )
}

fn not_a_file(path: &Path, kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} is {kind}, not a regular file", path.display()),
    )
}

/// The folder `root/relative`, created component by component; a component that is a link or
/// not a folder is refused (`root` itself is the user's choice and may be a link).
pub fn ensure_dir(root: &Path, relative: &Path) -> io::Result<PathBuf> {
    let mut dir = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(name) => dir.push(name),
            Component::CurDir => continue,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} leaves {}", relative.display(), root.display()),
                ));
            }
        }
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(link_refused(&dir)),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(not_a_file(&dir, "not a folder")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(&dir) {
                Ok(()) => {}
                // Created meanwhile by another process: checked again on the next use.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(dir)
}

/// Creates `path` exclusively with `bytes`: an existing file or link there is an error.
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o644)).map_err(|errno| {
        if is_link(path) {
            link_refused(path)
        } else if errno == rustix::io::Errno::EXIST {
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", path.display()),
            )
        } else {
            errno.into()
        }
    })?;
    let mut file = File::from(fd);
    file.write_all(bytes)?;
    file.sync_all()
}

/// Opens `path` for appending, creating it when missing; a link, a non-regular file or a file
/// with other hard links (another name for someone else's file) is refused.
pub fn open_append(path: &Path) -> io::Result<File> {
    let flags =
        OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o644)).map_err(|errno| {
        if errno == rustix::io::Errno::LOOP || is_link(path) {
            link_refused(path)
        } else {
            errno.into()
        }
    })?;
    let file = File::from(fd);
    let metadata = file.metadata()?;
    if let Some(kind) = super::read::not_regular(&metadata) {
        return Err(not_a_file(path, kind));
    }
    if metadata.nlink() > 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} has other hard links; reckon writes state only to its own files",
                path.display()
            ),
        ));
    }
    Ok(file)
}

/// Replaces `path` with `bytes` atomically: a temp file with a random name in the same folder,
/// synced, then renamed over `path`. An existing link or non-regular file at `path` is refused;
/// an existing file's permissions are kept.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let permissions = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(link_refused(path)),
        Ok(meta) => match super::read::not_regular(&meta) {
            Some(kind) => return Err(not_a_file(path, kind)),
            None => Some(meta.permissions().mode()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    if let Some(mode) = permissions {
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map(drop).map_err(|e| e.error)
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// A file standing for `/etc/passwd`, and a workspace with a link to it at `name`.
    fn planted(name: &str) -> (tempfile::TempDir, tempfile::TempDir, PathBuf, PathBuf) {
        let outside = tempfile::tempdir().expect("tempdir");
        let target = outside.path().join("passwd");
        std::fs::write(&target, "root:x:0:0:root:/root:/bin/bash\n").expect("write");
        let workspace = tempfile::tempdir().expect("tempdir");
        let link = workspace.path().join(name);
        symlink(&target, &link).expect("symlink");
        (outside, workspace, target, link)
    }

    fn unchanged(target: &Path) -> bool {
        std::fs::read_to_string(target).expect("read") == "root:x:0:0:root:/root:/bin/bash\n"
    }

    #[test]
    fn appending_through_a_link_is_refused_with_its_path() {
        let (_outside, _workspace, target, link) = planted("journal.jsonl");
        let error = open_append(&link).expect_err("a link");
        assert!(error.to_string().contains(&link.display().to_string()));
        assert!(error.to_string().contains("symbolic link"));
        assert!(unchanged(&target));
    }

    #[test]
    fn appending_to_a_hard_link_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("passwd");
        std::fs::write(&target, "root:x:0:0:root:/root:/bin/bash\n").expect("write");
        let link = dir.path().join("journal.jsonl");
        std::fs::hard_link(&target, &link).expect("hard link");
        assert!(open_append(&link).is_err());
        assert!(unchanged(&target));
    }

    #[test]
    fn creating_over_a_link_is_refused() {
        let (_outside, _workspace, target, link) = planted("reckon.yaml");
        let error = create_new(&link, b"psa: {}\n").expect_err("a link");
        assert!(error.to_string().contains("symbolic link"));
        assert!(unchanged(&target));
    }

    #[test]
    fn replacing_a_link_is_refused_and_leaves_no_temp_file() {
        let (_outside, workspace, target, link) = planted("psa.yaml");
        let error = replace(&link, b"companies: []\n").expect_err("a link");
        assert!(error.to_string().contains("symbolic link"));
        assert!(unchanged(&target));
        let names: Vec<_> = std::fs::read_dir(workspace.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("psa.yaml")]);
    }

    #[test]
    fn replace_keeps_the_permissions_and_writes_the_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("psa.yaml");
        std::fs::write(&file, "old").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        replace(&file, b"new").expect("replace");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "new");
        let mode = std::fs::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn a_linked_folder_is_refused() {
        let outside = tempfile::tempdir().expect("tempdir");
        let workspace = tempfile::tempdir().expect("tempdir");
        symlink(outside.path(), workspace.path().join(".reckon")).expect("symlink");
        let error = ensure_dir(workspace.path(), Path::new(".reckon/keeper")).expect_err("link");
        assert!(error.to_string().contains(".reckon"));
        assert_eq!(std::fs::read_dir(outside.path()).expect("list").count(), 0);
        let made = ensure_dir(workspace.path(), Path::new("a/b")).expect("plain folders");
        assert!(made.is_dir());
    }
}
