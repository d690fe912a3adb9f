//! The command line: every subcommand and exit code, error reports.
mod common;
use common::*;

#[test]
fn eval_prints_last_value() {
    let (code, out, _) = run(&["-e", "[1,2,3].len()"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "3");
}

#[test]
fn eval_unit_prints_nothing() {
    let (code, out, _) = run(&["-e", "let x = 1;"]);
    assert_eq!(code, 0);
    assert_eq!(out, "");
}

#[test]
fn eval_syntax_error_has_position_and_caret() {
    let (code, _, err) = run(&["-e", "let x = ;"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("<-e>:1:9: syntax error"), "{err}");
    assert!(err.contains("let x = ;"), "{err}");
    assert!(
        err.lines().nth(2).is_some_and(|l| l.ends_with("        ^")),
        "{err}"
    );
}

#[test]
fn run_error_on_line_3_prints_line_caret_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let p = script(
        dir.path(),
        "bad.rhai",
        "let a = 1;\nlet b = 2;\nlet c = a + nope;\n",
    );
    let (code, _, err) = run(&["run", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    let first = err.lines().next().unwrap();
    assert!(first.contains("bad.rhai:3:13:"), "{err}");
    assert!(first.contains("nope"), "{err}");
    assert!(err.contains(" 3 | let c = a + nope;"), "{err}");
    let caret = err.lines().nth(2).unwrap();
    assert_eq!(caret.find('^'), err.lines().nth(1).unwrap().find("nope"), "{err}");
}

#[test]
fn error_inside_function_shows_each_frame() {
    let dir = tempfile::tempdir().unwrap();
    let p = script(
        dir.path(),
        "f.rhai",
        "fn inner(x) {\n  throw \"inner failed \" + x;\n}\nfn outer(x) {\n  inner(x + 1)\n}\nouter(1);\n",
    );
    let (code, _, err) = run(&["run", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].contains("f.rhai:2:3: error: inner failed 2"), "{err}");
    assert!(err.contains("in call to `inner` at"), "{err}");
    assert!(err.contains("f.rhai:5:3"), "{err}");
    assert!(err.contains("in call to `outer` at"), "{err}");
    assert!(err.contains("f.rhai:7:1"), "{err}");
}

#[test]
fn error_inside_module_names_module_file() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "helper.rhai",
        "fn boom() {\n  let a = 1;\n  a.no_such_method()\n}\n",
    );
    let p = script(dir.path(), "main.rhai", "import \"helper\" as h;\n\nh::boom();\n");
    let (code, _, err) = run(&["run", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    let first = err.lines().next().unwrap();
    assert!(first.contains("helper.rhai:3:5:"), "{err}");
    assert!(err.contains("a.no_such_method()"), "{err}");
    assert!(err.contains("main.rhai:3:"), "{err}");
}

#[test]
fn syntax_error_in_module_names_module_file() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "broken.rhai", "fn f() {\n  let = 3;\n}\n");
    let p = script(dir.path(), "main.rhai", "import \"broken\" as b;\n");
    let (code, _, err) = run(&["run", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("broken.rhai"), "{err}");
    assert!(err.contains("main.rhai:1:8"), "{err}");
}

#[test]
fn args_reach_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let p = script(dir.path(), "a.rhai", "print(ARGS.len()); print(ARGS[1]);\n");
    let (code, out, _) = run(&["run", p.to_str().unwrap(), "x", "--flag=2"]);
    assert_eq!(code, 0);
    assert_eq!(out, "2\n--flag=2\n");
}

#[test]
fn stdlib_module_imports() {
    let (code, out, err) = run(&["-e", "import \"stats\" as s; s::mean([1, 2, 3, 6])"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "3.0");
    let (code, out, _) = run(&[
        "-e",
        "import \"stats\" as s; s::sd([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])",
    ]);
    assert_eq!(code, 0);
    let sd: f64 = out.trim().parse().unwrap();
    assert!((sd - 2.138089935299395).abs() < 1e-9, "{sd}");
}

#[test]
fn module_from_locus_path() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "mylib.rhai", "fn twice(x) { x * 2 }\n");
    let out = locus()
        .env("LOCUS_PATH", dir.path())
        .args(["-e", "import \"mylib\" as m; m::twice(21)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
}

#[test]
fn missing_module_lists_where_it_looked() {
    let (code, _, err) = run(&["-e", "import \"nowhere\" as n;"]);
    assert_eq!(code, 1);
    assert!(err.contains("module \"nowhere\" not found"), "{err}");
    assert!(err.contains("stats"), "{err}");
}

#[test]
fn check_reports_ok_and_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = script(dir.path(), "good.rhai", "let x = 1;\n");
    let (code, out, _) = run(&["check", good.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("ok"));
    let bad = script(dir.path(), "bad.rhai", "let x = 1;\nfn f( {\n");
    let (code, _, err) = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.rhai:2:"), "{err}");
}

#[test]
fn check_does_not_run_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let p = script(dir.path(), "t.rhai", "throw \"ran\";\n");
    let (code, _, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn help_lists_and_documents() {
    let (code, out, _) = run(&["help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Host"));
    assert!(out.contains("time(|| expr)"));
    let (code, out, _) = run(&["help", "time"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("time(|| expr)"), "{out}");
    assert!(out.contains("elapsed"), "{out}");
    let (code, _, err) = run(&["help", "no_such_function"]);
    assert_eq!(code, 2);
    assert!(err.contains("no_such_function"));
}

#[test]
fn load_locs_help_lists_columns_with_the_units_a_loaded_table_has() {
    let (code, out, _) = run(&["help", "load_locs"]);
    assert_eq!(code, 0);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no line for {name} in:\n{out}"))
            .to_string()
    };
    for name in ["x, y", "sx, sy", "lpx, lpy"] {
        assert!(line(name).split_whitespace().any(|w| w == "nm"), "{}", line(name));
    }
    assert!(line("photons").contains("photons"));
    // The same units on a loaded Picasso file.
    let f = common::test_data("picasso/raw_movie_locs.hdf5");
    let code_text = format!(
        "let d = load_locs(\"{}\").describe(); for c in [\"sx\", \"lpx\", \"photons\"] {{ print(`${{c}}: ${{d.row(c).unit}}`); }}",
        f.display()
    );
    let (code, out, err) = run(&["-e", &code_text]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sx: nm") && out.contains("lpx: nm"), "{out}");
}

#[test]
fn help_function_inside_scripts() {
    let (code, out, _) = run(&["-e", "help(\"assert\")"]);
    assert_eq!(code, 0);
    assert!(out.contains("assert(condition, message)"));
    let (code, _, err) = run(&["-e", "help(\"zzz\")"]);
    assert_eq!(code, 1);
    assert!(err.contains("no function named `zzz`"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["bogus"]).0, 2);
    assert_eq!(run(&["run"]).0, 2);
    assert_eq!(run(&["--no-such-flag"]).0, 2);
    let (code, _, err) = run(&["run", "/definitely/not/here.rhai"]);
    assert_eq!(code, 2);
    assert!(err.contains("/definitely/not/here.rhai"));
}

#[test]
fn version_and_help_flags() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")));
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("run") && out.contains("check") && out.contains("help"));
}

#[test]
fn time_prints_elapsed_and_returns_value() {
    let (code, out, _) = run(&["-e", "time(|| 6 * 7)"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("time: "), "{out}");
    assert_eq!(lines[1], "42");
}

#[test]
fn script_options_module() {
    let (code, out, err) = run(&["run", "examples/hello.rhai", "--name=lab", "--repeats=5"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("hello, lab"));
    let (code, _, err) = run(&["run", "examples/hello.rhai", "--nmae=lab"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown option --nmae"), "{err}");
}

#[test]
fn write_and_read_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    let code = format!(
        "write_text(\"{0}\", \"a,b\\n1,2\\n\"); read_text(\"{0}\").len()",
        p.display()
    );
    let (code, out, err) = run(&["-e", &code]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "8");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "a,b\n1,2\n");
    let (code, _, err) = run(&["-e", "write_text(\"/no/such/dir/x.txt\", \"x\")"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("write_text") && err.contains("/no/such/dir"),
        "{err}"
    );
}
