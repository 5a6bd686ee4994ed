//! `validate` lists every problem of every file in one run, each naming its field.

use crate::support::{copy_of, reckon};

#[test]
fn every_typo_of_every_file_is_reported_in_one_run_naming_the_field() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let edit = |file: &str, pairs: &[(&str, &str)]| {
        let path = dir.join(file);
        let mut text = std::fs::read_to_string(&path).expect("read");
        for (from, to) in pairs {
            assert!(text.contains(from), "{from}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(&path, text).expect("write");
    };
    edit(
        "reckon.yaml",
        &[("create_missing_lines: false", "create_missing_lines: no")],
    );
    edit(
        "integrations/keeper.yaml",
        &[
            (
                "billing_model: daily-average",
                "billing_modl: daily-average",
            ),
            ("auto_match: exact-name", "auto_match: exact-nam"),
            ("    rounding: up", "    roundng: up"),
        ],
    );
    let validate = reckon(dir, &["validate"]);
    assert_eq!(validate.code, 1);
    let out = &validate.stdout;
    for expected in [
        "integrations/keeper.yaml:6:1: unknown field `billing_modl`",
        "integrations/keeper.yaml:10:15: accounts.auto_match: unknown variant `exact-nam`",
        "unknown field `roundng`",
        "reckon.yaml:18:25: policy.create_missing_lines: invalid boolean \"no\"; use true or false",
        "Workspace is invalid: 4 error(s)",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
}
