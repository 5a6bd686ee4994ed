//! `reckon watch`: wire the file watcher, the timer and the stop signals to the watch loop.
//! The loop itself (and every decision in it) is [`crate::watch`].

use std::time::Duration;

use tokio::sync::mpsc;

use crate::error::{Error, ExitStatus};
use crate::period::Period;
use crate::render::watch::{Format, Reporter};
use crate::watch::files::FileWatcher;
use crate::watch::{Settings, Trigger, Watch, timer};

/// Queued triggers; more are dropped because a pending cycle will see their changes anyway.
const QUEUE: usize = 16;

/// Arguments of `watch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Billing period YYYY-MM (default: the month before today, following the calendar).
    #[arg(long)]
    pub period: Option<Period>,
    /// Also re-plan every DURATION (`90s`, `15m`, `1h`, `1d`), plus up to 10% jitter.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// Apply each plan that has changes (without it, watch never writes).
    #[arg(long)]
    pub apply: bool,
    /// Poll the files instead of using change events (network or container file systems).
    #[arg(long)]
    pub poll: bool,
    /// Output: text for a terminal, or one JSON object per line per cycle.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Plan only this integration (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
}

/// Watches until Ctrl-C or SIGTERM; exits 0 when stopped that way.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    // Signal handlers first, so a stop request during the first cycle is not lost.
    let shutdown = stop_signal()?;
    let (triggers, events) = mpsc::channel(QUEUE);
    let mut watcher =
        FileWatcher::start(&context.dir, args.poll, triggers.clone()).map_err(|error| {
            Error::refused(
                error.to_string(),
                "check the workspace folder exists; on file systems without change events use --poll",
            )
        })?;
    if let Some(interval) = args.interval {
        tokio::spawn(timer::run(interval, triggers.clone()));
    }
    // The queue is empty, so this cannot fail; the first cycle runs at once.
    let _ = triggers.try_send(Trigger::Start);
    drop(triggers);
    eprintln!(
        "Watching {} (reckon.yaml, integrations/, usage files){}; {}. Ctrl-C to stop.",
        context.dir.display(),
        args.interval
            .map(|i| format!(", re-planning every {}", show_duration(i)))
            .unwrap_or_default(),
        if args.apply {
            "applying each plan with changes"
        } else {
            "planning only, never writing"
        }
    );
    let settings = Settings {
        dir: context.dir.clone(),
        period: args.period,
        integrations: args.integrations.clone(),
        apply: args.apply,
    };
    let sink = match args.format {
        crate::render::watch::Format::Text => crate::render::escape::Sink::Text {
            color: context.style.color,
        },
        crate::render::watch::Format::Json => crate::render::escape::Sink::Json,
    };
    let stdout = crate::render::escape::Guard::new(std::io::stdout(), sink);
    let reporter = Reporter::new(stdout, args.format, context.style);
    Watch::new(settings, Box::new(chrono::Local::now), reporter)
        .on_inputs(move |files| watcher.follow(files))
        .run(events, shutdown)
        .await?;
    Ok(ExitStatus::Success)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed before this returns.
fn stop_signal() -> Result<impl Future<Output = ()>, Error> {
    let io_error = |source| Error::Io {
        context: "cannot install the stop signal handlers".into(),
        source,
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // A `command:` source then leaves an interrupt between its runs to watch.
        crate::sources::command::caller_handles_interrupts();
        let mut interrupt = signal(SignalKind::interrupt()).map_err(io_error)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(io_error)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = io_error;
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The longest `--interval`: a year. Longer is surely a typo, and it keeps the timer's
/// deadline arithmetic far from overflow.
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 86_400);

/// `90s`, `15m`, `1h`, `1d`: a whole positive number and a unit, at most [`MAX_INTERVAL`].
fn parse_duration(text: &str) -> Result<Duration, String> {
    let usage = || format!("`{text}` is not a duration; write e.g. 90s, 15m, 1h or 1d");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(usage)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| usage())?;
    let seconds = match unit {
        "s" => Some(number),
        "m" => number.checked_mul(60),
        "h" => number.checked_mul(3600),
        "d" => number.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(usage)?;
    if seconds == 0 {
        return Err(format!("`{text}`: the interval must be at least 1s"));
    }
    let interval = Duration::from_secs(seconds);
    if interval > MAX_INTERVAL {
        return Err(format!("`{text}`: the interval must be at most 365d"));
    }
    Ok(interval)
}

fn show_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("365d"), Ok(MAX_INTERVAL));
        for too_long in ["366d", "213503982334601d", "99999999999999999999s"] {
            assert!(parse_duration(too_long).is_err(), "{too_long}");
        }
        for bad in [
            "",
            "h",
            "1",
            "1.5h",
            "-1h",
            "1w",
            "0s",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(show_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(show_duration(Duration::from_secs(90)), "90s");
    }
}
