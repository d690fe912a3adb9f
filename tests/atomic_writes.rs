//! Every writer goes through a temporary file beside the target and a
//! rename (DEVELOPERS.md): when the write fails, an existing file at the
//! target is left untouched and no temporary file is left behind.
//!
//! The failure is forced by occupying the temporary name `<file>.tmp-<pid>`
//! with a folder (this test runs the writers in-process, so the pid is ours).

use locus::frc::{frc, FrcOptions};
use locus::image::Image;
use locus::locs::{Locs, Metadata};
use locus::nn::{UNet, UNetConfig};
use locus::plot::HeatmapOptions;
use ndarray::Array2;
use std::path::{Path, PathBuf};

const OLD: &[u8] = b"the previous contents, which must survive";

fn tmp_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".tmp-{}", std::process::id()));
    PathBuf::from(s)
}

/// Put OLD at `path`, block its temporary name, run `write`, check that it
/// failed and that `path` still holds OLD; then unblock and check that the
/// same write now succeeds and replaces the file.
fn check(path: &Path, write: impl Fn() -> locus::Result<()>) {
    std::fs::write(path, OLD).unwrap();
    let blocker = tmp_of(path);
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("keep"), "x").unwrap();
    let r = write();
    assert!(r.is_err(), "{}: the blocked write succeeded", path.display());
    assert_eq!(
        std::fs::read(path).unwrap(),
        OLD,
        "{}: file changed by a failed write",
        path.display()
    );
    std::fs::remove_dir_all(&blocker).unwrap();
    write().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_ne!(
        std::fs::read(path).unwrap(),
        OLD,
        "{}: not replaced",
        path.display()
    );
    let dir = path.parent().unwrap();
    let stray: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
}

fn image() -> Image {
    Image::new(
        Array2::from_shape_fn((32, 32), |(r, c)| ((r * 5 + c * 3) % 11) as f32),
        10.0,
    )
}

#[test]
fn images_are_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    for name in ["a.tif", "a.png", "a.npy"] {
        let p = dir.path().join(name);
        check(&p, || img.save(&p));
    }
}

#[test]
fn tables_are_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Metadata {
        pixel_nm: Some(100.0),
        ..Metadata::default()
    };
    let l = Locs::new(vec![0, 1, 2], vec![10.0, 20.0, 30.0], vec![5.0, 6.0, 7.0], meta).unwrap();
    let csv = dir.path().join("t.csv");
    check(&csv, || l.save(&csv));
    let h5 = dir.path().join("t.hdf5");
    check(&h5, || l.save(&h5));
    // The YAML beside the HDF5 file too.
    let y = dir.path().join("t.yaml");
    check(&y, || l.save(&h5));
}

#[test]
fn curves_and_plots_are_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    let c = frc(img.data.view(), img.data.view(), 10.0, &FrcOptions::default()).unwrap();
    let p = dir.path().join("c.csv");
    check(&p, || c.to_csv(&p));
    for name in ["h.svg", "h.png"] {
        let p = dir.path().join(name);
        check(&p, || img.plot(&p, &HeatmapOptions::default()));
    }
}

#[test]
fn networks_are_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = UNetConfig {
        depth: 2,
        filters: 4,
        ..UNetConfig::default()
    };
    let net = UNet::new(cfg, &candle_core::Device::Cpu).unwrap();
    let p = dir.path().join("m.safetensors");
    check(&p, || net.save(&p));
    let side = dir.path().join("m.safetensors.json");
    check(&side, || net.save(&p));
}
