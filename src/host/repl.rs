//! The interactive REPL (rustyline) and the piped-stdin session.
//!
//! One [`Session`] holds the engine, the scope and the functions defined so
//! far. The rustyline [`LocusHelper`] does completion (functions, methods and
//! properties of a variable's type after `.`, variables, `:` commands, file
//! paths inside string literals) and signature hints; an unfinished
//! statement continues on the next line at a `...` prompt. History persists in
//! the user's data folder (`LOCUS_HISTORY` overrides the path).

use super::session::{Outcome, Session};
use crate::script::{self, values, Docs};
use rhai::Dynamic;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const COMMANDS: &[(&str, &str)] = &[
    (":help", ":help [name]   list functions, or document one"),
    (":vars", ":vars          variables in scope: name, type, summary"),
    (":time", ":time EXPR     evaluate EXPR and print the elapsed time"),
    (":run", ":run FILE      run a script file in this session"),
    (
        ":load",
        ":load FILE     run a script file in this session (as :run)",
    ),
    (
        ":save",
        ":save FILE     write this session's successful entries as a runnable script",
    ),
    (":reset", ":reset         forget all variables and functions"),
    (":quit", ":quit          leave (Ctrl-D works too)"),
];

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break", "continue", "return", "throw",
    "try", "catch", "import", "as", "true", "false", "print",
];

/// What the completer knows about the session.
#[derive(Default, Clone)]
pub struct CompletionState {
    /// Variables in scope with their type names.
    pub vars: Vec<(String, String)>,
    /// Script functions defined in the session.
    pub functions: Vec<String>,
}

/// Completion candidates for `line` with the cursor at `pos`: the start of
/// the word being completed and the replacements.
pub fn complete(line: &str, pos: usize, state: &CompletionState, docs: &Docs) -> (usize, Vec<String>) {
    let before = &line[..pos];
    // Inside a string literal: complete a file path.
    if before.matches('"').count() % 2 == 1 {
        let start = before.rfind('"').map(|i| i + 1).unwrap_or(0);
        return (start, complete_path(&before[start..]));
    }
    // REPL commands.
    if before.starts_with(':') && !before.contains(' ') {
        let c = COMMANDS
            .iter()
            .map(|(c, _)| c.to_string())
            .filter(|c| c.starts_with(before))
            .collect();
        return (0, c);
    }
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let prefix = &before[word_start..];
    // After `value.`: methods and properties of the value's type.
    if before[..word_start].ends_with('.') {
        let recv = &before[..word_start - 1];
        let recv_start = recv
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let var = &recv[recv_start..];
        let mut out: Vec<String> = Vec::new();
        if let Some((_, ty)) = state.vars.iter().find(|(n, _)| n == var) {
            for e in docs.members_of(ty) {
                let is_name = e.name.starts_with(|c: char| c.is_alphabetic() || c == '_');
                if is_name && e.name.starts_with(prefix) {
                    let cand = if e.property {
                        e.name.clone()
                    } else {
                        format!("{}(", e.name)
                    };
                    if !out.contains(&cand) {
                        out.push(cand);
                    }
                }
            }
        }
        out.sort();
        return (word_start, out);
    }
    if prefix.is_empty() {
        return (pos, Vec::new());
    }
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (v, _) in &state.vars {
        if v.starts_with(prefix) {
            push(v.clone());
        }
    }
    for e in docs.entries() {
        let is_name = e.name.starts_with(|c: char| c.is_alphabetic() || c == '_');
        if e.receiver.is_none() && is_name && e.name.starts_with(prefix) {
            push(format!("{}(", e.name));
        }
    }
    for f in &state.functions {
        if f.starts_with(prefix) {
            push(format!("{f}("));
        }
    }
    for k in KEYWORDS {
        if k.starts_with(prefix) {
            push(k.to_string());
        }
    }
    out.sort();
    (word_start, out)
}

fn complete_path(partial: &str) -> Vec<String> {
    let (dir, file_prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let read_dir = if dir.is_empty() {
        PathBuf::from(".")
    } else {
        PathBuf::from(dir)
    };
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&read_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with(file_prefix) && (!name.starts_with('.') || file_prefix.starts_with('.')) {
                let slash = if e.path().is_dir() { "/" } else { "" };
                out.push(format!("{dir}{name}{slash}"));
            }
        }
    }
    out.sort();
    out
}

/// The signature hint for the function whose argument list the cursor is in.
pub fn hint(line: &str, pos: usize, docs: &Docs) -> Option<String> {
    if pos < line.len() {
        return None;
    }
    let mut depth = 0i32;
    let bytes: Vec<(usize, char)> = line.char_indices().collect();
    for &(i, c) in bytes.iter().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let name_part = &line[..i];
                let start = name_part
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
                    .map(|(j, c)| j + c.len_utf8())
                    .unwrap_or(0);
                let name = &name_part[start..];
                let sigs: Vec<String> = docs.lookup(name).iter().map(|e| e.signature.clone()).collect();
                if sigs.is_empty() {
                    return None;
                }
                let mut uniq: Vec<String> = Vec::new();
                for s in sigs {
                    if !uniq.contains(&s) {
                        uniq.push(s);
                    }
                }
                return Some(format!("   ← {}", uniq.join("  |  ")));
            }
            _ => {}
        }
    }
    None
}

/// The rustyline helper: completion, hints and multi-line validation.
pub struct LocusHelper {
    state: Arc<Mutex<CompletionState>>,
    docs: Arc<Docs>,
}

impl Completer for LocusHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let state = self.state.lock().map(|s| s.clone()).unwrap_or_default();
        let (start, cands) = complete(line, pos, &state, &self.docs);
        Ok((
            start,
            cands
                .into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for LocusHelper {
    type Hint = String;
    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        hint(line, pos, &self.docs)
    }
}

impl Highlighter for LocusHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

// Multi-line entries are assembled by the read loop (with a `...` prompt),
// not by rustyline's validator, which has no continuation prompt.
impl Validator for LocusHelper {}

impl Helper for LocusHelper {}

pub use super::session::is_incomplete;

fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOCUS_HISTORY") {
        return Some(PathBuf::from(p));
    }
    dirs::data_dir().map(|d| d.join("locus").join("history.txt"))
}

/// Handle a `:command`; returns false to quit.
fn command(session: &mut Session, line: &str) -> bool {
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
    match cmd {
        ":quit" | ":q" | ":exit" => return false,
        ":help" | ":h" => {
            if arg.is_empty() {
                let mut text = String::from("REPL commands:\n");
                for (_, d) in COMMANDS {
                    text.push_str(&format!("  {d}\n"));
                }
                text.push('\n');
                text.push_str(&script::docs().overview());
                crate::pager::page(&text);
            } else {
                match script::help_text(arg) {
                    Some(t) => crate::pager::page(&t),
                    None => eprintln!("{}", script::unknown_help(arg)),
                }
            }
        }
        ":vars" => {
            let vars = session.vars();
            if vars.is_empty() {
                println!("(no variables)");
            }
            for (n, t, s) in vars {
                println!("{n:<16} {t:<10} {s}");
            }
        }
        ":time" => {
            let t0 = Instant::now();
            print_outcome(session.eval(arg, 0));
            println!("time: {}", crate::fmt::duration(t0.elapsed().as_secs_f64()));
        }
        ":save" => {
            if arg.is_empty() {
                eprintln!(":save: give a file name, e.g. :save session.rhai");
            } else {
                let text = session.script();
                match crate::image::io::write_atomic(std::path::Path::new(arg), |w| {
                    w.write_all(text.as_bytes()).map_err(|e| crate::Error::io(arg, e))
                }) {
                    Ok(()) => {
                        let n = session.history.len();
                        println!("saved {n} {} to {arg}", if n == 1 { "entry" } else { "entries" });
                    }
                    Err(e) => eprintln!(":save: {e}"),
                }
            }
        }
        ":run" | ":load" => match std::fs::read_to_string(arg) {
            Ok(text) => {
                crate::script::resolver::remember_source(arg, &text);
                let saved = std::mem::replace(&mut session.name, arg.to_string());
                print_outcome(session.eval(&text, 0));
                session.name = saved;
            }
            Err(e) => eprintln!(":run: cannot read {arg}: {e}"),
        },
        ":reset" => {
            session.reset();
            println!("session reset");
        }
        other => eprintln!("unknown command {other}; :help lists the commands"),
    }
    true
}

fn print_outcome(o: Outcome) {
    match o {
        Outcome::Value(v) => print_value(&v),
        Outcome::Error(e) => eprint!("{e}"),
    }
}

fn print_value(v: &Dynamic) {
    if !v.is_unit() {
        println!("{}", values::describe(v));
    }
}

/// The main prompt and the prompt of an unfinished entry's next lines.
pub const PROMPT: &str = "locus> ";
pub const CONTINUATION: &str = "   ... ";

/// Add an entry to the in-memory history and append it to the file.
fn remember(
    rl: &mut Editor<LocusHelper, rustyline::history::FileHistory>,
    hist: Option<&std::path::Path>,
    entry: &str,
) {
    let _ = rl.add_history_entry(entry);
    if let Some(h) = hist {
        let _ = rl.append_history(h);
    }
}

/// Refresh what completion knows: variables with their types, functions.
fn update_state(state: &Arc<Mutex<CompletionState>>, session: &Session) {
    if let Ok(mut s) = state.lock() {
        s.vars = session.vars().into_iter().map(|(n, t, _)| (n, t)).collect();
        s.functions = session.function_names();
    }
}

/// Run the interactive REPL until `:quit` or Ctrl-D.
pub fn run_interactive() -> i32 {
    crate::interrupt::install_handler();
    crate::interrupt::set_exit_on_second(false);
    let mut session = Session::new("<repl>");
    let state = Arc::new(Mutex::new(CompletionState::default()));
    let helper = LocusHelper {
        state: state.clone(),
        docs: script::docs(),
    };
    let checker = rhai::Engine::new_raw();
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .max_history_size(10_000)
        .and_then(|b| b.history_ignore_dups(true))
        .map(|b| b.build())
        .unwrap_or_default();
    let mut rl: Editor<LocusHelper, rustyline::history::FileHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the line editor: {e}");
            return run_piped(std::io::stdin().lock());
        }
    };
    rl.set_helper(Some(helper));
    let hist = history_path();
    if let Some(h) = &hist {
        if let Some(parent) = h.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = rl.load_history(h);
    }
    println!(
        "locus {} — SMLM scripting. :help for commands, help(\"name\") for a function, Ctrl-D to quit.",
        env!("CARGO_PKG_VERSION")
    );
    // An unfinished statement continues at the `...` prompt; Ctrl-C there
    // discards the entry, Ctrl-D too (it leaves only from the main prompt).
    let mut entry = String::new();
    loop {
        let prompt = if entry.is_empty() { PROMPT } else { CONTINUATION };
        match rl.readline(prompt) {
            Ok(line) => {
                if entry.is_empty() {
                    let trimmed = line.trim();
                    if trimmed.is_empty() {
                        continue;
                    }
                    if trimmed.starts_with(':') {
                        remember(&mut rl, hist.as_deref(), trimmed);
                        if !command(&mut session, trimmed) {
                            break;
                        }
                        update_state(&state, &session);
                        continue;
                    }
                } else {
                    entry.push('\n');
                }
                entry.push_str(&line);
                if is_incomplete(&checker, &entry) {
                    continue;
                }
                let text = std::mem::take(&mut entry);
                // Append the entry to the history file at once, so a killed
                // session keeps it.
                remember(&mut rl, hist.as_deref(), &text);
                print_outcome(session.eval(&text, 0));
                update_state(&state, &session);
            }
            Err(rustyline::error::ReadlineError::Interrupted) => {
                if entry.is_empty() {
                    println!("^C (Ctrl-D or :quit to leave)");
                } else {
                    entry.clear();
                    println!("^C (entry discarded)");
                }
            }
            Err(rustyline::error::ReadlineError::Eof) if !entry.is_empty() => {
                entry.clear();
                println!("(entry discarded)");
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("input error: {e}");
                break;
            }
        }
    }
    0
}

/// Read a session from a non-terminal input: each complete statement is
/// evaluated in turn and expression values are printed, as at the prompt.
/// Returns the exit code: 1 if any input failed, else 0.
pub fn run_piped(input: impl BufRead) -> i32 {
    crate::interrupt::install_handler();
    let mut session = Session::new("<stdin>");
    let mut buffer = String::new();
    let mut start_line = 0usize;
    let mut line_no = 0usize;
    let mut failed = false;
    let stdout = std::io::stdout();
    for line in input.lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("<stdin>: cannot read input: {e}");
                return 1;
            }
        };
        line_no += 1;
        if buffer.is_empty() {
            start_line = line_no - 1;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with(':') {
                if !command(&mut session, t) {
                    break;
                }
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if session.is_incomplete(&buffer) {
            continue;
        }
        match session.eval(&buffer, start_line) {
            Outcome::Value(v) => print_value(&v),
            Outcome::Error(e) => {
                failed = true;
                eprint!("{e}");
            }
        }
        let _ = stdout.lock().flush();
        buffer.clear();
    }
    if !buffer.trim().is_empty() {
        match session.eval(&buffer, start_line) {
            Outcome::Value(v) => print_value(&v),
            Outcome::Error(e) => {
                failed = true;
                eprint!("{e}");
            }
        }
    }
    i32::from(failed)
}
