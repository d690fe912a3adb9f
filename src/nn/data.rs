//! Training data for the U-Net (docs/methods.md §7, "Training pairs" and "Input
//! normalisation"; paper "Network Training").
//!
//! * [`Pairs`]: input/target images of equal shape (the lead renders them from
//!   tables: input = histogram of a random time window, target = AKDE of the
//!   full table).
//! * [`make_patch`]: a random `crop`×`crop` window (default ⌈1.5·patch⌉, the
//!   paper's 750 px for 512), the same random rotation of both images by an
//!   angle uniform in [0, 2π) (nearest neighbour, about the crop centre), then
//!   the centre `patch`×`patch`; each image normalised by [`normalize`].
//! * [`batch_tensor`]: stacks patches into an NCHW tensor; [`make_batch`]:
//!   the patches of several pairs as two such tensors, the random draws made
//!   in order from one generator and the cutting done in parallel (so the
//!   result does not depend on the number of threads); [`shuffled`] gives a
//!   seeded permutation.

use crate::error::{Error, Result};
use candle_core::{Device, Tensor};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::Rng;
use rayon::prelude::*;

/// Normalise an image to [−1, 1]: x → 2(x − min)/max(x − min) − 1 (docs/methods.md
/// §7). A constant image gives zeros; non-finite values are an error.
pub fn normalize(img: ArrayView2<f32>) -> Result<Array2<f32>> {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for &v in img.iter() {
        if !v.is_finite() {
            return Err(Error::Numeric(
                "image contains NaN or infinite values; cannot normalise".into(),
            ));
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let range = hi - lo;
    if img.is_empty() || range <= 0.0 {
        return Ok(Array2::zeros(img.dim()));
    }
    let s = 2.0 / range;
    Ok(img.mapv(|v| (v - lo) * s - 1.0))
}

/// Input/target training pairs of equal shapes.
#[derive(Debug, Clone, Default)]
pub struct Pairs {
    /// Sparse input images (e.g. histograms of a subset of frames).
    pub inputs: Vec<Array2<f32>>,
    /// Dense target images (e.g. AKDE of the full table), same shapes.
    pub targets: Vec<Array2<f32>>,
}

impl std::fmt::Display for Pairs {
    /// One line: the number of pairs and the first one's shape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.inputs.first() {
            Some(a) => write!(f, "Pairs {} of {}×{} px", self.inputs.len(), a.ncols(), a.nrows()),
            None => write!(f, "Pairs 0"),
        }
    }
}

impl Pairs {
    /// The pairs `start..end` (to hold some out for validation).
    pub fn slice(&self, start: usize, end: usize) -> Result<Pairs> {
        let n = self.inputs.len();
        if start >= end || end > n {
            return Err(Error::arg(
                "slice",
                format!("need 0 <= start < end <= {n}, got {start}..{end}"),
            ));
        }
        Ok(Pairs {
            inputs: self.inputs[start..end].to_vec(),
            targets: self.targets[start..end].to_vec(),
        })
    }
}

impl Pairs {
    /// Pairs from two lists; see [`Pairs::validate`].
    pub fn new(inputs: Vec<Array2<f32>>, targets: Vec<Array2<f32>>) -> Result<Pairs> {
        let p = Pairs { inputs, targets };
        p.validate()?;
        Ok(p)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// No pairs.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Equal counts, non-empty, each input the shape of its target.
    pub fn validate(&self) -> Result<()> {
        if self.inputs.len() != self.targets.len() {
            return Err(Error::Shape(format!(
                "{} inputs but {} targets",
                self.inputs.len(),
                self.targets.len()
            )));
        }
        if self.inputs.is_empty() {
            return Err(Error::arg("pairs", "no training pairs"));
        }
        for (i, (a, b)) in self.inputs.iter().zip(&self.targets).enumerate() {
            if a.dim() != b.dim() {
                return Err(Error::Shape(format!(
                    "pair {i}: input {:?} but target {:?}",
                    a.dim(),
                    b.dim()
                )));
            }
        }
        Ok(())
    }

    /// Smallest side over all pairs.
    pub fn min_side(&self) -> usize {
        self.inputs
            .iter()
            .map(|a| a.dim().0.min(a.dim().1))
            .min()
            .unwrap_or(0)
    }
}

/// How [`make_patch`] cuts a training patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOptions {
    /// Side of the patch fed to the net (the paper: 512).
    pub patch: usize,
    /// Side of the random crop before rotation (default ⌈1.5·patch⌉; the
    /// paper: 750 for 512). Must be ≥ patch; below ⌈√2·patch⌉ the rotated
    /// corners sample the crop's clamped edge.
    pub crop: Option<usize>,
    /// Rotate by a random angle (default true).
    pub rotate: bool,
}

impl Default for PatchOptions {
    /// The paper's 512 px patches.
    fn default() -> Self {
        PatchOptions::new(512)
    }
}

impl PatchOptions {
    /// Options for a `patch`-sized patch with the defaults.
    pub fn new(patch: usize) -> Self {
        PatchOptions {
            patch,
            crop: None,
            rotate: true,
        }
    }

    /// The crop side in effect.
    pub fn crop_side(&self) -> usize {
        self.crop.unwrap_or((self.patch * 3).div_ceil(2))
    }

    /// Check against an image of `h × w`.
    pub fn check(&self, h: usize, w: usize) -> Result<()> {
        if self.patch == 0 {
            return Err(Error::arg("patch", "must be positive"));
        }
        let c = self.crop_side();
        if c < self.patch {
            return Err(Error::arg(
                "crop",
                format!("must be at least the patch size {}, got {c}", self.patch),
            ));
        }
        if h < c || w < c {
            return Err(Error::arg(
                "crop",
                format!(
                    "images of {h}x{w} are smaller than the {c}x{c} crop taken before rotation \
                     (patch {}); use larger images, a smaller patch or set crop (>= patch)",
                    self.patch
                ),
            ));
        }
        Ok(())
    }
}

/// One random training patch from a full input/target pair (see the module
/// doc): the same crop and rotation for both, each normalised to [−1, 1].
pub fn make_patch<R: Rng + ?Sized>(
    input: ArrayView2<f32>,
    target: ArrayView2<f32>,
    opts: &PatchOptions,
    rng: &mut R,
) -> Result<(Array2<f32>, Array2<f32>)> {
    let draw = draw_patch(input, target, opts, rng)?;
    cut_patch(input, target, opts, &draw)
}

/// The random choices of one patch: crop corner and rotation angle.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PatchDraw {
    y0: usize,
    x0: usize,
    angle: f64,
}

/// Check a pair against `opts` and draw its patch's crop and angle (in this
/// order from `rng`: y0, x0, angle if rotating).
fn draw_patch<R: Rng + ?Sized>(
    input: ArrayView2<f32>,
    target: ArrayView2<f32>,
    opts: &PatchOptions,
    rng: &mut R,
) -> Result<PatchDraw> {
    if input.dim() != target.dim() {
        return Err(Error::Shape(format!(
            "input {:?} but target {:?}",
            input.dim(),
            target.dim()
        )));
    }
    let (h, w) = input.dim();
    opts.check(h, w)?;
    let c = opts.crop_side();
    let y0 = rng.random_range(0..=h - c);
    let x0 = rng.random_range(0..=w - c);
    let angle = if opts.rotate {
        rng.random_range(0.0..std::f64::consts::TAU)
    } else {
        0.0
    };
    Ok(PatchDraw { y0, x0, angle })
}

/// Cut, rotate and normalise both images of a pair as drawn (input and
/// target in parallel).
fn cut_patch(
    input: ArrayView2<f32>,
    target: ArrayView2<f32>,
    opts: &PatchOptions,
    d: &PatchDraw,
) -> Result<(Array2<f32>, Array2<f32>)> {
    let (c, p) = (opts.crop_side(), opts.patch);
    let (a, b) = rayon::join(
        || normalize(rotate_crop(input, d.y0, d.x0, c, p, d.angle).view()),
        || normalize(rotate_crop(target, d.y0, d.x0, c, p, d.angle).view()),
    );
    Ok((a?, b?))
}

/// The patches of pairs `idx` as two `(len, 1, patch, patch)` tensors
/// (inputs, targets) on `device`: exactly [`make_patch`] of each pair in
/// order with the same `rng` (the random draws are made one after another),
/// but the patches are cut in parallel.
pub fn make_batch<R: Rng + ?Sized>(
    pairs: &Pairs,
    idx: &[usize],
    opts: &PatchOptions,
    rng: &mut R,
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    let mut draws = Vec::with_capacity(idx.len());
    for &i in idx {
        let (Some(a), Some(b)) = (pairs.inputs.get(i), pairs.targets.get(i)) else {
            return Err(Error::arg(
                "pairs",
                format!("pair {i} requested, only {} pairs", pairs.len()),
            ));
        };
        draws.push((a.view(), b.view(), draw_patch(a.view(), b.view(), opts, rng)?));
    }
    let cut: Vec<(Array2<f32>, Array2<f32>)> = draws
        .par_iter()
        .map(|(a, b, d)| cut_patch(*a, *b, opts, d))
        .collect::<Result<_>>()?;
    let (xs, ys): (Vec<_>, Vec<_>) = cut.into_iter().unzip();
    Ok((batch_tensor(&xs, device)?, batch_tensor(&ys, device)?))
}

/// Rotate the `c`×`c` crop at (y0, x0) by `angle` about its centre (nearest
/// neighbour; samples outside the crop clamp to its edge) and return the
/// centre `p`×`p` window. Output pixel (i, j) samples the crop at
/// centre + R(−angle)·(offset of (i, j) from the patch centre).
fn rotate_crop(img: ArrayView2<f32>, y0: usize, x0: usize, c: usize, p: usize, angle: f64) -> Array2<f32> {
    let cc = (c as f64 - 1.0) / 2.0;
    let pc = (p as f64 - 1.0) / 2.0;
    let (sn, cs) = angle.sin_cos();
    let last = (c - 1) as f64;
    Array2::from_shape_fn((p, p), |(i, j)| {
        let dy = i as f64 - pc;
        let dx = j as f64 - pc;
        let sy = (cc + cs * dy - sn * dx).round().clamp(0.0, last) as usize;
        let sx = (cc + sn * dy + cs * dx).round().clamp(0.0, last) as usize;
        img[[y0 + sy, x0 + sx]]
    })
}

/// Stack equally shaped images into an `(N, 1, H, W)` f32 tensor.
pub fn batch_tensor(images: &[Array2<f32>], device: &Device) -> Result<Tensor> {
    let Some(first) = images.first() else {
        return Err(Error::arg("batch", "no images"));
    };
    let (h, w) = first.dim();
    let mut buf = Vec::with_capacity(images.len() * h * w);
    for (i, im) in images.iter().enumerate() {
        if im.dim() != (h, w) {
            return Err(Error::Shape(format!(
                "batch image {i} is {:?}, expected {:?}",
                im.dim(),
                (h, w)
            )));
        }
        buf.extend(im.iter().copied());
    }
    Ok(Tensor::from_vec(buf, (images.len(), 1, h, w), device)?)
}

/// A seeded random permutation of `0..n`.
pub fn shuffled<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    v.shuffle(rng);
    v
}

/// The `NAME_sub.png` (sparse input) / `NAME_full.png` (dense target) pairs
/// of a folder, as the paper's data (docs/methods.md §8), sorted by name. Pairs
/// whose sizes differ by a pixel or two are cropped to the common size.
pub fn load_png_pairs(dir: &std::path::Path) -> Result<Pairs> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut subs: Vec<std::path::PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_sub.png"))
        })
        .collect();
    subs.sort();
    if subs.is_empty() {
        return Err(Error::format(
            dir,
            "no *_sub.png files (expected NAME_sub.png with NAME_full.png)",
        ));
    }
    let mut inputs = Vec::new();
    let mut targets = Vec::new();
    for s in subs {
        let name = s.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let full = s.with_file_name(name.replace("_sub.png", "_full.png"));
        if !full.is_file() {
            return Err(Error::format(
                &s,
                format!("no matching target {}", full.display()),
            ));
        }
        let a = crate::image::io::load_image(&s)?;
        let b = crate::image::io::load_image(&full)?;
        let h = a.height().min(b.height());
        let w = a.width().min(b.width());
        inputs.push(a.data.slice(ndarray::s![..h, ..w]).to_owned());
        targets.push(b.data.slice(ndarray::s![..h, ..w]).to_owned());
    }
    Pairs::new(inputs, targets)
}

#[cfg(test)]
mod tests {

    #[test]
    fn png_pairs_load_sorted_and_cropped_to_common_size() {
        use crate::image::Image;
        let dir = tempfile::tempdir().unwrap();
        let img = |h, w, v: f32| Image::new(Array2::from_elem((h, w), v), 10.0);
        img(6, 5, 3.0)
            .save_png(dir.path().join("b_sub.png"), crate::image::PngDepth::Eight)
            .unwrap();
        img(5, 6, 7.0)
            .save_png(dir.path().join("b_full.png"), crate::image::PngDepth::Eight)
            .unwrap();
        let z = Array2::from_shape_fn((4, 4), |(r, c)| (r * 4 + c) as f32);
        Image::new(z.clone(), 10.0)
            .save_png(dir.path().join("a_sub.png"), crate::image::PngDepth::Eight)
            .unwrap();
        Image::new(z, 10.0)
            .save_png(dir.path().join("a_full.png"), crate::image::PngDepth::Eight)
            .unwrap();
        let p = load_png_pairs(dir.path()).unwrap();
        assert_eq!(p.len(), 2);
        // Sorted by name: "a" first; 8-bit PNGs scaled to 0..255 and read back raw.
        assert_eq!(p.inputs[0][[3, 3]], 255.0);
        assert_eq!(p.inputs[0][[0, 0]], 0.0);
        // 6×5 and 5×6 crop to 5×5.
        assert_eq!(p.inputs[1].dim(), (5, 5));
        assert_eq!(p.targets[1].dim(), (5, 5));
        std::fs::remove_file(dir.path().join("b_full.png")).unwrap();
        assert!(load_png_pairs(dir.path())
            .unwrap_err()
            .to_string()
            .contains("b_full.png"));
        let empty = tempfile::tempdir().unwrap();
        assert!(load_png_pairs(empty.path())
            .unwrap_err()
            .to_string()
            .contains("_sub.png"));
    }

    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn normalize_values() {
        let a = Array2::from_shape_vec((1, 3), vec![2.0f32, 4.0, 6.0]).unwrap();
        let n = normalize(a.view()).unwrap();
        assert_eq!(n.as_slice().unwrap(), &[-1.0, 0.0, 1.0]);
        let c = Array2::from_elem((2, 2), 5.0f32);
        assert_eq!(normalize(c.view()).unwrap(), Array2::<f32>::zeros((2, 2)));
        let bad = Array2::from_elem((2, 2), f32::NAN);
        assert!(normalize(bad.view()).is_err());
    }

    #[test]
    fn pairs_validation() {
        let a = Array2::<f32>::zeros((4, 4));
        let b = Array2::<f32>::zeros((4, 5));
        assert!(Pairs::new(vec![a.clone()], vec![a.clone()]).is_ok());
        assert!(Pairs::new(vec![a.clone()], vec![b]).is_err());
        assert!(Pairs::new(vec![a.clone()], vec![]).is_err());
        assert!(Pairs::new(vec![], vec![]).is_err());
    }

    #[test]
    fn patch_without_rotation_is_a_crop() {
        // No rotation: the patch is the centre of the crop, normalised.
        let img = Array2::from_shape_fn((20, 20), |(i, j)| (i * 20 + j) as f32);
        let opts = PatchOptions {
            patch: 6,
            crop: Some(9),
            rotate: false,
        };
        let mut rng = StdRng::seed_from_u64(3);
        let (a, b) = make_patch(img.view(), img.view(), &opts, &mut rng).unwrap();
        assert_eq!(a, b);
        // Recover the crop origin: the patch starts at crop origin + 1 (centre
        // of 9 is 4, of 6 is 2.5 → offset 1.5 rounds to ... check directly).
        let mut rng = StdRng::seed_from_u64(3);
        let y0 = rng.random_range(0..=11usize);
        let x0 = rng.random_range(0..=11usize);
        let raw = img.slice(ndarray::s![y0 + 2..y0 + 8, x0 + 2..x0 + 8]).to_owned();
        // Offsets: sample = round(4 + (i − 2.5)) = i + 2 for i ≥ 0 (round half away from zero).
        assert_eq!(a, normalize(raw.view()).unwrap());
    }

    #[test]
    fn rotation_by_quarter_turn_is_exact() {
        // A 90° rotation of an odd crop with an odd patch permutes pixels exactly.
        let img = Array2::from_shape_fn((5, 5), |(i, j)| (i * 5 + j) as f32);
        let r = rotate_crop(img.view(), 0, 0, 5, 5, std::f64::consts::FRAC_PI_2);
        for i in 0..5 {
            for j in 0..5 {
                // sample (y, x) = (2 − (j − 2), 2 + (i − 2)) = (4 − j, i)
                assert_eq!(r[[i, j]], img[[4 - j, i]]);
            }
        }
        let id = rotate_crop(img.view(), 0, 0, 5, 3, 0.0);
        assert_eq!(id, img.slice(ndarray::s![1..4, 1..4]));
    }

    #[test]
    fn same_transform_for_input_and_target() {
        let a = Array2::from_shape_fn((40, 40), |(i, j)| ((i * 3 + j * 7) % 13) as f32);
        let b = a.mapv(|v| 3.0 * v + 1.0); // affine: normalises to the same image
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..5 {
            let (pa, pb) = make_patch(a.view(), b.view(), &PatchOptions::new(16), &mut rng).unwrap();
            assert_eq!(pa.dim(), (16, 16));
            for (x, y) in pa.iter().zip(pb.iter()) {
                assert!((x - y).abs() < 1e-5);
            }
            assert!(pa.iter().all(|v| (-1.0..=1.0).contains(v)));
        }
        let small = Array2::<f32>::zeros((20, 20));
        let e = make_patch(small.view(), small.view(), &PatchOptions::new(16), &mut rng)
            .unwrap_err()
            .to_string();
        assert!(e.contains("smaller than the 24x24 crop"), "{e}");
    }

    #[test]
    fn make_batch_equals_patches_in_order() {
        // The same patches as make_patch one after another with one generator,
        // also when cut in a one-thread pool.
        use rand::SeedableRng;
        let mk =
            |seed: u32| Array2::from_shape_fn((40, 50), |(i, j)| ((i * 7 + j * 13) as u32 ^ seed) as f32);
        let pairs = Pairs::new(vec![mk(1), mk(2), mk(3)], vec![mk(4), mk(5), mk(6)]).unwrap();
        let opts = PatchOptions::new(16);
        let idx = [2usize, 0, 1];
        let mut r1 = rand::rngs::StdRng::seed_from_u64(9);
        let (x, y) = make_batch(&pairs, &idx, &opts, &mut r1, &Device::Cpu).unwrap();
        assert_eq!(x.dims(), &[3, 1, 16, 16]);
        let mut r2 = rand::rngs::StdRng::seed_from_u64(9);
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for &i in &idx {
            let (a, b) = make_patch(pairs.inputs[i].view(), pairs.targets[i].view(), &opts, &mut r2).unwrap();
            xs.push(a);
            ys.push(b);
        }
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(flat(&x), flat(&batch_tensor(&xs, &Device::Cpu).unwrap()));
        assert_eq!(flat(&y), flat(&batch_tensor(&ys, &Device::Cpu).unwrap()));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let mut r3 = rand::rngs::StdRng::seed_from_u64(9);
        let (x1, _) = pool.install(|| make_batch(&pairs, &idx, &opts, &mut r3, &Device::Cpu).unwrap());
        assert_eq!(flat(&x), flat(&x1));
        // The generators are left in the same state.
        assert_eq!(r1.random::<u64>(), r2.random::<u64>());
        assert!(make_batch(&pairs, &[3], &opts, &mut r1, &Device::Cpu).is_err());
    }

    #[test]
    fn batching_and_shuffle() {
        let ims = vec![
            Array2::from_elem((2, 3), 1.0f32),
            Array2::from_elem((2, 3), 2.0f32),
        ];
        let t = batch_tensor(&ims, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[2, 1, 2, 3]);
        assert_eq!(t.sum_all().unwrap().to_scalar::<f32>().unwrap(), 18.0);
        let bad = vec![Array2::zeros((2, 3)), Array2::zeros((3, 2))];
        assert!(batch_tensor(&bad, &Device::Cpu).is_err());
        let p1 = shuffled(10, &mut StdRng::seed_from_u64(1));
        let p2 = shuffled(10, &mut StdRng::seed_from_u64(1));
        assert_eq!(p1, p2);
        let mut s = p1.clone();
        s.sort();
        assert_eq!(s, (0..10).collect::<Vec<_>>());
    }
}
