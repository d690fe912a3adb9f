//! Long text at a terminal goes through a pager.
//!
//! [`page`] prints `text` to stdout; when stdout is a terminal and the text
//! is taller than the window, it is piped through `$LOCUS_PAGER`, else
//! `$PAGER`, else `less -FRX` (quit at once if it fits, keep colours, leave
//! the text on screen). An empty `LOCUS_PAGER` turns paging off; a pager that
//! cannot be started falls back to printing.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

/// Rows of the terminal on stdout (`LINES` or 24 when unknown).
fn terminal_rows() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: TIOCGWINSZ fills a winsize struct we own; the call only reads the fd.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
        if ok && ws.ws_row > 0 {
            return ws.ws_row as usize;
        }
    }
    std::env::var("LINES")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(24)
}

/// The pager command, or None when paging is off.
pub fn pager_command() -> Option<String> {
    match std::env::var("LOCUS_PAGER") {
        Ok(p) => Some(p).filter(|p| !p.trim().is_empty()),
        Err(_) => Some(
            std::env::var("PAGER")
                .ok()
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| "less -FRX".to_string()),
        ),
    }
}

/// Whether `text` needs a pager on a window of `rows` rows.
pub fn too_tall(text: &str, rows: usize) -> bool {
    text.lines().count() + 1 >= rows
}

/// Print `text` (a trailing newline is added when missing), through the
/// pager when stdout is a terminal and the text does not fit.
pub fn page(text: &str) {
    let nl = if text.ends_with('\n') { "" } else { "\n" };
    if std::io::stdout().is_terminal() && too_tall(text, terminal_rows()) {
        if let Some(cmd) = pager_command() {
            if run_pager(&cmd, text).is_ok() {
                return;
            }
        }
    }
    print!("{text}{nl}");
    let _ = std::io::stdout().flush();
}

fn run_pager(cmd: &str, text: &str) -> std::io::Result<()> {
    let _ = std::io::stdout().flush();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A pager quit early closes the pipe: not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    let status = child.wait()?;
    // Ctrl-C inside the pager belongs to the pager, not to the next evaluation.
    crate::interrupt::clear();
    if status.success() || status.code().is_some() {
        Ok(())
    } else {
        Err(std::io::Error::other("pager ended by a signal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tall_text_is_paged_and_short_text_is_not() {
        assert!(!too_tall("a\nb\nc", 24));
        let tall: String = (0..30).map(|i| format!("{i}\n")).collect();
        assert!(too_tall(&tall, 24));
        assert!(!too_tall(&tall, 40));
    }
}
