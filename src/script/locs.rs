//! Bindings for localization tables (`Locs`): loading, simulation,
//! selection, rendering and self-FRC (docs/methods.md §1, §2, §5).

use super::api::{as_f64, float_array, rt_error, Api, Handle, RResult};
use super::frc::{frc_spec, FrcRef};
use super::image::ImageRef;
use super::sandbox;
use super::spec::{Check, Opt, Options};
use crate::frc::table::{self_frc, SelfFrcOptions};
use crate::locs::{
    simulate_microtubules, Locs, RenderOptions, RenderOrigin, SimOptions, Simulation, SplitMode,
};
use rhai::{Array, Dynamic, INT};
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
    /// A handle around a loaded table (no ground truth).
    pub fn new(locs: Locs) -> LocsRef {
        LocsRef {
            locs: Arc::new(locs),
            truth: None,
        }
    }

    /// A handle around a simulation: the table, with the truth beside it.
    pub fn simulated(mut sim: Simulation) -> LocsRef {
        let locs = sim.take_locs();
        LocsRef {
            locs: Arc::new(locs),
            truth: Some(Arc::new(sim)),
        }
    }

    /// A handle with the same ground truth around a derived table.
    pub fn derive(&self, locs: Locs) -> LocsRef {
        LocsRef {
            locs: Arc::new(locs),
            truth: self.truth.clone(),
        }
    }
}

impl Handle for LocsRef {
    const TYPE: &'static str = "Locs";
    const VAR: &'static str = "locs";
    fn summary(&self) -> String {
        self.locs.to_string()
    }
}

/// The options of `render`.
pub fn render_spec() -> Vec<Opt> {
    let d = RenderOptions::default();
    vec![
        Opt::num("pixel_nm", d.pixel_nm).check(Check::Gt(0.0)).unit("nm").doc("pixel size"),
        Opt::choice("origin", "grid", RenderOrigin::NAMES)
            .doc("\"grid\": origin (0, 0), shape ceil(FOV/p), so subsets share a grid; \"data\": the paper code's np.histogram2d grid"),
        Opt::nums("shape", 2).check(Check::Ge(1.0)).unit("px").doc("[width, height], overrides the rule's"),
        Opt::nums("origin_nm", 2).unit("nm").doc("[x0, y0], overrides the rule's"),
        Opt::choice("blur", "none", &["none", "precision"])
            .doc("\"none\": the histogram; \"precision\": each localization a normalised Gaussian of its lpx, lpy (docs/methods.md §9)"),
        Opt::num("min_blur_nm", d.min_blur_nm)
            .check(Check::Ge(0.0))
            .unit("nm")
            .doc("smallest sigma of blur \"precision\""),
    ]
}

/// Read `render` options parsed against [`render_spec`].
pub fn render_options(o: &Options) -> RResult<RenderOptions> {
    let mut r = RenderOptions::with_pixel(o.num("pixel_nm")?);
    r.origin = o.parse("origin")?;
    if let Some(s) = o.opt_nums("shape")? {
        if s.iter().any(|v| v.fract() != 0.0) {
            return Err(rt_error(format!(
                "{}: option `shape` must be whole pixels, got {s:?}",
                o.func()
            )));
        }
        r.shape = Some((s[0] as usize, s[1] as usize));
    }
    r.origin_nm = o.opt_nums("origin_nm")?.map(|s| (s[0], s[1]));
    r.blur = o.parse("blur")?;
    r.min_blur_nm = o.num("min_blur_nm")?;
    Ok(r)
}

fn sim_spec() -> Vec<Opt> {
    let d = SimOptions::default();
    let pos = Check::Gt(0.0);
    let nonneg = Check::Ge(0.0);
    vec![
        Opt::seed(d.seed),
        Opt::num("size_nm", d.size_nm)
            .check(pos)
            .unit("nm")
            .doc("side of the square field of view"),
        Opt::count("filaments", d.filaments).doc("number of filaments"),
        Opt::count("frames", d.frames as usize)
            .check(Check::Range(1.0, u32::MAX as f64))
            .doc("number of frames"),
        Opt::count("n_locs", d.n_locs).doc("expected number of localizations"),
        Opt::num_opt("locs_per_epitope")
            .check(pos)
            .default_text("from n_locs")
            .doc("mean localizations per epitope (overrides n_locs)"),
        Opt::num("label_density_per_um", d.label_density_per_um)
            .check(pos)
            .doc("epitopes per µm of filament"),
        Opt::num("persistence_nm", d.persistence_nm)
            .check(pos)
            .unit("nm")
            .doc("persistence length"),
        Opt::num("tubule_radius_nm", d.tubule_radius_nm)
            .check(nonneg)
            .unit("nm")
            .doc("microtubule radius"),
        Opt::num("linker_nm", d.linker_nm)
            .check(nonneg)
            .unit("nm")
            .doc("antibody linker length"),
        Opt::num("pixel_nm", d.pixel_nm)
            .check(pos)
            .unit("nm")
            .doc("camera pixel size"),
        Opt::num("psf_nm", d.psf_nm)
            .check(pos)
            .unit("nm")
            .doc("PSF sigma"),
        Opt::num("photons", d.photons)
            .check(pos)
            .doc("mean photons per localization"),
        Opt::num("photons_sigma", d.photons_sigma)
            .check(nonneg)
            .doc("spread of log photons"),
        Opt::num("background", d.background)
            .check(nonneg)
            .doc("background photons per pixel"),
        Opt::num("blink_continue", d.blink_continue)
            .check(Check::Range(0.0, 0.99))
            .doc("probability that a blink continues into the next frame (0.6: realistic bursts)"),
        Opt::num_opt("precision_nm")
            .check(pos)
            .unit("nm")
            .default_text("from photons (Thompson et al. 2002)")
            .doc("fixed localization precision"),
        Opt::any("paths", "array of polylines [[x, y], ...] in nm").doc("explicit filament axes"),
        Opt::num("drift_nm", d.drift_nm).check(nonneg).unit("nm").doc(
            "largest excursion of a smooth, seeded stage drift added per frame (truth: sim.drift_truth)",
        ),
        Opt::num("background_locs_per_um2", d.background_locs_per_um2)
            .check(nonneg)
            .doc("spurious localizations per µm² over the acquisition, uniform in space and time"),
    ]
}

/// load_locs's documentation with the table of known columns and their units.
fn load_locs_doc() -> String {
    let mut d = String::from(
        "Load a localization table: Picasso .hdf5 (with the .yaml beside it) or ThunderSTORM .csv. \
         Rows with NaN/inf coordinates are dropped with a warning. Lengths are in nm after loading \
         (Picasso's camera-pixel columns are converted with the pixel size); `locs.describe()` lists \
         the columns of a loaded table with their units. The usual columns:\n",
    );
    for (name, unit, meaning) in crate::locs::KNOWN_COLUMNS {
        let unit = if unit.is_empty() { "-" } else { unit };
        d.push_str(&format!("  {name:<13} {unit:<13} {meaning}\n"));
    }
    d.push_str("Any other column is kept by name (with the unit of its ThunderSTORM header).");
    d
}

fn paths(v: &Dynamic) -> RResult<Vec<Vec<(f64, f64)>>> {
    let bad = || {
        rt_error(
            "simulate_microtubules: option `paths` must be an array of polylines [[x, y], [x, y], ...] in nm",
        )
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
    Ok(out)
}

/// Read simulation options over `base` (the values not given keep `base`'s).
fn sim_options(o: &Options, base: SimOptions) -> RResult<SimOptions> {
    let num = |k: &str, d: f64| -> RResult<f64> { Ok(if o.has(k) { o.num(k)? } else { d }) };
    let count = |k: &str, d: usize| -> RResult<usize> { Ok(if o.has(k) { o.count(k)? } else { d }) };
    Ok(SimOptions {
        seed: if o.has("seed") { o.seed()? } else { base.seed },
        size_nm: num("size_nm", base.size_nm)?,
        filaments: count("filaments", base.filaments)?,
        frames: if o.has("frames") {
            o.u32("frames")?
        } else {
            base.frames
        },
        n_locs: count("n_locs", base.n_locs)?,
        locs_per_epitope: o.opt_num("locs_per_epitope")?.or(base.locs_per_epitope),
        label_density_per_um: num("label_density_per_um", base.label_density_per_um)?,
        persistence_nm: num("persistence_nm", base.persistence_nm)?,
        tubule_radius_nm: num("tubule_radius_nm", base.tubule_radius_nm)?,
        linker_nm: num("linker_nm", base.linker_nm)?,
        pixel_nm: num("pixel_nm", base.pixel_nm)?,
        psf_nm: num("psf_nm", base.psf_nm)?,
        photons: num("photons", base.photons)?,
        photons_sigma: num("photons_sigma", base.photons_sigma)?,
        background: num("background", base.background)?,
        blink_continue: num("blink_continue", base.blink_continue)?,
        precision_nm: o.opt_num("precision_nm")?.or(base.precision_nm),
        paths: match o.raw("paths") {
            Some(v) => Some(paths(v)?),
            None => base.paths,
        },
        drift_nm: num("drift_nm", base.drift_nm)?,
        background_locs_per_um2: num("background_locs_per_um2", base.background_locs_per_um2)?,
    })
}

fn self_frc_spec() -> Vec<Opt> {
    let d = SelfFrcOptions::default();
    let mut spec = vec![
        Opt::num("pixel_nm", d.pixel_nm)
            .check(Check::Gt(0.0))
            .unit("nm")
            .doc("pixel size of the two renders"),
        Opt::choice("split", "random", SplitMode::NAMES).doc(
            "\"random\": a random 50/50 permutation (Picasso); \"frames\": time blocks (Nieuwenhuizen 2013)",
        ),
        Opt::count("blocks", SplitMode::DEFAULT_BLOCKS as usize)
            .check(Check::Ge(2.0))
            .doc("number of time blocks of split \"frames\""),
        Opt::seed(d.seed),
        Opt::count("repeats", d.repeats)
            .check(Check::Ge(1.0))
            .doc("independent splits; > 1 gives the mean curve and the repeats' statistics"),
    ];
    spec.extend(frc_spec(true));
    spec
}

fn split_spec() -> Vec<Opt> {
    vec![
        Opt::choice("mode", "random", SplitMode::NAMES)
            .doc("\"random\": a random 50/50 permutation (Picasso); \"frames\": time blocks, a random half of them forms half 1 (Nieuwenhuizen 2013)"),
        Opt::count("blocks", SplitMode::DEFAULT_BLOCKS as usize)
            .check(Check::Ge(2.0))
            .doc("number of time blocks of mode \"frames\""),
        Opt::seed(0),
    ]
}

fn split_mode(o: &Options, key: &str) -> RResult<SplitMode> {
    Ok(match o.parse::<SplitMode>(key)? {
        SplitMode::Frames { .. } => SplitMode::Frames {
            blocks: o.u32("blocks")?,
        },
        m => m,
    })
}

pub fn register(api: &mut Api) {
    api.handle::<LocsRef>();
    api.category("Tables");

    api.fun("load_locs")
        .str("path")
        .opts(vec![
            Opt::num_opt("pixel_nm")
                .check(Check::Gt(0.0))
                .unit("nm")
                .default_text("the YAML's Pixelsize")
                .doc("camera pixel size (required for a Picasso file whose YAML has none)"),
            Opt::choice("format", "auto", &["auto", "picasso", "thunderstorm"])
                .doc("file format; \"auto\" goes by the extension"),
        ])
        .doc(&load_locs_doc())
        .example("locs.save(\"t.hdf5\"); let back = load_locs(\"t.hdf5\");")
        .call(|c| {
            let path = c.str("path")?;
            let o = c.opts()?;
            let fmt = o.str("format")?;
            let fmt = (fmt != "auto").then_some(fmt);
            let px = o.opt_num("pixel_nm")?;
            let (locs, report) = c.run(|| {
                sandbox::check_read(&path)?;
                Locs::load(&path, px, fmt.as_deref())
            })?;
            for w in &report.warnings {
                eprintln!("load_locs: {w}");
            }
            Ok(LocsRef::new(locs))
        });
    api.fun("simulate_microtubules")
        .opts(sim_spec())
        .doc("Simulate a dSTORM microtubule dataset, deterministic per seed: worm-like filaments across the field, antibody-labelled epitopes around the tubule, Poisson blinking over the frames, localization precision from photon counts (Thompson et al. 2002), all Picasso columns. Defaults: 10 µm field, 8 filaments, ~100k localizations, 20k frames, 108 nm camera pixels.")
        .example("let sim = simulate_microtubules(#{ seed: 1, n_locs: 5000 });")
        .call(|c| {
            let opts = sim_options(&c.opts()?, SimOptions::default())?;
            c.run(|| simulate_microtubules(&opts)).map(LocsRef::simulated)
        });
    api.fun("simulate_filament_pair")
        .num("distance_nm")
        .opts(sim_spec())
        .doc("The paper's Figure 4C scene: two straight parallel vertical filaments `distance_nm` apart (0 < d < size_nm), centred in a 3 µm field, ~20k localizations. The options are those of simulate_microtubules and override the scene's.")
        .example("let pair = simulate_filament_pair(100.0, #{ seed: 4, n_locs: 2000 });")
        .call(|c| {
            let d = c.num("distance_nm")?;
            let o = c.opts()?;
            let mut opts = sim_options(&o, SimOptions::parallel_filaments(d))?;
            if !(d > 0.0 && d < opts.size_nm) {
                return Err(rt_error(format!(
                    "simulate_filament_pair: `distance_nm` must be in (0, {}), got {d}",
                    opts.size_nm
                )));
            }
            if !o.has("paths") {
                opts = opts.with_filament_pair(d);
            }
            c.run(|| simulate_microtubules(&opts)).map(LocsRef::simulated)
        });

    api.prop("len", "Number of localizations.", "locs.len", |l: &LocsRef| {
        l.locs.len() as INT
    });
    api.method::<LocsRef>("len")
        .doc("Number of localizations (the same as the property locs.len).")
        .example("locs.len()")
        .call(|c| Ok(c.recv::<LocsRef>()?.locs.len() as INT));
    api.prop(
        "columns",
        "Column names (frame, x, y, then the others in file order).",
        "locs.columns",
        |l: &LocsRef| l.locs.columns().into_iter().map(Dynamic::from).collect::<Array>(),
    );
    api.prop(
        "pixel_nm",
        "Camera pixel size in nm, or () when unknown.",
        "locs.pixel_nm",
        |l: &LocsRef| {
            l.locs
                .pixel_nm()
                .map(Dynamic::from_float)
                .unwrap_or(Dynamic::UNIT)
        },
    );
    api.prop(
        "width_nm",
        "Field of view width in nm.",
        "locs.width_nm",
        |l: &LocsRef| l.locs.width_nm(),
    );
    api.prop(
        "height_nm",
        "Field of view height in nm.",
        "locs.height_nm",
        |l: &LocsRef| l.locs.height_nm(),
    );
    api.prop(
        "n_frames",
        "Number of frames of the acquisition (frames run 0..n_frames).",
        "locs.n_frames",
        |l: &LocsRef| l.locs.n_frames() as INT,
    );
    api.prop(
        "history",
        "The operations applied to this table, oldest first (saved with it).",
        "print(locs.history);",
        |l: &LocsRef| {
            l.locs
                .meta
                .history
                .iter()
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
        },
    );
    api.method::<LocsRef>("column")
        .str("name")
        .doc("The values of one column as an array of floats (a copy; for small uses such as statistics).")
        .example("let photons = locs.column(\"photons\");")
        .call(|c| {
            let (l, name) = (c.recv::<LocsRef>()?, c.str("name")?);
            c.run(|| l.locs.column(&name)).map(float_array)
        });
    api.method::<LocsRef>("select")
        .map("ranges")
        .doc("The localizations whose columns lie in inclusive ranges: #{ column: [lo, hi], ... }. An unknown column is an error listing the columns.")
        .example("let bright = locs.select(#{ photons: [1000.0, 1e9], frame: [0, 4999] });")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let mut ranges = Vec::new();
            for (k, v) in &c.map("ranges")? {
                let bad = || rt_error(format!("select: range for `{k}` must be [lo, hi], got {v}"));
                let r = v.read_lock::<Array>().ok_or_else(bad)?;
                if r.len() != 2 {
                    return Err(bad());
                }
                let lo = as_f64(&r[0]).ok_or_else(bad)?;
                let hi = as_f64(&r[1]).ok_or_else(bad)?;
                ranges.push((k.to_string(), lo, hi));
            }
            c.run(|| l.locs.select(&ranges)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("frame_window")
        .int("first")
        .int("last")
        .doc("The localizations in frames first..=last.")
        .example("let early = locs.frame_window(0, 4999);")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let frame = |name: &str| -> RResult<u32> {
                let v = c.int(name)?;
                u32::try_from(v).map_err(|_| {
                    rt_error(format!(
                        "frame_window: `{name}` must be a frame number >= 0, got {v}"
                    ))
                })
            };
            let (a, b) = (frame("first")?, frame("last")?);
            c.run(|| l.locs.frame_window(a, b)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("random_window")
        .num("fraction")
        .int("seed")
        .doc("A random contiguous time window holding about `fraction` (0 < fraction <= 1) of the localizations: the paper's sparse inputs.")
        .example("let sparse = locs.random_window(0.1, 7);")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let (f, s) = (c.num("fraction")?, c.seed("seed")?);
            c.run(|| l.locs.random_window(f, s)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("subsample")
        .num("fraction")
        .int("seed")
        .doc("A random subset of round(fraction * len) localizations (0 < fraction <= 1), in the original order.")
        .example("let tenth = locs.subsample(0.1, 1);")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let (f, s) = (c.num("fraction")?, c.seed("seed")?);
            c.run(|| l.locs.subsample(f, s)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("split")
        .opts(split_spec())
        .doc("Split in two halves -> [half1, half2] (docs/methods.md §5).")
        .example("let halves = locs.split(#{ mode: \"frames\", blocks: 50, seed: 1 });")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let o = c.opts()?;
            let mode = split_mode(&o, "mode")?;
            let s = o.seed()?;
            let (a, b) = c.run(|| l.locs.split(mode, s))?;
            Ok(vec![Dynamic::from(l.derive(a)), Dynamic::from(l.derive(b))])
        });
    api.method::<LocsRef>("crop")
        .num("x_nm")
        .num("y_nm")
        .num("w_nm")
        .num("h_nm")
        .doc("The localizations with x in [x_nm, x_nm + w_nm) and y in [y_nm, y_nm + h_nm); the field of view stays the parent's.")
        .example("let roi = locs.crop(2000, 2000, 3000, 3000);")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let (x, y, w, h) = (c.num("x_nm")?, c.num("y_nm")?, c.num("w_nm")?, c.num("h_nm")?);
            c.run(|| l.locs.crop(x, y, w, h)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("save")
        .str("path")
        .doc("Save the table: .hdf5 writes a Picasso file (x, y in camera pixels) and its .yaml (earlier documents kept, plus one with what locus did); .csv a ThunderSTORM table. Written atomically.")
        .example("locs.save(\"subset.hdf5\");")
        .call(|c| {
            let (l, p) = (c.recv::<LocsRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                l.locs.save(&p)
            })
        });
    api.method::<LocsRef>("render")
        .opts(render_spec())
        .doc("Render a 2-D histogram: each localization adds 1 to its pixel (docs/methods.md §2). Localizations outside the grid are dropped and counted on stderr.")
        .example("let img = locs.render(#{ pixel_nm: 10.0 });")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let opts = render_options(&c.opts()?)?;
            let (img, dropped) = c.run(|| l.locs.render(&opts))?;
            if dropped > 0 {
                eprintln!("render: {dropped} localization(s) outside the grid were dropped");
            }
            Ok(ImageRef::new(img))
        });
    api.method::<LocsRef>("truth")
        .opts(vec![Opt::num("pixel_nm", RenderOptions::default().pixel_nm)
            .check(Check::Gt(0.0))
            .unit("nm")
            .doc("pixel size")])
        .doc("Ground truth of a simulated table on its grid: the number of labelled epitopes per pixel. Tables that were not simulated have none (error).")
        .example("let gt = sim.truth(#{ pixel_nm: 10.0 });")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let p = c.opts()?.num("pixel_nm")?;
            let t = l
                .truth
                .as_ref()
                .ok_or_else(|| rt_error("truth: this table was not simulated, so it has no ground truth"))?;
            c.run(|| t.truth(p)).map(ImageRef::new)
        });
    api.method::<LocsRef>("frc")
        .opts(self_frc_spec())
        .doc("Self-FRC: split the table in halves, render both on the table's grid, correlate with the Tukey mask (docs/methods.md §5). With repeats, the mean curve and the repeats' resolutions (curve.resolutions, resolution_mean, resolution_sd).")
        .example("let c = locs.frc(#{ pixel_nm: 5.0, split: \"frames\", repeats: 3 }); print(c.resolution());")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let o = c.opts()?;
            let opts = SelfFrcOptions {
                pixel_nm: o.num("pixel_nm")?,
                split: split_mode(&o, "split")?,
                seed: o.seed()?,
                repeats: o.count("repeats")?,
                frc: super::frc::frc_options(&o)?,
            };
            c.run(|| self_frc(&l.locs, &opts)).map(FrcRef::with_repeats)
        });
}
