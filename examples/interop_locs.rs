//! Command-line bridge for the Python interoperability check (`scripts/interop/check.sh`).
//!
//! ```text
//! interop_locs convert IN OUT [--pixel-nm P] [--json DUMP.json]
//!     load IN (Picasso .hdf5 or ThunderSTORM .csv) and save it as OUT;
//!     --json writes what was loaded (metadata and every column, nm) for comparison
//! interop_locs simulate OUT [--seed S]
//!     save a simulated microtubule table as OUT
//! ```

use locus::locs::{simulate_microtubules, ColumnData, Locs, SimOptions};
use serde_json::{json, Map, Value};

fn dump(locs: &Locs, dropped: usize) -> Value {
    let mut cols = Map::new();
    let as_json = |v: Vec<f64>| -> Vec<Value> {
        v.into_iter()
            .map(|a| {
                if a.is_finite() {
                    json!(a)
                } else {
                    json!(a.to_string())
                }
            })
            .collect()
    };
    cols.insert(
        "frame".into(),
        json!({ "dtype": "u4", "values": as_json(locs.column("frame").unwrap_or_default()) }),
    );
    cols.insert(
        "x".into(),
        json!({ "dtype": "f4", "values": as_json(locs.column("x").unwrap_or_default()) }),
    );
    cols.insert(
        "y".into(),
        json!({ "dtype": "f4", "values": as_json(locs.column("y").unwrap_or_default()) }),
    );
    for c in locs.extra_columns() {
        // i64 values are written exactly as integers.
        let values = match &c.data {
            ColumnData::I64(v) => v.iter().map(|&a| json!(a)).collect(),
            other => as_json(other.to_f64()),
        };
        cols.insert(
            c.name.clone(),
            json!({ "dtype": c.data.dtype(), "unit": c.unit, "values": values }),
        );
    }
    json!({
        "len": locs.len(),
        "columns_order": locs.columns(),
        "pixel_nm": locs.pixel_nm(),
        "width_nm": locs.width_nm(),
        "height_nm": locs.height_nm(),
        "n_frames": locs.n_frames(),
        "dropped_nonfinite": dropped,
        "history": locs.meta.history,
        "columns": cols,
    })
}

fn opt<'a>(args: &'a [String], key: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("convert") if args.len() >= 3 => {
            let pixel_nm = opt(&args, "--pixel-nm").map(str::parse::<f64>).transpose()?;
            let (locs, report) = Locs::load(&args[1], pixel_nm, None)?;
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            locs.save(&args[2])?;
            if let Some(j) = opt(&args, "--json") {
                std::fs::write(j, serde_json::to_string(&dump(&locs, report.dropped_nonfinite))?)?;
            }
        }
        Some("simulate") if args.len() >= 2 => {
            let seed = opt(&args, "--seed")
                .map(str::parse::<u64>)
                .transpose()?
                .unwrap_or(0);
            let sim = simulate_microtubules(&SimOptions {
                seed,
                n_locs: 20_000,
                ..Default::default()
            })?;
            sim.locs.save(&args[1])?;
        }
        _ => {
            eprintln!("usage: interop_locs convert IN OUT [--pixel-nm P] [--json DUMP]\n       interop_locs simulate OUT [--seed S]");
            std::process::exit(2);
        }
    }
    Ok(())
}
