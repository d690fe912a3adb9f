use super::*;
use crate::locs::{simulate_microtubules, Metadata, SimOptions};
use rand::{Rng, SeedableRng};

fn meta() -> Metadata {
    Metadata {
        pixel_nm: Some(100.0),
        width_nm: 1000.0,
        height_nm: 1000.0,
        ..Default::default()
    }
}

fn with_lp(mut l: Locs, lp: Vec<f32>) -> Locs {
    l.add_column("lpx", Some("nm"), ColumnData::F32(lp.clone()))
        .unwrap();
    l.add_column("lpy", Some("nm"), ColumnData::F32(lp)).unwrap();
    l
}

/// The obviously-correct twin: the rule read literally, O(n²) per step:
/// rows in frame order; from the last row of the event, scan every row in
/// that order and take the first unlinked one whose frame is within
/// f+1 ..= f+1+max_dark, same group, within the radius.
fn slow_groups(l: &Locs, opt: &LinkOptions) -> Vec<usize> {
    let n = l.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| l.frame()[i]);
    let g = l.extra("group").map(|c| c.data.to_f64());
    let mut ev = vec![usize::MAX; n];
    let mut next_id = 0;
    for &i0 in &order {
        if ev[i0] != usize::MAX {
            continue;
        }
        ev[i0] = next_id;
        let mut cur = i0;
        'walk: loop {
            let f = l.frame()[cur] as u64;
            for &j in &order {
                let fj = l.frame()[j] as u64;
                if ev[j] == usize::MAX
                    && fj > f
                    && fj <= f + 1 + opt.max_dark_frames as u64
                    && g.as_ref().is_none_or(|g| g[j] == g[cur])
                {
                    let dx = l.x()[j] as f64 - l.x()[cur] as f64;
                    let dy = l.y()[j] as f64 - l.y()[cur] as f64;
                    if dx * dx + dy * dy <= opt.radius_nm * opt.radius_nm {
                        // First in frame order among the earliest frame: the
                        // scan is in frame order already.
                        ev[j] = next_id;
                        cur = j;
                        continue 'walk;
                    }
                }
            }
            break;
        }
        next_id += 1;
    }
    ev
}

#[test]
fn groups_match_slow_twin() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let n = 1500;
    // Dense clusters of blinks, shuffled rows (not sorted by frame).
    let frame: Vec<u32> = (0..n).map(|_| rng.random_range(0..80)).collect();
    let x: Vec<f32> = (0..n)
        .map(|i| (i % 9) as f32 * 100.0 + rng.random_range(-20.0..20.0f32))
        .collect();
    let mut y: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..200.0f32)).collect();
    y[3] = f32::NAN;
    let l = Locs::new(frame, x, y, meta()).unwrap();
    for opt in [
        LinkOptions::default(),
        LinkOptions {
            radius_nm: 15.0,
            max_dark_frames: 0,
        },
        LinkOptions {
            radius_nm: 40.0,
            max_dark_frames: 3,
        },
    ] {
        let fast = link_groups(&l, &opt).unwrap();
        assert_eq!(fast, slow_groups(&l, &opt), "{opt:?}");
        let n_ev = fast.iter().max().unwrap() + 1;
        assert!(n_ev < n && n_ev > n / 20, "{n_ev}");
    }
    // With a group column, events stay within a group.
    let mut lg = l.clone();
    let g: Vec<i32> = (0..n).map(|i| (i % 2) as i32).collect();
    lg.add_column("group", None, ColumnData::I32(g)).unwrap();
    let opt = LinkOptions::default();
    assert_eq!(link_groups(&lg, &opt).unwrap(), slow_groups(&lg, &opt));
}

#[test]
fn aggregation_hand_checked() {
    // Rows 0, 1, 3 form one event (frames 2, 3, 5 with one dark frame), row 2 is alone.
    let l = Locs::new(
        vec![2, 3, 3, 5],
        vec![100.0, 110.0, 600.0, 104.0],
        vec![50.0, 52.0, 600.0, 47.0],
        meta(),
    )
    .unwrap();
    let mut l = with_lp(l, vec![2.0, 4.0, 3.0, 4.0]);
    l.add_column("photons", None, ColumnData::F32(vec![100.0, 200.0, 50.0, 300.0]))
        .unwrap();
    l.add_column("sx", Some("nm"), ColumnData::F32(vec![1.0, 2.0, 3.0, 3.0]))
        .unwrap();
    l.add_column("iterations", None, ColumnData::I32(vec![1, 2, 7, 4]))
        .unwrap();
    let out = link(&l, &LinkOptions::default()).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out.frame(), &[2, 3]);
    // Weights 1/4, 1/16, 1/16: x = (100/4 + 110/16 + 104/16)/(6/16) = (400 + 110 + 104)/6.
    assert!((out.x()[0] as f64 - 614.0 / 6.0).abs() < 1e-4, "{}", out.x()[0]);
    assert!((out.y()[0] as f64 - (200.0 + 52.0 + 47.0) / 6.0).abs() < 1e-4);
    assert_eq!(out.x()[1], 600.0);
    let lpx = out.column("lpx").unwrap();
    assert!((lpx[0] - (16.0f64 / 6.0).sqrt()).abs() < 1e-6 && lpx[1] == 3.0);
    assert_eq!(out.column("photons").unwrap(), vec![600.0, 50.0]);
    assert_eq!(out.column("sx").unwrap(), vec![2.0, 3.0]);
    assert_eq!(
        out.column("iterations").unwrap(),
        vec![(7.0f64 / 3.0) as f32 as f64, 7.0]
    );
    assert_eq!(out.column("len").unwrap(), vec![4.0, 1.0]);
    assert_eq!(out.column("n").unwrap(), vec![3.0, 1.0]);
    assert_eq!(out.columns().last().map(String::as_str), Some("n"));
    assert!(out.meta.history.last().unwrap().starts_with("link(radius 50 nm"));
    // No dark frame allowed: frame 5 is two frames after 3, a new event.
    let out = link(
        &l,
        &LinkOptions {
            max_dark_frames: 0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(out.column("n").unwrap(), vec![2.0, 1.0, 1.0]);
    // Linking again sums n and keeps the span in len.
    let twice = link(
        &out,
        &LinkOptions {
            max_dark_frames: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(twice.column("n").unwrap(), vec![3.0, 1.0]);
    assert_eq!(twice.column("len").unwrap(), vec![4.0, 1.0]);
}

#[test]
fn linking_simulated_blinks() {
    // Bursts of consecutive frames: linking merges most of them, and the
    // merged precision is smaller than the single ones.
    let sim = simulate_microtubules(&SimOptions {
        blink_continue: 0.6,
        n_locs: 20_000,
        frames: 20_000,
        ..Default::default()
    })
    .unwrap();
    let l = &sim.locs;
    let out = link(l, &LinkOptions::default()).unwrap();
    let n: Vec<f64> = out.column("n").unwrap();
    assert_eq!(n.iter().sum::<f64>() as usize, l.len());
    // About 2 localizations per epitope: a third of them merge.
    assert!(
        out.len() < l.len() * 3 / 4 && out.len() > l.len() / 4,
        "{} of {}",
        out.len(),
        l.len()
    );
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!(med(out.column("lpx").unwrap()) < med(l.column("lpx").unwrap()));
    assert_eq!(link_groups(l, &LinkOptions::default()).unwrap().len(), l.len());
}

#[test]
fn edge_cases() {
    let opt = LinkOptions::default();
    // Without lpx: an error naming it.
    let l = Locs::new(vec![0, 1], vec![1.0, 2.0], vec![1.0, 2.0], meta()).unwrap();
    let e = link(&l, &opt).unwrap_err().to_string();
    assert!(e.contains("lpx"), "{e}");
    // Empty, single frame, NaN positions.
    let empty = with_lp(Locs::empty(meta()), vec![]);
    let out = link(&empty, &opt).unwrap();
    assert!(out.is_empty() && out.columns().contains(&"n".to_string()));
    let one = with_lp(
        Locs::new(vec![0; 3], vec![1.0, 2.0, 3.0], vec![1.0; 3], meta()).unwrap(),
        vec![5.0; 3],
    );
    assert_eq!(link(&one, &opt).unwrap().len(), 3);
    let nan = with_lp(
        Locs::new(vec![0, 1, 2], vec![f32::NAN, 1.0, 1.0], vec![1.0; 3], meta()).unwrap(),
        vec![5.0; 3],
    );
    let out = link(&nan, &opt).unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.x()[0].is_nan());
    assert!(link(
        &one,
        &LinkOptions {
            radius_nm: -1.0,
            ..Default::default()
        }
    )
    .is_err());
}

/// Picasso's `postprocess.link` on its sample files (tests/data/picasso/*_link_r*_t*.csv,
/// made by `scripts/reference/preprocess.py fixture`; lengths in camera pixels).
#[test]
fn same_events_as_picasso_on_its_samples() {
    for (stem, r_px, dark) in [
        ("raw_movie_locs", "1", 1),
        ("raw_movie_locs", "0.3", 3),
        ("testdata_locs", "1", 1),
        ("testdata_locs", "0.3", 3),
    ] {
        let (l, _) = Locs::load(crate::testdata::path(&format!("picasso/{stem}.hdf5")), None, None).unwrap();
        let p = l.pixel_nm().unwrap();
        let opt = LinkOptions {
            radius_nm: r_px.parse::<f64>().unwrap() * p,
            max_dark_frames: dark,
        };
        let out = link(&l, &opt).unwrap();
        let text = std::fs::read_to_string(crate::testdata::path(&format!(
            "picasso/{stem}_link_r{r_px}_t{dark}.csv"
        )))
        .unwrap();
        // frame, x, y, lpx, lpy, photons, n, len
        let mut want: Vec<Vec<f64>> = text
            .lines()
            .skip(1)
            .map(|line| line.split(',').map(|v| v.parse().unwrap()).collect())
            .collect();
        assert_eq!(out.len(), want.len(), "{stem} r {r_px} t {dark}");
        let cols: Vec<Vec<f64>> = ["frame", "x", "y", "lpx", "lpy", "photons", "n", "len"]
            .iter()
            .map(|c| out.column(c).unwrap())
            .collect();
        let mut got: Vec<Vec<f64>> = (0..out.len())
            .map(|i| cols.iter().map(|c| c[i]).collect())
            .collect();
        for row in want.iter_mut() {
            for v in &mut row[1..5] {
                *v *= p;
            }
        }
        let key = |a: &Vec<f64>, b: &Vec<f64>| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1]));
        want.sort_by(key);
        got.sort_by(key);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (g[0], g[6], g[7]),
                (w[0], w[6], w[7]),
                "{stem}: frame, n, len of {g:?} vs {w:?}"
            );
            for k in 1..6 {
                assert!(
                    (g[k] - w[k]).abs() <= 1e-4 * w[k].abs().max(1.0),
                    "{stem}: column {k} of {g:?} vs {w:?}"
                );
            }
        }
    }
}
