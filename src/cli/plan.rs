//! `reckon plan`: compute and show what apply would change.

use crate::error::{Error, ExitStatus};
use crate::ops::plan::{self as planning, Request};
use crate::period::Period;
use crate::render;
use crate::render::escape::{self, Sink};
use crate::saved_plan;

/// Output formats for `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terraform-style text.
    Text,
    /// The versioned JSON plan (see README).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
    /// A self-contained HTML review page (summary, sortable table, charts, findings).
    Html,
    /// The text plan plus GitHub Actions annotations (findings point at their YAML lines); the
    /// markdown plan is appended to `$GITHUB_STEP_SUMMARY` when it is set.
    Github,
}

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Billing period YYYY-MM (default: the previous calendar month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when the plan has changes, 0 when it has none, 1 on error (an error finding too).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan only this integration (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
    /// Also save the plan to FILE for `reckon apply FILE` (applies exactly it, refusing if stale).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Most bytes the markdown plan (`--format markdown`, the step summary of `--format github`)
    /// may take; table rows are left out from the end beyond it, approvals and errors never.
    #[arg(long, value_name = "N", default_value_t = render::markdown::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
}

/// Plans and prints.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let result = plan_and_print(context, args).await;
    if args.format == Format::Github {
        super::annotate_problems(&result);
    }
    result
}

async fn plan_and_print(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let (psa, reading) = super::connect(context, workspace)?;
    let chosen = super::period::choose(context, args.period);
    let request = Request {
        period: chosen.period,
        today: context.today,
        only: &args.integrations,
        approve: &[],
    };
    let plan = planning::plan(workspace, &psa, &request)
        .await
        .map_err(|e| super::period::explain_missing_usage(workspace, chosen, e))?;
    drop(reading);
    super::approvals::warn_unmatched(context.err_style, &workspace.root, &plan, &[]);
    let text = Sink::Text {
        color: context.style.color,
    };
    let plain = Sink::Text { color: false };
    match args.format {
        Format::Text => render::text::plan(&mut escape::stdout(text), &plan, context.style),
        Format::Json => render::json::plan(&mut escape::stdout(Sink::Json), &plan),
        Format::Markdown => {
            render::markdown::plan_within(&mut escape::stdout(plain), &plan, args.max_bytes)
        }
        Format::Html => render::html::plan(&mut escape::stdout(plain), &plan),
        // The text plan guarded, then the annotations: workflow commands by design, each value
        // escaped by `render::github`.
        Format::Github => escape::stdout(text)
            .finish_with(|out| render::text::plan(out, &plan, context.style))
            .and_then(|()| render::github::plan(&mut std::io::stdout().lock(), &plan))
            .and_then(|()| super::step_summary_within(&plan, args.max_bytes)),
    }
    .map_err(super::output_error)?;
    if let Some(path) = &args.out {
        saved_plan::save(workspace, &plan, path).map_err(|e| {
            Error::refused(
                e.to_string(),
                "check the --out path and its folder's permissions",
            )
        })?;
        let apply = context
            .invocation
            .command(&["apply".to_owned(), path.display().to_string()]);
        eprintln!(
            "Saved the plan to {}; apply exactly it with `{apply}`.",
            path.display()
        );
    }
    super::print_requests(&psa);
    // Error findings fail the run after the whole plan is shown, with or without
    // --detailed-exitcode: a mapping that points at nothing must not pass CI.
    Ok(if plan.has_errors() {
        ExitStatus::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
