//! Timing and accuracy of the preprocessing numerics, for `scripts/bench/preprocess.sh`.
//!
//! `cargo run --release --example bench_preprocess -- <dir> [repeats] [n_locs]`
//!
//! Writes into `<dir>` the tables the Picasso side reads, and prints one line
//! per measurement (best of `repeats` seconds, then values):
//! * `undrift_<A>nm seconds rms_x rms_y`: RCC (segments of 1000 frames, the
//!   camera pixel) on a simulated table of `n_locs` (default 100 000)
//!   localizations over 20 000 frames, 8 nm precision, drift of amplitude A =
//!   50, 100, 200 nm; rms = residual per axis against the simulated drift
//!   after removing the mean offset. The table is `undrift_<A>nm.hdf5`, the
//!   truth `undrift_<A>nm_truth.csv`.
//! * `nena seconds precision_nm truth_nm`: NeNA on a table with blinks over
//!   consecutive frames (`blink_continue` 0.6), 8 nm precision (`nena.hdf5`).
//! * `link seconds events`: linking that table with radius 50 nm and one dark
//!   frame (`link.hdf5`; the result is `link_locus.csv`, the parameters
//!   `link_params.txt`).
//! * `render_precision seconds`: precision rendering of it at 10 nm.

use locus::locs::{simulate_microtubules, Blur, RenderOptions, SimOptions};
use locus::preprocess::{link, nena, undrift, LinkOptions, NenaOptions, UndriftOptions};
use std::io::Write;
use std::time::Instant;

fn best<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("repeats >= 1"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: bench_preprocess <dir> [repeats] [n_locs]");
        std::process::exit(2);
    }
    let dir = std::path::PathBuf::from(&args[1]);
    std::fs::create_dir_all(&dir)?;
    let repeats: usize = args.get(2).map_or(Ok(3), |s| s.parse())?.max(1);
    let n_locs: usize = args.get(3).map_or(Ok(100_000), |s| s.parse())?;
    println!("threads {}", rayon::current_num_threads());
    for (k, amp) in [50.0, 100.0, 200.0].into_iter().enumerate() {
        let sim = simulate_microtubules(&SimOptions {
            seed: 10 + k as u64,
            n_locs,
            frames: 20_000,
            precision_nm: Some(8.0),
            drift_nm: amp,
            ..Default::default()
        })?;
        let name = format!("undrift_{amp}nm");
        sim.locs.save(dir.join(format!("{name}.hdf5")))?;
        let truth = sim.drift.clone().ok_or("no drift")?;
        truth.save_csv(dir.join(format!("{name}_truth.csv")))?;
        let (t, res) = best(repeats, || undrift(&sim.locs, &UndriftOptions::default()));
        let (_, drift) = res?;
        let (rx, ry) = drift.rms_difference(&truth);
        println!("{name} {t:.4} {rx:.3} {ry:.3}");
    }
    let sim = simulate_microtubules(&SimOptions {
        seed: 20,
        n_locs,
        frames: 20_000,
        precision_nm: Some(8.0),
        blink_continue: 0.6,
        ..Default::default()
    })?;
    sim.locs.save(dir.join("nena.hdf5"))?;
    let (t, res) = best(repeats, || nena(&sim.locs, &NenaOptions::default()));
    println!("nena {t:.4} {:.4} 8", res?.precision_nm);
    sim.locs.save(dir.join("link.hdf5"))?;
    let opt = LinkOptions {
        radius_nm: 50.0,
        max_dark_frames: 1,
    };
    std::fs::write(
        dir.join("link_params.txt"),
        format!("{} {}\n", opt.radius_nm, opt.max_dark_frames),
    )?;
    let (t, res) = best(repeats, || link(&sim.locs, &opt));
    let linked = res?;
    println!("link {t:.4} {}", linked.len());
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("link_locus.csv"))?);
    writeln!(f, "frame,x,y,n,len")?;
    let (n, len) = (linked.column("n")?, linked.column("len")?);
    for i in 0..linked.len() {
        writeln!(
            f,
            "{},{},{},{},{}",
            linked.frame()[i],
            linked.x()[i],
            linked.y()[i],
            n[i],
            len[i]
        )?;
    }
    drop(f);
    let opt = RenderOptions {
        pixel_nm: 10.0,
        blur: Blur::Precision,
        ..Default::default()
    };
    let (t, res) = best(repeats, || sim.locs.render(&opt));
    res?;
    println!("render_precision {t:.4}");
    Ok(())
}
