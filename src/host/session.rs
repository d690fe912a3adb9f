//! An interactive session: one engine, one scope, and the functions defined
//! so far, shared by the REPL and by piped standard input.
//!
//! Each input is compiled against the session scope, merged with the
//! functions of earlier inputs (as rhai-repl does) and evaluated; functions it
//! defines are kept for later inputs. Variables live in the scope.

use super::diagnostic::{render_eval_error, render_parse_error, MainSource};
use crate::script::{self, values};
use rhai::{Dynamic, Engine, EvalAltResult, ParseErrorType, Position, Scope, AST};

/// What evaluating one input gave.
pub enum Outcome {
    /// A value (`()` for statements).
    Value(Dynamic),
    /// A rendered error report.
    Error(String),
}

/// The state of a REPL or piped session.
pub struct Session {
    pub engine: Engine,
    pub scope: Scope<'static>,
    functions: AST,
    /// Name used in error reports.
    pub name: String,
    /// The entries that evaluated without error, in order (for `:save`).
    pub history: Vec<String>,
}

impl Session {
    /// A fresh session whose errors are reported against `name`.
    pub fn new(name: &str) -> Self {
        let engine = script::new_engine();
        let mut scope = Scope::new();
        scope.push_constant("ARGS", rhai::Array::new());
        Session {
            engine,
            scope,
            functions: AST::empty(),
            name: name.to_string(),
            history: Vec::new(),
        }
    }

    /// Forget all variables and functions.
    pub fn reset(&mut self) {
        self.history.clear();
        self.scope.clear();
        self.scope.push_constant("ARGS", rhai::Array::new());
        self.functions = AST::empty();
    }

    /// Whether `input` is an unfinished statement that should continue on
    /// the next line (see [`is_incomplete`]).
    pub fn is_incomplete(&self, input: &str) -> bool {
        is_incomplete(&self.engine, input)
    }

    /// Compile and run one input. `line_offset` is the number of lines the
    /// user typed before it (for error positions in piped sessions).
    pub fn eval(&mut self, input: &str, line_offset: usize) -> Outcome {
        crate::interrupt::clear();
        let main = MainSource {
            name: &self.name,
            text: input,
            line_offset,
        };
        let ast = match self.engine.compile_with_scope(&self.scope, input) {
            Ok(a) => a,
            Err(e) => return Outcome::Error(render_parse_error(&e, &main)),
        };
        let merged = self.functions.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
        // Keep the functions even when evaluation failed: they compiled.
        self.functions = self.functions.merge(&ast.clone_functions_only());
        match result {
            Ok(v) => {
                self.history.push(input.trim_end().to_string());
                Outcome::Value(v)
            }
            Err(e) => Outcome::Error(render_eval_error(&e, &main)),
        }
    }

    /// The successful entries as a runnable script: each entry is one
    /// statement; an entry without a final `;` (an expression whose value
    /// was printed) gets one, so the script runs as a whole.
    pub fn script(&self) -> String {
        let mut out = String::from("// saved from a locus session\n");
        for e in &self.history {
            out.push_str(e);
            let t = e.trim_end();
            if !(t.ends_with(';') || t.ends_with('}')) {
                out.push(';');
            }
            out.push('\n');
        }
        out
    }

    /// Evaluate and return the error unrendered (for tests and `:time`).
    pub fn eval_raw(&mut self, input: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        let ast = self.engine.compile_with_scope(&self.scope, input)?;
        let merged = self.functions.merge(&ast);
        let r = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
        self.functions = self.functions.merge(&ast.clone_functions_only());
        r
    }

    /// Variables in scope: (name, type, summary).
    pub fn vars(&self) -> Vec<(String, String, String)> {
        self.scope
            .iter_raw()
            .map(|(name, _constant, value)| {
                let mut summary = values::describe(value);
                if summary.chars().count() > 70 {
                    summary = summary.chars().take(67).collect::<String>() + "...";
                }
                (name.to_string(), values::type_name(&self.engine, value), summary)
            })
            .collect()
    }

    /// Names of the script functions defined in this session.
    pub fn function_names(&self) -> Vec<String> {
        self.functions
            .iter_functions()
            .map(|f| f.name.to_string())
            .collect()
    }
}

/// Whether `input` is unfinished: it has unclosed brackets, braces or
/// strings, or the parser ran out of input (an unexpected end, or a missing
/// closing bracket at the very end). Other syntax errors are complete inputs
/// that should be reported.
pub fn is_incomplete(engine: &Engine, input: &str) -> bool {
    if input.trim().is_empty() {
        return false;
    }
    if bracket_depth(input) > 0 {
        return true;
    }
    match engine.compile(input) {
        Ok(_) => false,
        Err(e) => {
            let at_end = past_end(input, e.position());
            match e.err_type() {
                ParseErrorType::UnexpectedEOF => true,
                ParseErrorType::MissingToken(tok, _) => at_end && matches!(tok.as_str(), "}" | ")" | "]"),
                other => at_end && other.to_string().contains("Open string"),
            }
        }
    }
}

/// Whether `pos` lies after the last non-blank character of `input`.
fn past_end(input: &str, pos: Position) -> bool {
    let (Some(line), col) = (pos.line(), pos.position()) else {
        return true;
    };
    let lines: Vec<&str> = input.trim_end().lines().collect();
    match line.cmp(&lines.len()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => col.is_none_or(|c| c > lines[line - 1].chars().count()),
    }
}

/// Net count of open brackets outside strings and comments.
pub fn bracket_depth(input: &str) -> i64 {
    let mut depth = 0i64;
    let mut chars = input.chars().peekable();
    let mut in_str: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = in_str {
            if c == '\\' {
                chars.next();
            } else if c == q {
                in_str = None;
            }
            continue;
        }
        match c {
            '"' | '`' | '\'' => in_str = Some(c),
            '/' if chars.peek() == Some(&'/') => {
                for c2 in chars.by_ref() {
                    if c2 == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    // A back-tick string may span lines: still open at the end means more input.
    if in_str == Some('`') {
        depth += 1;
    }
    depth
}
