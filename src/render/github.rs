//! GitHub Actions output: workflow-command annotations for a plan and an apply, and the step
//! summary text. Annotations point at the YAML line when a finding has an origin.

use std::io::{self, Write};

use super::diagnostics::escape_data;
use crate::apply::{ApplyReport, Outcome};
use crate::plan::{Approval, Finding, Plan};

/// One annotation per finding, held change and interrupted write of `plan`.
pub fn plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    for partial in plan.partial_data() {
        annotation(
            out,
            "error",
            "incomplete usage data",
            None,
            &partial.message(),
        )?;
    }
    for i in &plan.interrupted {
        annotation(
            out,
            "error",
            "apply interrupted",
            None,
            &super::text::interrupted_note(i),
        )?;
    }
    for change in plan.actions() {
        if let Approval::Needed(reasons) = &change.approval {
            let message = format!("{}: {}", change.address, reasons.join("; "));
            annotation(out, "warning", "needs approval", None, &message)?;
        }
    }
    for finding in &plan.findings {
        let message = match &finding.hint {
            Some(hint) => format!("{} (hint: {hint})", finding.message),
            None => finding.message.clone(),
        };
        annotation(
            out,
            finding.severity.as_str(),
            finding.kind.as_str(),
            place(finding),
            &message,
        )?;
    }
    Ok(())
}

/// One error annotation per failed action.
pub fn apply(out: &mut dyn Write, report: &ApplyReport) -> io::Result<()> {
    for result in &report.results {
        let reason = match &result.outcome {
            Outcome::Applied => continue,
            Outcome::Failed(error) => error.to_string(),
            Outcome::NotAttempted(reason) => reason.clone(),
        };
        let message = format!("{}: {reason}", result.change.address);
        annotation(out, "error", "apply failed", None, &message)?;
    }
    Ok(())
}

/// `file=…,line=…,col=…` for a finding that points at YAML.
fn place(finding: &Finding) -> Option<String> {
    let origin = finding.origin.as_ref()?;
    let mut place = format!(
        "file={}",
        escape_property(&origin.file.display().to_string())
    );
    if let Some(at) = origin.location {
        place.push_str(&format!(",line={},col={}", at.line, at.column));
    }
    Some(place)
}

fn annotation(
    out: &mut dyn Write,
    level: &str,
    title: &str,
    place: Option<String>,
    message: &str,
) -> io::Result<()> {
    let mut properties = format!("title={}", escape_property(title));
    if let Some(place) = place {
        properties = format!("{place},{properties}");
    }
    writeln!(out, "::{level} {properties}::{}", escape_data(message))
}

fn escape_property(text: &str) -> String {
    super::escape::annotation_property(text)
}

/// Appends `text` to the file named by `GITHUB_STEP_SUMMARY` (the caller passes its value).
pub fn append_step_summary(path: &std::path::Path, text: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text)?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Origin;
    use crate::diagnostic::Location;
    use crate::plan::FindingKind;

    #[test]
    fn a_finding_with_an_origin_points_at_its_yaml_line() {
        let mut finding = Finding::new(FindingKind::CompanyNotFound, "company 9 not found, 100%");
        finding.origin = Some(Origin {
            file: "integrations/keeper.yaml".into(),
            location: Some(Location {
                line: 12,
                column: 7,
            }),
        });
        let plan = Plan {
            period: "2026-10".parse().expect("period"),
            effective_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            psa: "sandbox".into(),
            integrations: vec![],
            partial: false,
            changes: vec![],
            findings: vec![finding],
            interrupted: vec![],
            blockers: Vec::new(),
            provenance: Default::default(),
        };
        let mut out = Vec::new();
        super::plan(&mut out, &plan).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "::error file=integrations/keeper.yaml,line=12,col=7,title=company-not-found::company 9 not found, 100%25\n"
        );
    }
}
