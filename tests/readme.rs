//! The README's code runs and its quoted outputs are what the binary prints:
//! - every ```` ```rhai ```` block runs as a script (in a temporary folder
//!   with `tests/data` linked into it);
//! - the REPL tour (the ```` ```text ```` block that starts with `$ locus`)
//!   is fed to `locus` as a piped session, and every output line it quotes
//!   must be printed, in order (`time:` lines excepted; a quoted line ending
//!   in `[...]` matches any line with that beginning);
//! - a ```` ```text ```` block preceded by `<!-- output of: ARGS -->` must
//!   appear, line by line and in order, in what `locus ARGS` prints.
mod common;
use common::*;

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("README.md is readable")
}

/// Fenced blocks as (language, text, the line before the fence).
fn blocks(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if let Some(lang) = lines[i].strip_prefix("```") {
            let before = if i > 0 {
                lines[i - 1].to_string()
            } else {
                String::new()
            };
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].starts_with("```") {
                body.push(lines[i]);
                i += 1;
            }
            out.push((lang.trim().to_string(), body.join("\n"), before));
        }
        i += 1;
    }
    out
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(repo_root().join("tests/data"), dir.path().join("tests/data")).unwrap();
    dir
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let (e, a) = (expected.trim_end(), actual.trim_end());
    match e.strip_suffix("[...]") {
        Some(prefix) => a.starts_with(prefix),
        None => e == a,
    }
}

/// Every expected line appears in `actual`, in order.
fn assert_in_order(expected: &[&str], actual: &str, what: &str) {
    let lines: Vec<&str> = actual.lines().collect();
    let mut at = 0;
    for e in expected {
        match lines[at..].iter().position(|a| line_matches(e, a)) {
            Some(k) => at += k + 1,
            None => panic!(
                "{what}: the README quotes\n  {e}\nbut the binary printed (from line {at}):\n{}",
                lines[at..].join("\n")
            ),
        }
    }
}

#[test]
fn rhai_blocks_run() {
    let text = readme();
    let scripts: Vec<String> = blocks(&text)
        .into_iter()
        .filter(|(lang, _, _)| lang == "rhai")
        .map(|(_, body, _)| body)
        .collect();
    assert!(!scripts.is_empty(), "the README has rhai blocks");
    for (i, body) in scripts.iter().enumerate() {
        let dir = workdir();
        let path = script(dir.path(), &format!("readme{i}.rhai"), body);
        let out = locus()
            .current_dir(dir.path())
            .arg("run")
            .arg(&path)
            .output()
            .expect("locus runs");
        assert!(
            out.status.success(),
            "README rhai block {i} fails:\n{body}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn repl_tour_prints_what_the_readme_quotes() {
    let text = readme();
    let tour = blocks(&text)
        .into_iter()
        .find(|(lang, body, _)| lang == "text" && body.starts_with("$ locus"))
        .map(|(_, body, _)| body)
        .expect("the README has a REPL tour");
    let mut input = String::new();
    let mut expected: Vec<&str> = Vec::new();
    for line in tour.lines().skip(1) {
        if let Some(cmd) = line.strip_prefix("locus> ") {
            input.push_str(cmd);
            input.push('\n');
        } else if let Some(cmd) = line.trim_start().strip_prefix("... ") {
            input.push_str(cmd);
            input.push('\n');
        } else if !line.starts_with("time:") && !line.trim().is_empty() {
            expected.push(line);
        }
    }
    let dir = workdir();
    let out = locus()
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .expect("locus runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tour fails:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_in_order(&expected, &stdout, "REPL tour");
}

#[test]
fn quoted_command_outputs_match() {
    let text = readme();
    let mut checked = 0;
    for (lang, body, before) in blocks(&text) {
        let Some(args) = before
            .trim()
            .strip_prefix("<!-- output of: ")
            .and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(lang, "text");
        let dir = workdir();
        let mut cmd = locus();
        cmd.current_dir(repo_root());
        for a in args.split_whitespace() {
            cmd.arg(a.replace("$OUT", &dir.path().display().to_string()));
        }
        let out = cmd.output().expect("locus runs");
        assert!(
            out.status.success(),
            "locus {args} fails:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_in_order(
            &expected,
            &String::from_utf8_lossy(&out.stdout),
            &format!("locus {args}"),
        );
        checked += 1;
    }
    assert!(checked >= 1, "the README quotes at least one command's output");
}
