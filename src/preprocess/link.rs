//! Linking localizations of one binding event or blink across consecutive
//! frames (`docs/methods.md §9`; Picasso `postprocess.link`).
//!
//! The table is taken in frame order (rows of one frame in table order).
//! Each localization not yet linked opens an event; from the event's last
//! localization (frame f, position p), the next one is the first unlinked
//! localization in frames f + 1 ..= f + 1 + max_dark_frames (earliest frame
//! first, then table order), in the same `group` when the table has one,
//! with |q − p| ≤ r; it joins the event and the search goes on from it.
//! This is Picasso's rule, so the events are Picasso's, except for two
//! quirks of Picasso at the end of a table (its search may link a
//! localization of the same last frame, or any earlier unlinked one when it
//! reaches the last row), which locus does not copy.
//!
//! Each event becomes one row: `frame` = the first frame; x, y = the means
//! weighted by 1/lpx², 1/lpy²; lpx, lpy = (Σ 1/lp²)^(−1/2); `photons` and
//! `bg` summed; `group` the last value; every other column the mean (integer
//! columns become f32, as in Picasso); `len` = last frame − first frame + 1
//! (frames bridged by dark gaps included) and `n` = the number of
//! localizations merged (with `n` and `len` already present, from an earlier
//! linking, `n` sums and `len` reaches to the end of the last one). Events
//! are ordered by their first localization. Searching uses the rows of each
//! frame sorted by x (binary search of x ± r), so dense frames cost
//! O(log n) per step rather than a scan of the frame.

use crate::error::{Error, Result};
use crate::locs::{ColumnData, Locs};

/// Options of [`link`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOptions {
    /// Largest distance between a localization and the last one of its
    /// event, nm (default 50).
    pub radius_nm: f64,
    /// Frames without a localization allowed inside one event (default 1,
    /// as Picasso's command line).
    pub max_dark_frames: u32,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            radius_nm: 50.0,
            max_dark_frames: 1,
        }
    }
}

/// The event of every row of `locs` (0, 1, ... in order of first
/// localization) under the rule of the module documentation.
pub fn link_groups(locs: &Locs, opt: &LinkOptions) -> Result<Vec<usize>> {
    if !(opt.radius_nm.is_finite() && opt.radius_nm >= 0.0) {
        return Err(Error::arg(
            "radius_nm",
            format!("must be a number >= 0, got {}", opt.radius_nm),
        ));
    }
    let n = locs.len();
    let (x, y, frame) = (locs.x(), locs.y(), locs.frame());
    let group: Option<Vec<f64>> = locs.extra("group").map(|c| c.data.to_f64());
    // Rows in frame order (stable), and the start of each frame's run.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| frame[i]);
    let max_frame = frame.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut start = vec![0usize; max_frame + 1];
    for &i in &order {
        start[frame[i] as usize + 1] += 1;
    }
    for f in 0..max_frame {
        start[f + 1] += start[f];
    }
    // Within each frame, positions (into `order`) sorted by x; NaN (of
    // either sign) last, so that the finite prefix is sorted.
    let key = |q: usize| {
        let v = x[order[q]];
        (v.is_nan(), if v.is_nan() { 0.0 } else { v })
    };
    let mut by_x: Vec<usize> = (0..n).collect();
    for f in 0..max_frame {
        by_x[start[f]..start[f + 1]].sort_by(|&a, &b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
        });
    }
    let r = opt.radius_nm;
    let r2 = r * r;
    let mut event = vec![usize::MAX; n]; // by position in `order`
    let mut n_events = 0;
    for pos in 0..n {
        if pos % 65_536 == 0 {
            crate::interrupt::check()?;
        }
        if event[pos] != usize::MAX {
            continue;
        }
        let id = n_events;
        n_events += 1;
        event[pos] = id;
        let mut cur = pos;
        loop {
            let i = order[cur];
            let (xi, yi) = (x[i] as f64, y[i] as f64);
            let f0 = frame[i] as usize + 1;
            let f1 = (frame[i] as usize)
                .saturating_add(opt.max_dark_frames as usize + 1)
                .min(max_frame.saturating_sub(1));
            let mut next = None;
            if xi.is_finite() && yi.is_finite() {
                for f in f0..=f1 {
                    let run = &by_x[start[f]..start[f + 1]];
                    let lo = run.partition_point(|&q| (x[order[q]] as f64) < xi - r);
                    let mut best = usize::MAX;
                    for &q in &run[lo..] {
                        let j = order[q];
                        let dx = x[j] as f64 - xi;
                        if dx.is_nan() || dx > r {
                            break;
                        }
                        if q < best && event[q] == usize::MAX {
                            if let Some(g) = &group {
                                if g[j] != g[i] {
                                    continue;
                                }
                            }
                            let dy = y[j] as f64 - yi;
                            if dx * dx + dy * dy <= r2 {
                                best = q;
                            }
                        }
                    }
                    if best != usize::MAX {
                        next = Some(best);
                        break;
                    }
                }
            }
            match next {
                Some(q) => {
                    event[q] = id;
                    cur = q;
                }
                None => break,
            }
        }
    }
    let mut out = vec![0usize; n];
    for (p, &i) in order.iter().enumerate() {
        out[i] = event[p];
    }
    Ok(out)
}

/// Link `locs` into events (module documentation). Needs `lpx` and `lpy`
/// (the weights); the history gains `link(...)`.
pub fn link(locs: &Locs, opt: &LinkOptions) -> Result<Locs> {
    let lpx = locs.f32_column_for("lpx", "link (1/lp² weights)")?;
    let lpy = locs.f32_column_for("lpy", "link (1/lp² weights)")?;
    let ev = link_groups(locs, opt)?;
    let m = ev.iter().copied().max().map_or(0, |v| v + 1);
    let n = locs.len();
    // Rows of each event in frame order (the order `link_groups` walked).
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); m];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| locs.frame()[i]);
    for &i in &order {
        rows_of[ev[i]].push(i);
    }
    // Event order: by first row in frame order.
    let (x, y, frame) = (locs.x(), locs.y(), locs.frame());
    let old_n = locs.extra("n").map(|c| c.data.to_f64());
    let old_len = locs.extra("len").map(|c| c.data.to_f64());
    let mut fr = Vec::with_capacity(m);
    let (mut ox, mut oy, mut olpx, mut olpy) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut on, mut olen) = (Vec::with_capacity(m), Vec::with_capacity(m));
    for rows in &rows_of {
        let first = frame[rows[0]];
        let mut last_end = first as f64;
        let (mut swx, mut swy, mut sx, mut sy) = (0.0, 0.0, 0.0, 0.0);
        let mut count = 0.0;
        for &i in rows {
            let wx = 1.0 / (lpx[i] as f64).powi(2);
            let wy = 1.0 / (lpy[i] as f64).powi(2);
            swx += wx;
            swy += wy;
            sx += wx * x[i] as f64;
            sy += wy * y[i] as f64;
            count += old_n.as_ref().map_or(1.0, |v| v[i]);
            let end = frame[i] as f64 + old_len.as_ref().map_or(1.0, |v| v[i]) - 1.0;
            last_end = last_end.max(end);
        }
        fr.push(first);
        ox.push((sx / swx) as f32);
        oy.push((sy / swy) as f32);
        olpx.push((1.0 / swx).sqrt() as f32);
        olpy.push((1.0 / swy).sqrt() as f32);
        on.push(count as u32);
        olen.push((last_end - first as f64 + 1.0) as u32);
    }
    let mut meta = locs.meta.clone();
    meta.history.push(format!(
        "link(radius {} nm, max_dark_frames {}): {} localizations into {} events",
        opt.radius_nm, opt.max_dark_frames, n, m
    ));
    let mut out = Locs::new(fr, ox, oy, meta)?;
    for c in locs.extra_columns() {
        let data = match c.name.as_str() {
            "lpx" => ColumnData::F32(olpx.clone()),
            "lpy" => ColumnData::F32(olpy.clone()),
            "n" | "len" => continue,
            "photons" | "bg" => aggregate(&c.data, &rows_of, Agg::Sum),
            "group" => aggregate(&c.data, &rows_of, Agg::Last),
            _ => aggregate(&c.data, &rows_of, Agg::Mean),
        };
        out.add_column(&c.name, c.unit.as_deref(), data)?;
    }
    out.add_column("len", None, ColumnData::U32(olen))?;
    out.add_column("n", None, ColumnData::U32(on))?;
    Ok(out)
}

#[derive(Clone, Copy)]
enum Agg {
    Sum,
    Mean,
    Last,
}

/// One value per event: sums keep float types (integers sum as f64), means
/// of integers become f32, the last value keeps its type.
fn aggregate(data: &ColumnData, rows_of: &[Vec<usize>], agg: Agg) -> ColumnData {
    let sum = |rows: &[usize]| rows.iter().map(|&i| data.get_f64(i)).sum::<f64>();
    match agg {
        Agg::Last => data.take(&rows_of.iter().map(|r| r[r.len() - 1]).collect::<Vec<_>>()),
        Agg::Sum => match data {
            ColumnData::F32(_) => ColumnData::F32(rows_of.iter().map(|r| sum(r) as f32).collect()),
            _ => ColumnData::F64(rows_of.iter().map(|r| sum(r)).collect()),
        },
        Agg::Mean => {
            let mean = |r: &Vec<usize>| sum(r) / r.len() as f64;
            match data {
                ColumnData::F64(_) => ColumnData::F64(rows_of.iter().map(mean).collect()),
                _ => ColumnData::F32(rows_of.iter().map(|r| mean(r) as f32).collect()),
            }
        }
    }
}

#[cfg(test)]
mod tests;
