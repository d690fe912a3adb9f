//! `locus batch` through the binary: parallel children, a failing file,
//! rerun skipping, the summary table, Ctrl-C, and the SLURM array task body
//! (`scripts/slurm/array.sh` with `SLURM_ARRAY_TASK_ID` set by hand).
mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// A script that loads its file and returns a map. With `--wait=A,B,C`, each
/// run first makes the folder `started/<its name>` beside the per-file folders
/// and waits (up to 60 s) until those of A, B and C all exist, which happens
/// only when those runs are alive at the same time.
const SCRIPT: &str = r#"
let file = ARGS[0];
let out = ARGS[1].sub_string(6);
mkdir(out);
if ARGS.len() > 2 {
    let names = ARGS[2].sub_string(7).split(",");
    let parts = out.split("/");
    let root = out + "/..";
    mkdir(`${root}/started/${parts[parts.len() - 1]}`);
    let t = timestamp();
    loop {
        let all = true;
        for n in names { if !exists(`${root}/started/${n}`) { all = false; } }
        if all { break; }
        if t.elapsed > 60.0 { throw `not all of ${names} started together`; }
    }
}
let locs = load_locs(file);
#{ n: locs.len(), frames: locs.n_frames, name: file }
"#;

fn bin() -> String {
    env!("CARGO_BIN_EXE_locus").to_string()
}

fn data(f: &str) -> String {
    test_data(&format!("picasso/{f}")).display().to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn parallel_runs_failures_summary_and_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let script = script(dir.path(), "count.rhai", SCRIPT);
    let out = dir.path().join("out");
    let missing = dir.path().join("missing.hdf5").display().to_string();
    let files = [
        data("raw_movie_locs.hdf5"),
        data("testdata_locs.hdf5"),
        missing.clone(),
    ];
    let run_batch = |extra: &[&str]| -> (i32, String, String) {
        let mut args = vec!["batch", script.to_str().unwrap()];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--jobs", "3", "--out", out.to_str().unwrap()]);
        args.extend(extra);
        run(&args)
    };
    // Three runs meet in the script (each waits until 3 have started): they ran in parallel.
    let (code, stdout, stderr) = run_batch(&["--", "--wait=raw_movie_locs,testdata_locs,missing"]);
    assert_eq!(code, 1, "one file fails: {stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("file") && lines[0].contains("status") && lines[0].contains("seconds"),
        "{stdout}"
    );
    // Map keys become columns (sorted: frames, n, name).
    assert!(
        lines[0].contains("frames") && lines[0].contains(" n ") && lines[0].contains("name"),
        "{stdout}"
    );
    let row = |f: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(f))
            .unwrap_or_else(|| panic!("{f}: {stdout}"))
    };
    let r1 = row(&files[0]);
    assert!(
        r1.contains(" ok ") && r1.contains(" 2399 ") && r1.contains(" 5000 "),
        "{r1}"
    );
    let r2 = row(&files[1]);
    assert!(
        r2.contains(" ok ") && r2.contains(" 564 ") && r2.contains(" 1000 "),
        "{r2}"
    );
    assert!(row(&missing).contains("failed (exit 1)"), "{stdout}");
    assert!(stdout.contains("2 of 3 file(s) done"), "{stdout}");
    // Per-file logs, outputs and markers.
    let logs = out.join("logs");
    assert!(read(&logs.join("missing.log")).contains("missing.hdf5"));
    assert!(logs.join("missing.failed").exists() && !logs.join("missing.done").exists());
    assert!(out.join("raw_movie_locs").is_dir());
    let done: serde_json::Value = serde_json::from_str(&read(&logs.join("raw_movie_locs.done"))).unwrap();
    assert_eq!(done["result"]["n"], 2399);
    assert_eq!(done["status"], "ok");
    let csv = read(&out.join("summary.csv"));
    assert!(csv.starts_with("file,status,seconds,frames,n,name\n"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    assert!(out.join("started/missing").is_dir());

    // A rerun skips the two done files (their markers stay as they were) and retries the failed one.
    let before = read(&logs.join("raw_movie_locs.done"));
    let (code, stdout, stderr) = run_batch(&["--", "--wait=raw_movie_locs,testdata_locs,missing"]);
    assert_eq!(code, 1);
    assert!(row_of(&stdout, &files[0]).contains(" skipped "), "{stdout}");
    assert!(row_of(&stdout, &files[1]).contains(" skipped "), "{stdout}");
    assert!(
        row_of(&stdout, &files[0]).contains(" 2399 "),
        "results of skipped files kept: {stdout}"
    );
    assert!(row_of(&stdout, &missing).contains("failed"), "{stdout}");
    assert!(stderr.contains("done earlier, skipped"), "{stderr}");
    assert_eq!(read(&logs.join("raw_movie_locs.done")), before);

    // --summary prints the same table from the markers.
    let (code, s, _) = run(&["batch", "--summary", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        row_of(&s, &files[0]).contains(" ok ") && row_of(&s, &files[0]).contains(" 2399 "),
        "{s}"
    );
    assert!(row_of(&s, &missing).contains("failed (exit 1)"), "{s}");

    // Other script arguments: a changed hash, so everything runs again.
    let (code, stdout, _) = run_batch(&[]);
    assert_eq!(code, 1);
    assert!(row_of(&stdout, &files[0]).contains(" ok "), "{stdout}");
    // --force reruns done files too.
    let (_, stdout, _) = run_batch(&["--force"]);
    assert!(row_of(&stdout, &files[1]).contains(" ok "), "{stdout}");
}

fn row_of<'a>(table: &'a str, file: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(file))
        .unwrap_or_else(|| panic!("no row for {file}:\n{table}"))
}

#[test]
fn usage_errors() {
    let (code, _, err) = run(&["batch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no script"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let s = script(dir.path(), "s.rhai", "1");
    let (code, _, err) = run(&["batch", s.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no data files"), "{err}");
    let (code, _, err) = run(&["batch", "--summary", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("batch.json"), "{err}");
    let (code, _, err) = run(&["batch", s.to_str().unwrap(), "a.csv", "--task", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--task 1"), "{err}");
    let (code, out, _) = run(&["batch", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--jobs") && out.contains("SLURM"), "{out}");
}

#[test]
fn ctrl_c_stops_the_children() {
    let dir = tempfile::tempdir().unwrap();
    let s = script(
        dir.path(),
        "spin.rhai",
        "mkdir(ARGS[1].sub_string(6));\nloop { }\n",
    );
    let out = dir.path().join("out");
    let mut child = locus()
        .args([
            "batch",
            s.to_str().unwrap(),
            "a.csv",
            "b.csv",
            "c.csv",
            "--jobs",
            "2",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both children run their loop.
    let t = std::time::Instant::now();
    while !(out.join("a").is_dir() && out.join("b").is_dir()) {
        assert!(t.elapsed().as_secs() < 60, "children did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let t = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed().as_secs() < 60, "locus batch did not stop");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(status.code(), Some(1), "{stdout}");
    assert!(row_of(&stdout, "a.csv").contains("interrupted"), "{stdout}");
    assert!(row_of(&stdout, "c.csv").contains("not run"), "{stdout}");
    assert!(!out.join("c").exists());
    // The children stopped through their own Ctrl-C handling.
    assert!(
        read(&out.join("logs/a.log")).contains("interrupted"),
        "{}",
        read(&out.join("logs/a.log"))
    );
}

#[test]
fn slurm_array_task_body() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("bash not found: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = script(
        dir.path(),
        "one.rhai",
        "let l = load_locs(ARGS[0]);\nmkdir(ARGS[1].sub_string(6));\n#{ n: l.len() }\n",
    );
    let list = dir.path().join("files.txt");
    let files = [
        data("raw_movie_locs.hdf5"),
        data("raw_movie_locs_picked.hdf5"),
        data("testdata_locs.hdf5"),
    ];
    std::fs::write(
        &list,
        format!("# three files\n{}\n\n{}\n{}\n", files[0], files[1], files[2]),
    )
    .unwrap();
    let out = dir.path().join("out");
    let task = |id: &str| {
        let o = Command::new("bash")
            .arg(repo_root().join("scripts/slurm/array.sh"))
            .args([s.to_str().unwrap(), list.to_str().unwrap(), out.to_str().unwrap()])
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("LOCUS", bin())
            .env("LOCUS_NO_PROGRESS", "1")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (code, stdout, stderr) = task("1");
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("raw_movie_locs_picked.hdf5: ok"), "{stdout}");
    let logs = out.join("logs");
    assert!(logs.join("raw_movie_locs_picked.log").exists());
    let done: serde_json::Value =
        serde_json::from_str(&read(&logs.join("raw_movie_locs_picked.done"))).unwrap();
    assert_eq!(done["result"]["n"], 2378);
    assert!(!logs.join("raw_movie_locs.done").exists(), "only task 1 ran");
    assert!(out.join("raw_movie_locs_picked").is_dir());
    // The summary step: task 1 done, the others not run yet (exit 1).
    let (code, table, _) = run(&["batch", "--summary", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{table}");
    assert!(
        row_of(&table, &files[1]).contains(" ok ") && row_of(&table, &files[1]).contains("2378"),
        "{table}"
    );
    assert!(row_of(&table, &files[0]).contains("not run"), "{table}");
    // The other tasks, then the summary is complete; a repeated task is skipped.
    assert_eq!(task("0").0, Some(0));
    assert_eq!(task("2").0, Some(0));
    let (code, stdout, _) = task("2");
    assert_eq!(code, Some(0));
    assert!(stdout.contains("skipped"), "{stdout}");
    let (code, table, _) = run(&["batch", "--summary", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{table}");
    assert!(table.contains("3 of 3 file(s) done"), "{table}");
    assert!(row_of(&table, &files[2]).contains(" 564"), "{table}");
    // An index beyond the list is a usage error.
    assert_eq!(task("3").0, Some(2));
}
