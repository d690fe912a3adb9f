//! Error reports as `FILE:LINE:COL: message`, the source line and a caret.
//!
//! A Rhai error is a chain: a call into a script function wraps the error
//! raised inside it (`ErrorInFunctionCall`), an import wraps the error raised
//! while loading the module (`ErrorInModule`). The innermost error is printed
//! first, with its own file and line; then one line per call frame or import,
//! outermost last, each naming where the call was made.

use crate::script::resolver::source_text;
use rhai::{EvalAltResult, ParseError, Position};

/// The source that errors without another file refer to.
pub struct MainSource<'a> {
    /// The name shown (a file path, `<repl>`, `<-e>`).
    pub name: &'a str,
    /// Its text.
    pub text: &'a str,
    /// Lines before this text in what the user typed (piped sessions).
    pub line_offset: usize,
}

struct Frame {
    file: String,
    pos: Position,
    what: String,
}

/// Render a runtime (or wrapped parse) error against `main`.
pub fn render_eval_error(err: &EvalAltResult, main: &MainSource) -> String {
    let mut frames: Vec<Frame> = Vec::new();
    let mut cur: &EvalAltResult = err;
    let mut file = main.name.to_string();
    loop {
        match cur {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                let what = if name.starts_with("anon$") {
                    "in closure called here".to_string()
                } else {
                    format!("in call to `{name}`")
                };
                frames.push(Frame {
                    file: file.clone(),
                    pos: *pos,
                    what,
                });
                if !src.is_empty() {
                    file = src.clone();
                }
                cur = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                frames.push(Frame {
                    file: file.clone(),
                    pos: *pos,
                    what: format!("in module `{name}` imported here"),
                });
                file = name.clone();
                cur = inner;
            }
            _ => break,
        }
    }
    let (message, pos) = match cur {
        EvalAltResult::ErrorParsing(kind, pos) => (format!("syntax error: {kind}"), *pos),
        EvalAltResult::ErrorRuntime(d, pos) => (format!("error: {d}"), *pos),
        EvalAltResult::ErrorFunctionNotFound(sig, pos) => (
            format!("error: {}", crate::script::explain_not_found(sig)),
            *pos,
        ),
        EvalAltResult::ErrorIndexingType(ty, pos) if ty.ends_with("Locs") => (
            "error: a table is not indexed with [...]: use locs.col(\"photons\") for a column, or locs.column(\"photons\") for an array of its values".to_string(),
            *pos,
        ),
        EvalAltResult::ErrorTerminated(d, pos) => {
            let m = d.clone().into_string().unwrap_or_else(|_| "terminated".into());
            (format!("stopped: {m}"), *pos)
        }
        other => {
            let pos = other.position();
            let text = other.to_string();
            let text = match text.rfind(" (line ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            };
            (format!("error: {text}"), pos)
        }
    };
    let mut out = String::new();
    out.push_str(&located(&file, pos, &message, main));
    for f in frames.iter().rev() {
        out.push_str(&format!("  {} at {}\n", f.what, place(&f.file, f.pos, main)));
    }
    out
}

/// Render a syntax error in `main`.
pub fn render_parse_error(err: &ParseError, main: &MainSource) -> String {
    let mut out = located(
        main.name,
        err.position(),
        &format!("syntax error: {}", err.err_type()),
        main,
    );
    let line = err
        .position()
        .line()
        .and_then(|l| main.text.lines().nth(l.saturating_sub(1)));
    if let Some(hint) = line.and_then(crate::script::syntax_hint) {
        out.push_str(&format!("  hint: {hint}\n"));
    }
    out
}

fn place(file: &str, pos: Position, main: &MainSource) -> String {
    let offset = if file == main.name { main.line_offset } else { 0 };
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{}:{c}", l + offset),
        (Some(l), None) => format!("{file}:{}", l + offset),
        _ => file.to_string(),
    }
}

fn located(file: &str, pos: Position, message: &str, main: &MainSource) -> String {
    let mut out = format!("{}: {message}\n", place(file, pos, main));
    let text: Option<std::sync::Arc<str>> = if file == main.name {
        Some(std::sync::Arc::from(main.text))
    } else {
        source_text(file)
    };
    if let (Some(text), Some(line)) = (text, pos.line()) {
        if let Some(src) = text.lines().nth(line - 1) {
            let shown = line + if file == main.name { main.line_offset } else { 0 };
            let gutter = format!("{shown}");
            out.push_str(&format!(" {gutter} | {src}\n"));
            if let Some(col) = pos.position() {
                // Keep tabs so that the caret lines up under the source.
                let pad: String = src
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!(" {} | {pad}^\n", " ".repeat(gutter.len())));
            }
        }
    }
    out
}
