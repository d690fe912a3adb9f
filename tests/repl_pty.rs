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
    let mut stdout = child.stdout.take().unwrap();
    let collected = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = collected.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
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
