//! Host helpers: `help`, `time`, assertions, small file-system and formatting utilities.

use super::api::{guard, rt_error, Api, RResult};
use rhai::{Dynamic, FnPtr, ImmutableString, NativeCallContext};
use std::time::Instant;

pub fn register(api: &mut Api) {
    api.category("Host");
    api.func(
        "help",
        None,
        "help()",
        &[],
        "List every locus function by category.\nExample: help()",
        || {
            print!("{}", super::docs().overview());
        },
    );
    api.func(
        "help",
        None,
        "help(name)",
        &["name: &str"],
        "Print the signatures and documentation of the function, method or property `name`.\nExample: help(\"akde\")",
        |name: ImmutableString| -> RResult<()> {
            match super::docs().help(&name) {
                Some(text) => {
                    println!("{text}");
                    Ok(())
                }
                None => Err(rt_error(format!("help: no function named `{name}`; help() lists them all"))),
            }
        },
    );
    api.func(
        "time",
        None,
        "time(|| expr)",
        &["f: FnPtr"],
        "Evaluate the closure, print the elapsed wall time and return its value.\nExample: let img = time(|| locs.render(#{ pixel_nm: 10.0 }));",
        |ctx: NativeCallContext, f: FnPtr| -> RResult<Dynamic> {
            let t0 = Instant::now();
            let v: Dynamic = f.call_within_context(&ctx, ())?;
            println!("time: {}", format_duration(t0.elapsed().as_secs_f64()));
            Ok(v)
        },
    );
    api.func(
        "assert",
        None,
        "assert(condition, message)",
        &["condition: bool", "message: &str"],
        "Stop the script with an error carrying `message` when `condition` is false.\nExample: assert(img.sum() > 0.0, \"empty render\");",
        |cond: bool, msg: ImmutableString| -> RResult<()> {
            if cond {
                Ok(())
            } else {
                Err(rt_error(format!("assertion failed: {msg}")))
            }
        },
    );
    api.func(
        "assert_close",
        None,
        "assert_close(a, b, rel_tol, message)",
        &["a: f64", "b: f64", "rel_tol: f64", "message: &str"],
        "Stop with an error unless |a - b| <= rel_tol * max(|a|, |b|, 1e-12).\nExample: assert_close(total, 1000.0, 1e-6, \"mass conserved\");",
        |a: rhai::FLOAT, b: rhai::FLOAT, tol: rhai::FLOAT, msg: ImmutableString| -> RResult<()> {
            let scale = a.abs().max(b.abs()).max(1e-12);
            if (a - b).abs() <= tol * scale {
                Ok(())
            } else {
                Err(rt_error(format!("assertion failed: {msg}: {a} and {b} differ by more than {tol} relative")))
            }
        },
    );
    api.func(
        "exists",
        None,
        "exists(path)",
        &["path: &str"],
        "Whether a file or folder exists at `path`.\nExample: if !exists(\"out\") { mkdir(\"out\"); }",
        |p: ImmutableString| -> RResult<bool> {
            guard("exists", || {
                crate::script::sandbox::check_read(p.as_str())?;
                Ok(std::path::Path::new(p.as_str()).exists())
            })
        },
    );
    api.func(
        "mkdir",
        None,
        "mkdir(path)",
        &["path: &str"],
        "Create the folder `path` and its parents (no error when it exists).\nExample: mkdir(\"results/fig2\");",
        |p: ImmutableString| -> RResult<()> {
            guard("mkdir", || {
                crate::script::sandbox::check_write(p.as_str())?;
                std::fs::create_dir_all(p.as_str()).map_err(|e| crate::Error::io(p.as_str(), e))
            })
        },
    );
    api.func(
        "write_text",
        None,
        "write_text(path, text)",
        &["path: &str", "text: &str"],
        "Write a string to a file (replaced atomically: temporary file, then rename), e.g. a CSV table of results built in the script.\nExample: write_text(`${out}/metrics.csv`, \"loss,psnr\\nfrc,21.3\\n\");",
        |p: ImmutableString, text: ImmutableString| -> RResult<()> {
            guard("write_text", || {
                crate::image::io::write_atomic(std::path::Path::new(p.as_str()), |w| {
                    use std::io::Write;
                    w.write_all(text.as_bytes()).map_err(|e| crate::Error::io(p.as_str(), e))
                })
            })
        },
    );
    api.func(
        "read_text",
        None,
        "read_text(path)",
        &["path: &str"],
        "Read a whole text file into a string.\nExample: let csv = read_text(\"metrics.csv\");",
        |p: ImmutableString| -> RResult<String> {
            guard("read_text", || {
                std::fs::read_to_string(p.as_str()).map_err(|e| crate::Error::io(p.as_str(), e))
            })
        },
    );
    api.func(
        "fmt",
        None,
        "fmt(x, digits)",
        &["x: f64", "digits: i64"],
        "Format a number with a fixed number of decimals.\nExample: print(`resolution ${fmt(r, 1)} nm`);",
        |x: rhai::FLOAT, d: rhai::INT| format!("{:.*}", d.clamp(0, 17) as usize, x),
    );
    api.func(
        "fmt",
        None,
        "fmt(x, digits)",
        &["x: i64", "digits: i64"],
        "Format a number with a fixed number of decimals.\nExample: print(`resolution ${fmt(r, 1)} nm`);",
        |x: rhai::INT, d: rhai::INT| format!("{:.*}", d.clamp(0, 17) as usize, x as f64),
    );
}

/// A duration in seconds as "12.3 ms", "4.56 s" or "2 min 3.4 s".
pub fn format_duration(secs: f64) -> String {
    if secs < 1e-3 {
        format!("{:.1} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.1} ms", secs * 1e3)
    } else if secs < 60.0 {
        format!("{secs:.2} s")
    } else {
        format!("{} min {:.1} s", (secs / 60.0).floor(), secs % 60.0)
    }
}
