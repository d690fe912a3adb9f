//! The REPL through piped standard input, and the completion/hint logic.
mod common;
use common::*;
use locus::host::repl::{complete, hint, CompletionState};

#[test]
fn piped_session_multiline_function() {
    let (code, out, err) = run_stdin(&[], "let x = 2;\nfn f(a) {\n  a * 21\n}\nf(x)\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "42\n");
}

#[test]
fn piped_session_keeps_state_and_recovers_from_errors() {
    let input =
        "let total = 1;\nundefined_thing + 1\ntotal += 41;\ntotal\nfn sq(v) { v * v }\nsq(total - 40)\n";
    let (code, out, err) = run_stdin(&[], input);
    assert_eq!(code, 1, "an error in the session makes the exit code 1");
    assert!(
        err.contains("<stdin>:2:1: error: Variable not found: undefined_thing"),
        "{err}"
    );
    assert_eq!(out, "42\n4\n");
}

#[test]
fn piped_session_multiline_map_and_array() {
    let input = "let m = #{\n  a: 1,\n  b: [\n    2,\n    3\n  ]\n};\nm.b[1] + m.a\n";
    let (code, out, err) = run_stdin(&[], input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "4\n");
}

#[test]
fn piped_error_line_numbers_count_all_input_lines() {
    let input = "let a = 1;\n\nlet b = 2;\nlet c = a +* b;\n";
    let (_, _, err) = run_stdin(&[], input);
    assert!(err.starts_with("<stdin>:4:"), "{err}");
}

#[test]
fn piped_commands() {
    let (code, out, _) = run_stdin(&[], "let img_count = 3;\n:vars\n:reset\n:vars\n");
    assert_eq!(code, 0);
    assert!(out.contains("img_count"), "{out}");
    assert!(
        out.contains("(no variables)") || !out.split("session reset").nth(1).unwrap().contains("img_count")
    );
}

fn state() -> CompletionState {
    CompletionState {
        vars: vec![
            ("xs".into(), "array".into()),
            ("value_count".into(), "i64".into()),
        ],
        functions: vec!["my_func".into()],
    }
}

#[test]
fn completes_functions_variables_and_keywords() {
    let docs = locus::script::docs();
    let (start, c) = complete("let t = ti", 10, &state(), &docs);
    assert_eq!(start, 8);
    assert!(c.contains(&"time(".to_string()), "{c:?}");
    let (_, c) = complete("val", 3, &state(), &docs);
    assert_eq!(c, vec!["value_count".to_string()]);
    let (_, c) = complete("my", 2, &state(), &docs);
    assert!(c.contains(&"my_func(".to_string()));
    let (_, c) = complete("imp", 3, &state(), &docs);
    assert!(c.contains(&"import".to_string()));
}

#[test]
fn completes_commands() {
    let docs = locus::script::docs();
    let (start, c) = complete(":va", 3, &state(), &docs);
    assert_eq!(start, 0);
    assert_eq!(c, vec![":vars".to_string()]);
}

#[test]
fn completes_paths_inside_strings() {
    let docs = locus::script::docs();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cells_01.hdf5"), b"").unwrap();
    std::fs::create_dir(dir.path().join("cells_dir")).unwrap();
    let line = format!("load_locs(\"{}/cells_", dir.path().display());
    let (start, c) = complete(&line, line.len(), &state(), &docs);
    assert_eq!(start, "load_locs(\"".len());
    let base = dir.path().display().to_string();
    assert_eq!(
        c,
        vec![format!("{base}/cells_01.hdf5"), format!("{base}/cells_dir/")]
    );
}

#[test]
fn hint_shows_signature_inside_call() {
    let docs = locus::script::docs();
    let h = hint("let a = assert_close(", 21, &docs).expect("a hint");
    assert!(h.contains("assert_close(a, b, rel_tol, message)"), "{h}");
    assert!(hint("let a = 1", 9, &docs).is_none());
    assert!(hint("nosuchfn(", 9, &docs).is_none());
}

#[test]
fn incomplete_input_detection() {
    use locus::host::repl::is_incomplete;
    let e = rhai::Engine::new_raw();
    for open in [
        "fn f(x) {",
        "let m = #{\n  a: 1,",
        "[1, 2,",
        "foo(1,\n 2",
        "let s = `multi\nline",
    ] {
        assert!(is_incomplete(&e, open), "{open:?} should continue");
    }
    for done in [
        "let x = 1;",
        "locs.ren#{ pixel_nm: 10.0 })",
        "let = 3;",
        "}",
        "1 +* 2",
        "x.y(",
        "let x = 1",
    ] {
        let want = done == "x.y(";
        assert_eq!(is_incomplete(&e, done), want, "{done:?}");
    }
}

#[test]
fn vars_report_script_type_names_for_method_completion() {
    let mut s = locus::host::session::Session::new("<test>");
    let _ = s.eval_raw("let img = zeros(4, 4, 1.0); let n = 3;").unwrap();
    let vars = s.vars();
    let img = vars.iter().find(|v| v.0 == "img").unwrap();
    assert_eq!(img.1, "Image");
    assert!(img.2.starts_with("Image 4×4"), "{}", img.2);
    let state = CompletionState {
        vars: vars.iter().map(|v| (v.0.clone(), v.1.clone())).collect(),
        functions: vec![],
    };
    let docs = locus::script::docs();
    let (start, c) = complete("img.gau", 7, &state, &docs);
    assert_eq!(start, 4);
    assert_eq!(c, vec!["gaussian(".to_string()]);
    let (_, c) = complete("img.wi", 6, &state, &docs);
    assert_eq!(c, vec!["width".to_string()]);
}

#[test]
fn save_writes_the_successful_entries_as_a_runnable_script() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.rhai");
    let input = format!(
        "let a = 2;\nundefined_thing + 1\nfn triple(x) {{\n  x * 3\n}}\nlet b = triple(a);\nb\n:save {}\n",
        file.display()
    );
    let (_, out, _) = run_stdin(&[], &input);
    assert!(out.contains("saved 4 entries"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("undefined_thing"),
        "failed entries are not saved:\n{text}"
    );
    assert!(
        text.contains("let a = 2;") && text.contains("fn triple(x)"),
        "{text}"
    );
    // The saved script runs, and :load runs it into a session.
    let (code, _, err) = run(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_stdin(&[], &format!(":load {}\nb + 1\n", file.display()));
    assert_eq!(code, 0, "{err}");
    assert!(out.trim_end().ends_with('7'), "{out}");
}
