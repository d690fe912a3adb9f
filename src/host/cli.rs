//! The `locus` command line (SCRIPTING.md § Command line).
//!
//! ```text
//! locus                       # interactive REPL (a piped stdin is read as a session)
//! locus run FILE.rhai [ARGS]  # run a script; ARGS reach it as the array `ARGS`
//! locus run --sandbox [--allow PATH]... FILE.rhai [ARGS]
//!                             # files only in the script's and working folders
//! locus -e 'CODE'             # evaluate and print
//! locus check FILE.rhai       # compile only, report syntax errors
//! locus help [NAME]           # list functions, or document one
//! locus batch SCRIPT FILES... [--jobs N] [--out DIR]
//!                             # the script once per file, in parallel ([`super::batch`])
//! locus batch --summary DIR   # the summary table of an earlier batch
//! ```
//! Exit codes: 0 success, 1 script error, 2 usage error (bad flags, missing
//! script file).

use super::diagnostic::{render_eval_error, render_parse_error, MainSource};
use super::repl;
use crate::script::{self, resolver, sandbox, values};
use clap::{Parser, Subcommand};
use rhai::{Dynamic, Scope};
use std::io::IsTerminal;

/// Exit code for a failed script.
pub const EXIT_SCRIPT: i32 = 1;
/// Exit code for a usage error.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "locus",
    disable_help_subcommand = true,
    version,
    about = "Scripting workbench for single-molecule localization microscopy",
    long_about = "locus runs Rhai scripts and an interactive REPL with typed bindings for SMLM: \
localization tables, density estimation (Gaussian KDE, anisotropic adaptive KDE), Fourier ring \
correlation and U-Net reconstruction.\n\nWith no command, starts the REPL (or reads a session from \
piped standard input)."
)]
struct Cli {
    /// Evaluate CODE and print the value of its last expression.
    #[arg(short = 'e', long = "eval", value_name = "CODE", conflicts_with = "command")]
    eval: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a script; extra arguments reach it as the array `ARGS`.
    Run {
        /// Sandbox the script: it may read and write files only inside its
        /// own folder and the working folder (plus read the --allow paths),
        /// and its operations, call depth and string/array sizes are capped.
        #[arg(long)]
        sandbox: bool,
        /// With --sandbox: also allow reading this file or folder (repeatable).
        #[arg(long = "allow", value_name = "PATH", requires = "sandbox")]
        allow: Vec<String>,
        /// The script file (.rhai).
        file: String,
        /// Arguments passed to the script as `ARGS`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Compile a script without running it and report syntax errors.
    Check {
        /// The script file (.rhai).
        file: String,
    },
    /// Run a script once per data file, in parallel child processes.
    #[command(
        long_about = "Run SCRIPT once per data file, each in its own `locus run` child process \
(at most --jobs at once). Each run gets ARGS = [FILE, \"--out=DIR/NAME\", SCRIPT_ARGS...], where NAME \
is the file's stem (prefixed with its folder's name when stems repeat), so scripts using \
`import \"cli\"` write into their own folder. Output goes to DIR/logs/NAME.log. After a success \
DIR/logs/NAME.done records the status, seconds, a hash of the script and its arguments, and the \
script's last value (a map becomes columns of the summary); a rerun skips files whose record is \
current (--force reruns them). Failed files do not stop the others; at the end a table (file, \
status, seconds, the returned map) is printed and saved as DIR/summary.csv, and the exit code is \
1 if any file failed. Ctrl-C stops the children (a second Ctrl-C kills them).\n\n\
On a SLURM cluster, scripts/slurm/array.sh submits one array task per file \
(`locus batch SCRIPT --files-from LIST --task $SLURM_ARRAY_TASK_ID --out DIR`) and a final \
`locus batch --summary DIR`; see docs/cluster.md."
    )]
    Batch {
        /// Children running at once [default: the number of CPUs].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Output folder: per-file folders, logs/, summary.csv [default: out/<script stem>].
        #[arg(long, value_name = "DIR")]
        out: Option<String>,
        /// Also read data files from LIST, one path per line (# comments allowed).
        #[arg(long = "files-from", value_name = "LIST")]
        files_from: Option<String>,
        /// Run only the file at this 0-based position of the list (one SLURM array task).
        #[arg(long, value_name = "I")]
        task: Option<usize>,
        /// Rerun files even when their done-marker is current.
        #[arg(long)]
        force: bool,
        /// Print the summary table of the batch in DIR (its markers so far) and exit.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["jobs", "out", "files_from", "task", "force"])]
        summary: Option<String>,
        /// The script (.rhai).
        script: Option<String>,
        /// The data files.
        files: Vec<String>,
        /// Extra arguments for the script, after `--` (e.g. `-- --quick`).
        #[arg(last = true, value_name = "SCRIPT_ARGS")]
        script_args: Vec<String>,
    },
    /// List every function by category, or document one.
    Help {
        /// A function, method or property name.
        name: Option<String>,
    },
}

/// Parse the arguments and run; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if let Some(code) = cli.eval {
        return eval_code(&code);
    }
    match cli.command {
        Some(Command::Run {
            sandbox,
            allow,
            file,
            args,
        }) => {
            if sandbox {
                run_sandboxed(&file, &args, &allow)
            } else {
                run_file(&file, &args)
            }
        }
        Some(Command::Check { file }) => check_file(&file),
        Some(Command::Batch {
            jobs,
            out,
            files_from,
            task,
            force,
            summary,
            script,
            files,
            script_args,
        }) => super::batch::main(super::batch::BatchArgs {
            script,
            files,
            files_from,
            jobs,
            out,
            task,
            force,
            summary,
            script_args,
        }),
        Some(Command::Help { name }) => help(name.as_deref()),
        None => {
            if std::io::stdin().is_terminal() {
                repl::run_interactive()
            } else {
                repl::run_piped(std::io::stdin().lock())
            }
        }
    }
}

fn help(name: Option<&str>) -> i32 {
    let docs = script::docs();
    match name {
        None => {
            crate::pager::page(&docs.overview());
            0
        }
        Some(n) => match script::help_text(n) {
            Some(t) => {
                crate::pager::page(&t);
                0
            }
            None => {
                eprintln!("locus {}", script::unknown_help(n));
                EXIT_USAGE
            }
        },
    }
}

fn eval_code(code: &str) -> i32 {
    crate::interrupt::install_handler();
    let engine = script::new_engine();
    let main = MainSource {
        name: "<-e>",
        text: code,
        line_offset: 0,
    };
    let ast = match engine.compile(code) {
        Ok(a) => a,
        Err(e) => {
            eprint!("{}", render_parse_error(&e, &main));
            return EXIT_SCRIPT;
        }
    };
    let mut scope = Scope::new();
    scope.push_constant("ARGS", rhai::Array::new());
    match engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast) {
        Ok(v) => {
            if !v.is_unit() {
                println!("{}", values::describe(&v));
            }
            0
        }
        Err(e) => {
            eprint!("{}", render_eval_error(&e, &main));
            EXIT_SCRIPT
        }
    }
}

fn read_script(file: &str) -> Result<String, i32> {
    std::fs::read_to_string(file).map_err(|e| {
        eprintln!("locus: cannot read script {file}: {e}");
        EXIT_USAGE
    })
}

/// Run `file` with `args` under the sandbox (`locus run --sandbox`): file
/// access limited by [`sandbox::Policy::for_script`], engine limits from
/// [`sandbox::apply_limits`]. Returns the exit code.
pub fn run_sandboxed(file: &str, args: &[String], allow: &[String]) -> i32 {
    let allow: Vec<std::path::PathBuf> = allow.iter().map(Into::into).collect();
    match sandbox::Policy::for_script(std::path::Path::new(file), &allow) {
        Ok(p) => sandbox::set_policy(Some(p)),
        Err(e) => {
            eprintln!("locus: --sandbox: {e}");
            return EXIT_USAGE;
        }
    }
    run_script(file, args, true)
}

/// Run `file` with `args`; returns the exit code.
pub fn run_file(file: &str, args: &[String]) -> i32 {
    run_script(file, args, false)
}

fn run_script(file: &str, args: &[String], limited: bool) -> i32 {
    crate::interrupt::install_handler();
    let text = match read_script(file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    resolver::remember_source(file, &text);
    let mut engine = script::new_engine();
    if limited {
        sandbox::apply_limits(&mut engine);
    }
    let main = MainSource {
        name: file,
        text: &text,
        line_offset: 0,
    };
    let mut ast = match engine.compile(&text) {
        Ok(a) => a,
        Err(e) => {
            eprint!("{}", render_parse_error(&e, &main));
            return EXIT_SCRIPT;
        }
    };
    ast.set_source(file);
    let mut scope = Scope::new();
    let argv: rhai::Array = args.iter().map(|a| Dynamic::from(a.clone())).collect();
    scope.push_constant("ARGS", argv);
    // Under `locus batch`, the script's last value goes back to the parent as JSON.
    let result_file = std::env::var_os(super::batch::RESULT_ENV);
    match engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast) {
        Ok(v) => match result_file {
            Some(path) => match super::batch::write_result(std::path::Path::new(&path), &v) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("locus: {e}");
                    EXIT_SCRIPT
                }
            },
            None => 0,
        },
        Err(e) => {
            eprint!("{}", render_eval_error(&e, &main));
            if limited {
                if let Some(note) = sandbox_note(&e) {
                    eprintln!("note: {note}");
                }
            }
            EXIT_SCRIPT
        }
    }
}

/// Which `--sandbox` limit an error hit, if any.
fn sandbox_note(e: &rhai::EvalAltResult) -> Option<String> {
    use rhai::EvalAltResult as E;
    use sandbox::limits as L;
    let mut e = e;
    while let E::ErrorInFunctionCall(_, _, inner, _) | E::ErrorInModule(_, inner, _) = e {
        e = inner;
    }
    match e {
        E::ErrorTooManyOperations(_) => Some(format!(
            "--sandbox allows {} Rhai operations per run",
            L::MAX_OPERATIONS
        )),
        E::ErrorStackOverflow(_) => Some(format!("--sandbox allows a call depth of {}", L::MAX_CALL_LEVELS)),
        E::ErrorDataTooLarge(what, _) => Some(format!(
            "--sandbox caps {what}: strings at {} bytes, arrays at {} elements, maps at {} entries",
            L::MAX_STRING_SIZE,
            L::MAX_ARRAY_SIZE,
            L::MAX_MAP_SIZE
        )),
        E::ErrorTooManyModules(_) => Some(format!("--sandbox allows {} modules", L::MAX_MODULES)),
        _ => None,
    }
}

fn check_file(file: &str) -> i32 {
    let text = match read_script(file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let engine = script::new_engine();
    let main = MainSource {
        name: file,
        text: &text,
        line_offset: 0,
    };
    match engine.compile(&text) {
        Ok(_) => {
            println!("{file}: ok");
            0
        }
        Err(e) => {
            eprint!("{}", render_parse_error(&e, &main));
            EXIT_SCRIPT
        }
    }
}
