//! Ctrl-C and SIGTERM during `reckon apply`: the lock is never left behind.
//!
//! Before the first write (planning, the `yes` prompt) an interrupt releases this run's lock
//! and exits 130 at once — unless a `command:` usage source is running, which stops its own
//! process group and fails the run (its lock then goes with the run's normal unwinding). Once
//! writing, the writes in flight finish, the rest are not attempted
//! ([`crate::apply::stop_before_next_write`], in either apply mode) and journalled so, the lock
//! is released as the run ends, and the run exits 130.
//!
//! Watches from a thread of its own: the prompt blocks the command's thread on standard input.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;
use crate::state::lock;

/// Set once the run has started writing.
static WRITING: AtomicBool = AtomicBool::new(false);
/// Set when an interrupt arrived.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C or SIGTERM arrived during this run.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The run starts writing: from now on an interrupt lets the writes in flight finish.
pub fn writing() {
    WRITING.store(true, Ordering::SeqCst);
}

/// Handles Ctrl-C and SIGTERM for an apply whose lock lives in `state_dir`, from now on (the
/// handlers are installed when this returns).
pub fn watch(state_dir: PathBuf) -> Result<(), Error> {
    let (ready, installed) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("reckon-interrupts".into())
        .spawn(move || listen(&state_dir, &ready))
        .map_err(io_error)?;
    installed
        .recv()
        .map_err(|_| io_error(std::io::Error::other("the signal thread stopped")))?
        .map_err(io_error)?;
    // `command:` sources stop their process group on an interrupt and leave the exit to us.
    crate::sources::command::caller_handles_interrupts();
    Ok(())
}

fn io_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot install the Ctrl-C and SIGTERM handlers".into(),
        source,
    }
}

fn listen(state_dir: &std::path::Path, ready: &std::sync::mpsc::Sender<std::io::Result<()>>) {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    runtime.block_on(async {
        let (mut int, mut term) = match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(int), Ok(term)) => (int, term),
            (Err(error), _) | (_, Err(error)) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        loop {
            tokio::select! {
                _ = int.recv() => {},
                _ = term.recv() => {},
            }
            INTERRUPTED.store(true, Ordering::SeqCst);
            if WRITING.load(Ordering::SeqCst) {
                crate::apply::stop_before_next_write();
                eprintln!(
                    "\ninterrupted: finishing the writes in flight; the rest are not attempted"
                );
            } else if !crate::sources::command::is_running() {
                release_own_lock(state_dir);
                eprintln!("\ninterrupted: nothing was written; the lock is released");
                std::process::exit(130);
            }
        }
    });
}

/// Removes the lock in `state_dir` if this process holds it (never anyone else's).
fn release_own_lock(state_dir: &std::path::Path) {
    let me = crate::state::Actor::current();
    if let Ok(Some(held)) = lock::read(state_dir)
        && held.pid == std::process::id()
        && held.host == me.host
    {
        let _ = lock::unlock(state_dir, &held.id);
    }
}
