//! Times `locus::density::akde` (and optionally `gaussian`) on an image from a .npy file.
//!
//! Used by `scripts/bench/akde.sh`:
//! `cargo run --release --example bench_akde -- IN.npy OUT.npy [--window 11] [--scale 1]
//!  [--border clip|skip] [--repeat 3] [--gaussian SIGMA_PX]`
//! Prints `time_s=<best of repeats> cpu_s=<CPU seconds>` and a human-readable line on stderr.
//! A grey-scale .png input (8 or 16 bit, raw values) is accepted too; `--save-input X.npy`
//! writes the decoded image so that the reference reads the same data.

use locus::density::{akde, gaussian, AkdeOptions, Border};
use ndarray::Array2;
use std::time::Instant;

#[path = "common/proc.rs"]
mod procstat;
use procstat::cpu_seconds;

// As the locus binary is expected to (mimalloc is a dependency): freed band
// buffers are reused instead of being returned to the OS and faulted in again.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Err(e) = run() {
        eprintln!("bench_akde: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let mut opts = AkdeOptions::default();
    let mut repeat = 3usize;
    let mut sigma: Option<f64> = None;
    let mut save_input: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--window" => opts.window = val()?.parse()?,
            "--scale" => opts.scale = val()?.parse()?,
            "--border" => opts.border = Border::parse(val()?)?,
            "--repeat" => repeat = val()?.parse::<usize>()?.max(1),
            "--gaussian" => sigma = Some(val()?.parse()?),
            "--save-input" => save_input = Some(val()?.clone()),
            _ => pos.push(a.clone()),
        }
    }
    if pos.len() != 2 {
        return Err(
            "usage: bench_akde IN.npy OUT.npy [--window K] [--scale C] [--border clip|skip] \
                    [--repeat N] [--gaussian SIGMA_PX]"
                .into(),
        );
    }
    let img: Array2<f32> = if pos[0].ends_with(".png") {
        read_png_gray(&pos[0])?
    } else {
        ndarray_npy::read_npy(&pos[0])?
    };
    if let Some(p) = &save_input {
        ndarray_npy::write_npy(p, &img)?;
    }
    let sources = img.iter().filter(|&&v| v != 0.0).count();
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut out = Array2::<f32>::zeros((0, 0));
    for _ in 0..repeat {
        let c0 = cpu_seconds();
        let t0 = Instant::now();
        out = match sigma {
            Some(s) => gaussian(img.view(), s)?,
            None => akde(img.view(), &opts)?,
        };
        best = best.min(t0.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - c0);
    }
    ndarray_npy::write_npy(&pos[1], &out)?;
    eprintln!(
        "locus {}: {}x{} px, {} sources, best of {repeat}: {best:.4} s wall, {best_cpu:.2} s CPU \
         ({:.3} us/source, {} threads)",
        if sigma.is_some() { "gaussian" } else { "akde" },
        img.nrows(),
        img.ncols(),
        sources,
        best * 1e6 / sources.max(1) as f64,
        rayon::current_num_threads()
    );
    println!("time_s={best:.6} cpu_s={best_cpu:.3}");
    Ok(())
}

/// A grey-scale PNG (8 or 16 bit) as raw values.
fn read_png_gray(path: &str) -> Result<Array2<f32>, Box<dyn std::error::Error>> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut reader = png::Decoder::new(file).read_info()?;
    let size = reader.output_buffer_size().ok_or("PNG too large")?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf)?;
    if info.color_type != png::ColorType::Grayscale {
        return Err(format!("{path}: expected a grey-scale PNG, got {:?}", info.color_type).into());
    }
    let (w, h) = (info.width as usize, info.height as usize);
    let data: Vec<f32> = match info.bit_depth {
        png::BitDepth::Eight => buf[..w * h].iter().map(|&v| v as f32).collect(),
        png::BitDepth::Sixteen => buf[..2 * w * h]
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as f32)
            .collect(),
        d => return Err(format!("{path}: unsupported bit depth {d:?}").into()),
    };
    Ok(Array2::from_shape_vec((h, w), data)?)
}
