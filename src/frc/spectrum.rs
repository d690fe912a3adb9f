//! The fast part of the FRC: 2-D real-input FFTs of the two images and the
//! per-ring sums of METHODS.md §5, in one pass over the half spectrum.
//!
//! Method. Each image row goes through a real-to-complex FFT (`realfft`,
//! N → N/2+1 bins); then blocks of 16 columns of the half spectrum of both
//! images are gathered into contiguous buffers, transformed with a complex
//! FFT (`rustfft`) and reduced straight into per-ring accumulators, so the
//! column results are never written back. Rows and column blocks run in
//! parallel with rayon. Plans are cached process-wide per length.
//!
//! The half spectrum holds kx = 0 ..= ⌊N/2⌋; every other pixel is the complex
//! conjugate of a stored one, F(−k) = F(k)* for real images, and its ring is
//! accounted for explicitly (standard rings: the mirrored pixel always lies in
//! the same ring, so it is a weight of 2 on the real part and the powers;
//! `frcnet` rings are not symmetric, so the mirrored pixel is added to its own
//! ring). All sums are in f64.

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type C64 = Complex<f64>;

/// Columns per block of the column pass (16 columns × N rows × 16 B per image).
const COL_BLOCK: usize = 16;

struct Planners {
    real: RealFftPlanner<f64>,
    complex: FftPlanner<f64>,
    real_cache: HashMap<usize, Arc<dyn RealToComplex<f64>>>,
    complex_cache: HashMap<usize, Arc<dyn Fft<f64>>>,
}

fn planners() -> &'static Mutex<Planners> {
    static P: OnceLock<Mutex<Planners>> = OnceLock::new();
    P.get_or_init(|| {
        Mutex::new(Planners {
            real: RealFftPlanner::new(),
            complex: FftPlanner::new(),
            real_cache: HashMap::new(),
            complex_cache: HashMap::new(),
        })
    })
}

/// The cached real-to-complex plan of length `n`.
fn real_plan(n: usize) -> Arc<dyn RealToComplex<f64>> {
    // A poisoned lock only means another thread panicked while planning; the
    // caches are still valid maps, so keep using them.
    let mut p = planners().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(plan) = p.real_cache.get(&n) {
        return Arc::clone(plan);
    }
    let plan = p.real.plan_fft_forward(n);
    p.real_cache.insert(n, Arc::clone(&plan));
    plan
}

/// The cached forward complex plan of length `n`.
fn complex_plan(n: usize) -> Arc<dyn Fft<f64>> {
    let mut p = planners().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(plan) = p.complex_cache.get(&n) {
        return Arc::clone(plan);
    }
    let plan = p.complex.plan_fft_forward(n);
    p.complex_cache.insert(n, Arc::clone(&plan));
    plan
}

fn fft_err(e: realfft::FftError) -> Error {
    Error::Numeric(format!("FFT failed: {e}"))
}

/// Picasso's Tukey mask along one axis of length `n` (METHODS.md §5):
/// u = (i − n/2)/n, m = ½ − ½·cos(π·nfac·u), and m = 1 where
/// |u| < (nfac − 2)/(2·nfac); nfac = 8. The 2-D mask is the outer product.
pub fn tukey_1d(n: usize) -> Vec<f64> {
    const NFAC: f64 = 8.0;
    let nf = n as f64;
    let flat = (NFAC - 2.0) / (2.0 * NFAC);
    (0..n)
        .map(|i| {
            let u = (i as f64 - nf / 2.0) / nf;
            if u.abs() < flat {
                1.0
            } else {
                0.5 - 0.5 * (std::f64::consts::PI * NFAC * u).cos()
            }
        })
        .collect()
}

/// `n` zero complex values from zeroed memory: large buffers come as
/// untouched zero pages from the OS instead of being written element by
/// element (`vec![C64::new(0.0, 0.0); n]` cannot use zeroed allocation).
/// For an 8192² spectrum (537 MB) the element-wise fill took over 1 s, half
/// the FRC time, and could not be interrupted by Ctrl-C.
pub(crate) fn zeroed_c64(n: usize) -> Vec<C64> {
    let v = vec![0.0f64; 2 * n];
    if v.capacity() != 2 * n {
        // Not expected from `vec!`; keep the safe, slower path.
        return vec![C64::new(0.0, 0.0); n];
    }
    let mut v = std::mem::ManuallyDrop::new(v);
    let ptr = v.as_mut_ptr();
    // SAFETY: `Complex<f64>` is `#[repr(C)] { re: f64, im: f64 }`: size 16,
    // align 8, and all-zero bytes are 0 + 0i. The allocation holds exactly
    // 2n f64 (checked above) with align 8, i.e. the layout of n
    // `Complex<f64>`, so the new Vec owns and frees it with the same layout.
    unsafe { Vec::from_raw_parts(ptr.cast::<C64>(), n, n) }
}

/// Row pass: real FFT of every row of `img` zero-padded to `h` × `w`, each
/// pixel multiplied by `mask[row]·mask[col]` when a mask is given. Returns
/// the `h` × (`w`/2+1) half spectrum, row-major.
fn row_pass(img: ArrayView2<f32>, h: usize, w: usize, mask: Option<&[f64]>) -> Result<Vec<C64>> {
    let m = w / 2 + 1;
    let plan = real_plan(w);
    let mut out = zeroed_c64(h * m);
    let (ih, iw) = img.dim();
    out.par_chunks_mut(m).enumerate().try_for_each_init(
        || (plan.make_input_vec(), plan.make_scratch_vec()),
        |(input, scratch), (y, row_out)| -> Result<()> {
            if y >= ih {
                return Ok(()); // a padding row: its spectrum is zero
            }
            if y % 256 == 0 {
                crate::interrupt::check()?;
            }
            let row = img.row(y);
            match mask {
                Some(mk) => {
                    let my = mk[y];
                    for (x, (dst, &v)) in input.iter_mut().zip(row.iter()).enumerate() {
                        *dst = v as f64 * my * mk[x];
                    }
                }
                None => {
                    for (dst, &v) in input.iter_mut().zip(row.iter()) {
                        *dst = v as f64;
                    }
                }
            }
            input[iw..].fill(0.0);
            plan.process_with_scratch(input, row_out, scratch)
                .map_err(fft_err)
        },
    )?;
    Ok(out)
}

/// The 2-D DFT of a real image as its half spectrum: an `h` × (`w`/2+1)
/// array with `out[ky, kx] = Σ_y Σ_x img[y, x]·exp(−2πi(ky·y/h + kx·x/w))`
/// for kx = 0..=⌊w/2⌋ (the other half is the complex conjugate). Computed in
/// f64 with the same cached plans as [`super::frc`]; the benchmark uses it as
/// the "FFT alone" baseline.
pub fn rfft2(img: ArrayView2<f32>) -> Result<Array2<C64>> {
    let (h, w) = img.dim();
    if h == 0 || w == 0 {
        return Err(Error::arg("image", "is empty (0 pixels)"));
    }
    let m = w / 2 + 1;
    let mut half = row_pass(img, h, w, None)?;
    crate::interrupt::check()?;
    let plan = complex_plan(h);
    // Column pass with write-back: gather a block, transform, scatter.
    let blocks: Vec<usize> = (0..m).step_by(COL_BLOCK).collect();
    let results: Vec<(usize, Vec<C64>)> = blocks
        .par_iter()
        .map_init(
            || vec![C64::new(0.0, 0.0); plan.get_inplace_scratch_len()],
            |scratch, &x0| {
                let cb = COL_BLOCK.min(m - x0);
                let mut buf = vec![C64::new(0.0, 0.0); cb * h];
                for y in 0..h {
                    let src = &half[y * m + x0..y * m + x0 + cb];
                    for (c, v) in src.iter().enumerate() {
                        buf[c * h + y] = *v;
                    }
                }
                plan.process_with_scratch(&mut buf, scratch);
                (x0, buf)
            },
        )
        .collect();
    for (x0, buf) in results {
        let cb = COL_BLOCK.min(m - x0);
        for y in 0..h {
            for c in 0..cb {
                half[y * m + x0 + c] = buf[c * h + y];
            }
        }
    }
    Array2::from_shape_vec((h, m), half).map_err(|e| Error::Shape(e.to_string()))
}

/// Which ring rule the accumulation uses (METHODS.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RingRule {
    /// Centred grid, q = ⌊√(kx² + ky²)⌋.
    Floor,
    /// The paper code: unshifted grid, r(k) = k+1 for k < N/2 else N−k,
    /// q = round(√(r(ky)² + r(kx)²)).
    Frcnet,
}

/// Per-ring sums over the full N × N spectrum.
#[derive(Clone, Debug)]
pub(crate) struct RingSums {
    /// Σ Re F₁F₂*.
    pub cross_re: Vec<f64>,
    /// Σ Im F₁F₂*.
    pub cross_im: Vec<f64>,
    /// Σ |F₁|².
    pub p1: Vec<f64>,
    /// Σ |F₂|².
    pub p2: Vec<f64>,
    /// Number of spectrum pixels in each ring.
    pub count: Vec<u64>,
}

impl RingSums {
    fn zeros(n: usize) -> Self {
        RingSums {
            cross_re: vec![0.0; n],
            cross_im: vec![0.0; n],
            p1: vec![0.0; n],
            p2: vec![0.0; n],
            count: vec![0; n],
        }
    }

    fn merge(mut self, o: RingSums) -> RingSums {
        for (a, b) in self.cross_re.iter_mut().zip(&o.cross_re) {
            *a += b;
        }
        for (a, b) in self.cross_im.iter_mut().zip(&o.cross_im) {
            *a += b;
        }
        for (a, b) in self.p1.iter_mut().zip(&o.p1) {
            *a += b;
        }
        for (a, b) in self.p2.iter_mut().zip(&o.p2) {
            *a += b;
        }
        for (a, b) in self.count.iter_mut().zip(&o.count) {
            *a += b;
        }
        self
    }

    #[inline]
    fn add(&mut self, q: usize, w: f64, z: C64, p1: f64, p2: f64) {
        self.cross_re[q] += w * z.re;
        self.cross_im[q] += w * z.im;
        self.p1[q] += w * p1;
        self.p2[q] += w * p2;
        self.count[q] += w as u64;
    }
}

/// The frcnet radius of unshifted index `k` on a grid of `n`.
#[inline]
fn frcnet_r(k: usize, n: usize) -> usize {
    if 2 * k < n {
        k + 1
    } else {
        n - k
    }
}

/// Number of ring bins to allocate for a rule on an `n` × `n` grid (every
/// pixel fits; callers truncate to the rings they report).
fn bins_for(rule: RingRule, n: usize) -> usize {
    let h = n / 2 + 1;
    match rule {
        RingRule::Floor => ((2 * h * h) as f64).sqrt() as usize + 2,
        RingRule::Frcnet => ((2 * (h + 1) * (h + 1)) as f64).sqrt() as usize + 2,
    }
}

/// FFTs of `a` and `b` (zero-padded to `n` × `n`, optionally multiplied by the
/// 2-D mask) and their ring sums under `rule`, over every ring a pixel falls in
/// (callers keep the rings they report).
pub(crate) fn ring_sums(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    n: usize,
    mask: Option<&[f64]>,
    rule: RingRule,
) -> Result<RingSums> {
    let m = n / 2 + 1;
    let ha = row_pass(a, n, n, mask)?;
    crate::interrupt::check()?;
    let hb = row_pass(b, n, n, mask)?;
    crate::interrupt::check()?;
    let plan = complex_plan(n);
    let nbins = bins_for(rule, n);
    // |centred ky|² for every unshifted row index.
    let ky2: Vec<usize> = (0..n)
        .map(|ky| {
            let c = if ky < n.div_ceil(2) { ky } else { n - ky };
            c * c
        })
        .collect();
    let blocks: Vec<usize> = (0..m).step_by(COL_BLOCK).collect();
    let sums = blocks
        .par_iter()
        .try_fold(
            || {
                (
                    RingSums::zeros(nbins),
                    vec![C64::new(0.0, 0.0); COL_BLOCK * n],
                    vec![C64::new(0.0, 0.0); COL_BLOCK * n],
                    vec![C64::new(0.0, 0.0); plan.get_inplace_scratch_len()],
                )
            },
            |(mut acc, mut bufa, mut bufb, mut scratch), &x0| -> Result<_> {
                crate::interrupt::check()?;
                let cb = COL_BLOCK.min(m - x0);
                for y in 0..n {
                    let ra = &ha[y * m + x0..y * m + x0 + cb];
                    let rb = &hb[y * m + x0..y * m + x0 + cb];
                    for c in 0..cb {
                        bufa[c * n + y] = ra[c];
                        bufb[c * n + y] = rb[c];
                    }
                }
                plan.process_with_scratch(&mut bufa[..cb * n], &mut scratch);
                plan.process_with_scratch(&mut bufb[..cb * n], &mut scratch);
                for c in 0..cb {
                    let kx = x0 + c;
                    // Columns 0 and (even n) n/2 are their own mirror images.
                    let mirrored = kx != 0 && 2 * kx != n;
                    let fa = &bufa[c * n..(c + 1) * n];
                    let fb = &bufb[c * n..(c + 1) * n];
                    match rule {
                        RingRule::Floor => {
                            let w = if mirrored { 2.0 } else { 1.0 };
                            let kx2 = kx * kx;
                            for ky in 0..n {
                                let q = (((kx2 + ky2[ky]) as f64).sqrt()) as usize;
                                let (u, v) = (fa[ky], fb[ky]);
                                let z = u * v.conj();
                                // The mirror pixel contributes z*: its imaginary part cancels.
                                let z = if mirrored { C64::new(z.re, 0.0) } else { z };
                                acc.add(q, w, z, u.norm_sqr(), v.norm_sqr());
                            }
                        }
                        RingRule::Frcnet => {
                            let rx = frcnet_r(kx, n);
                            let rx_m = frcnet_r((n - kx) % n, n);
                            for ky in 0..n {
                                let (u, v) = (fa[ky], fb[ky]);
                                let z = u * v.conj();
                                let (pa, pb) = (u.norm_sqr(), v.norm_sqr());
                                let ry = frcnet_r(ky, n);
                                let q = (((rx * rx + ry * ry) as f64).sqrt()).round() as usize;
                                acc.add(q, 1.0, z, pa, pb);
                                if mirrored {
                                    let ry_m = frcnet_r((n - ky) % n, n);
                                    let q = (((rx_m * rx_m + ry_m * ry_m) as f64).sqrt()).round() as usize;
                                    acc.add(q, 1.0, z.conj(), pa, pb);
                                }
                            }
                        }
                    }
                }
                Ok((acc, bufa, bufb, scratch))
            },
        )
        .map(|r| r.map(|(acc, ..)| acc))
        .try_reduce(|| RingSums::zeros(nbins), |x, y| Ok(x.merge(y)))?;
    Ok(sums)
}
