//! The real `reckon` executable, for the soak's kill cycles: found in the bench's own profile
//! folder (`target/release/reckon` next to `target/release/examples/bench`), built there first
//! when it is missing or older than the sources, and run on a workspace as an operator would.
//! Knows nothing of what the commands should print; the soak judges that.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::run::Failure;

/// The crate whose `reckon` binary is run (this bench's own).
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// A `reckon` executable known to be built from the current sources.
pub struct Reckon {
    path: PathBuf,
}

/// What one finished command printed, and how it ended.
pub struct Run {
    /// The exit code (`None`: ended by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Reckon {
    /// The binary next to the bench, built first if needed (printing what it did).
    pub fn locate() -> Result<Self, Failure> {
        let exe = std::env::current_exe()?;
        let profile = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("the bench does not run from a cargo profile folder")?;
        let path = profile.join(format!("reckon{}", std::env::consts::EXE_SUFFIX));
        match staleness(&path) {
            None => println!("soak: running {} (up to date)", path.display()),
            Some(why) => {
                println!("soak: building {} ({why})", path.display());
                let started = std::time::Instant::now();
                build(profile)?;
                println!("soak: built in {:.1} s", started.elapsed().as_secs_f64());
                if let Some(still) = staleness(&path) {
                    return Err(format!(
                        "built reckon, but {} is still {still}: does CARGO_TARGET_DIR point elsewhere?",
                        path.display()
                    )
                    .into());
                }
            }
        }
        Ok(Self { path })
    }

    /// `reckon -C workspace ARGS…`, without colour, a terminal or the test-only crash hook.
    pub fn command(&self, workspace: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.path);
        command
            .arg("-C")
            .arg(workspace)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("RECKON_TEST_CRASH_AFTER_WRITES")
            .stdin(Stdio::null());
        command
    }

    /// Runs `reckon -C workspace ARGS…` to its end.
    pub fn run(&self, workspace: &Path, args: &[&str]) -> Result<Run, Failure> {
        let output = self.command(workspace, args).output()?;
        Ok(Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Why `binary` must be built, or `None` when it is newer than every source file.
fn staleness(binary: &Path) -> Option<&'static str> {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else {
        return Some("missing");
    };
    let root = Path::new(MANIFEST_DIR);
    let mut newest = None;
    for file in ["Cargo.toml", "Cargo.lock"] {
        newest = newest.max(modified(&root.join(file)));
    }
    newest = newest.max(newest_under(&root.join("src")));
    (newest > Some(built)).then_some("older than the sources")
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The latest modification time of any file under `dir`.
fn newest_under(dir: &Path) -> Option<SystemTime> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .filter_map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => newest_under(&entry.path()),
            _ => modified(&entry.path()),
        })
        .max()
}

/// `cargo build --bin reckon` in the profile the bench was built with (`$CARGO` when run
/// through cargo, else `cargo` from the path).
fn build(profile: &Path) -> Result<(), Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let profile = match profile.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => "release",
    };
    let status = Command::new(cargo)
        .args(["build", "--bin", "reckon", "--profile", profile])
        .current_dir(MANIFEST_DIR)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo build --bin reckon failed ({status})").into())
    }
}
