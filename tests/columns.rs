//! Columns and masks at the script level (SCRIPTING.md "Columns and masks"):
//! operators, reductions, where / with_column / describe, histograms, and the
//! errors. Reference values: `python3 scripts/reference/columns.py values`
//! (numpy) on tests/data/picasso/raw_movie_locs.hdf5.

use rhai::{Array, Dynamic, Engine, Map};

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

fn raw_movie() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/picasso/raw_movie_locs.hdf5");
    assert!(p.exists(), "test data file missing: {}", p.display());
    format!("let locs = load_locs(\"{}\");", p.display())
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

#[test]
fn reductions_match_numpy() {
    let code = format!(
        "{} let p = locs.col(\"photons\");
         [p.len, p.sum(), p.mean(), p.std(), p.std(0), p.median(), p.min(), p.max(), p.quantile(0.9),
          locs.col(\"frame\").quantile(0.9), p.name, p.unit, locs.col(\"sx\").unit]",
        raw_movie()
    );
    let v: Array = eval(&code);
    assert_eq!(v[0].as_int().unwrap(), 2399);
    let want = [
        14012248.164672852,
        5840.870431293394,
        2973.5338698600644, // ddof 1 by default
        2972.9140608132357,
        5472.67578125,
        1442.730224609375,
        22819.36328125,
        9691.365234375002,
        4523.200000000001,
    ];
    for (i, w) in want.iter().enumerate() {
        let g = v[i + 1].as_float().unwrap();
        assert!(close(g, *w, 1e-13), "value {}: {g} vs numpy {w}", i + 1);
    }
    assert_eq!(v[10].clone().into_string().unwrap(), "photons");
    assert!(v[11].is_unit());
    assert_eq!(v[12].clone().into_string().unwrap(), "nm");
}

#[test]
fn masks_and_where_match_numpy() {
    // the same mask written with operators and with methods; & and | bind
    // looser than comparisons in Rhai, so no parentheses are needed
    let code = format!(
        "{} let p = locs.col(\"photons\"); let sx = locs.col(\"sx\"); let f = locs.col(\"frame\");
         let m = p > 5000.0 & sx < 115.0 | f < 500.0;
         let m2 = (p > 5000.0).and(sx < 115.0).or(f < 500.0);
         let m3 = (5000.0 < p) & (115 > sx) | (500 > f);
         let sel = locs.where(m);
         [m.count(), m2.count(), m3.count(), (m ^ m2).count(), (!m).count(), m.not().count(),
          sel.len, sel.col(\"photons\").sum(), sel.history[-1], m.len, m.to_array().len(),
          p.where(m).len, (p > 1e9).any(), (f >= 0.0).all(), m.xor(m).any()]",
        raw_movie()
    );
    let v: Array = eval(&code);
    let n = |i: usize| v[i].as_int().unwrap();
    assert_eq!(
        (n(0), n(1), n(2), n(3), n(4), n(5)),
        (1262, 1262, 1262, 0, 2399 - 1262, 2399 - 1262)
    );
    assert_eq!(n(6), 1262);
    assert!(close(v[7].as_float().unwrap(), 9246916.984008789, 1e-13));
    assert_eq!(
        v[8].clone().into_string().unwrap(),
        "where(((photons > 5000) & (sx < 115)) | (frame < 500))"
    );
    assert_eq!((n(9), n(10), n(11)), (2399, 2399, 1262));
    assert!(!v[12].as_bool().unwrap() && v[13].as_bool().unwrap() && !v[14].as_bool().unwrap());
}

#[test]
fn arithmetic_operators_and_functions() {
    let code = "
        let locs = simulate_microtubules(#{ seed: 2, n_locs: 3000, size_nm: 3000.0 });
        let a = locs.col(\"sx\"); let b = locs.col(\"sy\");
        let i = 7;
        let ax = a.to_array()[i]; let bx = b.to_array()[i];
        let at = |c| c.to_array()[i];
        [at.call(a + b) - (ax + bx), at.call(a - b) - (ax - bx), at.call(a * b) - ax * bx,
         at.call(a / b) - ax / bx, at.call(a ** 2.0) - ax ** 2.0, at.call(2.0 - a) - (2.0 - ax),
         at.call(3 * a) - 3.0 * ax, at.call(1.0 / a) - 1.0 / ax, at.call(-a) + ax,
         at.call(a.sqrt()) - ax.sqrt(), at.call(a.log()) - ax.ln(), at.call(a.exp()) - ax.exp(),
         at.call(a.pow(0.5)) - ax.sqrt(), at.call((-a).abs()) - ax,
         (a + b).unit, (a / b).unit, (a * 2).unit, (a + b).name]";
    let v: Array = eval(code);
    for (k, d) in v[..14].iter().enumerate() {
        let d = d.as_float().unwrap();
        assert!(d.abs() < 1e-9, "op {k}: difference {d}");
    }
    assert_eq!(v[14].clone().into_string().unwrap(), "nm");
    assert!(v[15].is_unit());
    assert_eq!(v[16].clone().into_string().unwrap(), "nm");
    assert_eq!(v[17].clone().into_string().unwrap(), "sx + sy");
}

#[test]
fn hist_describe_with_column_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let code = format!(
        "{} let p = locs.col(\"photons\");
         let h = p.hist(#{{ bins: 10, range: [2000.0, 7000.0] }});
         let s = locs.describe();
         let r = s.row(\"photons\");
         let t = locs.with_column(\"snr\", p / locs.col(\"bg\"))
                     .with_column(\"id\", locs.col(\"frame\") * 10.0, #{{ dtype: \"i8\" }});
         t.save(\"{d}/t.hdf5\");
         let back = load_locs(\"{d}/t.hdf5\");
         p.plot_hist(\"{d}/p.svg\", #{{ bins: 30, title: \"photons\" }});
         plot_hist([locs.col(\"sx\"), locs.col(\"sy\")], \"{d}/s.png\", #{{ density: true, range: [80.0, 160.0] }});
         #{{ counts: h.counts, edges: h.edges, table: s.to_string(), row: r,
            cols: back.columns, id: back.col(\"id\").max(), hist: t.history[-1] }}",
        raw_movie()
    );
    let m: Map = eval(&code);
    let counts: Vec<i64> = m["counts"]
        .clone()
        .into_array()
        .unwrap()
        .iter()
        .map(|c| c.as_int().unwrap())
        .collect();
    assert_eq!(counts, vec![133, 177, 135, 148, 174, 163, 146, 156, 203, 110]);
    assert_eq!(m["edges"].clone().into_array().unwrap().len(), 11);
    let table = m["table"].clone().into_string().unwrap();
    assert!(
        table.starts_with("column") && table.lines().count() == 12,
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("photons") && l.contains("5840.87")),
        "{table}"
    );
    let row = m["row"].clone().cast::<Map>();
    assert_eq!(row["count"].as_int().unwrap(), 2399);
    assert!(close(row["median"].as_float().unwrap(), 5472.67578125, 1e-15));
    assert_eq!(row["dtype"].clone().into_string().unwrap(), "f4");
    let cols: Vec<String> = m["cols"]
        .clone()
        .into_array()
        .unwrap()
        .into_iter()
        .map(|c| c.into_string().unwrap())
        .collect();
    assert_eq!(&cols[cols.len() - 2..], &["snr", "id"]);
    assert_eq!(m["id"].as_float().unwrap(), 49790.0);
    assert_eq!(
        m["hist"].clone().into_string().unwrap(),
        "with_column(\"id\", frame * 10)"
    );
    assert!(dir.path().join("p.svg").exists() && dir.path().join("s.png").exists());
}

#[test]
fn errors_name_what_is_wrong() {
    let small = "let a = simulate_microtubules(#{ seed: 1, n_locs: 500, size_nm: 2000.0 });
                 let b = simulate_microtubules(#{ seed: 2, n_locs: 900, size_nm: 2000.0 });";
    let e = err(&format!("{small} a.col(\"sx\") + b.col(\"sx\")"));
    assert!(e.contains("'sx' has") && e.contains("shape mismatch"), "{e}");
    let e = err(&format!("{small} a.where(b.col(\"x\") > 0.0)"));
    assert!(e.contains("where") && e.contains("rows"), "{e}");
    let e = err(&format!("{small} a.col(\"nope\")"));
    assert!(
        e.contains("col") && e.contains("nope") && e.contains("photons"),
        "{e}"
    );
    let e = err(&format!("{small} a.col(\"sx\").quantile(1.5)"));
    assert!(e.contains("quantile") && e.contains("q:"), "{e}");
    let e = err(&format!("{small} a.col(\"sx\").hist(#{{ bins: 0 }})"));
    assert!(e.contains("hist") && e.contains("bins"), "{e}");
    let e = err(&format!(
        "{small} a.with_column(\"g\", a.col(\"sx\"), #{{ dtype: \"i2\" }})"
    ));
    assert!(e.contains("with_column") && e.contains("u4, i4"), "{e}");
    let e = err(&format!(
        "{small} a.with_column(\"g\", a.col(\"sx\"), #{{ dtype: \"i4\" }})"
    ));
    assert!(e.contains("'g' as i4"), "{e}");
    let e = err(&format!("{small} plot_hist([a.col(\"sx\"), 3], \"x.svg\")"));
    assert!(e.contains("cols[1]") && e.contains("Column"), "{e}");
    let e = err(&format!("{small} a.col(\"sx\").std(-1)"));
    assert!(e.contains("ddof"), "{e}");
    // printing shows summaries, not the data
    let s: String = eval(&format!(
        "{small} `${{a.col(\"sx\")}} / ${{a.col(\"sx\") > 100.0}}`"
    ));
    assert!(
        s.starts_with("Column sx [nm]: ") && s.contains("Mask sx > 100: "),
        "{s}"
    );
}
