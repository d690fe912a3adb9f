//! Bindings for the preprocessing of tables (docs/methods.md §9): drift
//! correction by redundant cross-correlation (`locs.undrift`, `Drift`), the
//! NeNA precision (`locs.nena`, `Nena`) and linking (`locs.link`).

use super::api::{float_array, Api, Handle};
use super::locs::LocsRef;
use super::sandbox;
use super::spec::{Check, Opt};
use crate::preprocess::{Drift, LinkOptions, Nena, NenaOptions, UndriftOptions};
use rhai::{Dynamic, Map, INT};
use std::sync::Arc;

/// A shared handle to a drift trace.
#[derive(Clone, Debug)]
pub struct DriftRef(pub Arc<Drift>);

/// A shared handle to a NeNA result.
#[derive(Clone, Debug)]
pub struct NenaRef(pub Arc<Nena>);

impl Handle for DriftRef {
    const TYPE: &'static str = "Drift";
    const VAR: &'static str = "drift";
    fn summary(&self) -> String {
        let d = &self.0;
        let span = |v: &[f64]| {
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
            if lo.is_finite() {
                hi - lo
            } else {
                0.0
            }
        };
        format!(
            "Drift over {} frames: x spans {:.1} nm, y spans {:.1} nm ({} segments)",
            d.n_frames(),
            span(&d.x_nm),
            span(&d.y_nm),
            d.segments.len()
        )
    }
}

impl Handle for NenaRef {
    const TYPE: &'static str = "Nena";
    const VAR: &'static str = "nena";
    fn summary(&self) -> String {
        format!(
            "NeNA precision {:.2} nm from {} next-frame pairs",
            self.0.precision_nm, self.0.n_pairs
        )
    }
}

pub fn register(api: &mut Api) {
    api.handle::<DriftRef>().handle::<NenaRef>();
    api.category("Preprocessing");

    let d = UndriftOptions::default();
    api.method::<LocsRef>("undrift")
        .opts(vec![
            Opt::count("segment_frames", d.segment_frames as usize)
                .check(Check::Ge(1.0))
                .doc("frames per segment"),
            Opt::num_opt("pixel_nm")
                .check(Check::Gt(0.0))
                .unit("nm")
                .default_text("half the camera pixel, else 50")
                .doc("pixel of the segment images"),
            Opt::count("max_shift_px", d.max_shift_px)
                .check(Check::Ge(1.0))
                .unit("px")
                .doc("largest shift searched between two segments"),
            Opt::num("min_blur_px", d.min_blur_px)
                .check(Check::Gt(0.0))
                .unit("px")
                .doc("smallest Gaussian sigma of a localization in the segment images"),
        ])
        .doc("Drift correction by redundant cross-correlation (Wang et al. 2014; docs/methods.md §9): the frames are cut into segments, every pair of segment images is cross-correlated, the segment drifts solve the over-determined shifts by least squares (outliers dropped), a cubic spline gives the drift of every frame, and it is subtracted. Returns #{ locs, drift }; the corrected table records the operation in its history.")
        .example("let r = sim.undrift(#{ segment_frames: 500 }); let fixed = r.locs; r.drift.plot(\"drift.svg\");")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let o = c.opts()?;
            let opts = UndriftOptions {
                segment_frames: o.u32("segment_frames")?,
                pixel_nm: o.opt_num("pixel_nm")?,
                max_shift_px: o.count("max_shift_px")?,
                min_blur_px: o.num("min_blur_px")?,
            };
            let (t, drift) = c.run(|| l.locs.undrift(&opts))?;
            let mut out = Map::new();
            out.insert("locs".into(), Dynamic::from(l.derive(t)));
            out.insert("drift".into(), Dynamic::from(DriftRef(Arc::new(drift))));
            Ok(out)
        });
    api.prop(
        "x_nm",
        "The drift in x of every frame, nm (an array, a copy).",
        "let dx = drift.x_nm;",
        |d: &DriftRef| float_array(d.0.x_nm.iter().copied()),
    );
    api.prop(
        "y_nm",
        "The drift in y of every frame, nm (an array, a copy).",
        "let dy = drift.y_nm;",
        |d: &DriftRef| float_array(d.0.y_nm.iter().copied()),
    );
    api.method::<DriftRef>("plot")
        .str("path")
        .doc("Plot the drift in x and y against the frame (nm), SVG or PNG.")
        .example("drift.plot(\"drift.svg\");")
        .call(|c| {
            let (d, p) = (c.recv::<DriftRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                d.0.plot(&p)
            })
        });
    api.method::<DriftRef>("save")
        .str("path")
        .doc("Write the drift as CSV (frame, x_nm, y_nm), atomically.")
        .example("drift.save(\"drift.csv\");")
        .call(|c| {
            let (d, p) = (c.recv::<DriftRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                d.0.save_csv(&p)
            })
        });
    api.method::<DriftRef>("apply")
        .handle::<LocsRef>("locs")
        .doc("Subtract this drift from a table of the same acquisition (frame by frame).")
        .example("let fixed = drift.apply(sim);")
        .call(|c| {
            let (d, l) = (c.recv::<DriftRef>()?, c.handle::<LocsRef>("locs")?);
            c.run(|| d.0.apply(&l.locs)).map(|t| l.derive(t))
        });
    api.prop(
        "drift_truth",
        "The drift added by simulate_microtubules(#{ drift_nm }) (a Drift), or () for a table simulated without drift or loaded from a file.",
        "let truth = simulate_microtubules(#{ n_locs: 2000, drift_nm: 100.0 }).drift_truth;",
        |l: &LocsRef| {
            l.truth
                .as_ref()
                .and_then(|t| t.drift.clone())
                .map(|d| Dynamic::from(DriftRef(Arc::new(d))))
                .unwrap_or(Dynamic::UNIT)
        },
    );

    api.method::<LocsRef>("nena")
        .opts(vec![
            Opt::num_opt("d_max_nm")
                .check(Check::Gt(0.0))
                .unit("nm")
                .default_text("one camera pixel")
                .doc("largest next-frame distance histogrammed"),
            Opt::num_opt("bin_nm")
                .check(Check::Gt(0.0))
                .unit("nm")
                .default_text("d_max / 1000")
                .doc("histogram bin"),
        ])
        .doc("NeNA localization precision (Endesfelder et al. 2014; docs/methods.md §9): the distances of every localization to those of the next frame are histogrammed and fitted with the pair-distance model plus a short-range term; precision_nm is its s. An error when the table has too few next-frame pairs.")
        .example("let n = sim.nena(); print(n.precision_nm);")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let o = c.opts()?;
            let opts = NenaOptions {
                d_max_nm: o.opt_num("d_max_nm")?,
                bin_nm: o.opt_num("bin_nm")?,
            };
            c.run(|| l.locs.nena(&opts)).map(|n| NenaRef(Arc::new(n)))
        });
    api.prop(
        "precision_nm",
        "The NeNA localization precision, nm.",
        "nena.precision_nm",
        |n: &NenaRef| n.0.precision_nm,
    );
    api.prop(
        "n_pairs",
        "Number of next-frame pairs within d_max.",
        "nena.n_pairs",
        |n: &NenaRef| n.0.n_pairs as INT,
    );
    api.method::<NenaRef>("plot")
        .str("path")
        .doc("Plot the next-frame distance histogram with the fitted model, SVG or PNG.")
        .example("nena.plot(\"nena.svg\");")
        .call(|c| {
            let (n, p) = (c.recv::<NenaRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                n.0.plot(&p)
            })
        });

    let ld = LinkOptions::default();
    api.method::<LocsRef>("link")
        .opts(vec![
            Opt::num("radius_nm", ld.radius_nm)
                .check(Check::Gt(0.0))
                .unit("nm")
                .doc("largest distance to the event's last localization"),
            Opt::count("max_dark_frames", ld.max_dark_frames as usize).doc("frames an event may vanish for"),
        ])
        .doc("Link the localizations of one blinking event (Picasso's rule; docs/methods.md §9): localizations in consecutive frames (gaps up to max_dark_frames) within radius_nm of the event's last one are merged: position weighted by 1/lp², photons summed, the first frame, precision combined; new columns n (localizations merged) and len (frames spanned).")
        .example("let linked = sim.link(#{ radius_nm: 30.0 });")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            let o = c.opts()?;
            let opts = LinkOptions {
                radius_nm: o.num("radius_nm")?,
                max_dark_frames: o.u32("max_dark_frames")?,
            };
            c.run(|| l.locs.link(&opts)).map(|t| l.derive(t))
        });
}
