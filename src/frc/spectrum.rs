//! The fast part of the FRC: the 2-D FFTs of the two images and the per-ring
//! sums of docs/methods.md §5, in one pass over the half spectrum.
//!
//! Method. Both real images are transformed at once as z = a + i·b: every
//! row of z goes through a complex FFT (`rustfft`), in parallel; then blocks
//! of 32 columns kx of the half plane (kx = 0 ..= ⌊N/2⌋), each together with
//! its mirror column (N − kx) mod N, are gathered into contiguous buffers,
//! transformed, split into F_a(k) = (Z(k) + Z(−k)*)/2 and F_b(k) = (Z(k) −
//! Z(−k)*)/(2i), and reduced straight into per-ring accumulators, so the
//! column results are never written back. Column blocks run in parallel with
//! rayon; plans are cached process-wide per length. One complex N × N FFT
//! costs less than two real-input 2-D FFTs with `realfft` here.
//!
//! Only the half plane kx = 0 ..= ⌊N/2⌋ is visited; every other pixel is the
//! complex conjugate of a visited one, F(−k) = F(k)* for real images, and its
//! ring is accounted for explicitly (standard rings: the mirrored pixel always
//! lies in the same ring, so it is a weight of 2 on the real part and the
//! powers; `frcnet` rings are not symmetric, so the mirrored pixel is added to
//! its own ring). All sums are in f64.
//!
//! [`rfft2`] (the half spectrum of one real image, with `realfft` rows) is
//! the benchmark's "FFT alone" baseline and a general utility.

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type C64 = Complex<f64>;

/// Columns per block of the column pass: 32 columns × N rows × 16 B per buffer;
/// wide enough that the strided gather reads 512 B per row and touches each
/// page of the row-major spectrum few times.
const COL_BLOCK: usize = 32;

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

/// Picasso's Tukey mask along one axis of length `n` (docs/methods.md §5):
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

/// Which ring rule the accumulation uses (docs/methods.md §5).
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

    /// Add a run of `n` pixels of ring `q` (weight `w` = 2 when each has a
    /// mirror pixel in the same ring, whose z* cancels the imaginary part).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn add_run(&mut self, q: usize, w: f64, z: C64, p1: f64, p2: f64, n: u32, mirrored: bool) {
        self.cross_re[q] += w * z.re;
        if !mirrored {
            self.cross_im[q] += z.im;
        }
        self.p1[q] += w * p1;
        self.p2[q] += w * p2;
        self.count[q] += (w as u64) * n as u64;
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

/// Buffers smaller than this are left alone by [`advise_huge`].
const HUGE_MIN_BYTES: usize = 4 << 20;

/// Ask the kernel (Linux) to back a large, not yet touched buffer (e.g. the
/// spare capacity of a fresh `Vec`) with
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`), so that filling it
/// takes a few hundred page faults instead of tens of thousands: for a 4096²
/// complex f64 buffer this saves ~0.1 s per call. A hint only; errors are
/// ignored; buffers under 4 MiB and other systems are left alone.
#[cfg(target_os = "linux")]
pub fn advise_huge<T>(buf: &mut [T]) {
    if std::mem::size_of_val(buf) < HUGE_MIN_BYTES {
        return;
    }
    extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    const MADV_HUGEPAGE: i32 = 14;
    const PAGE: usize = 4096;
    let start = buf.as_mut_ptr() as usize;
    let end = start + std::mem::size_of_val(buf);
    let a = start.div_ceil(PAGE) * PAGE;
    if end > a + PAGE {
        let len = (end - a) / PAGE * PAGE;
        // SAFETY: [a, a + len) lies inside `buf`, which we own; madvise only
        // gives the kernel a hint about its backing and changes no contents.
        unsafe {
            madvise(a as *mut std::ffi::c_void, len, MADV_HUGEPAGE);
        }
    }
}

/// A vector of `len` copies of `value` whose pages are advised huge
/// ([`advise_huge`]) before they are first written, and written in parallel
/// (so the kernel's page clearing is spread over the threads too).
pub fn filled_huge<T: Clone + Send>(len: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise_huge(v.spare_capacity_mut());
    v.par_extend(rayon::iter::repeat_n(value, len));
    v
}

/// See the Linux version: a no-op elsewhere.
#[cfg(not(target_os = "linux"))]
pub fn advise_huge<T>(_buf: &mut [T]) {
    let _ = HUGE_MIN_BYTES;
}

/// Row pass of the packed transform: z = a + i·b (zero-padded to `n` × `n`,
/// times mask⊗mask when given), every row through a complex FFT in place.
fn packed_row_pass(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    n: usize,
    mask: Option<&[f64]>,
) -> Result<Vec<C64>> {
    let plan = complex_plan(n);
    let mut z = zeroed_c64(n * n);
    let ih = a.nrows();
    z.par_chunks_mut(n).enumerate().try_for_each_init(
        || vec![C64::new(0.0, 0.0); plan.get_inplace_scratch_len()],
        |scratch, (y, row)| -> Result<()> {
            if y >= ih {
                return Ok(()); // a padding row: its transform is zero
            }
            if y % 256 == 0 {
                crate::interrupt::check()?;
            }
            let (ra, rb) = (a.row(y), b.row(y));
            match mask {
                Some(mk) => {
                    let my = mk[y];
                    for (x, ((dst, &u), &v)) in row.iter_mut().zip(ra.iter()).zip(rb.iter()).enumerate() {
                        let m = my * mk[x];
                        *dst = C64::new(u as f64 * m, v as f64 * m);
                    }
                }
                None => {
                    for ((dst, &u), &v) in row.iter_mut().zip(ra.iter()).zip(rb.iter()) {
                        *dst = C64::new(u as f64, v as f64);
                    }
                }
            }
            // Columns iw.. are already zero.
            plan.process_with_scratch(row, scratch);
            Ok(())
        },
    )?;
    Ok(z)
}

/// FFTs of `a` and `b` (zero-padded to `n` × `n`, optionally multiplied by the
/// 2-D mask) and their ring sums under `rule`, over every ring a pixel falls in
/// (callers keep the rings they report). With `max_ring = Some(Q)` only the
/// columns |kx| ≤ Q are transformed: the sums of rings q ≤ Q are exact (every
/// pixel of those rings has |kx| ≤ q), the others incomplete.
///
/// Both real images are transformed at once as z = a + i·b (one complex 2-D
/// FFT); F_a(k) = (Z(k) + Z(−k)*)/2 and F_b(k) = (Z(k) − Z(−k)*)/(2i). The
/// column pass takes column kx of the half plane (kx = 0 ..= ⌊n/2⌋) together
/// with its mirror column (n − kx) mod n, so both Z(k) and Z(−k) are at hand.
pub(crate) fn ring_sums(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    n: usize,
    mask: Option<&[f64]>,
    rule: RingRule,
    max_ring: Option<usize>,
) -> Result<RingSums> {
    let half = match max_ring {
        Some(q) => (n / 2 + 1).min(q + 1),
        None => n / 2 + 1,
    };
    let z = packed_row_pass(a, b, n, mask)?;
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
    // neg[k] = (n − k) mod n: the index of −k.
    let neg: Vec<usize> = (0..n).map(|k| if k == 0 { 0 } else { n - k }).collect();
    let blocks: Vec<usize> = (0..half).step_by(COL_BLOCK).collect();
    let sums = blocks
        .par_iter()
        .try_fold(
            || RingSums::zeros(nbins),
            |mut acc, &x0| -> Result<_> {
                crate::interrupt::check()?;
                COLUMN_BUFFERS.with(|cell| {
                    let mut guard = cell.borrow_mut();
                    let (bufk, bufm, scratch) = &mut *guard;
                    column_block(
                        &z, n, x0, half, &neg, &ky2, &plan, rule, bufk, bufm, scratch, &mut acc,
                    );
                });
                Ok(acc)
            },
        )
        .try_reduce(|| RingSums::zeros(nbins), |x, y| Ok(x.merge(y)))?;
    Ok(sums)
}

thread_local! {
    /// Per-thread column buffers of the column pass (kept between calls, so
    /// repeated FRCs do not fault fresh pages in): the block, its mirror
    /// columns, and FFT scratch.
    static COLUMN_BUFFERS: std::cell::RefCell<(Vec<C64>, Vec<C64>, Vec<C64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// One block of the column pass: columns kx = x0 .. x0 + 32 (below `half`)
/// and their mirrors, transformed and reduced into `acc`.
#[allow(clippy::too_many_arguments)]
fn column_block(
    z: &[C64],
    n: usize,
    x0: usize,
    half: usize,
    neg: &[usize],
    ky2: &[usize],
    plan: &Arc<dyn Fft<f64>>,
    rule: RingRule,
    bufk: &mut Vec<C64>,
    bufm: &mut Vec<C64>,
    scratch: &mut Vec<C64>,
    acc: &mut RingSums,
) {
    let cb = COL_BLOCK.min(half - x0);
    let zero = C64::new(0.0, 0.0);
    bufk.resize(COL_BLOCK * n, zero);
    bufm.resize(COL_BLOCK * n, zero);
    scratch.resize(plan.get_inplace_scratch_len(), zero);
    // Blocked transpose: tiles of 32 rows, so every column is written in runs
    // of 32 contiguous values and the tile's row segments stay in L1.
    const TILE: usize = 32;
    // Column of the mirror of kx = x0 + c: (n − kx) mod n.
    let mirror = |c: usize| neg[x0 + c];
    for y0 in (0..n).step_by(TILE) {
        let y1 = (y0 + TILE).min(n);
        for c in 0..cb {
            let (xk, xm) = (x0 + c, mirror(c));
            let (dk, dm) = (
                &mut bufk[c * n + y0..c * n + y1],
                &mut bufm[c * n + y0..c * n + y1],
            );
            for (i, (vk, vm)) in dk.iter_mut().zip(dm.iter_mut()).enumerate() {
                let row = (y0 + i) * n;
                *vk = z[row + xk];
                *vm = z[row + xm];
            }
        }
    }
    plan.process_with_scratch(&mut bufk[..cb * n], scratch);
    plan.process_with_scratch(&mut bufm[..cb * n], scratch);
    for c in 0..cb {
        let kx = x0 + c;
        // Columns 0 and (even n) n/2 are their own mirror images.
        let mirrored = kx != 0 && 2 * kx != n;
        let zk = &bufk[c * n..(c + 1) * n];
        let zm = &bufm[c * n..(c + 1) * n];
        // F_a, F_b at (kx, ky) from Z(kx, ky) and Z(−kx, −ky).
        let split = |ky: usize| {
            let p = zk[ky];
            let q = zm[neg[ky]].conj();
            let s = p + q;
            let d = p - q;
            (
                C64::new(0.5 * s.re, 0.5 * s.im),
                C64::new(0.5 * d.im, -0.5 * d.re),
            )
        };
        match rule {
            RingRule::Floor => {
                // Along a column the ring index changes rarely, so sums
                // run in registers and are flushed when q changes.
                let w = if mirrored { 2.0 } else { 1.0 };
                let kx2 = kx * kx;
                let mut run_q = usize::MAX;
                let mut run = C64::new(0.0, 0.0);
                let (mut run_p1, mut run_p2, mut run_n) = (0.0, 0.0, 0u32);
                for (ky, &k2) in ky2.iter().enumerate() {
                    let q = (((kx2 + k2) as f64).sqrt()) as usize;
                    if q != run_q {
                        if run_n > 0 {
                            acc.add_run(run_q, w, run, run_p1, run_p2, run_n, mirrored);
                        }
                        run_q = q;
                        run = C64::new(0.0, 0.0);
                        (run_p1, run_p2, run_n) = (0.0, 0.0, 0);
                    }
                    let (u, v) = split(ky);
                    run += u * v.conj();
                    run_p1 += u.norm_sqr();
                    run_p2 += v.norm_sqr();
                    run_n += 1;
                }
                if run_n > 0 {
                    acc.add_run(run_q, w, run, run_p1, run_p2, run_n, mirrored);
                }
            }
            RingRule::Frcnet => {
                let rx = frcnet_r(kx, n);
                let rx_m = frcnet_r(neg[kx], n);
                for (ky, &nky) in neg.iter().enumerate() {
                    let (u, v) = split(ky);
                    let z = u * v.conj();
                    let (pa, pb) = (u.norm_sqr(), v.norm_sqr());
                    let ry = frcnet_r(ky, n);
                    let q = (((rx * rx + ry * ry) as f64).sqrt()).round() as usize;
                    acc.add(q, 1.0, z, pa, pb);
                    if mirrored {
                        let ry_m = frcnet_r(nky, n);
                        let q = (((rx_m * rx_m + ry_m * ry_m) as f64).sqrt()).round() as usize;
                        acc.add(q, 1.0, z.conj(), pa, pb);
                    }
                }
            }
        }
    }
}
