//! Host helpers: `help`, `time`, assertions, small file-system and formatting utilities.

use super::api::{rt_error, Api};
use super::sandbox;
use rhai::Dynamic;
use std::time::Instant;

pub fn register(api: &mut Api) {
    api.category("Host");
    api.fun("help")
        .optional()
        .str("name")
        .doc("Without a name, list every locus function by category; with one, print the signatures, documentation, options and example of the function, method (`img.akde`) or property `name`, or of a stdlib module (`help(\"stats\")`). At a terminal, text taller than the window goes through a pager ($LOCUS_PAGER, else $PAGER, else `less -FRX`; LOCUS_PAGER= turns it off).")
        .example("help(\"akde\");")
        .call(|c| {
            let docs = super::docs();
            match c.opt_str("name")? {
                None => {
                    crate::pager::page(&docs.overview());
                    Ok(())
                }
                Some(name) => match super::help_text(&name) {
                    Some(text) => {
                        crate::pager::page(&text);
                        Ok(())
                    }
                    None => Err(rt_error(super::unknown_help(&name))),
                },
            }
        });
    api.fun("time")
        .closure("f")
        .sig("time(|| expr)")
        .doc("Evaluate the closure, print the elapsed wall time and return its value.")
        .example("let n = time(|| 2 + 2);")
        .call(|c| {
            let f = c.closure("f")?;
            let t0 = Instant::now();
            let v: Dynamic = f.call_within_context(c.ctx(), ())?;
            println!("time: {}", crate::fmt::duration(t0.elapsed().as_secs_f64()));
            Ok(v)
        });
    api.fun("assert")
        .bool("condition")
        .str("message")
        .doc("Stop the script with an error carrying `message` when `condition` is false.")
        .example("assert(1 + 1 == 2, \"arithmetic\");")
        .call(|c| {
            if c.bool("condition")? {
                Ok(())
            } else {
                Err(rt_error(format!("assertion failed: {}", c.str("message")?)))
            }
        });
    api.fun("assert_close")
        .num("a")
        .num("b")
        .num("rel_tol")
        .str("message")
        .doc("Stop with an error unless |a - b| <= rel_tol * max(|a|, |b|, 1e-12).")
        .example("assert_close(1000.0, 1000.0000001, 1e-6, \"mass conserved\");")
        .call(|c| {
            let (a, b, tol) = (c.num("a")?, c.num("b")?, c.num("rel_tol")?);
            let scale = a.abs().max(b.abs()).max(1e-12);
            if (a - b).abs() <= tol * scale {
                Ok(())
            } else {
                Err(rt_error(format!(
                    "assertion failed: {}: {a} and {b} differ by more than {tol} relative",
                    c.str("message")?
                )))
            }
        });
    api.fun("exists")
        .str("path")
        .doc("Whether a file or folder exists at `path`.")
        .example("if !exists(\"out\") { print(\"no out folder\"); }")
        .call(|c| {
            let p = c.str("path")?;
            c.run(|| {
                sandbox::check_read(&p)?;
                Ok(std::path::Path::new(&p).exists())
            })
        });
    api.fun("mkdir")
        .str("path")
        .doc("Create the folder `path` and its parents (no error when it exists).")
        .example("mkdir(\"results/fig2\");")
        .call(|c| {
            let p = c.str("path")?;
            c.run(|| {
                sandbox::check_write(&p)?;
                std::fs::create_dir_all(&p).map_err(|e| crate::Error::io(&p, e))
            })
        });
    api.fun("write_text")
        .str("path")
        .str("text")
        .doc("Write a string to a file (replaced atomically: temporary file, then rename), e.g. a CSV table of results built in the script.")
        .example("write_text(\"metrics.csv\", \"loss,psnr\\nfrc,21.3\\n\");")
        .call(|c| {
            let (p, text) = (c.str("path")?, c.str("text")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                crate::image::io::write_atomic(std::path::Path::new(&p), |w| {
                    use std::io::Write;
                    w.write_all(text.as_bytes()).map_err(|e| crate::Error::io(&p, e))
                })
            })
        });
    api.fun("read_text")
        .str("path")
        .doc("Read a whole text file into a string.")
        .example("write_text(\"notes.txt\", \"hello\"); let s = read_text(\"notes.txt\");")
        .call(|c| {
            let p = c.str("path")?;
            c.run(|| {
                sandbox::check_read(&p)?;
                std::fs::read_to_string(&p).map_err(|e| crate::Error::io(&p, e))
            })
        });
    api.fun("env")
        .str("name")
        .doc("The value of the environment variable `name`, or () when it is not set.")
        .example("let data = env(\"LOCUS_DATA\");")
        .call(|c| {
            Ok(std::env::var(c.str("name")?)
                .ok()
                .filter(|v| !v.is_empty())
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT))
        });
    api.fun("fmt")
        .num("x")
        .int("digits")
        .doc("Format a number with a fixed number of decimals (0 to 17).")
        .example("print(`resolution ${fmt(31.4159, 1)} nm`);")
        .call(|c| {
            let d = c.int("digits")?.clamp(0, 17) as usize;
            Ok(format!("{:.*}", d, c.num("x")?))
        });
}
