//! Shared helpers: run the reckon binary, copy example workspaces into temp dirs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The result of one reckon run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `reckon ARGS` in `cwd` with colour off and no stdin.
pub fn reckon(cwd: &Path, args: &[&str]) -> Run {
    reckon_with_env(cwd, args, &[])
}

/// The fixed time every test run's plans are dated (`SOURCE_DATE_EPOCH`), so rendered plans
/// (their provenance) are the same on every run.
pub const PLAN_TIME: &str = "2026-11-01T00:00:00Z";

/// The CI variables reckon reads for "who" ([`reckon::state::CiRun`]): removed from every run,
/// so tests run alike on a laptop and in CI; a test sets them to check them.
const CI_VARIABLES: [&str; 8] = [
    "GITHUB_ACTIONS",
    "GITHUB_ACTOR",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITLAB_CI",
    "GITLAB_USER_LOGIN",
    "CI_JOB_URL",
];

/// `reckon` with colour off, no stdin and a fixed identity: user `tester` on host `testhost`,
/// plans dated [`PLAN_TIME`], no CI run.
pub fn command(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reckon"));
    command
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1793491200")
        .env("USER", "tester")
        .env("HOSTNAME", "testhost")
        .stdin(std::process::Stdio::null());
    for name in CI_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// Runs `reckon ARGS` in `cwd` with extra environment variables.
pub fn reckon_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command(cwd);
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    Run::from(command.output().expect("reckon runs"))
}

/// The records of the workspace's apply journal (none when it does not exist).
pub fn journal(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(".reckon/journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
        .collect()
}

/// The journal records of one kind (`intent`, `outcome`, `resolved`).
pub fn records<'a>(journal: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    journal.iter().filter(|r| r["record"] == kind).collect()
}

/// The id of the apply lock held in the workspace (e.g. left by a crashed apply).
pub fn lock_id(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join(".reckon/lock")).expect("lock");
    let lock: serde_json::Value = serde_json::from_str(&text).expect("lock json");
    lock["id"].as_str().expect("lock id").to_owned()
}

/// Copies `examples/NAME` (or any folder under the repo) into a fresh temp dir.
pub fn copy_of(relative: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join(relative), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// `csv` (a usage file without quoted fields) with `column` set to `value` on every row whose
/// fields match `row` (column name, value): tests edit the quickstart's usage by its content,
/// found through the header, so a column added to it moves nothing they rely on.
pub fn set_csv_field(csv: &str, row: &[(&str, &str)], column: &str, value: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let wanted: Vec<(usize, &str)> = row.iter().map(|(name, v)| (at(name), *v)).collect();
    let target = at(column);
    let mut out = header.join(",");
    out.push('\n');
    for line in lines {
        let mut fields: Vec<&str> = line.split(',').collect();
        if wanted.iter().all(|(i, v)| fields.get(*i) == Some(v)) {
            fields[target] = value;
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}
