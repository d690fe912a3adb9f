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
static INSTALL: Once = Once::new();

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
/// Ctrl-C while a request is pending exits the process, so a stuck native
/// call can always be left.
pub fn install_handler() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted twice: exiting");
                std::process::exit(130);
            }
        });
    });
}
