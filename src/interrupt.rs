//! One process-wide interrupt flag, set by Ctrl-C (SIGINT) and polled by long work.
//!
//! The host installs the signal handler once ([`install_handler`]). Long native
//! functions (AKDE, FRC on big images, training) call [`check`] every few
//! milliseconds of work and return [`Error::Interrupted`] when the user asked
//! to stop; the Rhai engine's `on_progress` callback polls [`is_requested`] so
//! that plain script loops stop too. The host calls [`clear`] before each
//! evaluation.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static EXIT_ON_SECOND: AtomicBool = AtomicBool::new(true);
static INSTALL: Once = Once::new();

/// Whether a second Ctrl-C during one piece of work ends the process (the
/// default, for `locus run`). The interactive REPL turns it off: Ctrl-C
/// always returns to the prompt with the session intact, and only Ctrl-D or
/// `:quit` leave.
pub fn set_exit_on_second(exit: bool) {
    EXIT_ON_SECOND.store(exit, Ordering::SeqCst);
}

/// Ask the running work to stop (what the Ctrl-C handler does).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Forget an earlier request (call before starting new work).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn is_requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Error::Interrupted)` when a stop was requested, else `Ok(())`.
pub fn check() -> Result<()> {
    if is_requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Install the SIGINT handler that sets the flag (idempotent). A second
/// Ctrl-C while a request is pending exits the process (unless turned off by
/// [`set_exit_on_second`]), so a stuck native call of a script can always be left.
pub fn install_handler() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) && EXIT_ON_SECOND.load(Ordering::SeqCst) {
                eprintln!("\ninterrupted twice: exiting");
                std::process::exit(130);
            }
        });
    });
}
