//! Credential files anywhere: `{ file: … }` may be absolute or outside the workspace (secret
//! mounts such as `/run/secrets/…`), and a credential file other users can read is a warning.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::sim::autotask::{self as at, Sim, autotask_psa_block};
use crate::support::{Run, copy_of, reckon_with_env};

/// The quickstart workspace on the Autotask simulator, its secret read from `secret_file`.
fn workspace(sim: &Sim, secret_file: &Path) -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    std::fs::remove_dir_all(ws.path().join("sandbox")).expect("no sandbox");
    let config = ws.path().join("reckon.yaml");
    let yaml = std::fs::read_to_string(&config).expect("reckon.yaml");
    let block = autotask_psa_block(&sim.base_url()).replace(
        "secret: { env: AUTOTASK_SECRET }",
        &format!("secret: {{ file: \"{}\" }}", secret_file.display()),
    );
    let yaml = yaml.replace(
        "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n",
        &block,
    );
    std::fs::write(&config, yaml).expect("write");
    ws
}

fn run(dir: &Path, args: &[&str]) -> Run {
    reckon_with_env(
        dir,
        args,
        &[
            ("AUTOTASK_USERNAME", at::USERNAME),
            ("AUTOTASK_INTEGRATION_CODE", at::INTEGRATION_CODE),
        ],
    )
}

fn secret_file(mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let mounts = tempfile::tempdir().expect("tempdir");
    let file = mounts.path().join("autotask");
    std::fs::write(&file, format!("{}\n", at::SECRET)).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
    (mounts, file)
}

#[test]
fn an_absolute_credential_file_outside_the_workspace_is_used() {
    let sim = Sim::start();
    let (_mounts, file) = secret_file(0o600);
    let ws = workspace(&sim, &file);
    let validate = run(ws.path(), &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stdout);
    assert!(!validate.stdout.contains("warning"), "{}", validate.stdout);
    let check = run(ws.path(), &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(!check.stderr.contains("readable"), "{}", check.stderr);
}

#[test]
fn a_relative_credential_file_outside_the_workspace_is_used() {
    let sim = Sim::start();
    let (mounts, _file) = secret_file(0o600);
    let ws_parent = tempfile::tempdir_in(mounts.path()).expect("tempdir");
    let ws = workspace(&sim, Path::new("../../autotask"));
    let inner = ws_parent.path().join("ws");
    std::fs::rename(ws.path(), &inner).expect("move");
    let check = run(&inner, &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn a_credential_file_readable_by_others_is_a_warning() {
    let sim = Sim::start();
    let (_mounts, file) = secret_file(0o644);
    let ws = workspace(&sim, &file);
    let validate = run(ws.path(), &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stdout);
    assert!(
        validate.stdout.contains(&format!(
            "psa.secret: credential file {} is readable by every user of this machine (mode 644)",
            file.display()
        )),
        "{}",
        validate.stdout
    );
    assert!(
        validate.stdout.contains("hint: chmod 600"),
        "{}",
        validate.stdout
    );
    let plan = run(ws.path(), &["check"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("readable by every user"),
        "{}",
        plan.stderr
    );
    assert!(!format!("{}{}", plan.stdout, plan.stderr).contains(at::SECRET));
}
