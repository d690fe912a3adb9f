//! The scripting API of SCRIPTING.md, exercised through the engine: every
//! binding converts its arguments, calls the numerics and reports errors
//! that name the function and the argument or option.

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

fn shared(rel: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    assert!(p.exists(), "test data file missing: {}", p.display());
    p.display().to_string()
}

const SIM: &str =
    "let locs = simulate_microtubules(#{ seed: 3, size_nm: 3000.0, n_locs: 20000, frames: 5000 });";

#[test]
fn table_properties_and_render_counts() {
    let code = format!(
        "{SIM} let img = locs.render(#{{ pixel_nm: 10.0 }});
         [locs.len, img.width, img.height, img.sum(), locs.pixel_nm, locs.n_frames, locs.width_nm]"
    );
    let v: rhai::Array = eval(&code);
    let n = v[0].as_int().unwrap();
    assert!((15_000..25_000).contains(&n), "{n}");
    assert_eq!(v[1].as_int().unwrap(), 300);
    assert_eq!(v[2].as_int().unwrap(), 300);
    assert_eq!(
        v[3].as_float().unwrap(),
        n as f64,
        "every localization is inside the field"
    );
    assert_eq!(v[4].as_float().unwrap(), 108.0);
    assert_eq!(v[5].as_int().unwrap(), 5000);
    assert_eq!(v[6].as_float().unwrap(), 3000.0);
}

#[test]
fn simulation_is_deterministic_per_seed() {
    let a: f64 = eval(&format!("{SIM} locs.column(\"x\").reduce(|s, v| s + v, 0.0)"));
    let b: f64 = eval(&format!("{SIM} locs.column(\"x\").reduce(|s, v| s + v, 0.0)"));
    let c: f64 = eval(
        "let l = simulate_microtubules(#{ seed: 4, size_nm: 3000.0, n_locs: 20000 }); l.column(\"x\").reduce(|s, v| s + v, 0.0)",
    );
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn selection_functions_partition_the_table() {
    let code = format!(
        "{SIM}
         let h = locs.split(#{{ mode: \"frames\", blocks: 10, seed: 2 }});
         let w = locs.frame_window(0, 999);
         let s = locs.select(#{{ frame: [0, 999] }});
         let r = locs.random_window(0.2, 5);
         let sub = locs.subsample(0.5, 1);
         let c = locs.crop(0, 0, 1500, 3000);
         [locs.len, h[0].len + h[1].len, w.len, s.len, r.len, sub.len, c.len, c.width_nm]"
    );
    let v: rhai::Array = eval(&code);
    let n = v[0].as_int().unwrap();
    assert_eq!(v[1].as_int().unwrap(), n, "split halves cover the table");
    assert_eq!(
        v[2].as_int().unwrap(),
        v[3].as_int().unwrap(),
        "frame_window == select on frame"
    );
    let r = v[4].as_int().unwrap() as f64 / n as f64;
    assert!((r - 0.2).abs() < 0.02, "random_window fraction {r}");
    assert_eq!(v[5].as_int().unwrap(), (n as f64 * 0.5).round() as i64);
    assert!(v[6].as_int().unwrap() < n);
    assert_eq!(
        v[7].as_float().unwrap(),
        3000.0,
        "subsets keep the parent's field of view"
    );
}

#[test]
fn picasso_file_loads_with_hand_checked_values() {
    let p = shared("picasso/testdata_locs.hdf5");
    let v: rhai::Array = eval(&format!(
        "let l = load_locs(\"{p}\"); [l.len, l.pixel_nm, l.columns.contains(\"iterations\"), l.n_frames]"
    ));
    assert_eq!(v[0].as_int().unwrap(), 564);
    assert_eq!(v[1].as_float().unwrap(), 130.0);
    assert!(v[2].as_bool().unwrap());
    assert!(v[3].as_int().unwrap() >= 1);
}

#[test]
fn save_and_reload_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let code = format!(
        "{SIM}
         locs.save(\"{d}/t.hdf5\"); locs.save(\"{d}/t.csv\");
         let a = load_locs(\"{d}/t.hdf5\"); let b = load_locs(\"{d}/t.csv\", #{{ pixel_nm: 108.0 }});
         let img = locs.render(#{{ pixel_nm: 20.0 }});
         img.save(\"{d}/i.tif\"); img.save(\"{d}/i.npy\");
         let t = load_image(\"{d}/i.tif\"); let n = load_image(\"{d}/i.npy\");
         [a.len == locs.len, b.len == locs.len, (t - img).max() == 0.0, (n - img).min() == 0.0, t.pixel_nm]"
    );
    let v: rhai::Array = eval(&code);
    for (i, x) in v[..4].iter().enumerate() {
        assert!(x.as_bool().unwrap(), "check {i} failed");
    }
    assert!((v[4].as_float().unwrap() - 20.0).abs() < 1e-6);
}

#[test]
fn image_arithmetic_and_statistics() {
    let v: rhai::Array = eval(
        "let a = zeros(4, 3, 5.0) + 2; let b = a * 3.0 - 1; let c = 10 - b / 2;
         [a.sum(), b.max(), c.get(0, 0), (b - a).mean(), a.width, a.height, a.pixel_nm]",
    );
    assert_eq!(v[0].as_float().unwrap(), 24.0);
    assert_eq!(v[1].as_float().unwrap(), 5.0);
    assert_eq!(v[2].as_float().unwrap(), 7.5);
    assert_eq!(v[3].as_float().unwrap(), 3.0);
    assert_eq!(v[4].as_int().unwrap(), 4);
    assert_eq!(v[5].as_int().unwrap(), 3);
    assert_eq!(v[6].as_float().unwrap(), 5.0);
}

#[test]
fn density_bindings_conserve_mass() {
    let v: rhai::Array = eval(&format!(
        "{SIM} let img = locs.render(#{{ pixel_nm: 10.0 }}).threshold(2.0);
         let a = img.akde(#{{ window: 11, scale: 2.0 }}); let g = img.gaussian(1.5);
         [img.sum(), a.sum(), g.sum(), img.akde(#{{ border: \"skip\" }}).sum()]"
    ));
    let m = v[0].as_float().unwrap();
    assert!(m > 0.0);
    assert!(
        (v[1].as_float().unwrap() - m).abs() < 1e-3 * m,
        "AKDE clip keeps the mass"
    );
    // The "nearest" border repeats edge values, so mass near the edges changes slightly.
    assert!(
        (v[2].as_float().unwrap() - m).abs() < 2e-2 * m,
        "Gaussian keeps the mass"
    );
    assert!(
        v[3].as_float().unwrap() <= m * (1.0 + 1e-6),
        "skip can only lose mass"
    );
}

#[test]
fn frc_of_identical_images_is_one_and_table_frc_is_plausible() {
    let v: rhai::Array = eval(&format!(
        "{SIM} let img = locs.render(#{{ pixel_nm: 10.0 }});
         let c = frc(img, img);
         let t = locs.frc(#{{ pixel_nm: 5.0, repeats: 2 }});
         [c.area(0.5), c.resolution(), t.resolution(), t.resolution_sd, c.freq.len(), area_frc(img, img, 0.2)]"
    ));
    assert!((v[0].as_float().unwrap() - 1.0).abs() < 1e-9);
    assert!(v[1].is_unit(), "identical images never cross the threshold");
    let r = v[2].as_float().unwrap();
    assert!(r > 5.0 && r < 100.0, "{r}");
    assert!(v[3].as_float().unwrap() >= 0.0);
    assert_eq!(v[4].as_int().unwrap(), 150);
    assert!((v[5].as_float().unwrap() - 1.0).abs() < 1e-9);
}

#[test]
fn metrics_bindings() {
    let v: rhai::Array = eval(&format!(
        "{SIM} let a = locs.render(#{{ pixel_nm: 10.0 }}).gaussian(1.0).normalize();
         let b = locs.subsample(0.5, 2).render(#{{ pixel_nm: 10.0 }}).gaussian(1.0).normalize();
         let e = evaluate(b, a);
         [mse(a, a), psnr(a, b), ms_ssim(a, a), ssim(a, b), e.mse, e.psnr, e.ms_ssim, e.area_frc]"
    ));
    assert_eq!(v[0].as_float().unwrap(), 0.0);
    let psnr = v[1].as_float().unwrap();
    assert!(psnr > 10.0 && psnr < 60.0, "{psnr}");
    assert!((v[2].as_float().unwrap() - 1.0).abs() < 1e-6);
    let s = v[3].as_float().unwrap();
    assert!(s > 0.0 && s < 1.0);
    assert_eq!(v[5].as_float().unwrap(), psnr);
    assert!(v[7].as_float().unwrap() > 0.3 && v[7].as_float().unwrap() <= 1.0);
}

#[test]
fn plots_write_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    eval::<()>(&format!(
        "{SIM} let img = locs.render(#{{ pixel_nm: 10.0 }});
         img.plot(\"{d}/h.svg\", #{{ title: \"t\", scalebar_nm: 500.0 }});
         plot_frc([locs.frc(), locs.frc(#{{ split: \"frames\" }})], \"{d}/f.svg\", #{{ labels: [\"a\", \"b\"] }});
         plot_lines([#{{ x: [1, 2, 3], y: [1.0, 4.0, 9.0], yerr: [0.1, 0.2, 0.3], label: \"sq\" }}], \"{d}/l.svg\", #{{ log_x: true }});
         plot_bars([\"a\", \"b\"], [#{{ label: \"x\", values: [1.0, 2.0] }}], \"{d}/b.png\", #{{}});
         plot_panel([img, img.gaussian(1.0)], [\"hist\", \"kde\"], \"{d}/p.svg\", #{{}});"
    ));
    for f in ["h.svg", "f.svg", "l.svg", "b.png", "p.svg"] {
        let m = std::fs::metadata(dir.path().join(f)).unwrap_or_else(|_| panic!("{f} missing"));
        assert!(m.len() > 500, "{f} too small");
    }
    let frc_svg = std::fs::read_to_string(dir.path().join("f.svg")).unwrap();
    assert!(
        frc_svg.contains("Resolution:"),
        "the FRC plot names the resolution"
    );
}

#[test]
fn plot_style_options_reach_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    eval::<()>(&format!(
        "{SIM} let img = locs.render(#{{ pixel_nm: 20.0 }});
         plot_lines([#{{ x: [1, 2, 3], y: [1.0, 4.0, 9.0], label: \"sq\", color: \"#123456\", dash: \"dotted\" }},
                     #{{ x: [1, 2, 3], y: [2.0, 3.0, 4.0], label: \"lin\" }},
                     #{{ x: [1, 2, 3], y: [3.0, 3.0, 3.0], label: \"flat\", dashed: true }}],
                    \"{d}/l.svg\", #{{ colors: [\"C0\", \"black\"], dashes: [\"solid\", \"dashdot\"],
                                        xlim: [1.0, 2.5], ylim: [0.0, 10.0], legend: \"upper left\", integer_x: false }});
         plot_bars([\"a\", \"b\"], [#{{ label: \"x\", values: [1.0, 0.01], color: \"red\" }}], \"{d}/b.svg\",
                   #{{ shared_y: false }});
         plot_panel([img, img.gaussian(1.0)], [\"a\", \"b\"], \"{d}/p.svg\",
                    #{{ colorbar: true, colorbar_label: \"counts\", shared_scale: true, vmax_percentile: 99.5 }});
         plot_frc([locs.frc()], \"{d}/f.svg\", #{{ colors: [\"#aa00aa\"], legend: \"outside\" }});
         img.plot(\"{d}/h.svg\", #{{ vmax_percentile: 99.0 }});
         img.show(#{{ vmin: 0.0, vmax: 3.0, colormap: \"gray\" }});
         img.show(#{{ percentile: 99.0 }});"
    ));
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    let l = read("l.svg");
    // the series' own colour and dash win over the options' lists
    assert!(
        l.contains("stroke=\"#123456\" stroke-dasharray=\"2 4\""),
        "own colour and dash"
    );
    assert!(
        l.contains("stroke=\"#000000\" stroke-dasharray=\"10 4 2 4\""),
        "listed colour and dash"
    );
    // the third series: default colour (C2), dashed by its flag
    assert!(
        l.contains("stroke=\"#2CA02C\" stroke-dasharray=\"10 6\""),
        "default colour, `dashed`"
    );
    assert!(
        l.contains(">\n1.2\n</text>"),
        "integer_x: false allows fractional ticks"
    );
    let b = read("b.svg");
    assert_eq!(
        b.matches("fill=\"#D62728\"").count(),
        3,
        "two bars on their own axes and the swatch"
    );
    let p = read("p.svg");
    assert_eq!(
        p.matches(">\ncounts\n</text>").count(),
        1,
        "one shared colour bar, labelled"
    );
    assert!(read("f.svg").contains("stroke=\"#AA00AA\""));
}

#[test]
fn plot_style_option_errors_name_the_option() {
    let pre = "let img = zeros(8, 8, 10.0);";
    for (code, want) in [
        (
            "plot_lines([#{ y: [1.0, 2.0] }], \"/tmp/x.svg\", #{ colors: [\"chartreuse\"] })",
            "colors",
        ),
        (
            "plot_lines([#{ y: [1.0, 2.0], dash: \"wavy\" }], \"/tmp/x.svg\")",
            "dash",
        ),
        (
            "plot_lines([#{ y: [1.0, 2.0] }], \"/tmp/x.svg\", #{ xlim: [1.0] })",
            "xlim",
        ),
        (
            "plot_lines([#{ y: [1.0, 2.0] }], \"/tmp/x.svg\", #{ xlim: [3.0, 1.0] })",
            "xlim",
        ),
        (
            "plot_lines([#{ y: [1.0, 2.0] }], \"/tmp/x.svg\", #{ legend: \"middle\" })",
            "legend",
        ),
        (
            "plot_lines([#{ y: [1.0, 2.0] }], \"/tmp/x.svg\", #{ integer_x: \"yes\" })",
            "integer_x",
        ),
        (
            "plot_bars([\"a\"], [#{ values: [1.0], color: \"#12\" }], \"/tmp/x.svg\")",
            "color",
        ),
        ("img.show(#{ percentile: 120.0 })", "percentile"),
        ("img.show(#{ percentile: 0.0 })", "percentile"),
    ] {
        let e = err(&format!("{pre} {code}"));
        assert!(e.contains(want), "{code}: {e}");
    }
}

#[test]
fn unet_trains_predicts_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let v: rhai::Array = eval(&format!(
        "{SIM}
         let pairs = training_pairs([locs], #{{ pixel_nm: 10.0, patch: 64, per_table: 4, seed: 1 }});
         let net = unet(#{{ depth: 4, filters: 8, seed: 1 }});
         let h = net.train(pairs, #{{ epochs: 2, loss: #{{ frc: 1.0, l1: 0.1 }}, crop: 96, quiet: true,
                                     checkpoint: \"{d}/m.safetensors\" }});
         let p = net.predict(pairs.input(0), #{{ tile: 64 }});
         let back = load_unet(\"{d}/m.safetensors\");
         let q = back.predict(pairs.input(0), #{{ tile: 64 }});
         net.save(\"{d}/n.safetensors\");
         [pairs.len, h.epochs, h.steps, p.width, (p - q).max(), (q - p).max(), p.max() <= 1.0, h.loss(\"frc\").len()]"
    ));
    assert_eq!(v[0].as_int().unwrap(), 4);
    assert_eq!(v[1].as_int().unwrap(), 2);
    assert_eq!(v[2].as_int().unwrap(), 8);
    assert_eq!(v[3].as_int().unwrap(), 300);
    assert_eq!(v[4].as_float().unwrap(), 0.0, "the checkpoint reproduces the net");
    assert_eq!(v[5].as_float().unwrap(), 0.0);
    assert!(v[6].as_bool().unwrap());
    assert_eq!(v[7].as_int().unwrap(), 2);
    assert!(dir.path().join("n.safetensors.json").exists() || dir.path().join("n.json").exists());
}

#[test]
fn unet_upsample_option() {
    // resize_conv: 3×3 kernels in the decoder and output (depth 4, base 8:
    // 73,441 parameters against 96,849 with transposed convolutions), kept
    // by save/load; an unknown name lists the valid ones.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let spot = shared("frcnet/spot01_sub.png");
    let v: rhai::Array = eval(&format!(
        "let a = unet(#{{ depth: 4, filters: 8, seed: 1, upsample: \"resize_conv\" }});
         let b = unet(#{{ depth: 4, filters: 8, seed: 1 }});
         let c = unet(#{{ depth: 4, filters: 8, seed: 1, upsample: \"transpose\" }});
         a.save(\"{d}/rc.safetensors\");
         let back = load_unet(\"{d}/rc.safetensors\");
         let img = load_image(\"{spot}\").crop(200, 200, 32, 32);
         let p = a.predict(img, #{{ tile: 32 }});
         let q = back.predict(img, #{{ tile: 32 }});
         [a.params, b.params, c.params, back.to_string(), b.to_string(), (p - q).max(), (q - p).max(),
          p.max() - p.min()]"
    ));
    assert_eq!(v[0].as_int().unwrap(), 73_441);
    assert_eq!(v[1].as_int().unwrap(), 96_849);
    assert_eq!(v[2].as_int().unwrap(), 96_849);
    let s = v[3].clone().into_string().unwrap();
    assert!(s.contains("resize_conv"), "{s}");
    let s = v[4].clone().into_string().unwrap();
    assert!(s.contains("transpose"), "{s}");
    assert_eq!(v[5].as_float().unwrap(), 0.0);
    assert_eq!(v[6].as_float().unwrap(), 0.0);
    assert!(v[7].as_float().unwrap() > 0.0, "the prediction is not constant");
    let e = err("unet(#{ depth: 2, filters: 2, upsample: \"bilinear\" })");
    assert!(
        e.contains("upsample") && e.contains("resize_conv") && e.contains("transpose"),
        "{e}"
    );
}

#[test]
fn errors_name_function_and_option() {
    assert!(err("zeros(8, 8, 1.0).akde(#{ windw: 3 })").contains(
        "akde: unknown option `windw` (did you mean `window`?); valid options are: border, scale, window"
    ));
    assert!(err("zeros(8, 8, 1.0).akde(#{ window: 4 })").contains("window"));
    assert!(err("frc(zeros(8, 8, 1.0), zeros(9, 8, 1.0))").contains("shape"));
    assert!(err("ms_ssim(zeros(64, 64, 1.0), zeros(64, 64, 1.0))").contains("161"));
    assert!(err("load_locs(\"/no/such/file.hdf5\")").contains("/no/such/file.hdf5"));
    assert!(err("simulate_microtubules(#{ seed: 1, n_loc: 5 })").contains("unknown option `n_loc`"));
    let e = err("let l = simulate_microtubules(#{ n_locs: 1000, size_nm: 1000.0 }); l.random_window(1.5, 1)");
    assert!(e.contains("random_window") && e.contains("fraction"), "{e}");
    assert!(err(
        "let l = simulate_microtubules(#{ n_locs: 1000, size_nm: 1000.0 }); l.select(#{ nope: [0, 1] })"
    )
    .contains("nope"));
    assert!(err("zeros(8, 8, 1.0).get(9, 0)").contains("col"));
    assert!(err("zeros(8, 8, 1.0) / 0").contains("/"));
    assert!(err("unet(#{ device: \"cuda\" })").contains("--features cuda") || cfg!(feature = "cuda"));
    assert!(err("load_image(\"/tmp/definitely-missing.png\")").contains("definitely-missing.png"));
}

#[test]
fn integers_are_accepted_where_floats_are_expected() {
    let v: f64 = eval(
        "zeros(8, 8, 1).threshold(1).gaussian(1).sum() + zeros(4, 4, 1).akde(#{ scale: 2, window: 3 }).sum()",
    );
    assert_eq!(v, 0.0);
}

#[test]
fn values_print_as_summaries() {
    let s: String = eval(&format!("{SIM} locs.to_string()"));
    assert!(s.starts_with("Locs ") && s.contains("localizations"), "{s}");
    let s: String = eval("zeros(10, 20, 5.0).to_string()");
    assert_eq!(s, "Image 10×20 px @ 5.0 nm, sum 0.0, range [0.0, 0.0]");
}

#[test]
fn len_is_a_property_and_a_method() {
    let v: rhai::Array = eval(&format!("{SIM} [locs.len, locs.len()]"));
    assert_eq!(v[0].as_int().unwrap(), v[1].as_int().unwrap());
}

#[test]
fn option_specs_validate_the_same_way_everywhere() {
    // A negative seed is an error in every function that takes one.
    for code in [
        "simulate_microtubules(#{ seed: -1, n_locs: 100 })",
        "unet(#{ depth: 2, filters: 2, seed: -1 })",
        "simulate_microtubules(#{ n_locs: 500 }).split(#{ seed: -2 })",
    ] {
        let e = err(code);
        assert!(e.contains("option `seed` must be an integer >= 0"), "{code}: {e}");
    }
    // Ranges come from the spec, with the unit-free bound in the message.
    let e = err("zeros(10, 10, 0.0)");
    assert!(e.contains("zeros: pixel_nm: must be > 0"), "{e}");
    let e = err("simulate_microtubules(#{ n_locs: 500 }).render().akde(#{ window: 4 })");
    assert!(
        e.contains("akde: option `window` must be odd, >= 3, got 4"),
        "{e}"
    );
    let e = err(
        "let n = unet(#{ depth: 2, filters: 2 }); n.predict(zeros(16, 16, 10.0), #{ tile: 16, overlap: 16 })",
    );
    assert!(
        e.contains("option `overlap` must be < the tile (16), got 16"),
        "{e}"
    );
    // A typo gets a suggestion and the list of valid keys.
    let e = err("simulate_microtubules(#{ sed: 1 })");
    assert!(e.contains("unknown option `sed` (did you mean `seed`?)"), "{e}");
    // A wrong argument type names the argument.
    let e = err("zeros(10, 10, \"ten\")");
    assert!(
        e.contains("zeros: `pixel_nm` must be a number, got ten (string)"),
        "{e}"
    );
}

#[test]
fn optional_arguments_are_declared_once() {
    // psnr with and without max_val, render with and without options.
    let a: f64 = eval("let a = zeros(16, 16, 1.0) + 0.5; let b = a * 0.9; psnr(a, b)");
    let b: f64 = eval("let a = zeros(16, 16, 1.0) + 0.5; let b = a * 0.9; psnr(a, b, 2.0)");
    assert_eq!(a, b, "images in [-1, 1] default to max_val 2");
    let n: i64 = eval("simulate_microtubules(#{ n_locs: 300 }).render().width");
    assert_eq!(n, 1000);
    let docs = locus::script::docs();
    let sigs: Vec<String> = docs.lookup("psnr").iter().map(|e| e.signature.clone()).collect();
    assert!(sigs.iter().all(|s| s == "psnr(a, b[, max_val])"), "{sigs:?}");
}

#[test]
fn help_knows_receiver_methods_and_options() {
    let h = locus::script::help_text("img.akde").unwrap();
    assert!(h.starts_with("img.akde([opts])"), "{h}");
    assert!(h.contains("window") && h.contains("default 11"), "{h}");
    assert!(locus::script::help_text("Image.akde").is_some());
    assert!(locus::script::help_text("locs.akde").is_none());
    let s = locus::script::help_text("stats").unwrap();
    assert!(s.contains("stats::mean(xs)"), "{s}");
    let u = locus::script::unknown_help("simulate_microtubule");
    assert!(u.contains("did you mean `simulate_microtubules`"), "{u}");
}

#[test]
fn function_not_found_is_explained() {
    let m = locus::script::explain_not_found("plot_frc (FrcCurve, &str | ImmutableString | String)");
    assert!(m.contains("plot_frc(curves, path[, opts])"), "{m}");
    assert!(m.contains("plot_frc([curve], ...)"), "{m}");
    let m = locus::script::explain_not_found("akde (Locs)");
    assert!(m.contains("method of Image") && m.contains("locs.render("), "{m}");
    let m = locus::script::explain_not_found("simulate_microtubule (Map)");
    assert!(m.contains("did you mean `simulate_microtubules`"), "{m}");
    assert!(locus::script::syntax_hint("let i = locs.render({ pixel_nm: 5.0 });").is_some());
    assert!(locus::script::syntax_hint("let i = locs.render(pixel_nm: 5.0);").is_some());
    assert!(locus::script::syntax_hint("let i = locs.render(#{ pixel_nm: 5.0 });").is_none());
}

#[test]
fn self_frc_reports_repeats_crossed_warnings_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string().replace('\\', "/");
    let v: rhai::Array = eval(&format!(
        "{SIM} let t = locs.frc(#{{ pixel_nm: 5.0, repeats: 3 }});
         let img = locs.render(#{{ pixel_nm: 10.0 }});
         let c = frc(img, img);
         t.save(\"{d}/t.csv\");
         plot_frc([t], \"{d}/t.svg\", #{{ labels: [\"halves\"] }});
         [t.repeats, t.crossed, t.warnings.len(), `${{t}}`, t.resolutions.len(),
          c.repeats, c.crossed, c.resolution_sd, c.resolutions.len(), c.warnings.len(),
          t.resolution_mean, t.resolution_sd]"
    ));
    assert_eq!(v[0].as_int().unwrap(), 3);
    let crossed = v[1].as_int().unwrap();
    assert_eq!(crossed, 3, "dense halves: every repeat crosses");
    assert_eq!(v[2].as_int().unwrap(), 0, "no warnings on a clean self-FRC");
    let summary = v[3].clone().into_string().unwrap();
    assert!(summary.contains("3 of 3 repeats crossed: "), "{summary}");
    assert!(summary.contains("mean curve: resolution "), "{summary}");
    assert_eq!(v[4].as_int().unwrap(), 3);
    // A single pair: one "repeat"; identical images never cross; no sd.
    assert_eq!(v[5].as_int().unwrap(), 1);
    assert_eq!(v[6].as_int().unwrap(), 0);
    assert!(v[7].is_unit());
    assert_eq!(v[8].as_int().unwrap(), 0);
    assert_eq!(v[9].as_int().unwrap(), 0);
    assert!(v[10].as_float().unwrap() > 5.0);
    assert!(v[11].as_float().unwrap() >= 0.0);
    let csv = std::fs::read_to_string(dir.path().join("t.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().contains("3 of 3 repeats crossed"));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("# repeats: 3, crossed: 3, resolutions_nm: "));
    let svg = std::fs::read_to_string(dir.path().join("t.svg")).unwrap();
    assert!(svg.contains("3 of 3 repeats crossed"), "legend");
}

/// Two Gaussians (FWHM 60 nm, 5 nm samples) `d` nm apart as a script array.
fn pair_profile(d: f64) -> String {
    let s = 60.0 / (8.0 * 2f64.ln()).sqrt();
    let n = ((d + 200.0) / 5.0).ceil() as usize;
    let c = n as f64 * 2.5;
    let v: Vec<String> = (0..n)
        .map(|i| {
            let x = (i as f64 + 0.5) * 5.0;
            let g = |m: f64| (-(x - m).powi(2) / (2.0 * s * s)).exp();
            format!("{:.6}", g(c - d / 2.0) + g(c + d / 2.0))
        })
        .collect();
    format!("[{}]", v.join(", "))
}

#[test]
fn resolved_pair_binding() {
    let v: rhai::Array = eval(&format!(
        "let a = resolved_pair({}, 5.0, 90.0);
         let b = resolved_pair({}, 5.0, 30.0);
         [a.resolved, a.reason, a.peaks_nm.len(), a.dip_ratio, b.resolved, b.reason, b.peaks_nm[0], a.noise]",
        pair_profile(90.0),
        pair_profile(30.0)
    ));
    assert!(v[0].as_bool().unwrap(), "1.5 FWHM apart: {:?}", v[1]);
    assert_eq!(v[1].clone().into_string().unwrap(), "");
    assert_eq!(v[2].as_int().unwrap(), 2);
    assert!(v[3].as_float().unwrap() > 0.5);
    assert!(!v[4].as_bool().unwrap(), "0.5 FWHM apart");
    assert!(
        v[5].clone().into_string().unwrap().contains("no peak"),
        "{:?}",
        v[5]
    );
    assert!(v[6].is_unit());
    assert!(v[7].as_float().unwrap() >= 0.0);
    let e = err("resolved_pair([1.0, \"a\", 2.0, 3.0], 10.0, 40.0)");
    assert!(
        e.contains("resolved_pair") && e.contains("profile") && e.contains("item 1"),
        "{e}"
    );
    let e = err("resolved_pair([1.0, 2.0, 3.0, 4.0], 10.0, 40.0, #{ tolerence: 0.2 })");
    assert!(e.contains("tolerence"), "{e}");
    let e = err("resolved_pair([1.0, 2.0, 3.0, 4.0], 0.0, 40.0)");
    assert!(e.contains("pixel_nm"), "{e}");
}
