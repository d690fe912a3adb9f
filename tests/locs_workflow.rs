//! The localization-table API as scripts use it: load a real Picasso file,
//! take subsets, render them on one grid, save and reload.

use locus::locs::{simulate_microtubules, Locs, RenderOptions, SimOptions, SplitMode};
use std::path::PathBuf;

fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    assert!(p.exists(), "test data file missing: {}", p.display());
    p
}

#[test]
fn load_subset_render_save() {
    let (locs, report) = Locs::load(shared("picasso/raw_movie_locs.hdf5"), None, None).unwrap();
    assert_eq!(report.dropped_nonfinite, 0);
    assert_eq!(locs.len(), 2399);

    // Halves and a time window render on the parent's grid and add up.
    let opt = RenderOptions::with_pixel(10.0);
    let (full, dropped) = locs.render(&opt).unwrap();
    assert_eq!(dropped, 0);
    assert_eq!((full.width(), full.height()), (416, 416));
    assert_eq!(full.data.sum() as usize, 2399);
    let (a, b) = locs.split(SplitMode::Frames { blocks: 50 }, 1).unwrap();
    let (ia, _) = a.render(&opt).unwrap();
    let (ib, _) = b.render(&opt).unwrap();
    assert_eq!(&ia.data + &ib.data, full.data);
    let w = locs.random_window(0.2, 3).unwrap();
    assert!((w.len() as f64 / 2399.0 - 0.2).abs() < 0.02, "{}", w.len());
    assert_eq!(w.render(&opt).unwrap().0.data.dim(), full.data.dim());

    // Selection by photons, then save as CSV and HDF5 and reload.
    let bright = locs.select(&[("photons".into(), 2000.0, 1e9)]).unwrap();
    assert!(bright.column("photons").unwrap().iter().all(|&p| p >= 2000.0));
    let dir = tempfile::tempdir().unwrap();
    for name in ["bright.hdf5", "bright.csv"] {
        let p = dir.path().join(name);
        bright.save(&p).unwrap();
        let (back, _) = Locs::load(&p, Some(130.0), None).unwrap();
        assert_eq!(back.len(), bright.len());
        assert_eq!(back.frame(), bright.frame());
        assert_eq!(
            back.render(&opt).unwrap().0.data.sum(),
            bright.render(&opt).unwrap().0.data.sum()
        );
    }
    let yaml = std::fs::read_to_string(dir.path().join("bright.yaml")).unwrap();
    assert!(
        yaml.contains("select(#{ photons: [2000, 1000000000] })"),
        "{yaml}"
    );
}

#[test]
fn simulated_scene_round_trip() {
    let sim = simulate_microtubules(&SimOptions {
        n_locs: 5000,
        seed: 2,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sim.hdf5");
    sim.locs.save(&p).unwrap();
    let (back, _) = Locs::load(&p, None, None).unwrap();
    assert_eq!(back.len(), sim.locs.len());
    assert_eq!(back.pixel_nm(), Some(108.0));
    // Picasso stores the field of view in whole camera pixels: ceil(10000 / 108) = 93.
    assert_eq!((back.width_nm(), back.height_nm()), (93.0 * 108.0, 93.0 * 108.0));
    assert_eq!(back.columns(), sim.locs.columns());
    let truth = sim.truth(20.0).unwrap();
    assert_eq!((truth.width(), truth.height()), (500, 500));
}
