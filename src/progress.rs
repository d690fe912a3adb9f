//! Progress bars for long work, shown only on a terminal.
//!
//! A thin wrapper over `indicatif`: the bar stays hidden when stderr is not a
//! terminal (scripts piped to files, tests) and appears only once the work has
//! run for a second, so quick calls print nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// A progress bar over `total` steps with a message prefix.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` steps, labelled `what`.
    pub fn new(total: u64, what: &str) -> Self {
        let bar = if std::io::stderr().is_terminal() && std::env::var_os("LOCUS_NO_PROGRESS").is_none() {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
            b.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.set_message(what.to_string());
            // Draw nothing for the first second.
            b.set_draw_target(ProgressDrawTarget::hidden());
            b
        } else {
            ProgressBar::hidden()
        };
        let p = Progress { bar };
        p.arm();
        p
    }

    fn arm(&self) {
        if !self.bar.is_hidden() || std::io::stderr().is_terminal() {
            let bar = self.bar.clone();
            let visible = std::io::stderr().is_terminal() && std::env::var_os("LOCUS_NO_PROGRESS").is_none();
            if visible {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(1));
                    if !bar.is_finished() {
                        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
                    }
                });
            }
        }
    }

    /// Advance by `n` steps.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Set the message shown before the bar (loss values, epoch, ...).
    pub fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
