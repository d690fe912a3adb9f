//! Progress bars for long work, shown only on a terminal.
//!
//! A thin wrapper over `indicatif`: the bar stays hidden when stderr is not a
//! terminal (scripts piped to files, tests) and appears only once the work has
//! run for a second (`LOCUS_PROGRESS_DELAY_MS` changes that), so quick calls
//! print nothing.
//!
//! Lines printed while a bar is on screen (a script's `print`, a training
//! epoch's report) go through [`println`], which lifts the bar, prints and
//! redraws it below: a bar never leaves a stale copy of itself between
//! output lines, and a finished bar is cleared.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bar on screen now, if any (the innermost one when they nest).
static ACTIVE: Mutex<Vec<(u64, ProgressBar)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Print a line to stdout; while a progress bar is visible, above it.
pub fn println(line: &str) {
    let bar = ACTIVE.lock().ok().and_then(|a| a.last().map(|(_, b)| b.clone()));
    match bar {
        Some(b) if !b.is_hidden() => b.suspend(|| println!("{line}")),
        _ => println!("{line}"),
    }
}

/// How long a bar stays hidden: 1 s, or `LOCUS_PROGRESS_DELAY_MS`.
fn show_after() -> Duration {
    let ms = std::env::var("LOCUS_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    Duration::from_millis(ms)
}

fn visible() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("LOCUS_NO_PROGRESS").is_none()
}

/// A progress bar over `total` steps with a message prefix.
pub struct Progress {
    bar: ProgressBar,
    id: u64,
    /// Set under its lock when the bar finishes, so the thread that shows
    /// the bar after a second never draws a bar that has already finished.
    done: Arc<Mutex<bool>>,
}

impl Progress {
    /// A bar for `total` steps, labelled `what`.
    pub fn new(total: u64, what: &str) -> Self {
        let done = Arc::new(Mutex::new(false));
        let bar = if visible() {
            // Hidden for the first second.
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            b.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.set_message(what.to_string());
            let (bar, done) = (b.clone(), done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(show_after());
                if let Ok(d) = done.lock() {
                    if !*d {
                        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
                    }
                }
            });
            b
        } else {
            ProgressBar::hidden()
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut a) = ACTIVE.lock() {
            a.push((id, bar.clone()));
        }
        Progress { bar, id, done }
    }

    /// Advance by `n` steps.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Set the message shown before the bar (loss values, epoch, ...).
    pub fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }

    /// Remove the bar from the terminal (it is not shown again).
    pub fn finish(&self) {
        let mut d = self.done.lock().unwrap_or_else(|e| e.into_inner());
        if !*d {
            *d = true;
            self.bar.finish_and_clear();
            // Hidden from now on: a later redraw request draws nothing.
            self.bar.set_draw_target(ProgressDrawTarget::hidden());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
        if let Ok(mut a) = ACTIVE.lock() {
            if let Some(i) = a.iter().rposition(|(id, _)| *id == self.id) {
                a.remove(i);
            }
        }
    }
}
