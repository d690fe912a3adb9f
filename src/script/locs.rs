//! Bindings for localization tables (`Locs`): loading, simulation,
//! selection, rendering and self-FRC (METHODS.md §1, §2, §5).

use super::api::{as_f64, float_array, guard, rt_error, Api, Opts, RResult};
use super::frc::{frc_options, FrcRef};
use super::image::{num, ImageRef};
use crate::frc::table::{self_frc, SelfFrcOptions};
use crate::locs::{
    simulate_microtubules, Locs, RenderOptions, RenderOrigin, SimOptions, Simulation, SplitMode,
};
use rhai::{Array, Dynamic, ImmutableString, Map, INT};
use std::sync::Arc;

/// A shared handle to a table. Simulated tables carry their ground truth,
/// and subsets keep it (same field of view).
#[derive(Clone, Debug)]
pub struct LocsRef {
    /// The table.
    pub locs: Arc<Locs>,
    /// Ground truth of a simulated table (its `locs` field is empty).
    pub truth: Option<Arc<Simulation>>,
}

impl LocsRef {
    /// A handle with the same ground truth around a derived table.
    pub fn derive(&self, locs: Locs) -> LocsRef {
        LocsRef {
            locs: Arc::new(locs),
            truth: self.truth.clone(),
        }
    }

    /// One-line summary.
    pub fn summary(&self) -> String {
        let l = &self.locs;
        let px = l
            .meta
            .pixel_nm
            .map(|p| format!("{p} nm camera pixels"))
            .unwrap_or_else(|| "no pixel size".into());
        format!(
            "Locs {} localizations, {} frames, field {} × {} nm, {px}, columns [{}]",
            l.len(),
            l.n_frames(),
            super::values::format_float(l.width_nm()),
            super::values::format_float(l.height_nm()),
            l.columns().join(", ")
        )
    }
}

fn seed(func: &str, v: INT) -> RResult<u64> {
    u64::try_from(v).map_err(|_| rt_error(format!("{func}: `seed` must be >= 0, got {v}")))
}

fn render_options(func: &str, m: &Map) -> RResult<RenderOptions> {
    let o = Opts::new(func, m, &["pixel_nm", "origin", "shape", "origin_nm"])?;
    let mut r = RenderOptions::with_pixel(o.float("pixel_nm", 10.0)?);
    r.origin = if o.choice("origin", "grid", &["grid", "data"])? == "data" {
        RenderOrigin::Data
    } else {
        RenderOrigin::Grid
    };
    if let Some(s) = o.opt_floats("shape")? {
        if s.len() != 2 || s.iter().any(|v| *v < 1.0 || v.fract() != 0.0) {
            return Err(rt_error(format!(
                "{func}: option `shape` must be [width, height] in pixels, got {s:?}"
            )));
        }
        r.shape = Some((s[0] as usize, s[1] as usize));
    }
    if let Some(s) = o.opt_floats("origin_nm")? {
        if s.len() != 2 {
            return Err(rt_error(format!(
                "{func}: option `origin_nm` must be [x0, y0] in nm, got {s:?}"
            )));
        }
        r.origin_nm = Some((s[0], s[1]));
    }
    Ok(r)
}

fn render(l: &LocsRef, opts: &RenderOptions) -> RResult<ImageRef> {
    let (img, dropped) = guard("render", || l.locs.render(opts))?;
    if dropped > 0 {
        eprintln!("render: {dropped} localization(s) outside the grid were dropped");
    }
    Ok(ImageRef::new(img))
}

fn sim_options(func: &str, m: &Map) -> RResult<SimOptions> {
    let keys = [
        "seed",
        "size_nm",
        "filaments",
        "frames",
        "n_locs",
        "locs_per_epitope",
        "label_density_per_um",
        "persistence_nm",
        "tubule_radius_nm",
        "linker_nm",
        "pixel_nm",
        "psf_nm",
        "photons",
        "photons_sigma",
        "background",
        "blink_continue",
        "precision_nm",
        "paths",
    ];
    let o = Opts::new(func, m, &keys)?;
    let d = SimOptions::default();
    let paths = match o.raw("paths") {
        None => None,
        Some(v) => {
            let bad = || {
                rt_error(format!(
                    "{func}: option `paths` must be an array of polylines [[x, y], [x, y], ...] in nm"
                ))
            };
            let arr = v.read_lock::<Array>().ok_or_else(bad)?;
            let mut out = Vec::new();
            for line in arr.iter() {
                let pts = line.read_lock::<Array>().ok_or_else(bad)?;
                let mut poly = Vec::new();
                for p in pts.iter() {
                    let xy = p.read_lock::<Array>().ok_or_else(bad)?;
                    if xy.len() != 2 {
                        return Err(bad());
                    }
                    poly.push((as_f64(&xy[0]).ok_or_else(bad)?, as_f64(&xy[1]).ok_or_else(bad)?));
                }
                out.push(poly);
            }
            Some(out)
        }
    };
    Ok(SimOptions {
        seed: seed(func, o.int("seed", d.seed as i64)?)?,
        size_nm: o.float("size_nm", d.size_nm)?,
        filaments: o.usize("filaments", d.filaments)?,
        frames: u32::try_from(o.int("frames", d.frames as i64)?)
            .map_err(|_| rt_error(format!("{func}: option `frames` out of range")))?,
        n_locs: o.usize("n_locs", d.n_locs)?,
        locs_per_epitope: o.opt_float("locs_per_epitope")?,
        label_density_per_um: o.float("label_density_per_um", d.label_density_per_um)?,
        persistence_nm: o.float("persistence_nm", d.persistence_nm)?,
        tubule_radius_nm: o.float("tubule_radius_nm", d.tubule_radius_nm)?,
        linker_nm: o.float("linker_nm", d.linker_nm)?,
        pixel_nm: o.float("pixel_nm", d.pixel_nm)?,
        psf_nm: o.float("psf_nm", d.psf_nm)?,
        photons: o.float("photons", d.photons)?,
        photons_sigma: o.float("photons_sigma", d.photons_sigma)?,
        background: o.float("background", d.background)?,
        blink_continue: o.float("blink_continue", d.blink_continue)?,
        precision_nm: o.opt_float("precision_nm")?,
        paths: paths.or(d.paths),
        drift_nm: d.drift_nm,
    })
}

fn simulate(func: &str, opts: &SimOptions) -> RResult<LocsRef> {
    let sim = guard(func, || simulate_microtubules(opts))?;
    let Simulation {
        locs,
        filaments,
        epitopes,
        drift,
    } = sim;
    let truth = Simulation {
        locs: Locs::empty(locs.meta.clone()),
        filaments,
        epitopes,
        drift,
    };
    Ok(LocsRef {
        locs: Arc::new(locs),
        truth: Some(Arc::new(truth)),
    })
}

fn load(path: &str, pixel_nm: Option<f64>, format: Option<&str>) -> RResult<LocsRef> {
    let (locs, report) = guard("load_locs", || {
        crate::script::sandbox::check_read(path)?;
        Locs::load(path, pixel_nm, format)
    })?;
    for w in &report.warnings {
        eprintln!("load_locs: {w}");
    }
    Ok(LocsRef {
        locs: Arc::new(locs),
        truth: None,
    })
}

pub fn register(api: &mut Api) {
    api.ty::<LocsRef>("Locs");
    api.engine()
        .register_fn("to_string", |l: &mut LocsRef| l.summary());
    api.engine()
        .register_fn("to_debug", |l: &mut LocsRef| l.summary());
    api.category("Tables");

    api.func(
        "load_locs",
        None,
        "load_locs(path)",
        &["path: &str"],
        "Load a localization table: Picasso .hdf5 (with the .yaml beside it; x, y in camera pixels are converted to nm) or ThunderSTORM .csv (nm, frames from 1). Rows with NaN/inf coordinates are dropped with a warning.\nExample: let locs = load_locs(\"../shared/data/picasso/testdata_locs.hdf5\");",
        |p: ImmutableString| load(p.as_str(), None, None),
    );
    api.func(
        "load_locs",
        None,
        "load_locs(path, opts)",
        &["path: &str", "opts: Map"],
        "Load a table with options: pixel_nm (camera pixel size in nm; required for a Picasso file whose YAML has no Pixelsize), format (\"picasso\" or \"thunderstorm\"; default from the extension).\nExample: let locs = load_locs(\"cells.hdf5\", #{ pixel_nm: 130.0 });",
        |p: ImmutableString, m: Map| -> RResult<LocsRef> {
            let o = Opts::new("load_locs", &m, &["pixel_nm", "format"])?;
            let fmt = o.opt_string("format")?;
            load(p.as_str(), o.opt_float("pixel_nm")?, fmt.as_deref())
        },
    );
    let sim_doc = "Simulate a dSTORM microtubule dataset, deterministic per seed: worm-like filaments (persistence ~10 um) across the field, antibody-labelled epitopes around the tubule, Poisson blinking over the frames, Thompson/Mortensen localization precision from photon counts, all Picasso columns. Defaults: 10 um field, 8 filaments, ~100k localizations, 20k frames, 108 nm camera pixels.\nOptions: seed, size_nm, filaments, frames, n_locs, locs_per_epitope, label_density_per_um, persistence_nm, tubule_radius_nm, linker_nm, pixel_nm, psf_nm, photons, photons_sigma, background, blink_continue (probability that a blink continues into the next frame; default 0, try 0.6 for realistic bursts), precision_nm, paths (explicit filament polylines [[x, y], ...] in nm).\nExample: let locs = simulate_microtubules(#{ seed: 1, n_locs: 50000 });";
    api.func(
        "simulate_microtubules",
        None,
        "simulate_microtubules()",
        &[],
        sim_doc,
        || simulate("simulate_microtubules", &SimOptions::default()),
    );
    api.func(
        "simulate_microtubules",
        None,
        "simulate_microtubules(opts)",
        &["opts: Map"],
        sim_doc,
        |m: Map| -> RResult<LocsRef> {
            simulate(
                "simulate_microtubules",
                &sim_options("simulate_microtubules", &m)?,
            )
        },
    );
    api.func(
        "simulate_filament_pair",
        None,
        "simulate_filament_pair(distance_nm, opts)",
        &["distance_nm: f64", "opts: Map"],
        "The paper's Figure 4C scene: two straight parallel vertical filaments `distance_nm` apart, centred in a 3 um field, ~20k localizations. Options as simulate_microtubules (they override the scene's).\nExample: let pair = simulate_filament_pair(100.0, #{ seed: 4 });",
        |d: Dynamic, m: Map| -> RResult<LocsRef> {
            let d = num("simulate_filament_pair", "distance_nm", &d)?;
            if !(d.is_finite() && d > 0.0 && d < 3000.0) {
                return Err(rt_error(format!("simulate_filament_pair: `distance_nm` must be in (0, 3000), got {d}")));
            }
            let base = SimOptions::parallel_filaments(d);
            let mut merged = Map::new();
            merged.insert("size_nm".into(), Dynamic::from_float(base.size_nm));
            merged.insert("n_locs".into(), Dynamic::from_int(base.n_locs as INT));
            for (k, v) in m {
                merged.insert(k, v);
            }
            let mut opts = sim_options("simulate_filament_pair", &merged)?;
            if opts.paths.is_none() {
                let s = opts.size_nm;
                let (a, b) = (s / 2.0 - d / 2.0, s / 2.0 + d / 2.0);
                opts.paths = Some(vec![vec![(a, 0.0), (a, s)], vec![(b, 0.0), (b, s)]]);
            }
            simulate("simulate_filament_pair", &opts)
        },
    );

    api.getter(
        "len",
        "Locs",
        "Number of localizations.\nExample: locs.len",
        |l: &mut LocsRef| l.locs.len() as INT,
    );
    api.func(
        "len",
        Some("Locs"),
        "locs.len()",
        &["locs: Locs"],
        "Number of localizations (the same as the property locs.len).\nExample: locs.len()",
        |l: &mut LocsRef| l.locs.len() as INT,
    );
    api.getter(
        "columns",
        "Locs",
        "Column names (frame, x, y, then the others in file order).\nExample: locs.columns",
        |l: &mut LocsRef| l.locs.columns().into_iter().map(Dynamic::from).collect::<Array>(),
    );
    api.getter(
        "pixel_nm",
        "Locs",
        "Camera pixel size in nm, or () when unknown.\nExample: locs.pixel_nm",
        |l: &mut LocsRef| {
            l.locs
                .pixel_nm()
                .map(Dynamic::from_float)
                .unwrap_or(Dynamic::UNIT)
        },
    );
    api.getter(
        "width_nm",
        "Locs",
        "Field of view width in nm.\nExample: locs.width_nm",
        |l: &mut LocsRef| l.locs.width_nm(),
    );
    api.getter(
        "height_nm",
        "Locs",
        "Field of view height in nm.\nExample: locs.height_nm",
        |l: &mut LocsRef| l.locs.height_nm(),
    );
    api.getter(
        "n_frames",
        "Locs",
        "Number of frames of the acquisition (frames run 0..n_frames).\nExample: locs.n_frames",
        |l: &mut LocsRef| l.locs.n_frames() as INT,
    );
    api.getter(
        "history",
        "Locs",
        "The operations applied to this table, oldest first (saved with it).\nExample: print(locs.history);",
        |l: &mut LocsRef| {
            l.locs
                .meta
                .history
                .iter()
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
        },
    );
    api.func(
        "column",
        Some("Locs"),
        "locs.column(name)",
        &["locs: Locs", "name: &str"],
        "The values of one column as an array of floats (a copy; for small uses such as statistics).\nExample: let photons = locs.column(\"photons\");",
        |l: &mut LocsRef, n: ImmutableString| guard("column", || l.locs.column(n.as_str()).map(float_array)),
    );
    api.func(
        "select",
        Some("Locs"),
        "locs.select(ranges)",
        &["locs: Locs", "ranges: Map"],
        "The localizations whose columns lie in inclusive ranges: #{ column: [lo, hi], ... }. An unknown column is an error listing the columns.\nExample: let bright = locs.select(#{ photons: [1000.0, 1e9], frame: [0, 4999] });",
        |l: &mut LocsRef, m: Map| -> RResult<LocsRef> {
            let mut ranges = Vec::new();
            for (k, v) in &m {
                let bad = || rt_error(format!("select: range for `{k}` must be [lo, hi], got {v}"));
                let r = v.read_lock::<Array>().ok_or_else(bad)?;
                if r.len() != 2 {
                    return Err(bad());
                }
                let lo = as_f64(&r[0]).ok_or_else(bad)?;
                let hi = as_f64(&r[1]).ok_or_else(bad)?;
                ranges.push((k.to_string(), lo, hi));
            }
            guard("select", || l.locs.select(&ranges)).map(|t| l.derive(t))
        },
    );
    api.func(
        "frame_window",
        Some("Locs"),
        "locs.frame_window(first, last)",
        &["locs: Locs", "first: i64", "last: i64"],
        "The localizations in frames first..=last.\nExample: let early = locs.frame_window(0, 4999);",
        |l: &mut LocsRef, a: INT, b: INT| -> RResult<LocsRef> {
            let conv = |v: INT, name: &str| {
                u32::try_from(v).map_err(|_| {
                    rt_error(format!(
                        "frame_window: `{name}` must be a frame number >= 0, got {v}"
                    ))
                })
            };
            let (a, b) = (conv(a, "first")?, conv(b, "last")?);
            guard("frame_window", || l.locs.frame_window(a, b)).map(|t| l.derive(t))
        },
    );
    api.func(
        "random_window",
        Some("Locs"),
        "locs.random_window(fraction, seed)",
        &["locs: Locs", "fraction: f64", "seed: i64"],
        "A random contiguous time window holding about `fraction` (0 < fraction <= 1) of the localizations: the paper's sparse inputs.\nExample: let sparse = locs.random_window(0.1, 7);",
        |l: &mut LocsRef, f: Dynamic, s: INT| -> RResult<LocsRef> {
            let f = num("random_window", "fraction", &f)?;
            let s = seed("random_window", s)?;
            guard("random_window", || l.locs.random_window(f, s)).map(|t| l.derive(t))
        },
    );
    api.func(
        "subsample",
        Some("Locs"),
        "locs.subsample(fraction, seed)",
        &["locs: Locs", "fraction: f64", "seed: i64"],
        "A random subset of round(fraction * len) localizations (0 < fraction <= 1), in the original order.\nExample: let tenth = locs.subsample(0.1, 1);",
        |l: &mut LocsRef, f: Dynamic, s: INT| -> RResult<LocsRef> {
            let f = num("subsample", "fraction", &f)?;
            let s = seed("subsample", s)?;
            guard("subsample", || l.locs.subsample(f, s)).map(|t| l.derive(t))
        },
    );
    let split_doc = "Split in two halves -> [half1, half2] (METHODS.md §5). Options: mode: \"random\" (default; a random 50/50 permutation, as Picasso) or \"frames\" (the frame range cut into `blocks` time blocks, default 50, a random half of the blocks forms half 1, as Nieuwenhuizen 2013), seed (default 0).\nExample: let halves = locs.split(#{ mode: \"frames\", blocks: 50, seed: 1 });";
    let split = |l: &LocsRef, m: &Map| -> RResult<Array> {
        let o = Opts::new("split", m, &["mode", "blocks", "seed"])?;
        let mode = o.choice("mode", "random", &["random", "frames"])?;
        let blocks = u32::try_from(o.int("blocks", 50)?)
            .map_err(|_| rt_error("split: option `blocks` out of range"))?;
        let s = seed("split", o.int("seed", 0)?)?;
        let mode = guard("split", || SplitMode::from_name(&mode, blocks))?;
        let (a, b) = guard("split", || l.locs.split(mode, s))?;
        Ok(vec![Dynamic::from(l.derive(a)), Dynamic::from(l.derive(b))])
    };
    api.func(
        "split",
        Some("Locs"),
        "locs.split()",
        &["locs: Locs"],
        split_doc,
        move |l: &mut LocsRef| split(l, &Map::new()),
    );
    api.func(
        "split",
        Some("Locs"),
        "locs.split(opts)",
        &["locs: Locs", "opts: Map"],
        split_doc,
        move |l: &mut LocsRef, m: Map| split(l, &m),
    );
    api.func(
        "crop",
        Some("Locs"),
        "locs.crop(x_nm, y_nm, w_nm, h_nm)",
        &["locs: Locs", "x_nm: f64", "y_nm: f64", "w_nm: f64", "h_nm: f64"],
        "The localizations with x in [x_nm, x_nm + w_nm) and y in [y_nm, y_nm + h_nm); the field of view stays the parent's.\nExample: let roi = locs.crop(2000, 2000, 3000, 3000);",
        |l: &mut LocsRef, x: Dynamic, y: Dynamic, w: Dynamic, h: Dynamic| -> RResult<LocsRef> {
            let (x, y) = (num("crop", "x_nm", &x)?, num("crop", "y_nm", &y)?);
            let (w, h) = (num("crop", "w_nm", &w)?, num("crop", "h_nm", &h)?);
            guard("crop", || l.locs.crop(x, y, w, h)).map(|t| l.derive(t))
        },
    );
    api.func(
        "save",
        Some("Locs"),
        "locs.save(path)",
        &["locs: Locs", "path: &str"],
        "Save the table: .hdf5 writes a Picasso file (x, y in camera pixels) and its .yaml (earlier documents kept, plus one with what locus did); .csv a ThunderSTORM table. Written atomically.\nExample: locs.save(\"subset.hdf5\");",
        |l: &mut LocsRef, p: ImmutableString| guard("save", || {
            crate::script::sandbox::check_write(p.as_str())?;
            l.locs.save(p.as_str())
        }),
    );
    let render_doc = "Render a 2-D histogram: each localization adds 1 to its pixel (METHODS.md §2). Options: pixel_nm (default 10), origin: \"grid\" (default; origin (0, 0), shape ceil(FOV/p), so subsets render on the same grid) or \"data\" (the paper code's np.histogram2d grid), shape [w, h] and origin_nm [x0, y0] to override. Localizations outside are dropped and counted on stderr.\nExample: let img = locs.render(#{ pixel_nm: 10.0 });";
    api.func(
        "render",
        Some("Locs"),
        "locs.render()",
        &["locs: Locs"],
        render_doc,
        |l: &mut LocsRef| render(l, &RenderOptions::default()),
    );
    api.func(
        "render",
        Some("Locs"),
        "locs.render(opts)",
        &["locs: Locs", "opts: Map"],
        render_doc,
        |l: &mut LocsRef, m: Map| -> RResult<ImageRef> { render(l, &render_options("render", &m)?) },
    );
    api.func(
        "truth",
        Some("Locs"),
        "locs.truth(opts)",
        &["locs: Locs", "opts: Map"],
        "Ground truth of a simulated table on its grid: the number of labelled epitopes per pixel. Options: pixel_nm (default 10). Tables that were not simulated have none (error).\nExample: let gt = locs.truth(#{ pixel_nm: 10.0 });",
        |l: &mut LocsRef, m: Map| -> RResult<ImageRef> {
            let o = Opts::new("truth", &m, &["pixel_nm"])?;
            let p = o.float("pixel_nm", 10.0)?;
            let t = l.truth.as_ref().ok_or_else(|| rt_error("truth: this table was not simulated, so it has no ground truth"))?;
            guard("truth", || t.truth(p)).map(ImageRef::new)
        },
    );
    let frc_doc = "Self-FRC: split the table in halves, render both on the table's grid, correlate with the Tukey mask (METHODS.md §5). Options: pixel_nm (default 5), split: \"random\" (default) or \"frames\", blocks (default 50), seed (default 0), repeats (default 1; > 1 gives the mean curve and curve.resolution_mean / resolution_sd), tukey (default true), compat.\nExample: let c = locs.frc(#{ pixel_nm: 5.0, split: \"frames\", repeats: 5 }); print(c.resolution());";
    let table_frc = |l: &LocsRef, m: &Map| -> RResult<FrcRef> {
        let o = Opts::new(
            "frc",
            m,
            &[
                "pixel_nm", "split", "blocks", "seed", "repeats", "tukey", "compat",
            ],
        )?;
        let mut fm = Map::new();
        for k in ["tukey", "compat"] {
            if let Some(v) = m.get(k) {
                fm.insert(k.into(), v.clone());
            }
        }
        let mode = o.choice("split", "random", &["random", "frames"])?;
        let blocks =
            u32::try_from(o.int("blocks", 50)?).map_err(|_| rt_error("frc: option `blocks` out of range"))?;
        let opts = SelfFrcOptions {
            pixel_nm: o.float("pixel_nm", 5.0)?,
            split: guard("frc", || SplitMode::from_name(&mode, blocks))?,
            seed: seed("frc", o.int("seed", 0)?)?,
            repeats: o.usize("repeats", 1)?,
            frc: frc_options("frc", &fm, true, &[])?,
        };
        let s = guard("frc", || self_frc(&l.locs, &opts))?;
        Ok(FrcRef::with_repeats(s))
    };
    api.func(
        "frc",
        Some("Locs"),
        "locs.frc()",
        &["locs: Locs"],
        frc_doc,
        move |l: &mut LocsRef| table_frc(l, &Map::new()),
    );
    api.func(
        "frc",
        Some("Locs"),
        "locs.frc(opts)",
        &["locs: Locs", "opts: Map"],
        frc_doc,
        move |l: &mut LocsRef, m: Map| table_frc(l, &m),
    );
}
