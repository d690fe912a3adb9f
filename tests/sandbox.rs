//! `locus run --sandbox`: a script may read and write only inside its own
//! folder and the working folder (plus read `--allow` paths); escapes by
//! absolute paths, `..`, symbolic links, `import`, `mkdir`, `exists` or a
//! training checkpoint get a clear error naming the path; runaway loops,
//! recursion and strings hit the engine limits.

mod common;

use std::path::{Path, PathBuf};

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    for d in ["proj", "work", "data", "secret"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let img = locus::image::Image::new(ndarray::Array2::<f32>::ones((4, 4)), 10.0);
    img.save(root.join("data/in.npy")).unwrap();
    img.save(root.join("secret/s.npy")).unwrap();
    img.save(root.join("proj/mine.npy")).unwrap();
    std::fs::write(root.join("secret/m.rhai"), "fn f() { 1 }\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("secret"), root.join("proj/link")).unwrap();
    Env { _tmp: tmp, root }
}

/// Run `code` as proj/script.rhai from the folder `work`, sandboxed with `extra` flags.
fn run(env: &Env, code: &str, extra: &[&str]) -> (i32, String) {
    let script = env.root.join("proj/script.rhai");
    std::fs::write(&script, code).unwrap();
    let mut args = vec!["run"];
    args.extend_from_slice(extra);
    let s = script.to_str().unwrap().to_string();
    args.push(&s);
    let out = common::locus()
        .current_dir(env.root.join("work"))
        .args(&args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap_or(-1), err)
}

fn p(env: &Env, rel: &str) -> String {
    env.root.join(rel).to_str().unwrap().to_string()
}

fn denied(env: &Env, code: &str, path_shown: &str) {
    let (c, err) = run(env, code, &["--sandbox"]);
    assert_eq!(c, 1, "{code}\n{err}");
    assert!(
        err.contains("sandbox") && err.contains(path_shown),
        "{code}: error should name {path_shown}:\n{err}"
    );
}

#[test]
fn sandbox_allows_the_script_and_working_folders() {
    let e = env();
    let code = format!(
        "let a = load_image({:?});\nlet b = load_image(\"../proj/mine.npy\");\na.save(\"out.npy\");\na.save({:?});\nmkdir(\"sub/dir\");\na.plot(\"sub/dir/p.svg\");\nassert(exists(\"out.npy\"), \"written\");\n",
        p(&e, "proj/mine.npy"),
        p(&e, "proj/copy.tif")
    );
    let (c, err) = run(&e, &code, &["--sandbox"]);
    assert_eq!(c, 0, "{err}");
    assert!(e.root.join("work/out.npy").is_file());
    assert!(e.root.join("proj/copy.tif").is_file());
    assert!(e.root.join("work/sub/dir/p.svg").is_file());
}

#[test]
fn sandbox_refuses_reads_outside() {
    let e = env();
    denied(
        &e,
        &format!("load_image({:?});", p(&e, "secret/s.npy")),
        "secret/s.npy",
    );
    denied(&e, "load_image(\"../secret/s.npy\");", "../secret/s.npy");
    denied(
        &e,
        "load_locs(\"/etc/passwd\", #{ format: \"thunderstorm\" });",
        "/etc/passwd",
    );
    denied(
        &e,
        &format!("exists({:?});", p(&e, "secret/s.npy")),
        "secret/s.npy",
    );
    denied(&e, &format!("load_pairs({:?});", p(&e, "secret")), "secret");
    denied(
        &e,
        &format!("load_unet({:?});", p(&e, "secret/s.npy")),
        "secret/s.npy",
    );
    #[cfg(unix)]
    denied(&e, "load_image(\"../proj/link/s.npy\");", "link/s.npy");
    // Without --sandbox the same read works.
    let (c, err) = run(&e, &format!("load_image({:?});", p(&e, "secret/s.npy")), &[]);
    assert_eq!(c, 0, "{err}");
}

#[test]
fn sandbox_allow_grants_reads_only() {
    let e = env();
    let data = p(&e, "data");
    let read = format!("let a = load_image({:?}); print(a.width);", p(&e, "data/in.npy"));
    denied(&e, &read, "data/in.npy");
    let (c, err) = run(&e, &read, &["--sandbox", "--allow", &data]);
    assert_eq!(c, 0, "{err}");
    let write = format!(
        "let a = load_image({:?}); a.save({:?});",
        p(&e, "data/in.npy"),
        p(&e, "data/new.npy")
    );
    let (c, err) = run(&e, &write, &["--sandbox", "--allow", &data]);
    assert_eq!(c, 1);
    assert!(err.contains("sandbox") && err.contains("data/new.npy"), "{err}");
    assert!(!e.root.join("data/new.npy").exists());
}

#[test]
fn sandbox_refuses_writes_outside() {
    let e = env();
    let img = "let a = zeros(4, 4, 10.0);\n";
    denied(
        &e,
        &format!("{img}a.save({:?});", p(&e, "secret/x.npy")),
        "secret/x.npy",
    );
    denied(
        &e,
        &format!("{img}a.save(\"../secret/x.tif\");"),
        "../secret/x.tif",
    );
    denied(
        &e,
        &format!("{img}a.plot({:?});", p(&e, "secret/x.svg")),
        "secret/x.svg",
    );
    denied(
        &e,
        &format!("mkdir({:?});", p(&e, "secret/newdir")),
        "secret/newdir",
    );
    denied(
        &e,
        &format!("{img}let c = frc(a, a); c.save({:?});", p(&e, "secret/c.csv")),
        "secret/c.csv",
    );
    denied(
        &e,
        &format!("{img}plot_frc([frc(a, a)], {:?});", p(&e, "secret/f.svg")),
        "secret/f.svg",
    );
    denied(
        &e,
        &format!("let l = simulate_microtubules(#{{ seed: 1, size_nm: 500.0, filaments: 1, frames: 100 }}); l.save({:?});", p(&e, "secret/t.csv")),
        "secret/t.csv",
    );
    denied(
        &e,
        &format!(
            "let n = unet(#{{ depth: 2, filters: 4 }}); n.save({:?});",
            p(&e, "secret/m.safetensors")
        ),
        "secret/m.safetensors",
    );
    denied(
        &e,
        &format!(
            "let a = zeros(64, 64, 10.0) + 1.0; let p = training_pairs([[a, a]], #{{ patch: 32 }}); let n = unet(#{{ depth: 2, filters: 4 }});\n\
             n.train(p, #{{ epochs: 1, loss: #{{ ms_ssim: 0.0, l1: 1.0 }}, checkpoint: {:?} }});",
            p(&e, "secret/ck.safetensors")
        ),
        "secret/ck.safetensors",
    );
    #[cfg(unix)]
    denied(&e, &format!("{img}a.save(\"../proj/link/y.npy\");"), "link/y.npy");
    let left: Vec<_> = std::fs::read_dir(e.root.join("secret"))
        .unwrap()
        .map(|x| x.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "files appeared in secret/: {left:?}");
}

#[test]
fn sandbox_import_outside_is_refused() {
    let e = env();
    denied(&e, "import \"../secret/m\" as m; m::f();", "m.rhai");
    // The embedded standard library stays available.
    let (c, err) = run(
        &e,
        "import \"stats\" as s; print(s::mean([1.0, 2.0]));",
        &["--sandbox"],
    );
    assert_eq!(c, 0, "{err}");
}

#[test]
fn sandbox_caps_operations_depth_and_sizes() {
    let e = env();
    let t0 = std::time::Instant::now();
    let (c, err) = run(&e, "let i = 0; loop { i += 1; }", &["--sandbox"]);
    assert_eq!(c, 1);
    assert!(err.to_lowercase().contains("operations"), "{err}");
    assert!(
        err.contains("note: --sandbox allows 50000000 Rhai operations"),
        "{err}"
    );
    assert!(t0.elapsed().as_secs() < 60);
    let (c, err) = run(&e, "fn f(n) { f(n + 1) } f(0);", &["--sandbox"]);
    assert_eq!(c, 1);
    assert!(
        err.to_lowercase().contains("stack") || err.to_lowercase().contains("call"),
        "{err}"
    );
    let (c, err) = run(&e, "let s = \"xy\"; loop { s += s; }", &["--sandbox"]);
    assert_eq!(c, 1);
    assert!(err.to_lowercase().contains("string"), "{err}");
    let (c, err) = run(&e, "let a = [1]; loop { a += a; }", &["--sandbox"]);
    assert_eq!(c, 1);
    assert!(err.to_lowercase().contains("array"), "{err}");
}

#[test]
fn allow_needs_sandbox_and_an_existing_path() {
    let e = env();
    let (c, _) = run(&e, "1;", &["--allow", "/tmp"]);
    assert_eq!(c, 2, "--allow without --sandbox is a usage error");
    let (c, err) = run(&e, "1;", &["--sandbox", "--allow", "/no/such/place"]);
    assert_eq!(c, 2);
    assert!(err.contains("/no/such/place"), "{err}");
    let _ = Path::new("");
}
