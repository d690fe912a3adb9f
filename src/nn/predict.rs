//! Tiled inference for images of any size (docs/methods.md §7, "Evaluation": inference
//! mode, no dropout).
//!
//! The whole image is normalised once (2(x − min)/max(x − min) − 1, as the
//! training patches), then covered by overlapping tiles:
//!
//! * per axis the tile side is `t = min(tile, len rounded up to 2^depth)`; a
//!   side no longer than `t` uses one tile, reflection-padded (mirror without
//!   repeating the edge pixel) to `t`;
//! * otherwise `n = ⌈(len − t)/(t − overlap)⌉ + 1` tiles start at evenly spread
//!   positions `round(i·(len − t)/(n − 1))`, so neighbours overlap by at least
//!   `overlap` pixels;
//! * each tile's output is weighted by a separable linear ramp
//!   `w(i) = min(1, (i+1)/(overlap+1), (t−i)/(overlap+1))` (1 along an axis
//!   with a single tile) and the weighted sum is divided by the summed weights.
//!
//! An image that fits one tile therefore gives exactly the single forward pass.

use crate::error::{Error, Result};
use crate::nn::data::normalize;
use crate::nn::unet::UNet;
use candle_core::Tensor;
use ndarray::{s, Array2, ArrayView2};

/// Options of [`UNet::predict`].
#[derive(Debug, Clone, PartialEq)]
pub struct PredictOptions {
    /// Tile side in pixels (default 256; rounded up to a multiple of 2^depth;
    /// use the training patch size). A side shorter than the tile uses one tile
    /// along that axis, padded to a multiple of 2^depth.
    pub tile: usize,
    /// Overlap between neighbouring tiles in pixels (default tile/4), blended
    /// with linear ramps.
    pub overlap: Option<usize>,
    /// Tiles per forward pass (default 1).
    pub batch: usize,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions {
            tile: 256,
            overlap: None,
            batch: 1,
        }
    }
}

impl UNet {
    /// Predict one image of any size (see [`PredictOptions`] and the module
    /// doc): the image is normalised as in training (2(x − min)/max(x − min)
    /// − 1), cut into overlapping tiles (reflection-padded at the edges), each
    /// tile run in inference mode, and the tiles blended with linear ramp
    /// weights across the overlaps. Returns the net's output in [−1, 1], same
    /// shape as `img`.
    pub fn predict(&self, img: ArrayView2<f32>, opts: &PredictOptions) -> Result<Array2<f32>> {
        predict_tiled(self, img, opts)
    }
}

/// Tiling along one axis: tile length, tile starts, per-pixel weight of a tile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AxisPlan {
    pub t: usize,
    pub starts: Vec<usize>,
    pub weight: Vec<f32>,
}

pub(crate) fn plan_axis(
    len: usize,
    tile: usize,
    overlap: Option<usize>,
    multiple: usize,
) -> Result<AxisPlan> {
    let round_up = |v: usize| v.div_ceil(multiple) * multiple;
    let tile = round_up(tile.max(1));
    let t = tile.min(round_up(len));
    if len <= t {
        return Ok(AxisPlan {
            t,
            starts: vec![0],
            weight: vec![1.0; t],
        });
    }
    let ov = overlap.unwrap_or(t / 4);
    if ov >= t {
        return Err(Error::arg(
            "overlap",
            format!("must be smaller than the tile ({t} px), got {ov}"),
        ));
    }
    let step = t - ov;
    let n = (len - t).div_ceil(step) + 1;
    let starts = (0..n)
        .map(|i| ((i * (len - t)) as f64 / (n - 1) as f64).round() as usize)
        .collect();
    let r = (ov + 1) as f32;
    let weight = (0..t)
        .map(|i| (1.0f32).min((i + 1) as f32 / r).min((t - i) as f32 / r))
        .collect();
    Ok(AxisPlan { t, starts, weight })
}

/// Mirror index into 0..n (numpy "reflect": the edge pixel is not repeated).
fn reflect(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    (if m < n as isize { m } else { period - m }) as usize
}

fn predict_tiled(net: &UNet, img: ArrayView2<f32>, opts: &PredictOptions) -> Result<Array2<f32>> {
    let (h, w) = img.dim();
    if h == 0 || w == 0 {
        return Err(Error::arg("image", "is empty"));
    }
    if opts.tile == 0 {
        return Err(Error::arg("tile", "must be positive"));
    }
    if opts.batch == 0 {
        return Err(Error::arg("batch", "must be positive"));
    }
    let m = net.config().size_multiple();
    let py = plan_axis(h, opts.tile, opts.overlap, m)?;
    let px = plan_axis(w, opts.tile, opts.overlap, m)?;
    let x = normalize(img)?;
    let mut acc = Array2::<f32>::zeros((h, w));
    let mut wsum = Array2::<f32>::zeros((h, w));
    let tiles: Vec<(usize, usize)> = py
        .starts
        .iter()
        .flat_map(|&y0| px.starts.iter().map(move |&x0| (y0, x0)))
        .collect();
    let progress = crate::progress::Progress::new(tiles.len() as u64, "predict");
    let (ty, tx) = (py.t, px.t);
    for chunk in tiles.chunks(opts.batch) {
        crate::interrupt::check()?;
        let mut buf = Vec::with_capacity(chunk.len() * ty * tx);
        for &(y0, x0) in chunk {
            if y0 + ty <= h && x0 + tx <= w {
                buf.extend(x.slice(s![y0..y0 + ty, x0..x0 + tx]).iter().copied());
            } else {
                for i in 0..ty {
                    let yy = reflect((y0 + i) as isize, h);
                    for j in 0..tx {
                        buf.push(x[[yy, reflect((x0 + j) as isize, w)]]);
                    }
                }
            }
        }
        let t = Tensor::from_vec(buf, (chunk.len(), 1, ty, tx), net.device())?;
        let out = net.forward(&t, false)?.flatten_all()?.to_vec1::<f32>()?;
        for (k, &(y0, x0)) in chunk.iter().enumerate() {
            let o = &out[k * ty * tx..(k + 1) * ty * tx];
            for i in 0..ty.min(h - y0) {
                let wy = py.weight[i];
                for j in 0..tx.min(w - x0) {
                    let wt = wy * px.weight[j];
                    acc[[y0 + i, x0 + j]] += wt * o[i * tx + j];
                    wsum[[y0 + i, x0 + j]] += wt;
                }
            }
        }
        progress.inc(chunk.len() as u64);
    }
    acc.zip_mut_with(&wsum, |a, &s| *a /= s);
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::unet::UNetConfig;
    use candle_core::Device;

    #[test]
    fn axis_plans() {
        let p = plan_axis(100, 64, None, 16).unwrap();
        assert_eq!(p.t, 64);
        assert_eq!(p.starts, vec![0, 36]); // overlap 28 ≥ 16
        let p2 = plan_axis(200, 64, Some(16), 16).unwrap();
        assert_eq!(p2.starts, vec![0, 45, 91, 136]); // step ≤ 48
                                                     // Every pixel covered, weights positive.
        let mut cov = vec![0.0f32; 100];
        for &s0 in &p.starts {
            for i in 0..64 {
                cov[s0 + i] += p.weight[i];
            }
        }
        assert!(cov.iter().all(|&c| c > 0.0));
        let p = plan_axis(40, 64, None, 16).unwrap();
        assert_eq!((p.t, p.starts.clone()), (48, vec![0]));
        assert!(plan_axis(100, 64, Some(64), 16).is_err());
        assert_eq!(reflect(-1, 5), 1);
        assert_eq!(reflect(5, 5), 3);
        assert_eq!(reflect(9, 5), 1);
        assert_eq!(reflect(3, 1), 0);
    }

    fn net() -> UNet {
        UNet::new(
            UNetConfig {
                depth: 4,
                filters: 8,
                ..Default::default()
            },
            &Device::Cpu,
        )
        .unwrap()
    }

    #[test]
    fn one_tile_equals_single_pass() {
        let net = net();
        let img = Array2::from_shape_fn((64, 64), |(i, j)| ((i * 7 + j * 3) % 11) as f32);
        let opts = PredictOptions {
            tile: 64,
            ..Default::default()
        };
        let tiled = net.predict(img.view(), &opts).unwrap();
        let x = normalize(img.view()).unwrap();
        let t = Tensor::from_vec(
            x.iter().copied().collect::<Vec<_>>(),
            (1, 1, 64, 64),
            &Device::Cpu,
        )
        .unwrap();
        let direct = net
            .forward(&t, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(tiled.iter().copied().collect::<Vec<_>>(), direct);
    }

    #[test]
    fn no_seams_on_smooth_image() {
        // A smooth, nearly constant image four tiles wide. Reference: one
        // forward pass over the whole image (no tiles). A seam is a jump
        // between neighbouring pixels that the reference does not have:
        // with ramp blending the tiles fade into each other, so the extra
        // step stays far below the tiles' edge errors.
        let net = net();
        let n = 160;
        let img = Array2::from_shape_fn((n, n), |(i, j)| {
            1.0 + 0.1 * ((i as f32 / 40.0).sin() + (j as f32 / 50.0).cos())
        });
        let whole = net
            .predict(
                img.view(),
                &PredictOptions {
                    tile: n,
                    ..Default::default()
                },
            )
            .unwrap();
        let opts = PredictOptions {
            tile: 64,
            overlap: Some(24),
            batch: 3,
        };
        let tiled = net.predict(img.view(), &opts).unwrap();
        assert_eq!(tiled.dim(), (n, n));
        let extra_step = |a: &Array2<f32>| -> f32 {
            let mut m = 0.0f32;
            for i in 0..n - 1 {
                for j in 0..n - 1 {
                    let dy = (a[[i + 1, j]] - a[[i, j]]) - (whole[[i + 1, j]] - whole[[i, j]]);
                    let dx = (a[[i, j + 1]] - a[[i, j]]) - (whole[[i, j + 1]] - whole[[i, j]]);
                    m = m.max(dy.abs()).max(dx.abs());
                }
            }
            m
        };
        // Unblended tiling for comparison: every pixel from the last tile covering it.
        let py = plan_axis(n, 64, Some(24), 16).unwrap();
        let mut hard = Array2::<f32>::zeros((n, n));
        let x = normalize(img.view()).unwrap();
        for &y0 in &py.starts {
            for &x0 in &py.starts {
                let t = x.slice(s![y0..y0 + 64, x0..x0 + 64]).to_owned();
                let tt = Tensor::from_vec(
                    t.iter().copied().collect::<Vec<_>>(),
                    (1, 1, 64, 64),
                    &Device::Cpu,
                )
                .unwrap();
                let o = net
                    .forward(&tt, false)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                for i in 0..64 {
                    for j in 0..64 {
                        hard[[y0 + i, x0 + j]] = o[i * 64 + j];
                    }
                }
            }
        }
        let (blended, unblended) = (extra_step(&tiled), extra_step(&hard));
        assert!(
            unblended > 0.05,
            "the test image must show tile edge effects: {unblended}"
        );
        assert!(
            blended < 0.3 * unblended,
            "seams: blended {blended} vs unblended {unblended}"
        );
    }

    #[test]
    fn small_and_odd_images() {
        let net = net();
        let img = Array2::from_shape_fn((5, 23), |(i, j)| (i * j) as f32);
        let out = net.predict(img.view(), &PredictOptions::default()).unwrap();
        assert_eq!(out.dim(), (5, 23));
        assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
        let empty = Array2::<f32>::zeros((0, 4));
        assert!(net.predict(empty.view(), &PredictOptions::default()).is_err());
    }
}
