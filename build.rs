//! Records the git commit reckon is built from, for `reckon version` (RECKON_COMMIT, when set,
//! wins: release builds from a tarball have no .git).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RECKON_COMMIT");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
    };
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(refs) = git(&["rev-parse", "--symbolic-full-name", "HEAD"])
        .and_then(|name| git(&["rev-parse", "--git-path", &name]))
    {
        println!("cargo:rerun-if-changed={refs}");
    }
    let commit = std::env::var("RECKON_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RECKON_BUILD_COMMIT={commit}");
}
