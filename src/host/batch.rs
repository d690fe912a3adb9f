//! `locus batch`: one script over many data files, in parallel child
//! processes of this same binary.
//!
//! ```text
//! locus batch SCRIPT FILES... [--jobs N] [--out DIR] [--files-from LIST] [--force] [-- SCRIPT_ARGS...]
//! locus batch SCRIPT --files-from LIST --task I --out DIR   # one file: a SLURM array task
//! locus batch --summary DIR                                # the table of an earlier batch
//! ```
//!
//! Each file runs as `locus run SCRIPT FILE --out=DIR/<name> [SCRIPT_ARGS]`
//! (so `ARGS[0]` is the file, and scripts using `stdlib/cli.rhai` write into
//! their own folder), with stdout and stderr in `DIR/logs/<name>.log`. The
//! child hands back the script's last value through the file named by the
//! environment variable [`RESULT_ENV`] (written by `locus run` as JSON). After
//! a success, `DIR/logs/<name>.done` (JSON: file, status, seconds, script hash,
//! result) is written atomically; a failure writes `DIR/logs/<name>.failed`
//! instead. A rerun skips the files whose `.done` carries the same hash of the
//! script and its arguments (`--force` reruns all). `<name>` is the file's
//! stem, prefixed with its folder's name when two files share a stem.
//!
//! The batch writes `DIR/batch.json` (the script and the file list, so that
//! `--summary` knows the files that have not run yet), prints a table (file,
//! status, seconds and the entries of the map each script returned) and saves
//! it as `DIR/summary.csv`. Failed files do not stop the others; the exit code
//! is 1 when any failed. Ctrl-C sends one SIGINT to every running child (they
//! stop as `locus run` does, saving training checkpoints), starts no new one,
//! and kills what is still running after [`GRACE`]; a second Ctrl-C kills at
//! once.

use serde_json::{json, Map as JsonMap, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Environment variable: when set, `locus run` writes the script's last value
/// as JSON to this path (atomically).
pub const RESULT_ENV: &str = "LOCUS_RESULT_FILE";

/// How long children get to stop after Ctrl-C before they are killed.
pub const GRACE: Duration = Duration::from_secs(10);

/// What `locus batch` was asked to do (parsed by [`super::cli`]).
#[derive(Debug, Clone, Default)]
pub struct BatchArgs {
    /// The script (.rhai).
    pub script: Option<String>,
    /// Data files, in order.
    pub files: Vec<String>,
    /// A file listing more data files, one per line (blank lines and `#` comments skipped).
    pub files_from: Option<String>,
    /// Children running at once (default: the number of CPUs).
    pub jobs: Option<usize>,
    /// Output folder (default `out/<script stem>`).
    pub out: Option<String>,
    /// Run only the file with this 0-based index of the list.
    pub task: Option<usize>,
    /// Rerun files whose done-marker is current.
    pub force: bool,
    /// Print the summary of the batch in this folder and stop.
    pub summary: Option<String>,
    /// Extra arguments for the script, after the file and `--out=`.
    pub script_args: Vec<String>,
}

/// Usage errors exit with [`super::cli::EXIT_USAGE`].
fn usage(msg: impl std::fmt::Display) -> i32 {
    eprintln!("locus batch: {msg}");
    super::cli::EXIT_USAGE
}

/// Run `locus batch`; returns the exit code.
pub fn main(args: BatchArgs) -> i32 {
    if let Some(dir) = &args.summary {
        if args.script.is_some() || !args.files.is_empty() {
            return usage("--summary DIR takes no script or files");
        }
        return match summary_of(Path::new(dir)) {
            Ok(rows) => {
                print_and_save(Path::new(dir), &rows);
                exit_code(&rows)
            }
            Err(e) => usage(e),
        };
    }
    let Some(script) = args.script.clone() else {
        return usage("no script given: locus batch SCRIPT FILES... (or --summary DIR)");
    };
    let script_text = match std::fs::read(&script) {
        Ok(t) => t,
        Err(e) => return usage(format!("cannot read script {script}: {e}")),
    };
    let mut files = args.files.clone();
    if let Some(list) = &args.files_from {
        match read_list(Path::new(list)) {
            Ok(more) => files.extend(more),
            Err(e) => return usage(e),
        }
    }
    if files.is_empty() {
        return usage("no data files given (FILES... or --files-from LIST)");
    }
    let out = PathBuf::from(args.out.clone().unwrap_or_else(|| {
        let stem = Path::new(&script)
            .file_stem()
            .map_or("batch".into(), |s| s.to_string_lossy().to_string());
        format!("out/{stem}")
    }));
    let names = unique_names(&files);
    let items: Vec<Item> = files
        .iter()
        .zip(names)
        .enumerate()
        .map(|(index, (file, name))| Item {
            index,
            file: file.clone(),
            name,
        })
        .collect();
    let selected: Vec<&Item> = match args.task {
        Some(t) if t >= items.len() => {
            return usage(format!(
                "--task {t}: the list has {} files (0..{})",
                items.len(),
                items.len()
            ))
        }
        Some(t) => vec![&items[t]],
        None => items.iter().collect(),
    };
    let logs = out.join("logs");
    if let Err(e) = std::fs::create_dir_all(&logs) {
        return usage(format!("cannot create {}: {e}", logs.display()));
    }
    let hash = script_hash(&script_text, &args.script_args);
    let manifest = json!({
        "script": script,
        "script_hash": hash,
        "script_args": args.script_args,
        "files": items.iter().map(|i| json!({ "file": i.file, "name": i.name })).collect::<Vec<_>>(),
    });
    if let Err(e) = write_atomic(&out.join("batch.json"), &pretty(&manifest)) {
        return usage(e);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let cfg = RunConfig {
        exe: match std::env::current_exe() {
            Ok(e) => e,
            Err(e) => return usage(format!("cannot find the locus binary: {e}")),
        },
        script: script.clone(),
        script_args: args.script_args.clone(),
        hash,
        out: out.clone(),
        jobs,
        force: args.force,
    };
    let rows = run_all(&cfg, &selected);
    if args.task.is_none() {
        print_and_save(&out, &rows);
    } else {
        for r in &rows {
            println!("{}: {} ({:.1} s)", r.file, r.status, r.seconds);
        }
    }
    exit_code(&rows)
}

/// One data file of the batch.
#[derive(Debug, Clone)]
struct Item {
    index: usize,
    file: String,
    name: String,
}

struct RunConfig {
    exe: PathBuf,
    script: String,
    script_args: Vec<String>,
    hash: String,
    out: PathBuf,
    jobs: usize,
    force: bool,
}

/// One line of the summary.
#[derive(Debug, Clone)]
struct Row {
    file: String,
    /// `ok`, `skipped` (done earlier), `failed (exit N)`, `interrupted`, `not run`.
    status: String,
    seconds: f64,
    result: Value,
}

impl Row {
    fn failed(&self) -> bool {
        !matches!(self.status.as_str(), "ok" | "skipped")
    }
}

fn exit_code(rows: &[Row]) -> i32 {
    if rows.iter().any(Row::failed) {
        super::cli::EXIT_SCRIPT
    } else {
        0
    }
}

/// Lines of a file list: trimmed, blank lines and `#` comments skipped.
fn read_list(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read file list {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// A folder name per file: the stem, `<parent>_<stem>` for stems that occur
/// more than once, and `-<n>` appended while names still collide.
fn unique_names(files: &[String]) -> Vec<String> {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let stem = |f: &str| {
        clean(
            &Path::new(f)
                .file_stem()
                .map_or("file".into(), |s| s.to_string_lossy()),
        )
    };
    let stems: Vec<String> = files.iter().map(|f| stem(f)).collect();
    let mut names: Vec<String> = files
        .iter()
        .zip(&stems)
        .map(|(f, s)| {
            if stems.iter().filter(|t| *t == s).count() > 1 {
                let parent = Path::new(f)
                    .parent()
                    .and_then(|p| p.file_name())
                    .map_or(String::new(), |p| clean(&p.to_string_lossy()));
                if parent.is_empty() {
                    s.clone()
                } else {
                    format!("{parent}_{s}")
                }
            } else {
                s.clone()
            }
        })
        .collect();
    let mut seen = BTreeSet::new();
    for n in names.iter_mut() {
        let base = n.clone();
        let mut k = 2;
        while !seen.insert(n.clone()) {
            *n = format!("{base}-{k}");
            k += 1;
        }
    }
    names
}

/// FNV-1a (64 bit) of the script and its extra arguments, as hex: a change
/// detector for the done-markers, not a cryptographic hash.
fn script_hash(script: &[u8], args: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(script);
    for a in args {
        feed(&[0]);
        feed(a.as_bytes());
    }
    format!("{h:016x}")
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()) + "\n"
}

/// Write `text` to `path` through a temporary file in the same folder.
fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(name);
    let r = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}

fn marker(out: &Path, name: &str, ext: &str) -> PathBuf {
    out.join("logs").join(format!("{name}.{ext}"))
}

/// The `.done` record of `name`, if it exists and parses.
fn read_record(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Ctrl-C presses seen by `locus batch` (its own handler: children get one
/// SIGINT each, a second press kills them).
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

fn install_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTS.fetch_add(1, Ordering::SeqCst);
        });
    });
}

#[cfg(unix)]
fn send_sigint(child: &mut Child) {
    // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
}

#[cfg(not(unix))]
fn send_sigint(child: &mut Child) {
    let _ = child.kill();
}

struct Running {
    item: Item,
    child: Child,
    started: Instant,
    result_path: PathBuf,
}

/// Run every item (at most `cfg.jobs` at once), skipping done ones; rows in
/// the items' order.
fn run_all(cfg: &RunConfig, items: &[&Item]) -> Vec<Row> {
    install_handler();
    let mut rows: Vec<Option<Row>> = vec![None; items.len()];
    let mut queue: std::collections::VecDeque<(usize, Item)> = std::collections::VecDeque::new();
    for (k, it) in items.iter().enumerate() {
        let done = marker(&cfg.out, &it.name, "done");
        let rec = if cfg.force { None } else { read_record(&done) };
        match rec {
            Some(r) if r["script_hash"] == cfg.hash.as_str() && r["file"] == it.file.as_str() => {
                eprintln!("locus batch: {}: done earlier, skipped", it.file);
                rows[k] = Some(Row {
                    file: it.file.clone(),
                    status: "skipped".into(),
                    seconds: r["seconds"].as_f64().unwrap_or(0.0),
                    result: r["result"].clone(),
                });
            }
            _ => queue.push_back((k, (*it).clone())),
        }
    }
    let total = queue.len();
    // Children share the CPUs: unless the user chose, each gets its share of rayon threads.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cpus / cfg.jobs.min(total.max(1))).max(1);
    let mut running: Vec<(usize, Running)> = Vec::new();
    let mut interrupted_at: Option<Instant> = None;
    let mut signalled = 0usize;
    loop {
        let presses = INTERRUPTS.load(Ordering::SeqCst);
        if presses > 0 {
            if interrupted_at.is_none() {
                interrupted_at = Some(Instant::now());
                eprintln!(
                    "locus batch: interrupted: stopping {} running file(s), starting no more",
                    running.len()
                );
            }
            if presses > signalled {
                for (_, r) in running.iter_mut() {
                    if presses >= 2 {
                        let _ = r.child.kill();
                    } else {
                        send_sigint(&mut r.child);
                    }
                }
                signalled = presses;
            }
            if interrupted_at.is_some_and(|t| t.elapsed() > GRACE) {
                for (_, r) in running.iter_mut() {
                    let _ = r.child.kill();
                }
            }
        }
        while interrupted_at.is_none() && running.len() < cfg.jobs {
            let Some((k, it)) = queue.pop_front() else { break };
            eprintln!(
                "locus batch: [{}/{}] {} → {}",
                total - queue.len(),
                total,
                it.file,
                cfg.out.join(&it.name).display()
            );
            match spawn(cfg, &it, threads) {
                Ok(r) => running.push((k, r)),
                Err(e) => {
                    eprintln!("locus batch: {}: {e}", it.file);
                    rows[k] = Some(finish(cfg, &it, format!("failed ({e})"), 0.0, Value::Null));
                }
            }
        }
        if running.is_empty() && (queue.is_empty() || interrupted_at.is_some()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        let mut still = Vec::with_capacity(running.len());
        for (k, mut r) in running.drain(..) {
            match r.child.try_wait() {
                Ok(Some(status)) => {
                    let secs = r.started.elapsed().as_secs_f64();
                    let result = std::fs::read_to_string(&r.result_path)
                        .ok()
                        .and_then(|t| serde_json::from_str(&t).ok())
                        .unwrap_or(Value::Null);
                    let _ = std::fs::remove_file(&r.result_path);
                    let st = if status.success() {
                        "ok".to_string()
                    } else if interrupted_at.is_some() {
                        "interrupted".to_string()
                    } else {
                        match status.code() {
                            Some(c) => format!("failed (exit {c})"),
                            None => "failed (killed by a signal)".to_string(),
                        }
                    };
                    eprintln!("locus batch: {}: {st} in {secs:.1} s", r.item.file);
                    rows[k] = Some(finish(cfg, &r.item, st, secs, result));
                }
                Ok(None) => still.push((k, r)),
                Err(e) => {
                    let _ = r.child.kill();
                    rows[k] = Some(finish(cfg, &r.item, format!("failed ({e})"), 0.0, Value::Null));
                }
            }
        }
        running = still;
    }
    items
        .iter()
        .zip(rows)
        .map(|(it, r)| {
            r.unwrap_or_else(|| Row {
                file: it.file.clone(),
                status: "not run".into(),
                seconds: 0.0,
                result: Value::Null,
            })
        })
        .collect()
}

/// Start `locus run SCRIPT FILE --out=DIR/<name> ARGS...` with its output in the log.
fn spawn(cfg: &RunConfig, it: &Item, threads: usize) -> Result<Running, String> {
    let log_path = marker(&cfg.out, &it.name, "log");
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let err = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let result_path = marker(&cfg.out, &it.name, &format!("result-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&result_path);
    let out_dir = cfg.out.join(&it.name);
    let mut cmd = Command::new(&cfg.exe);
    cmd.arg("run")
        .arg(&cfg.script)
        .arg(&it.file)
        .arg(format!("--out={}", out_dir.display()))
        .args(&cfg.script_args)
        .env(RESULT_ENV, &result_path)
        .env("LOCUS_BATCH_INDEX", it.index.to_string())
        .env("LOCUS_NO_PROGRESS", "1")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err);
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        cmd.env("RAYON_NUM_THREADS", threads.to_string());
    }
    #[cfg(unix)]
    {
        // Own process group: a terminal's Ctrl-C reaches only the batch,
        // which forwards exactly one SIGINT (a second one would make a child
        // exit at once, without saving a checkpoint).
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cfg.exe.display()))?;
    Ok(Running {
        item: it.clone(),
        child,
        started: Instant::now(),
        result_path,
    })
}

/// Record the outcome of one file: `.done` after a success (atomically), else `.failed`.
fn finish(cfg: &RunConfig, it: &Item, status: String, seconds: f64, result: Value) -> Row {
    let rec = json!({
        "file": it.file,
        "name": it.name,
        "status": status,
        "seconds": seconds,
        "script": cfg.script,
        "script_hash": cfg.hash,
        "result": result,
    });
    let (done, failed) = (
        marker(&cfg.out, &it.name, "done"),
        marker(&cfg.out, &it.name, "failed"),
    );
    let write = if status == "ok" {
        let _ = std::fs::remove_file(&failed);
        write_atomic(&done, &pretty(&rec))
    } else {
        let _ = std::fs::remove_file(&done);
        write_atomic(&failed, &pretty(&rec))
    };
    if let Err(e) = write {
        eprintln!("locus batch: {e}");
    }
    Row {
        file: it.file.clone(),
        status,
        seconds,
        result,
    }
}

/// The rows of the batch in `dir`, from its `batch.json` and markers.
fn summary_of(dir: &Path) -> Result<Vec<Row>, String> {
    let manifest = dir.join("batch.json");
    let m: Value = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("{}: {e} (not a locus batch folder?)", manifest.display()))
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("{}: {e}", manifest.display())))?;
    let files = m["files"]
        .as_array()
        .ok_or_else(|| format!("{}: no 'files' list", manifest.display()))?;
    let hash = m["script_hash"].as_str().unwrap_or_default();
    let mut rows = Vec::with_capacity(files.len());
    for f in files {
        let (Some(file), Some(name)) = (f["file"].as_str(), f["name"].as_str()) else {
            return Err(format!(
                "{}: a file entry lacks 'file' or 'name'",
                manifest.display()
            ));
        };
        let done = read_record(&marker(dir, name, "done"));
        let failed = read_record(&marker(dir, name, "failed"));
        let row = match (done, failed) {
            (Some(r), _) if r["script_hash"] == hash => ("ok".to_string(), r),
            (Some(r), _) => ("stale (script changed)".to_string(), r),
            (None, Some(r)) => (r["status"].as_str().unwrap_or("failed").to_string(), r),
            (None, None) => ("not run".to_string(), Value::Null),
        };
        rows.push(Row {
            file: file.to_string(),
            status: row.0,
            seconds: row.1["seconds"].as_f64().unwrap_or(0.0),
            result: row.1["result"].clone(),
        });
    }
    Ok(rows)
}

/// A JSON value as one table cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn format_float(f: f64) -> String {
    if f != 0.0 && (f.abs() >= 1e6 || f.abs() < 1e-3) {
        format!("{f:.4e}")
    } else {
        let s = format!("{f:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Header and cells of the summary: file, status, seconds, then one column
/// per key of the returned maps (in order of first appearance), or one
/// `result` column for other values.
fn table(rows: &[Row]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut keys: Vec<String> = Vec::new();
    let mut plain = false;
    for r in rows {
        match &r.result {
            Value::Object(m) => {
                for k in m.keys() {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
            Value::Null => {}
            _ => plain = true,
        }
    }
    let mut header: Vec<String> = vec!["file".into(), "status".into(), "seconds".into()];
    header.extend(keys.iter().cloned());
    if plain {
        header.push("result".into());
    }
    let empty = JsonMap::new();
    let cells = rows
        .iter()
        .map(|r| {
            let mut c = vec![r.file.clone(), r.status.clone(), format!("{:.2}", r.seconds)];
            let m = r.result.as_object().unwrap_or(&empty);
            c.extend(keys.iter().map(|k| m.get(k).map_or(String::new(), cell)));
            if plain {
                c.push(if r.result.is_object() {
                    String::new()
                } else {
                    cell(&r.result)
                });
            }
            c
        })
        .collect();
    (header, cells)
}

/// Print the summary table and write it as `DIR/summary.csv`.
fn print_and_save(dir: &Path, rows: &[Row]) {
    let (header, cells) = table(rows);
    let widths: Vec<usize> = (0..header.len())
        .map(|j| {
            cells
                .iter()
                .map(|c| c[j].chars().count())
                .chain([header[j].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: &[String]| -> String {
        c.iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&header));
    for c in &cells {
        println!("{}", line(c));
    }
    let ok = rows.iter().filter(|r| !r.failed()).count();
    println!("{ok} of {} file(s) done; folder {}", rows.len(), dir.display());
    let quote = |s: &str| -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut csv = String::new();
    for c in std::iter::once(&header).chain(&cells) {
        csv.push_str(&c.iter().map(|s| quote(s)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    if let Err(e) = write_atomic(&dir.join("summary.csv"), &csv) {
        eprintln!("locus batch: {e}");
    }
}

/// A script value as JSON: maps, arrays, numbers, strings, booleans and `()`
/// (null) as such; any other value (a table, an image, ...) as its one-line
/// description. Non-finite floats become null.
pub fn to_json(v: &rhai::Dynamic) -> Value {
    if v.is_unit() {
        return Value::Null;
    }
    if let Some(b) = v.clone().try_cast::<bool>() {
        return Value::Bool(b);
    }
    if let Some(i) = v.clone().try_cast::<rhai::INT>() {
        return json!(i);
    }
    if let Some(f) = v.clone().try_cast::<rhai::FLOAT>() {
        return serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    }
    if v.is_string() {
        return Value::String(v.clone().into_string().unwrap_or_default());
    }
    if let Some(a) = v.read_lock::<rhai::Array>() {
        return Value::Array(a.iter().map(to_json).collect());
    }
    if let Some(m) = v.read_lock::<rhai::Map>() {
        return Value::Object(m.iter().map(|(k, x)| (k.to_string(), to_json(x))).collect());
    }
    Value::String(crate::script::values::describe(v))
}

/// Write the script's last value as JSON to `path` (atomically), for a batch parent.
pub fn write_result(path: &Path, v: &rhai::Dynamic) -> Result<(), String> {
    write_atomic(path, &pretty(&to_json(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_stable() {
        let f = |v: &[&str]| unique_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(f(&["a/x.hdf5", "b/y.csv"]), ["x", "y"]);
        assert_eq!(
            f(&["s1/locs.hdf5", "s2/locs.hdf5", "z.hdf5"]),
            ["s1_locs", "s2_locs", "z"]
        );
        assert_eq!(f(&["s/locs.hdf5", "s/locs.csv"]), ["s_locs", "s_locs-2"]);
        assert_eq!(f(&["we ird&.csv"]), ["we_ird_"]);
    }

    #[test]
    fn hash_sees_script_and_args() {
        let a = script_hash(b"1", &[]);
        assert_eq!(a, script_hash(b"1", &[]));
        assert_ne!(a, script_hash(b"2", &[]));
        assert_ne!(a, script_hash(b"1", &["--quick".into()]));
        // Argument boundaries count.
        assert_ne!(
            script_hash(b"", &["ab".into()]),
            script_hash(b"", &["a".into(), "b".into()])
        );
    }

    #[test]
    fn json_of_script_values() {
        let mut m = rhai::Map::new();
        m.insert("n".into(), rhai::Dynamic::from(3 as rhai::INT));
        m.insert("r".into(), rhai::Dynamic::from(2.5 as rhai::FLOAT));
        m.insert("nan".into(), rhai::Dynamic::from(f64::NAN as rhai::FLOAT));
        m.insert("s".into(), rhai::Dynamic::from("x".to_string()));
        m.insert(
            "a".into(),
            rhai::Dynamic::from(vec![rhai::Dynamic::TRUE, rhai::Dynamic::UNIT]),
        );
        let j = to_json(&rhai::Dynamic::from(m));
        assert_eq!(
            j,
            json!({ "n": 3, "r": 2.5, "nan": null, "s": "x", "a": [true, null] })
        );
    }

    #[test]
    fn table_columns_from_maps() {
        let row = |f: &str, st: &str, r: Value| Row {
            file: f.into(),
            status: st.into(),
            seconds: 1.0,
            result: r,
        };
        let rows = vec![
            row("a", "ok", json!({ "res": 21.5, "n": 10 })),
            row("b", "failed (exit 1)", Value::Null),
            row("c", "ok", json!({ "n": 3, "extra": "x" })),
        ];
        let (h, c) = table(&rows);
        assert_eq!(h, ["file", "status", "seconds", "n", "res", "extra"]);
        assert_eq!(c[0], ["a", "ok", "1.00", "10", "21.5", ""]);
        assert_eq!(c[1][3..], ["", "", ""]);
        assert_eq!(c[2][5], "x");
        assert_eq!(exit_code(&rows), 1);
        assert_eq!(exit_code(&rows[..1]), 0);
    }
}
