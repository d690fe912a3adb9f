//! The interactive REPL in a pseudo-terminal (through util-linux `script`):
//! history is written after every entry, so a killed session keeps it, and
//! Ctrl-C pressed twice during one evaluation returns to the prompt with the
//! session's variables intact instead of ending the process.
mod common;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn spawn_repl(history: &std::path::Path) -> Child {
    let bin = env!("CARGO_BIN_EXE_locus");
    Command::new("script")
        .args(["-qfec", bin, "/dev/null"])
        .env("LOCUS_HISTORY", history)
        .env("LOCUS_NO_PROGRESS", "1")
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script starts")
}

/// Everything `out` prints, gathered by a thread (joined once `out` closes).
type Collected = std::sync::Arc<std::sync::Mutex<String>>;
fn collect(mut out: std::process::ChildStdout) -> (Collected, std::thread::JoinHandle<()>) {
    let collected = Collected::default();
    let sink = collected.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (collected, reader)
}

fn wait_for(mut cond: impl FnMut() -> bool, secs: u64) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn history_survives_a_killed_session() {
    if !script_available() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hist = dir.path().join("history.txt");
    let mut child = spawn_repl(&hist);
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    stdin.write_all(b"let remembered_value = 41 + 1;\r").unwrap();
    stdin.flush().unwrap();
    let ok = wait_for(
        || std::fs::read_to_string(&hist).is_ok_and(|t| t.contains("let remembered_value = 41 + 1;")),
        20,
    );
    // Kill without a chance to save anything at exit.
    let _ = Command::new("pkill")
        .args(["-KILL", "-P", &child.id().to_string()])
        .status();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ok,
        "the entry is in the history file before the session ends: {:?}",
        std::fs::read_to_string(&hist)
    );
}

#[test]
fn ctrl_c_twice_returns_to_the_prompt_with_variables_intact() {
    if !script_available() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_repl(&dir.path().join("h.txt"));
    let mut stdin = child.stdin.take().unwrap();
    let (collected, reader) = collect(child.stdout.take().unwrap());
    let send = |stdin: &mut std::process::ChildStdin, s: &[u8]| {
        stdin.write_all(s).unwrap();
        stdin.flush().unwrap();
    };
    std::thread::sleep(Duration::from_millis(500));
    send(&mut stdin, b"let kept = 7;\r");
    std::thread::sleep(Duration::from_millis(300));
    send(&mut stdin, b"let s = 0; loop { s += 1; }\r");
    std::thread::sleep(Duration::from_millis(800));
    send(&mut stdin, b"\x03");
    send(&mut stdin, b"\x03");
    std::thread::sleep(Duration::from_millis(800));
    send(&mut stdin, b"print(`still here ${kept * 6}`);\r");
    let alive = wait_for(|| collected.lock().unwrap().contains("still here 42"), 20);
    send(&mut stdin, b":quit\r");
    let finished = wait_for(|| child.try_wait().ok().flatten().is_some(), 10);
    if !finished {
        let _ = child.kill();
    }
    let _ = child.wait();
    let _ = reader.join();
    let out = collected.lock().unwrap().clone();
    assert!(alive, "the session survived two Ctrl-C and kept `kept`:\n{out}");
    assert!(!out.contains("interrupted twice: exiting"), "{out}");
}

/// Runs `bin args` in a pseudo-terminal with the given environment, feeding
/// `inputs` (each after a pause), and returns everything the terminal got.
fn transcript(cmd: &str, env: &[(&str, &str)], inputs: &[&[u8]], done: &str) -> String {
    let mut c = Command::new("script");
    c.args(["-qfec", cmd, "/dev/null"])
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("script starts");
    let mut stdin = child.stdin.take().unwrap();
    let (collected, reader) = collect(child.stdout.take().unwrap());
    std::thread::sleep(Duration::from_millis(500));
    for i in inputs {
        stdin.write_all(i).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let seen = wait_for(|| collected.lock().unwrap().contains(done), 60);
    let _ = stdin.write_all(b":quit\r");
    let _ = stdin.flush();
    drop(stdin);
    if !wait_for(|| child.try_wait().ok().flatten().is_some(), 10) {
        let _ = child.kill();
    }
    let _ = child.wait();
    let _ = reader.join();
    let out = collected.lock().unwrap().clone();
    assert!(seen, "never saw {done:?} in:\n{out}");
    out
}

#[test]
fn an_unfinished_entry_continues_at_a_continuation_prompt() {
    if !script_available() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hist = dir.path().join("h.txt");
    let out = transcript(
        env!("CARGO_BIN_EXE_locus"),
        // A real terminal type: in dumb mode the tty, not rustyline, takes Ctrl-C.
        &[
            ("LOCUS_HISTORY", hist.to_str().unwrap()),
            ("LOCUS_NO_PROGRESS", "1"),
            ("TERM", "xterm"),
        ],
        &[
            b"let v = [1,\r",
            b"  2];\r",
            b"let w = [\r",
            b"\x03",
            b"print(`sum ${v[0] + v[1]}`);\r",
        ],
        "sum 3",
    );
    assert!(out.contains("   ... "), "a continuation prompt: {out}");
    assert!(
        out.contains("entry discarded"),
        "Ctrl-C discards the unfinished entry: {out}"
    );
    // The two lines are one history entry.
    let h = std::fs::read_to_string(&hist).unwrap();
    assert!(h.contains("let v = [1,") && !h.contains("let w = ["), "{h}");
}

#[test]
fn long_help_goes_through_the_pager() {
    if !script_available() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let paged = dir.path().join("paged.txt");
    let pager = format!("cat > {}; echo pager-done", paged.display());
    // The window size is set explicitly (a pty may start with any size).
    let cmd = format!("stty rows 30 cols 120; {} help", env!("CARGO_BIN_EXE_locus"));
    let out = transcript(
        &cmd,
        &[("LOCUS_PAGER", &pager), ("LINES", "30")],
        &[],
        "pager-done",
    );
    let text = std::fs::read_to_string(&paged).unwrap();
    assert!(
        text.contains("simulate_microtubules") && text.lines().count() > 30,
        "{text}"
    );
    assert!(
        !out.contains("simulate_microtubules"),
        "printed through the pager only: {out}"
    );
    // A short help fits the window: printed directly.
    let cmd = format!(
        "stty rows 400 cols 120; {} help akde",
        env!("CARGO_BIN_EXE_locus")
    );
    let out = transcript(
        &cmd,
        &[("LOCUS_PAGER", &pager), ("LINES", "400")],
        &[],
        "Example:",
    );
    assert!(!out.contains("pager-done"), "{out}");
}

/// The screen a terminal shows after `raw`: a minimal emulation of what
/// progress bars use (\r, \n, erase line, cursor up).
fn screen(raw: &str) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
                if lines.len() <= row {
                    lines.push(Vec::new());
                }
            }
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut arg = String::new();
                let mut cmd = ' ';
                for d in chars.by_ref() {
                    if d.is_ascii_digit() || d == ';' || d == '?' {
                        arg.push(d);
                    } else {
                        cmd = d;
                        break;
                    }
                }
                let n: usize = arg.parse().unwrap_or(1);
                match cmd {
                    'K' => {
                        let l = &mut lines[row];
                        if arg.is_empty() || arg == "0" {
                            l.truncate(col);
                        } else {
                            l.clear();
                        }
                    }
                    'A' => row = row.saturating_sub(n),
                    'B' => {
                        row += n;
                        while lines.len() <= row {
                            lines.push(Vec::new());
                        }
                    }
                    'G' => col = n.saturating_sub(1),
                    'J' => {
                        lines[row].truncate(col);
                        lines.truncate(row + 1);
                    }
                    _ => {}
                }
            }
            c => {
                let l = &mut lines[row];
                while l.len() < col {
                    l.push(' ');
                }
                if col < l.len() {
                    l[col] = c;
                } else {
                    l.push(c);
                }
                col += 1;
            }
        }
    }
    lines.into_iter().map(|l| l.into_iter().collect()).collect()
}

#[test]
fn a_finished_progress_bar_leaves_no_stale_line() {
    if !script_available() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.rhai");
    // Epoch lines are printed while the bar is on screen (steps of ~0.1 s,
    // several seconds in all), then the bar finishes.
    std::fs::write(
        &file,
        "let sim = simulate_microtubules(#{ size_nm: 2560.0, n_locs: 8000, seed: 3 });\n\
         let pairs = training_pairs([sim], #{ pixel_nm: 10.0, patch: 128, per_table: 10 });\n\
         let net = unet(#{ depth: 4, filters: 16, seed: 1 });\n\
         let h = net.train(pairs, #{ epochs: 6, loss: #{ l1: 1.0 }, ms_ssim_scales: 1 });\n\
         print(\"all done\");\n",
    )
    .unwrap();
    // A wide window, so the bar fits on one row (the emulation does not wrap).
    let cmd = format!(
        "stty cols 220 rows 50; {} run {}",
        env!("CARGO_BIN_EXE_locus"),
        file.display()
    );
    // indicatif draws nothing on a dumb terminal.
    // The bar shows after 100 ms (not 1 s), so it is drawn on any machine.
    let out = transcript(
        &cmd,
        &[("TERM", "xterm"), ("LOCUS_PROGRESS_DELAY_MS", "100")],
        &[],
        "all done",
    );
    let bar = "/60 00:0"; // "pos/len elapsed" of the bar
    assert!(
        out.contains(bar),
        "the bar was drawn (the run took over a second): {out:?}"
    );
    let shown = screen(&out);
    let stale: Vec<&String> = shown.iter().filter(|l| l.contains(bar)).collect();
    assert!(
        stale.is_empty(),
        "stale bar lines {stale:?} on the screen:\n{}",
        shown.join("\n")
    );
    assert!(
        shown.iter().filter(|l| l.starts_with("epoch ")).count() >= 6,
        "{}",
        shown.join("\n")
    );
}
