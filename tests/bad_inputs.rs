//! The bad-input corpus: every `tests/bad_inputs/*.rhai` runs through the
//! `locus` binary and must fail cleanly — exit code 1 (never a signal, never
//! a panic) with every `// expect: TEXT` line of the script found in stderr.
//!
//! Scripts get the folder of generated bad files as `ARGS[0]`; the files are
//! made here (truncated/corrupted HDF5, bad YAML, CSV, images), so nothing
//! large is committed.

mod common;

use locus::image::Image;
use locus::locs::{Locs, Metadata};
use ndarray::Array2;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Number of rows of the generated Picasso file: distinctive as a u64 so
/// that its dataspace can be found and patched.
const ROWS: usize = 4321;

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Copy `good.hdf5` to `name` with its YAML, passing the bytes through `f`.
fn variant(dir: &Path, name: &str, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(dir.join("good.hdf5")).unwrap();
    f(&mut bytes);
    write(dir, &format!("{name}.hdf5"), &bytes);
    std::fs::copy(dir.join("good.yaml"), dir.join(format!("{name}.yaml"))).unwrap();
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

fn hdf5_with(
    dir: &Path,
    name: &str,
    members: Vec<(&str, rust_hdf5::format::messages::datatype::DatatypeMessage, u32)>,
    size: u32,
    rows: usize,
) {
    use rust_hdf5::types::CompoundType;
    let p = dir.join(format!("{name}.hdf5"));
    let f = rust_hdf5::H5File::create(&p).unwrap();
    let ct = CompoundType {
        members: members
            .into_iter()
            .map(|(n, t, o)| (n.to_string(), t, o))
            .collect(),
        total_size: size,
    };
    let ds = f
        .new_dataset::<u8>()
        .datatype(ct.to_datatype())
        .shape([rows])
        .create("locs")
        .unwrap();
    ds.write_raw_bytes(&vec![0u8; rows * size as usize]).unwrap();
    drop(ds);
    f.close().unwrap();
    write(
        dir,
        &format!("{name}.yaml"),
        "Pixelsize: 100\nWidth: 32\nHeight: 32\n",
    );
}

/// Recompute the Jenkins checksum of every version-2 object header
/// ("OHDR" chunk 0), so that a patched header still passes its checksum and
/// the reader sees the patched values.
fn fix_ohdr_checksums(b: &mut [u8]) {
    let mut i = 0;
    while i + 8 <= b.len() {
        if &b[i..i + 4] != b"OHDR" || b[i + 4] != 2 {
            i += 1;
            continue;
        }
        let flags = b[i + 5];
        let mut p = i + 6;
        if flags & 0x20 != 0 {
            p += 16;
        }
        if flags & 0x10 != 0 {
            p += 4;
        }
        let w = 1usize << (flags & 3);
        let mut size = 0usize;
        for k in 0..w {
            size |= (b[p + k] as usize) << (8 * k);
        }
        let end = p + w + size;
        if end + 4 <= b.len() {
            let c = rust_hdf5::format::checksum::checksum_metadata(&b[i..end]);
            b[end..end + 4].copy_from_slice(&c.to_le_bytes());
        }
        i += 4;
    }
}

/// Every bad file the corpus refers to.
fn make_files(dir: &Path) {
    let n = ROWS;
    let frame: Vec<u32> = (0..n as u32).collect();
    let x: Vec<f32> = (0..n).map(|i| 100.0 + (i % 97) as f32 * 20.0).collect();
    let y: Vec<f32> = (0..n).map(|i| 100.0 + (i % 89) as f32 * 20.0).collect();
    let meta = Metadata {
        pixel_nm: Some(100.0),
        width_nm: 3200.0,
        height_nm: 3200.0,
        n_frames: n as u32,
        ..Metadata::default()
    };
    let locs = Locs::new(frame, x, y, meta).unwrap();
    locs.save(dir.join("good.hdf5")).unwrap();
    locs.save(dir.join("good.csv")).unwrap();
    let len = std::fs::metadata(dir.join("good.hdf5")).unwrap().len() as usize;

    // HDF5: truncated, flipped bytes, huge declared sizes.
    variant(dir, "trunc_half", |b| b.truncate(len / 2));
    variant(dir, "trunc_head", |b| b.truncate(100));
    variant(dir, "empty_file", |b| b.clear());
    variant(dir, "flip_sig", |b| b[1] ^= 0xff);
    variant(dir, "flip_super", |b| {
        for v in b.iter_mut().take(64).skip(8) {
            *v ^= 0x5a;
        }
    });
    variant(dir, "flip_header", |b| {
        for v in b.iter_mut().take(1200).skip(96) {
            *v ^= 0xa5;
        }
    });
    variant(dir, "flip_tail", |b| {
        let n = b.len();
        for v in b.iter_mut().skip(n.saturating_sub(1500)).step_by(3) {
            *v ^= 0xa5;
        }
    });
    variant(dir, "huge_rows", |b| {
        let from = (ROWS as u64).to_le_bytes();
        let to = 1_000_000_000_000u64.to_le_bytes();
        assert!(replace_all(b, &from, &to) > 0, "dataspace size not found");
        fix_ohdr_checksums(b);
    });
    variant(dir, "max_rows", |b| {
        let from = (ROWS as u64).to_le_bytes();
        let to = u64::MAX.to_le_bytes();
        assert!(replace_all(b, &from, &to) > 0, "dataspace size not found");
        fix_ohdr_checksums(b);
    });
    // Wrong dataset name / wrong types.
    {
        let p = dir.join("wrong_name.hdf5");
        let f = rust_hdf5::H5File::create(&p).unwrap();
        let ds = f.new_dataset::<f32>().shape([3]).create("data").unwrap();
        ds.write_raw(&[1.0f32, 2.0, 3.0]).unwrap();
        drop(ds);
        f.close().unwrap();
        write(dir, "wrong_name.yaml", "Pixelsize: 100\n");
    }
    {
        let p = dir.join("not_compound.hdf5");
        let f = rust_hdf5::H5File::create(&p).unwrap();
        let ds = f.new_dataset::<f64>().shape([3]).create("locs").unwrap();
        ds.write_raw(&[1.0f64, 2.0, 3.0]).unwrap();
        drop(ds);
        f.close().unwrap();
        write(dir, "not_compound.yaml", "Pixelsize: 100\n");
    }
    {
        let p = dir.join("two_d.hdf5");
        let f = rust_hdf5::H5File::create(&p).unwrap();
        let ds = f.new_dataset::<f32>().shape([2, 2]).create("locs").unwrap();
        ds.write_raw(&[1.0f32, 2.0, 3.0, 4.0]).unwrap();
        drop(ds);
        f.close().unwrap();
        write(dir, "two_d.yaml", "Pixelsize: 100\n");
    }
    use rust_hdf5::format::messages::datatype::DatatypeMessage as D;
    hdf5_with(
        dir,
        "no_x",
        vec![("frame", D::u32_type(), 0), ("y", D::f32_type(), 4)],
        8,
        3,
    );
    hdf5_with(
        dir,
        "frame_float",
        vec![
            ("frame", D::f32_type(), 0),
            ("x", D::f32_type(), 4),
            ("y", D::f32_type(), 8),
        ],
        12,
        3,
    );
    hdf5_with(
        dir,
        "overlap",
        vec![
            ("frame", D::u32_type(), 0),
            ("x", D::f64_type(), 4),
            ("y", D::f32_type(), 8),
        ],
        12,
        3,
    );

    // YAML.
    for (name, yaml) in [
        ("yaml_nopx", "Width: 32\nHeight: 32\nCamera.Pixelsize: 160\n"),
        ("yaml_strpx", "Pixelsize: big\n"),
        ("yaml_negpx", "Pixelsize: -100\n"),
        ("yaml_zeropx", "Pixelsize: 0\n"),
        ("yaml_broken", "Pixelsize: [100,\n  Width: {\n"),
        ("yaml_list", "- 1\n- 2\n"),
        ("yaml_width", "Pixelsize: 100\nWidth: wide\nHeight: [1]\n"),
    ] {
        std::fs::copy(dir.join("good.hdf5"), dir.join(format!("{name}.hdf5"))).unwrap();
        write(dir, &format!("{name}.yaml"), yaml);
    }
    std::fs::copy(dir.join("good.hdf5"), dir.join("no_yaml.hdf5")).unwrap();
    write(dir, "binary.yaml", [0xffu8, 0xfe, 0x00, 0x41, 0x80]);
    std::fs::copy(dir.join("good.hdf5"), dir.join("binary.hdf5")).unwrap();

    // CSV.
    let h = "\"frame\",\"x [nm]\",\"y [nm]\"\n";
    write(dir, "csv_no_y.csv", "\"frame\",\"x [nm]\"\n1,2\n");
    write(dir, "csv_extra.csv", format!("{h}1,2,3,4\n"));
    write(dir, "csv_missing.csv", format!("{h}1,2,3\n2,5\n"));
    write(dir, "csv_text.csv", format!("{h}1,2,3\n2,abc,5\n"));
    write(dir, "csv_empty.csv", "");
    write(dir, "csv_header_only.csv", h);
    write(dir, "csv_nan.csv", format!("{h}1,NaN,3\n2,inf,5\n3,4,-inf\n"));
    write(dir, "csv_some_nan.csv", format!("{h}1,NaN,3\n2,4,5\n"));
    write(dir, "csv_frame_neg.csv", format!("{h}-1,2,3\n"));
    write(dir, "csv_frame_frac.csv", format!("{h}1.5,2,3\n"));
    write(
        dir,
        "csv_binary.csv",
        [0xffu8, 0x00, 0x12, b'\n', 0x80, b',', 0x81],
    );
    write(
        dir,
        "csv_dup.csv",
        "\"frame\",\"x [nm]\",\"y [nm]\",\"x [nm]\"\n1,2,3,4\n",
    );

    // Images.
    let img = |w: usize, h: usize| {
        Image::new(
            Array2::from_shape_fn((h, w), |(r, c)| ((r * 3 + c) % 7) as f32),
            10.0,
        )
    };
    img(32, 32).save(dir.join("a32.npy")).unwrap();
    img(16, 16).save(dir.join("b16.npy")).unwrap();
    img(32, 24).save(dir.join("c32x24.npy")).unwrap();
    img(64, 64).save(dir.join("d64.tif")).unwrap();
    img(8, 8).save(dir.join("tiny.png")).unwrap();
    let t = std::fs::read(dir.join("d64.tif")).unwrap();
    write(dir, "trunc.tif", &t[..t.len() / 3]);
    let p = std::fs::read(dir.join("tiny.png")).unwrap();
    write(dir, "trunc.png", &p[..p.len() / 2]);
    write(dir, "garbage.png", b"\x89PNG\r\n\x1a\nthis is not a png at all");
    write(dir, "garbage.tif", b"II*\x00\xff\xff\xff\x7f");
    let npy = |descr: &str, shape: &str, data: &[u8]| {
        let mut head = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (head.len() + 11) % 64 != 0 {
            head.push(' ');
        }
        head.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(head.len() as u16).to_le_bytes());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(data);
        out
    };
    write(dir, "huge.npy", npy("<f4", "(1000000, 1000000)", &[0u8; 16]));
    write(dir, "three_d.npy", npy("<f4", "(2, 2, 2)", &[0u8; 32]));
    write(dir, "complex.npy", npy("<c8", "(2, 2)", &[0u8; 32]));
    write(dir, "short.npy", npy("<f4", "(4, 4)", &[0u8; 20]));
    write(dir, "text.npy", "I am not numpy");
    write(dir, "image.bmp", "BM");
    write(dir, "script_syntax.rhai", "let x = ;\n");
    std::fs::create_dir_all(dir.join("pairs_empty")).unwrap();
}

struct Case {
    name: String,
    path: PathBuf,
    expect: Vec<String>,
}

fn cases() -> Vec<Case> {
    let root = common::repo_root().join("tests/bad_inputs");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|s| s.to_str()) != Some("rhai") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expect: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("// expect:"))
            .map(|s| s.trim().to_string())
            .collect();
        assert!(!expect.is_empty(), "{}: no `// expect:` line", path.display());
        out.push(Case {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            path,
            expect,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn bad_inputs_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    make_files(dir.path());
    if let Ok(keep) = std::env::var("LOCUS_KEEP_BAD_FILES") {
        make_files(Path::new(&keep));
    }
    let cases = cases();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    let d = dir.path().to_str().unwrap().to_string();
    let mut failures = Vec::new();
    for c in &cases {
        let t0 = Instant::now();
        let out = common::locus()
            .args(["run", c.path.to_str().unwrap(), &d])
            .output()
            .unwrap();
        let took = t0.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut why = Vec::new();
        match out.status.code() {
            Some(1) => {}
            Some(code) => why.push(format!("exit code {code}")),
            None => why.push(format!("killed by a signal ({:?})", out.status)),
        }
        if stderr.contains("panicked") || stdout.contains("panicked") || stderr.contains("internal error") {
            why.push("panicked".into());
        }
        for e in &c.expect {
            if !stderr.contains(e.as_str()) {
                why.push(format!("stderr lacks {e:?}"));
            }
        }
        if took > Duration::from_secs(10) {
            why.push(format!("took {took:?}"));
        }
        if !why.is_empty() {
            failures.push(format!("{}: {}\n--- stderr:\n{stderr}", c.name, why.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
