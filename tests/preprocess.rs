//! The preprocessing bindings (docs/methods.md §9) as scripts use them:
//! undrift with a known simulated drift, NeNA, linking and precision
//! rendering, and their errors.
use rhai::{Dynamic, Engine};

fn engine() -> Engine {
    locus::script::new_engine()
}

fn eval<T: rhai::Variant + Clone>(code: &str) -> T {
    engine()
        .eval::<T>(code)
        .unwrap_or_else(|e| panic!("script failed: {e}\n{code}"))
}

fn err(code: &str) -> String {
    match engine().eval::<Dynamic>(code) {
        Ok(v) => panic!("expected an error, got {v:?} from\n{code}"),
        Err(e) => e.to_string(),
    }
}

const SIM: &str = "let sim = simulate_microtubules(#{ seed: 3, n_locs: 20000, size_nm: 4000.0, frames: 10000, drift_nm: 80.0, blink_continue: 0.6 });";

#[test]
fn undrift_recovers_the_simulated_drift() {
    let rms: f64 = eval(&format!(
        "{SIM}
        let r = sim.undrift(#{{ segment_frames: 1000 }});
        assert(r.locs.history[-1].starts_with(\"undrift(\"), \"history records undrift\");
        let d = r.drift.x_nm; let t = sim.drift_truth.x_nm;
        assert(d.len() == sim.n_frames && t.len() == d.len(), \"one value per frame\");
        let m = 0.0; for i in 0..d.len() {{ m += d[i] - t[i]; }} m /= d.len().to_float();
        let ss = 0.0; for i in 0..d.len() {{ let e = d[i] - t[i] - m; ss += e * e; }}
        (ss / d.len().to_float()).sqrt()"
    ));
    assert!(rms < 8.0, "residual drift {rms} nm RMS for an 80 nm drift");
    let none: Dynamic = eval("simulate_microtubules(#{ n_locs: 500 }).drift_truth");
    assert!(none.is_unit());
}

#[test]
fn nena_link_and_precision_render() {
    let (prec, linked, n, total): (f64, i64, i64, f64) = {
        let v: rhai::Array = eval(&format!(
            "{SIM}
            let n = sim.nena();
            let l = sim.link(#{{ radius_nm: 20.0 }});
            assert(l.columns.contains(\"n\") && l.columns.contains(\"len\"), \"n and len columns\");
            let img = sim.render(#{{ pixel_nm: 20.0, blur: \"precision\", min_blur_nm: 5.0 }});
            [n.precision_nm, l.len, sim.len, img.sum()]"
        ));
        (
            v[0].as_float().unwrap(),
            v[1].as_int().unwrap(),
            v[2].as_int().unwrap(),
            v[3].as_float().unwrap(),
        )
    };
    assert!(prec > 2.0 && prec < 30.0, "NeNA precision {prec} nm is plausible");
    assert!(linked < n, "linking merges bursts: {linked} of {n}");
    assert!(
        total > 0.97 * n as f64 && total <= n as f64 + 1e-3,
        "precision render keeps mass: {total} of {n}"
    );
}

#[test]
fn preprocessing_errors_name_the_problem() {
    let e = err("let t = simulate_microtubules(#{ n_locs: 500 }); t.crop(0.0, 0.0, 1.0, 1.0).nena()");
    assert!(
        e.contains("nena: NeNA: only 0 pair(s)") && e.contains("at least 100"),
        "{e}"
    );
    let e = err(&format!("{SIM} sim.undrift(#{{ segment_frames: 0 }})"));
    assert!(e.contains("option `segment_frames` must be >= 1"), "{e}");
    let e = err(&format!("{SIM} sim.link(#{{ radius: 3.0 }})"));
    assert!(
        e.contains("unknown option `radius` (did you mean `radius_nm`?)"),
        "{e}"
    );
    let e = err(&format!("{SIM} sim.render(#{{ blur: \"gauss\" }})"));
    assert!(
        e.contains("option `blur` must be one of \"none\" | \"precision\""),
        "{e}"
    );
}
