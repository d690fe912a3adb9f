//! CPU convolution kernels for the U-Net: im2col / col2im as candle custom ops
//! with backward passes, and `conv2d` / `conv_transpose2d` built from them with
//! one GEMM each (docs/methods.md §7, "Known traps": candle 0.11.1's CPU
//! `conv_transpose2d` is a naive loop, and `conv2d`'s input gradient uses it).
//!
//! Both ops are linear maps and each is the adjoint of the other:
//!
//! * `im2col(x)`: `x` of shape `(N, C, H, W)` → columns of shape
//!   `(C·kh·kw, N·Ho·Wo)`, where column `(n, oy, ox)` holds the receptive field
//!   of output pixel `(oy, ox)` of image `n`: row `(c, ky, kx)` is
//!   `x[n, c, oy·s − p + ky, ox·s − p + kx]` (zero outside the image);
//!   `Ho = (H + 2p − kh)/s + 1`.
//! * `col2im(cols)`: the adjoint, scattering (summing) every column entry back
//!   to its pixel.
//!
//! So `im2col`'s gradient is `col2im` of the output gradient and vice versa.
//! A convolution with weights `(Cout, C, kh, kw)` is
//! `W (Cout × C·kh·kw) · im2col(x)`; a transposed convolution with weights
//! `(Cin, Cout, kh, kw)` (candle/PyTorch layout) is `col2im(Wᵀ · x)` with `x`
//! flattened to `(Cin, H·W)` per image. [`conv2d`] and [`conv_transpose2d`]
//! are each **one** node of candle's graph (a `CustomOp2` of input and
//! weight) whose backward computes both gradients with two GEMMs (the `gemm`
//! crate, multi-threaded) and one im2col/col2im: the column matrices never
//! enter the graph, which spares candle's per-node zero-fill and gradient
//! accumulation of tensors 16× the activation size.
//!
//! The same file holds two more fused CPU ops of the U-Net: training-mode
//! BatchNorm ([`batch_norm_train`], analytic backward) and LeakyReLU
//! ([`leaky_relu`]).
//!
//! [`resize_conv2d`] (nearest-neighbour ×2 upsampling followed by a 3×3
//! convolution, Odena et al. 2016) is computed as one [`conv_transpose2d`]
//! with an equivalent 4×4 kernel (see its doc), so it runs on the same fast
//! path at the cost of the paper's transposed convolution.
//!
//! On a non-CPU device [`conv2d`] and [`conv_transpose2d`] fall back to
//! candle's own convolution kernels.

use candle_core::{backend::BackendStorage, CpuStorage, CustomOp1, DType, Layout, Shape, Tensor, WithDType};
use rayon::prelude::*;

/// Geometry of a 2-D convolution window: kernel `kh × kw`, the same stride and
/// zero padding on both axes, input `h × w`, output `ho × wo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geom {
    /// Channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride (both axes).
    pub stride: usize,
    /// Zero padding (both axes).
    pub pad: usize,
}

impl Geom {
    /// Output height `(h + 2p − kh)/s + 1`; `None` if the kernel does not fit.
    pub fn ho(&self) -> Option<usize> {
        (self.h + 2 * self.pad)
            .checked_sub(self.kh)
            .map(|d| d / self.stride + 1)
    }
    /// Output width `(w + 2p − kw)/s + 1`; `None` if the kernel does not fit.
    pub fn wo(&self) -> Option<usize> {
        (self.w + 2 * self.pad)
            .checked_sub(self.kw)
            .map(|d| d / self.stride + 1)
    }
    fn out(&self) -> candle_core::Result<(usize, usize)> {
        match (self.ho(), self.wo(), self.stride) {
            (_, _, 0) => candle_core::bail!("im2col: stride must be >= 1"),
            (Some(ho), Some(wo), _) => Ok((ho, wo)),
            _ => candle_core::bail!(
                "im2col: kernel {}x{} larger than the padded input {}x{}",
                self.kh,
                self.kw,
                self.h + 2 * self.pad,
                self.w + 2 * self.pad
            ),
        }
    }
}

/// The im2col op: `(N, C, H, W)` → `(C·kh·kw, N·Ho·Wo)`.
struct Im2Col {
    g: Geom,
}

/// The col2im op: `(C·kh·kw, N·Ho·Wo)` → `(N, C, H, W)`.
struct Col2Im {
    g: Geom,
    n: usize,
}

fn contiguous_slice<'a, T: WithDType>(s: &'a [T], l: &Layout, op: &str) -> candle_core::Result<&'a [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&s[a..b]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

fn im2col_kernel<T: WithDType>(x: &[T], n: usize, g: Geom, ho: usize, wo: usize) -> Vec<T> {
    let l = ho * wo;
    let nl = n * l;
    let kk = g.kh * g.kw;
    let mut out = vec![T::zero(); g.c * kk * nl];
    let (h, w, s) = (g.h as isize, g.w as isize, g.stride as isize);
    let p = g.pad as isize;
    // One task per channel: it owns rows (c, ·, ·), a contiguous block.
    out.par_chunks_mut(kk * nl).enumerate().for_each(|(c, block)| {
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                let row = &mut block[(ky * g.kw + kx) * nl..(ky * g.kw + kx + 1) * nl];
                for b in 0..n {
                    let img = &x[(b * g.c + c) * g.h * g.w..(b * g.c + c + 1) * g.h * g.w];
                    let dst = &mut row[b * l..(b + 1) * l];
                    for oy in 0..ho {
                        let iy = oy as isize * s - p + ky as isize;
                        let drow = &mut dst[oy * wo..(oy + 1) * wo];
                        if iy < 0 || iy >= h {
                            continue; // stays zero
                        }
                        let srow = &img[iy as usize * g.w..(iy as usize + 1) * g.w];
                        for (ox, d) in drow.iter_mut().enumerate() {
                            let ix = ox as isize * s - p + kx as isize;
                            if ix >= 0 && ix < w {
                                *d = srow[ix as usize];
                            }
                        }
                    }
                }
            }
        }
    });
    out
}

fn col2im_kernel<T: WithDType>(cols: &[T], n: usize, g: Geom, ho: usize, wo: usize) -> Vec<T> {
    let l = ho * wo;
    let nl = n * l;
    let hw = g.h * g.w;
    let mut out = vec![T::zero(); n * g.c * hw];
    let (h, w, s) = (g.h as isize, g.w as isize, g.stride as isize);
    let p = g.pad as isize;
    // One task per (image, channel) plane: it only reads the rows of channel c.
    out.par_chunks_mut(hw).enumerate().for_each(|(bc, img)| {
        let (b, c) = (bc / g.c, bc % g.c);
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                let r = (c * g.kh + ky) * g.kw + kx;
                let src = &cols[r * nl + b * l..r * nl + (b + 1) * l];
                for oy in 0..ho {
                    let iy = oy as isize * s - p + ky as isize;
                    if iy < 0 || iy >= h {
                        continue;
                    }
                    let drow = &mut img[iy as usize * g.w..(iy as usize + 1) * g.w];
                    let srow = &src[oy * wo..(oy + 1) * wo];
                    for (ox, &v) in srow.iter().enumerate() {
                        let ix = ox as isize * s - p + kx as isize;
                        if ix >= 0 && ix < w {
                            drow[ix as usize] += v;
                        }
                    }
                }
            }
        }
    });
    out
}

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "locus-im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let dims = l.dims();
        let g = self.g;
        if dims.len() != 4 || dims[1] != g.c || dims[2] != g.h || dims[3] != g.w {
            candle_core::bail!("im2col: expected (N, {}, {}, {}), got {dims:?}", g.c, g.h, g.w);
        }
        let n = dims[0];
        let (ho, wo) = g.out()?;
        let shape = Shape::from((g.c * g.kh * g.kw, n * ho * wo));
        let out = match s {
            CpuStorage::F32(v) => {
                CpuStorage::F32(im2col_kernel(contiguous_slice(v, l, "im2col")?, n, g, ho, wo))
            }
            CpuStorage::F64(v) => {
                CpuStorage::F64(im2col_kernel(contiguous_slice(v, l, "im2col")?, n, g, ho, wo))
            }
            other => candle_core::bail!("im2col: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, shape))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let n = arg.dim(0)?;
        Ok(Some(col2im_raw(grad, self.g, n)?))
    }
}

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "locus-col2im"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = self.g;
        let (ho, wo) = g.out()?;
        let want = [g.c * g.kh * g.kw, self.n * ho * wo];
        if l.dims() != want {
            candle_core::bail!("col2im: expected {want:?}, got {:?}", l.dims());
        }
        let shape = Shape::from((self.n, g.c, g.h, g.w));
        let out = match s {
            CpuStorage::F32(v) => CpuStorage::F32(col2im_kernel(
                contiguous_slice(v, l, "col2im")?,
                self.n,
                g,
                ho,
                wo,
            )),
            CpuStorage::F64(v) => CpuStorage::F64(col2im_kernel(
                contiguous_slice(v, l, "col2im")?,
                self.n,
                g,
                ho,
                wo,
            )),
            other => candle_core::bail!("col2im: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, shape))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(im2col_raw(grad, self.g)?))
    }
}

fn im2col_raw(x: &Tensor, g: Geom) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1(Im2Col { g })
}

fn col2im_raw(cols: &Tensor, g: Geom, n: usize) -> candle_core::Result<Tensor> {
    cols.contiguous()?.apply_op1(Col2Im { g, n })
}

/// im2col of `x` `(N, C, H, W)` for a `kh × kw` window with `stride` and zero
/// `pad`: a `(C·kh·kw, N·Ho·Wo)` tensor (see the module doc). CPU only;
/// differentiable (its gradient is [`col2im`]).
pub fn im2col(x: &Tensor, kh: usize, kw: usize, stride: usize, pad: usize) -> candle_core::Result<Tensor> {
    let (_, c, h, w) = x.dims4()?;
    im2col_raw(
        x,
        Geom {
            c,
            h,
            w,
            kh,
            kw,
            stride,
            pad,
        },
    )
}

/// col2im: the adjoint of [`im2col`], from `(C·kh·kw, N·Ho·Wo)` columns back
/// to an `(n, c, h, w)` image, summing overlapping entries. CPU only;
/// differentiable (its gradient is [`im2col`]).
#[allow(clippy::too_many_arguments)]
pub fn col2im(
    cols: &Tensor,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    stride: usize,
    pad: usize,
) -> candle_core::Result<Tensor> {
    col2im_raw(
        cols,
        Geom {
            c,
            h,
            w,
            kh,
            kw,
            stride,
            pad,
        },
        n,
    )
}

/// `dst (m×n) = [dst +] lhs (m×k) · rhs (k×n)` with explicit strides
/// (row stride `rs`, column stride `cs`, in elements), multi-threaded.
#[allow(clippy::too_many_arguments)]
fn gemm_into<T: WithDType>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    (dst_rs, dst_cs): (usize, usize),
    accumulate: bool,
    lhs: &[T],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[T],
    (rhs_rs, rhs_cs): (usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    // The last element each operand touches must be inside its slice.
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(last(m, n, dst_rs, dst_cs) < dst.len());
    if k > 0 {
        assert!(last(m, k, lhs_rs, lhs_cs) < lhs.len() && last(k, n, rhs_rs, rhs_cs) < rhs.len());
    }
    let threads = rayon::current_num_threads();
    let par = if threads > 1 && m * n * k > 1 << 15 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every access inside the slices; dst does
    // not alias lhs or rhs (distinct borrows).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_cs as isize,
            dst_rs as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            par,
        )
    }
}

/// Convolution as one graph node: `y = conv(x, w)` (see [`conv2d`]).
struct Conv2dOp {
    g: Geom,
    cout: usize,
}

/// Transposed convolution as one graph node (see [`conv_transpose2d`]); `g`
/// is the geometry of the *output* image (the adjoint convolution's input).
struct ConvT2dOp {
    g: Geom,
    cin: usize,
}

fn conv2d_fwd<T: WithDType>(x: &[T], w: &[T], n: usize, g: Geom, cout: usize) -> candle_core::Result<Vec<T>> {
    let (ho, wo) = g.out()?;
    let (l, k) = (ho * wo, g.c * g.kh * g.kw);
    let cols = im2col_kernel(x, n, g, ho, wo); // (K, N·L)
    let mut y = vec![T::zero(); n * cout * l];
    for b in 0..n {
        // y_b (Cout × L) = W (Cout × K) · cols[:, bL..(b+1)L]
        gemm_into(
            cout,
            l,
            k,
            &mut y[b * cout * l..],
            (l, 1),
            false,
            w,
            (k, 1),
            &cols[b * l..],
            (n * l, 1),
        );
    }
    Ok(y)
}

/// (dx, dw) of a convolution given dy.
fn conv2d_bwd<T: WithDType>(
    x: &[T],
    w: &[T],
    dy: &[T],
    n: usize,
    g: Geom,
    cout: usize,
) -> candle_core::Result<(Vec<T>, Vec<T>)> {
    let (ho, wo) = g.out()?;
    let (l, k) = (ho * wo, g.c * g.kh * g.kw);
    let cols = im2col_kernel(x, n, g, ho, wo);
    let mut dw = vec![T::zero(); cout * k];
    let mut dcols = vec![T::zero(); k * n * l];
    for b in 0..n {
        let dyb = &dy[b * cout * l..(b + 1) * cout * l];
        // dW (Cout × K) += dy_b (Cout × L) · cols_bᵀ (L × K)
        gemm_into(
            cout,
            k,
            l,
            &mut dw,
            (k, 1),
            b > 0,
            dyb,
            (l, 1),
            &cols[b * l..],
            (1, n * l),
        );
        // dcols_b (K × L) = Wᵀ (K × Cout) · dy_b (Cout × L)
        gemm_into(
            k,
            l,
            cout,
            &mut dcols[b * l..],
            (n * l, 1),
            false,
            w,
            (1, k),
            dyb,
            (l, 1),
        );
    }
    Ok((col2im_kernel(&dcols, n, g, ho, wo), dw))
}

fn convt_fwd<T: WithDType>(x: &[T], w: &[T], n: usize, g: Geom, cin: usize) -> candle_core::Result<Vec<T>> {
    let (h, wd) = g.out()?; // the input's size
    let (l, k) = (h * wd, g.c * g.kh * g.kw);
    let mut cols = vec![T::zero(); k * n * l];
    for b in 0..n {
        // cols_b (K × L) = Wᵀ (K × Cin) · x_b (Cin × L), W stored (Cin, K)
        gemm_into(
            k,
            l,
            cin,
            &mut cols[b * l..],
            (n * l, 1),
            false,
            w,
            (1, k),
            &x[b * cin * l..],
            (l, 1),
        );
    }
    Ok(col2im_kernel(&cols, n, g, h, wd))
}

fn convt_bwd<T: WithDType>(
    x: &[T],
    w: &[T],
    dy: &[T],
    n: usize,
    g: Geom,
    cin: usize,
) -> candle_core::Result<(Vec<T>, Vec<T>)> {
    let (h, wd) = g.out()?;
    let (l, k) = (h * wd, g.c * g.kh * g.kw);
    let dcols = im2col_kernel(dy, n, g, h, wd); // (K, N·L)
    let mut dx = vec![T::zero(); n * cin * l];
    let mut dw = vec![T::zero(); cin * k];
    for b in 0..n {
        let xb = &x[b * cin * l..(b + 1) * cin * l];
        // dx_b (Cin × L) = W (Cin × K) · dcols_b (K × L)
        gemm_into(
            cin,
            l,
            k,
            &mut dx[b * cin * l..],
            (l, 1),
            false,
            w,
            (k, 1),
            &dcols[b * l..],
            (n * l, 1),
        );
        // dW (Cin × K) += x_b (Cin × L) · dcols_bᵀ (L × K)
        gemm_into(
            cin,
            k,
            l,
            &mut dw,
            (k, 1),
            b > 0,
            xb,
            (l, 1),
            &dcols[b * l..],
            (1, n * l),
        );
    }
    Ok((dx, dw))
}

fn two_slices<'a, T: WithDType>(
    s1: &'a [T],
    l1: &Layout,
    s2: &'a [T],
    l2: &Layout,
    op: &str,
) -> candle_core::Result<(&'a [T], &'a [T])> {
    Ok((contiguous_slice(s1, l1, op)?, contiguous_slice(s2, l2, op)?))
}

impl candle_core::CustomOp2 for Conv2dOp {
    fn name(&self) -> &'static str {
        "locus-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let n = l1.dims()[0];
        let (ho, wo) = self.g.out()?;
        let shape = Shape::from((n, self.cout, ho, wo));
        let out = match (s1, s2) {
            (CpuStorage::F32(x), CpuStorage::F32(w)) => {
                let (x, w) = two_slices(x, l1, w, l2, "conv2d")?;
                CpuStorage::F32(conv2d_fwd(x, w, n, self.g, self.cout)?)
            }
            (CpuStorage::F64(x), CpuStorage::F64(w)) => {
                let (x, w) = two_slices(x, l1, w, l2, "conv2d")?;
                CpuStorage::F64(conv2d_fwd(x, w, n, self.g, self.cout)?)
            }
            _ => candle_core::bail!("conv2d: input and weight must both be f32 or f64"),
        };
        Ok((out, shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let n = x.dim(0)?;
        let dev = x.device();
        let (dx, dw) = match x.dtype() {
            DType::F32 => {
                let (dx, dw) = conv2d_bwd(
                    &data::<f32>(x)?,
                    &data::<f32>(w)?,
                    &data::<f32>(dy)?,
                    n,
                    self.g,
                    self.cout,
                )?;
                (
                    Tensor::from_vec(dx, x.shape(), dev)?,
                    Tensor::from_vec(dw, w.shape(), dev)?,
                )
            }
            DType::F64 => {
                let (dx, dw) = conv2d_bwd(
                    &data::<f64>(x)?,
                    &data::<f64>(w)?,
                    &data::<f64>(dy)?,
                    n,
                    self.g,
                    self.cout,
                )?;
                (
                    Tensor::from_vec(dx, x.shape(), dev)?,
                    Tensor::from_vec(dw, w.shape(), dev)?,
                )
            }
            d => candle_core::bail!("conv2d: unsupported dtype {d:?}"),
        };
        Ok((Some(dx), Some(dw)))
    }
}

impl candle_core::CustomOp2 for ConvT2dOp {
    fn name(&self) -> &'static str {
        "locus-conv-transpose2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let n = l1.dims()[0];
        let shape = Shape::from((n, self.g.c, self.g.h, self.g.w));
        let out = match (s1, s2) {
            (CpuStorage::F32(x), CpuStorage::F32(w)) => {
                let (x, w) = two_slices(x, l1, w, l2, "conv_transpose2d")?;
                CpuStorage::F32(convt_fwd(x, w, n, self.g, self.cin)?)
            }
            (CpuStorage::F64(x), CpuStorage::F64(w)) => {
                let (x, w) = two_slices(x, l1, w, l2, "conv_transpose2d")?;
                CpuStorage::F64(convt_fwd(x, w, n, self.g, self.cin)?)
            }
            _ => candle_core::bail!("conv_transpose2d: input and weight must both be f32 or f64"),
        };
        Ok((out, shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let n = x.dim(0)?;
        let dev = x.device();
        let (dx, dw) = match x.dtype() {
            DType::F32 => {
                let (dx, dw) = convt_bwd(
                    &data::<f32>(x)?,
                    &data::<f32>(w)?,
                    &data::<f32>(dy)?,
                    n,
                    self.g,
                    self.cin,
                )?;
                (
                    Tensor::from_vec(dx, x.shape(), dev)?,
                    Tensor::from_vec(dw, w.shape(), dev)?,
                )
            }
            DType::F64 => {
                let (dx, dw) = convt_bwd(
                    &data::<f64>(x)?,
                    &data::<f64>(w)?,
                    &data::<f64>(dy)?,
                    n,
                    self.g,
                    self.cin,
                )?;
                (
                    Tensor::from_vec(dx, x.shape(), dev)?,
                    Tensor::from_vec(dw, w.shape(), dev)?,
                )
            }
            d => candle_core::bail!("conv_transpose2d: unsupported dtype {d:?}"),
        };
        Ok((Some(dx), Some(dw)))
    }
}

/// A contiguous copy of a CPU tensor's data.
fn data<T: WithDType>(t: &Tensor) -> candle_core::Result<Vec<T>> {
    t.flatten_all()?.to_vec1::<T>()
}

/// 2-D convolution (cross-correlation, as candle/PyTorch) of `x` `(N, C, H, W)`
/// with `weight` `(Cout, C, kh, kw)`, the same `stride` and zero `pad` on both
/// axes, no bias. On the CPU one graph node: im2col + one GEMM per image
/// forward; im2col + two GEMMs + col2im backward. Elsewhere candle's `conv2d`.
pub fn conv2d(x: &Tensor, weight: &Tensor, stride: usize, pad: usize) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return x.conv2d(weight, pad, stride, 1, 1);
    }
    let (_, c, h, w) = x.dims4()?;
    let (cout, cw, kh, kw) = weight.dims4()?;
    if cw != c {
        candle_core::bail!("conv2d: input has {c} channels, weight expects {cw}");
    }
    let g = Geom {
        c,
        h,
        w,
        kh,
        kw,
        stride,
        pad,
    };
    g.out()?;
    x.contiguous()?
        .apply_op2(&weight.contiguous()?, Conv2dOp { g, cout })
}

/// Transposed 2-D convolution of `x` `(N, Cin, H, W)` with `weight`
/// `(Cin, Cout, kh, kw)` (candle/PyTorch layout), `stride`, `pad`, no output
/// padding: output `(N, Cout, (H−1)s − 2p + kh, (W−1)s − 2p + kw)`. On the
/// CPU one graph node: one GEMM per image + col2im forward; im2col + two GEMMs
/// backward. Elsewhere candle's `conv_transpose2d`.
pub fn conv_transpose2d(
    x: &Tensor,
    weight: &Tensor,
    stride: usize,
    pad: usize,
) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return x.conv_transpose2d(weight, pad, 0, stride, 1);
    }
    let (_, cin, h, w) = x.dims4()?;
    let (cw, cout, kh, kw) = weight.dims4()?;
    if cw != cin {
        candle_core::bail!("conv_transpose2d: input has {cin} channels, weight expects {cw}");
    }
    if stride == 0 {
        candle_core::bail!("conv_transpose2d: stride must be >= 1");
    }
    let (oh, ow) = match (
        ((h.max(1) - 1) * stride + kh).checked_sub(2 * pad),
        ((w.max(1) - 1) * stride + kw).checked_sub(2 * pad),
    ) {
        (Some(a), Some(b)) if h > 0 && w > 0 => (a, b),
        _ => candle_core::bail!("conv_transpose2d: padding {pad} too large for a {kh}x{kw} kernel"),
    };
    let g = Geom {
        c: cout,
        h: oh,
        w: ow,
        kh,
        kw,
        stride,
        pad,
    };
    if g.out()? != (h, w) {
        candle_core::bail!("conv_transpose2d: inconsistent geometry");
    }
    x.contiguous()?
        .apply_op2(&weight.contiguous()?, ConvT2dOp { g, cin })
}

/// The 4×4 transposed-convolution kernel `(Cin, Cout, 4, 4)` equivalent to
/// nearest-neighbour ×2 upsampling followed by a 3×3 convolution (padding 1)
/// with `weight` `(Cout, Cin, 3, 3)` (see [`resize_conv2d`]). Linear in
/// `weight` and built from candle ops, so gradients flow back to it.
pub fn resize_conv_kernel(weight: &Tensor) -> candle_core::Result<Tensor> {
    let (cout, cin, kh, kw) = weight.dims4()?;
    if (kh, kw) != (3, 3) {
        candle_core::bail!("resize_conv2d: expected a 3x3 kernel, got {kh}x{kw}");
    }
    // Mᵀ (3 × 4): column k lists the 3×3 taps that land on 4×4 tap k,
    // k = (w2, w1 + w2, w0 + w1, w0).
    let mt = Tensor::new(
        &[[0f32, 0., 1., 1.], [0., 1., 1., 0.], [1., 1., 0., 0.]],
        weight.device(),
    )?
    .to_dtype(weight.dtype())?;
    // (Cout, Cin, ty, tx) → (Cin, Cout, ty, tx); expand tx, then ty.
    let t = weight.transpose(0, 1)?.contiguous()?;
    let t = t.reshape((cin * cout * 3, 3))?.matmul(&mt)?; // (Cin, Cout, ty, kx)
    let t = t.reshape((cin, cout, 3, 4))?.transpose(2, 3)?.contiguous()?;
    let t = t.reshape((cin * cout * 4, 3))?.matmul(&mt)?; // (Cin, Cout, kx, ky)
    t.reshape((cin, cout, 4, 4))?.transpose(2, 3)?.contiguous()
}

/// Resize-convolution (Odena, Dumoulin & Olah 2016): nearest-neighbour ×2
/// upsampling of `x` `(N, Cin, H, W)`, then a 3×3 convolution (stride 1, zero
/// padding 1, no bias) with `weight` `(Cout, Cin, 3, 3)`; output
/// `(N, Cout, 2H, 2W)`.
///
/// Computed as [`conv_transpose2d`] (stride 2, padding 1) with the 4×4
/// kernel of [`resize_conv_kernel`]. Along one axis, with 3×3 taps
/// (w0, w1, w2) at offsets (−1, 0, +1) and u the upsampled signal
/// (u[2i] = u[2i+1] = x[i]):
/// y[2i] = w0·x[i−1] + (w1 + w2)·x[i] and y[2i+1] = (w0 + w1)·x[i] + w2·x[i+1],
/// which is the stride-2 transposed convolution y[o] = Σ_i x[i]·k[o + 1 − 2i]
/// with k = (w2, w1 + w2, w0 + w1, w0); zero padding of the upsampled image
/// matches the transposed convolution's missing x[−1] and x[H] exactly. The
/// 2-D kernel is the outer product of this map on both axes. So the cost is
/// that of the 4×4 transposed convolution, not of a 3×3 convolution on the 4×
/// larger upsampled image.
pub fn resize_conv2d(x: &Tensor, weight: &Tensor) -> candle_core::Result<Tensor> {
    let (_, cin, _, _) = x.dims4()?;
    let (_, cw, _, _) = weight.dims4()?;
    if cw != cin {
        candle_core::bail!("resize_conv2d: input has {cin} channels, weight expects {cw}");
    }
    conv_transpose2d(x, &resize_conv_kernel(weight)?, 2, 1)
}

fn f32_data(t: &Tensor, op: &str) -> candle_core::Result<Vec<f32>> {
    // A contiguous f32 copy of a CPU tensor's data.
    let t = t.contiguous()?;
    let (st, l) = t.storage_and_layout();
    match &*st {
        candle_core::Storage::Cpu(CpuStorage::F32(v)) => match l.contiguous_offsets() {
            Some((a, b)) => Ok(v[a..b].to_vec()),
            None => candle_core::bail!("{op}: non-contiguous data"),
        },
        _ => candle_core::bail!("{op}: expected f32 data on the CPU"),
    }
}

/// Per-channel statistics of a [`batch_norm_train`] call.
#[derive(Debug, Clone, Default)]
struct BnStash {
    mean: Vec<f32>,
    inv: Vec<f32>,
    var: Vec<f32>,
}

/// Training-mode BatchNorm as one op (CPU): y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c
/// with the batch mean μ_c and biased variance σ²_c over (N, H, W); the
/// backward pass is the analytic one (two passes over the data).
struct BatchNormTrain {
    eps: f64,
    stash: std::sync::Arc<std::sync::Mutex<BnStash>>,
}

impl candle_core::CustomOp3 for BatchNormTrain {
    fn name(&self) -> &'static str {
        "locus-batchnorm-train"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(x), CpuStorage::F32(g), CpuStorage::F32(b)) = (s1, s2, s3) else {
            candle_core::bail!("batchnorm: f32 only");
        };
        let x = contiguous_slice(x, l1, "batchnorm")?;
        let g = contiguous_slice(g, l2, "batchnorm")?;
        let b = contiguous_slice(b, l3, "batchnorm")?;
        let &[n, c, h, w] = l1.dims() else {
            candle_core::bail!("batchnorm: expected (N, C, H, W), got {:?}", l1.dims());
        };
        if g.len() != c || b.len() != c {
            candle_core::bail!(
                "batchnorm: {c} channels but {} scales and {} shifts",
                g.len(),
                b.len()
            );
        }
        let hw = h * w;
        let m = (n * hw) as f64;
        // Two-pass statistics per channel (f64 accumulation).
        let stats: Vec<(f32, f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let mut s = 0.0f64;
                for bi in 0..n {
                    s += x[(bi * c + ch) * hw..(bi * c + ch + 1) * hw]
                        .iter()
                        .map(|&v| v as f64)
                        .sum::<f64>();
                }
                let mean = s / m;
                let mut q = 0.0f64;
                for bi in 0..n {
                    q += x[(bi * c + ch) * hw..(bi * c + ch + 1) * hw]
                        .iter()
                        .map(|&v| (v as f64 - mean).powi(2))
                        .sum::<f64>();
                }
                let var = q / m;
                (mean as f32, (1.0 / (var + self.eps).sqrt()) as f32, var as f32)
            })
            .collect();
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(hw).enumerate().for_each(|(bc, out)| {
            let ch = bc % c;
            let (mean, inv, _) = stats[ch];
            let scale = inv * g[ch];
            let shift = b[ch] - mean * scale;
            for (o, &v) in out.iter_mut().zip(&x[bc * hw..(bc + 1) * hw]) {
                *o = v * scale + shift;
            }
        });
        if let Ok(mut st) = self.stash.lock() {
            st.mean = stats.iter().map(|s| s.0).collect();
            st.inv = stats.iter().map(|s| s.1).collect();
            st.var = stats.iter().map(|s| s.2).collect();
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, c, h, w) = x.dims4()?;
        let hw = h * w;
        let m = (n * hw) as f32;
        let xv = f32_data(x, "batchnorm backward")?;
        let dy = f32_data(grad, "batchnorm backward")?;
        let g = f32_data(gamma, "batchnorm backward")?;
        let st = self
            .stash
            .lock()
            .map_err(|_| candle_core::Error::Msg("batchnorm: poisoned statistics".into()))?
            .clone();
        if st.mean.len() != c {
            candle_core::bail!("batchnorm backward before forward");
        }
        // dβ = Σ dy, dγ = Σ dy·x̂ per channel.
        let sums: Vec<(f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let (mean, inv) = (st.mean[ch], st.inv[ch]);
                let (mut sb, mut sg) = (0.0f64, 0.0f64);
                for bi in 0..n {
                    let r = (bi * c + ch) * hw..(bi * c + ch + 1) * hw;
                    for (&d, &v) in dy[r.clone()].iter().zip(&xv[r]) {
                        sb += d as f64;
                        sg += (d * (v - mean) * inv) as f64;
                    }
                }
                (sb as f32, sg as f32)
            })
            .collect();
        // dx = γ·inv·(dy − dβ/M − x̂·dγ/M).
        let mut dx = vec![0f32; xv.len()];
        dx.par_chunks_mut(hw).enumerate().for_each(|(bc, out)| {
            let ch = bc % c;
            let (mean, inv) = (st.mean[ch], st.inv[ch]);
            let (db, dg) = sums[ch];
            let k = g[ch] * inv;
            let (mb, mg) = (db / m, dg / m);
            let r = bc * hw..(bc + 1) * hw;
            for ((o, &d), &v) in out.iter_mut().zip(&dy[r.clone()]).zip(&xv[r]) {
                *o = k * (d - mb - (v - mean) * inv * mg);
            }
        });
        let dev = x.device();
        let dx = Tensor::from_vec(dx, (n, c, h, w), dev)?;
        let dg = Tensor::from_vec(sums.iter().map(|s| s.1).collect::<Vec<_>>(), c, dev)?;
        let db = Tensor::from_vec(sums.iter().map(|s| s.0).collect::<Vec<_>>(), c, dev)?;
        Ok((Some(dx), Some(dg), Some(db)))
    }
}

/// Training-mode batch normalisation of `x` `(N, C, H, W)` (f32, CPU) with
/// scale `gamma` and shift `beta` `(C,)`: returns the output and the batch
/// mean and biased variance per channel (for the running statistics).
/// Differentiable in all three inputs.
pub fn batch_norm_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
) -> candle_core::Result<(Tensor, Vec<f32>, Vec<f32>)> {
    let stash = std::sync::Arc::new(std::sync::Mutex::new(BnStash::default()));
    let op = BatchNormTrain {
        eps,
        stash: stash.clone(),
    };
    let y = x
        .contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    let st = stash
        .lock()
        .map_err(|_| candle_core::Error::Msg("batchnorm: poisoned statistics".into()))?;
    Ok((y, st.mean.clone(), st.var.clone()))
}

/// LeakyReLU max(x, slope·x) as one op with a one-pass backward (CPU, f32);
/// `slope` 0 is ReLU.
struct Leaky {
    slope: f32,
}

impl CustomOp1 for Leaky {
    fn name(&self) -> &'static str {
        "locus-leaky-relu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(x) = s else {
            candle_core::bail!("leaky_relu: f32 only");
        };
        let x = contiguous_slice(x, l, "leaky_relu")?;
        let a = self.slope;
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(1 << 16)
            .zip(x.par_chunks(1 << 16))
            .for_each(|(o, i)| {
                for (o, &v) in o.iter_mut().zip(i) {
                    *o = if v > 0.0 { v } else { a * v };
                }
            });
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let x = f32_data(arg, "leaky_relu backward")?;
        let mut d = f32_data(grad, "leaky_relu backward")?;
        let a = self.slope;
        d.par_chunks_mut(1 << 16)
            .zip(x.par_chunks(1 << 16))
            .for_each(|(o, i)| {
                for (o, &v) in o.iter_mut().zip(i) {
                    if v <= 0.0 {
                        *o *= a;
                    }
                }
            });
        Ok(Some(Tensor::from_vec(d, arg.shape(), arg.device())?))
    }
}

/// LeakyReLU (slope 0: ReLU) as one fused op on the CPU; candle ops elsewhere.
pub fn leaky_relu(x: &Tensor, slope: f64) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() || x.dtype() != DType::F32 {
        return if slope == 0.0 {
            x.relu()
        } else {
            x.maximum(&(x * slope)?)
        };
    }
    x.contiguous()?.apply_op1(Leaky { slope: slope as f32 })
}

/// The dtype the custom ops support.
pub fn supported(dtype: DType) -> bool {
    matches!(dtype, DType::F32 | DType::F64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use rand::{Rng, SeedableRng};

    fn rand_t(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
        let mut r = rand::rngs::StdRng::seed_from_u64(seed);
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
        Tensor::from_vec(v, shape, &Device::Cpu)
            .unwrap()
            .to_dtype(dtype)
            .unwrap()
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    }

    /// Direct per-pixel convolution, the obviously correct twin.
    fn naive_conv(x: &[f64], n: usize, g: Geom, wt: &[f64], cout: usize) -> Vec<f64> {
        let (ho, wo) = g.out().unwrap();
        let mut y = vec![0.0; n * cout * ho * wo];
        for b in 0..n {
            for o in 0..cout {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut s = 0.0;
                        for c in 0..g.c {
                            for ky in 0..g.kh {
                                for kx in 0..g.kw {
                                    let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                                    let ix = (ox * g.stride + kx) as isize - g.pad as isize;
                                    if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                                        s += x[((b * g.c + c) * g.h + iy as usize) * g.w + ix as usize]
                                            * wt[((o * g.c + c) * g.kh + ky) * g.kw + kx];
                                    }
                                }
                            }
                        }
                        y[((b * cout + o) * ho + oy) * wo + ox] = s;
                    }
                }
            }
        }
        y
    }

    #[test]
    fn conv2d_matches_naive_and_candle() {
        for &(n, c, h, w, cout, k, s, p) in &[
            (1, 1, 8, 8, 3, 4, 2, 1),
            (2, 3, 8, 6, 4, 4, 2, 1),
            (2, 2, 9, 7, 1, 3, 1, 0),
            (1, 1, 12, 12, 1, 11, 1, 0),
            (3, 2, 5, 5, 2, 3, 2, 2),
        ] {
            let x = rand_t(&[n, c, h, w], 1, DType::F64);
            let wt = rand_t(&[cout, c, k, k], 2, DType::F64);
            let ours = conv2d(&x, &wt, s, p).unwrap();
            let theirs = x.conv2d(&wt, p, s, 1, 1).unwrap();
            assert_eq!(ours.dims(), theirs.dims());
            assert!(max_abs_diff(&ours, &theirs) < 1e-12);
            let g = Geom {
                c,
                h,
                w,
                kh: k,
                kw: k,
                stride: s,
                pad: p,
            };
            let naive = naive_conv(
                &x.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                n,
                g,
                &wt.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                cout,
            );
            let ours_v = ours.flatten_all().unwrap().to_vec1::<f64>().unwrap();
            for (a, b) in ours_v.iter().zip(&naive) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn conv_transpose2d_matches_candle() {
        for &(n, cin, h, w, cout, k, s, p) in &[
            (1, 3, 4, 4, 2, 4, 2, 1),
            (2, 2, 3, 5, 3, 4, 2, 1),
            (1, 1, 1, 1, 2, 4, 2, 1),
            (2, 2, 4, 3, 1, 3, 1, 1),
        ] {
            let x = rand_t(&[n, cin, h, w], 3, DType::F64);
            let wt = rand_t(&[cin, cout, k, k], 4, DType::F64);
            let ours = conv_transpose2d(&x, &wt, s, p).unwrap();
            let theirs = x.conv_transpose2d(&wt, p, 0, s, 1).unwrap();
            assert_eq!(ours.dims(), theirs.dims());
            assert!(max_abs_diff(&ours, &theirs) < 1e-12, "{:?}", (n, cin, h, w));
        }
    }

    #[test]
    fn gradients_match_candle() {
        // conv2d: gradient w.r.t. input and weights equals candle's.
        let x = Var::from_tensor(&rand_t(&[2, 3, 8, 8], 5, DType::F64)).unwrap();
        let wt = Var::from_tensor(&rand_t(&[4, 3, 4, 4], 6, DType::F64)).unwrap();
        let proj = rand_t(&[2, 4, 4, 4], 7, DType::F64);
        let l1 = (conv2d(&x, &wt, 2, 1).unwrap() * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let l2 = (x.conv2d(&wt, 1, 2, 1, 1).unwrap() * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let g1 = l1.backward().unwrap();
        let g2 = l2.backward().unwrap();
        for v in [&x, &wt] {
            let a = g1.get(v.as_tensor()).unwrap();
            let b = g2.get(v.as_tensor()).unwrap();
            assert!(max_abs_diff(a, b) < 1e-12);
        }
        // conv_transpose2d likewise.
        let x = Var::from_tensor(&rand_t(&[2, 3, 4, 4], 8, DType::F64)).unwrap();
        let wt = Var::from_tensor(&rand_t(&[3, 2, 4, 4], 9, DType::F64)).unwrap();
        let proj = rand_t(&[2, 2, 8, 8], 10, DType::F64);
        let l1 = (conv_transpose2d(&x, &wt, 2, 1).unwrap() * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let l2 = (x.conv_transpose2d(&wt, 1, 0, 2, 1).unwrap() * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let g1 = l1.backward().unwrap();
        let g2 = l2.backward().unwrap();
        for v in [&x, &wt] {
            let a = g1.get(v.as_tensor()).unwrap();
            let b = g2.get(v.as_tensor()).unwrap();
            assert!(max_abs_diff(a, b) < 1e-12);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Loss L = Σ proj·conv_transpose2d(conv2d(x, w1), w2); central differences in f64.
        let x0 = rand_t(&[1, 2, 6, 6], 11, DType::F64);
        let w1 = rand_t(&[3, 2, 4, 4], 12, DType::F64);
        let w2 = Var::from_tensor(&rand_t(&[3, 2, 4, 4], 13, DType::F64)).unwrap();
        let proj = rand_t(&[1, 2, 6, 6], 14, DType::F64);
        let loss = |x: &Tensor, w2: &Tensor| -> Tensor {
            let y = conv2d(x, &w1, 2, 1).unwrap();
            (conv_transpose2d(&y, w2, 2, 1).unwrap().sqr().unwrap() * &proj)
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let xv = Var::from_tensor(&x0).unwrap();
        let grads = loss(&xv, &w2).backward().unwrap();
        let gx = grads
            .get(xv.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let gw = grads
            .get(w2.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let xs = x0.flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let ws = w2.flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let h = 1e-5;
        for &i in &[0usize, 7, 20, 35, 71] {
            let mut a = xs.clone();
            a[i] += h;
            let mut b = xs.clone();
            b[i] -= h;
            let ta = Tensor::from_vec(a, (1, 2, 6, 6), &Device::Cpu).unwrap();
            let tb = Tensor::from_vec(b, (1, 2, 6, 6), &Device::Cpu).unwrap();
            let fd = (loss(&ta, w2.as_tensor()).to_scalar::<f64>().unwrap()
                - loss(&tb, w2.as_tensor()).to_scalar::<f64>().unwrap())
                / (2.0 * h);
            assert!(
                (fd - gx[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "x[{i}]: {fd} vs {}",
                gx[i]
            );
        }
        for &i in &[0usize, 13, 50, 95] {
            let mut a = ws.clone();
            a[i] += h;
            let mut b = ws.clone();
            b[i] -= h;
            let ta = Tensor::from_vec(a, (3, 2, 4, 4), &Device::Cpu).unwrap();
            let tb = Tensor::from_vec(b, (3, 2, 4, 4), &Device::Cpu).unwrap();
            let fd = (loss(&x0, &ta).to_scalar::<f64>().unwrap()
                - loss(&x0, &tb).to_scalar::<f64>().unwrap())
                / (2.0 * h);
            assert!(
                (fd - gw[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "w[{i}]: {fd} vs {}",
                gw[i]
            );
        }
    }

    /// Nearest ×2 upsampling then a 3×3 convolution (pad 1), per pixel.
    fn naive_resize_conv(
        x: &[f64],
        n: usize,
        c: usize,
        h: usize,
        w: usize,
        wt: &[f64],
        cout: usize,
    ) -> Vec<f64> {
        let (h2, w2) = (2 * h, 2 * w);
        let mut up = vec![0.0; n * c * h2 * w2];
        for b in 0..n * c {
            for y in 0..h2 {
                for xx in 0..w2 {
                    up[(b * h2 + y) * w2 + xx] = x[(b * h + y / 2) * w + xx / 2];
                }
            }
        }
        let g = Geom {
            c,
            h: h2,
            w: w2,
            kh: 3,
            kw: 3,
            stride: 1,
            pad: 1,
        };
        naive_conv(&up, n, g, wt, cout)
    }

    #[test]
    fn resize_conv_matches_upsample_then_conv() {
        // Against the per-pixel twin and against candle's upsample_nearest2d +
        // conv2d, including the borders; odd and non-square sizes, 1×1 input.
        for &(n, cin, h, w, cout) in &[(1, 1, 4, 4, 1), (2, 3, 3, 5, 2), (1, 2, 1, 1, 3), (2, 1, 6, 2, 4)] {
            let x = rand_t(&[n, cin, h, w], 31, DType::F64);
            let wt = rand_t(&[cout, cin, 3, 3], 32, DType::F64);
            let ours = resize_conv2d(&x, &wt).unwrap();
            assert_eq!(ours.dims(), &[n, cout, 2 * h, 2 * w]);
            let theirs = x
                .upsample_nearest2d(2 * h, 2 * w)
                .unwrap()
                .conv2d(&wt, 1, 1, 1, 1)
                .unwrap();
            assert!(max_abs_diff(&ours, &theirs) < 1e-12, "{:?}", (n, cin, h, w));
            let naive = naive_resize_conv(
                &x.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                n,
                cin,
                h,
                w,
                &wt.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                cout,
            );
            let ours_v = ours.flatten_all().unwrap().to_vec1::<f64>().unwrap();
            for (a, b) in ours_v.iter().zip(&naive) {
                assert!((a - b).abs() < 1e-12);
            }
        }
        // Hand check, one axis: taps (w0, w1, w2) = (1, 10, 100) on x = (1, 2),
        // upsampled u = (1, 1, 2, 2): y = (10 + 100, 1 + 10 + 200, 1 + 20 + 200,
        // 2 + 20) = (110, 211, 221, 22), i.e. y[0] = (w1 + w2)·x0,
        // y[1] = (w0 + w1)·x0 + w2·x1, y[2] = w0·x0 + (w1 + w2)·x1, y[3] = (w0 + w1)·x1.
        let x = Tensor::new(&[1f64, 2.], &Device::Cpu)
            .unwrap()
            .reshape((1, 1, 1, 2))
            .unwrap();
        let wt = Tensor::new(&[[0f64, 0., 0.], [1., 10., 100.], [0., 0., 0.]], &Device::Cpu)
            .unwrap()
            .reshape((1, 1, 3, 3))
            .unwrap();
        let y = resize_conv2d(&x, &wt)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        // Rows 0 and 1 of the output are the same (the row direction only sees
        // the centre tap w1 = 1 of the column taps (0, 1, 0)).
        assert_eq!(y, vec![110., 211., 221., 22., 110., 211., 221., 22.]);
        assert!(resize_conv2d(&x, &rand_t(&[1, 2, 3, 3], 1, DType::F64)).is_err());
        assert!(resize_conv2d(&x, &rand_t(&[1, 1, 4, 4], 1, DType::F64)).is_err());
    }

    #[test]
    fn resize_conv_gradients_match_candle_and_finite_differences() {
        let x = Var::from_tensor(&rand_t(&[2, 3, 4, 5], 33, DType::F64)).unwrap();
        let wt = Var::from_tensor(&rand_t(&[2, 3, 3, 3], 34, DType::F64)).unwrap();
        let proj = rand_t(&[2, 2, 8, 10], 35, DType::F64);
        let l1 = (resize_conv2d(&x, &wt).unwrap() * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let l2 = (x
            .upsample_nearest2d(8, 10)
            .unwrap()
            .conv2d(&wt, 1, 1, 1, 1)
            .unwrap()
            * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let g1 = l1.backward().unwrap();
        let g2 = l2.backward().unwrap();
        for v in [&x, &wt] {
            let a = g1.get(v.as_tensor()).unwrap();
            let b = g2.get(v.as_tensor()).unwrap();
            assert_eq!(a.dims(), v.dims());
            assert!(max_abs_diff(a, b) < 1e-12);
        }
        // Central differences of a non-linear loss Σ proj·y² in the weights.
        let x0 = x.as_tensor().clone();
        let loss = |w: &Tensor| -> f64 {
            (resize_conv2d(&x0, w).unwrap().sqr().unwrap() * &proj)
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f64>()
                .unwrap()
        };
        let wv = Var::from_tensor(wt.as_tensor()).unwrap();
        let l = (resize_conv2d(&x0, &wv).unwrap().sqr().unwrap() * &proj)
            .unwrap()
            .sum_all()
            .unwrap();
        let gw = l
            .backward()
            .unwrap()
            .get(wv.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let ws = wt.flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let h = 1e-5;
        for &i in &[0usize, 4, 13, 26, 53] {
            let (mut a, mut b) = (ws.clone(), ws.clone());
            a[i] += h;
            b[i] -= h;
            let ta = Tensor::from_vec(a, (2, 3, 3, 3), &Device::Cpu).unwrap();
            let tb = Tensor::from_vec(b, (2, 3, 3, 3), &Device::Cpu).unwrap();
            let fd = (loss(&ta) - loss(&tb)) / (2.0 * h);
            assert!(
                (fd - gw[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "w[{i}]: {fd} vs {}",
                gw[i]
            );
        }
    }

    #[test]
    fn col2im_is_adjoint_of_im2col() {
        // <im2col(x), c> == <x, col2im(c)> for random x, c.
        let x = rand_t(&[2, 3, 7, 6], 15, DType::F64);
        let cols = im2col(&x, 3, 4, 2, 1).unwrap();
        let c = rand_t(cols.dims(), 16, DType::F64);
        let lhs = (&cols * &c)
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        let back = col2im(&c, 2, 3, 7, 6, 3, 4, 2, 1).unwrap();
        let rhs = (&x * &back)
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        assert!((lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0));
    }

    #[test]
    fn batch_norm_matches_candle_ops_and_gradients() {
        // Reference: the same formula in plain candle ops, autograd gradients.
        let x = Var::from_tensor(
            &(rand_t(&[2, 3, 4, 5], 21, DType::F32) * 3.0)
                .unwrap()
                .affine(1.0, 0.5)
                .unwrap(),
        )
        .unwrap();
        let g = Var::from_tensor(&rand_t(&[3], 22, DType::F32)).unwrap();
        let b = Var::from_tensor(&rand_t(&[3], 23, DType::F32)).unwrap();
        let proj = rand_t(&[2, 3, 4, 5], 24, DType::F32);
        let (y1, mean, var) = batch_norm_train(&x, &g, &b, 1e-3).unwrap();
        let mu = x.mean_keepdim((0, 2, 3)).unwrap();
        let xc = x.broadcast_sub(&mu).unwrap();
        let v = xc.sqr().unwrap().mean_keepdim((0, 2, 3)).unwrap();
        let y2 = xc
            .broadcast_div(&(v.clone() + 1e-3).unwrap().sqrt().unwrap())
            .unwrap()
            .broadcast_mul(&g.reshape((1, 3, 1, 1)).unwrap())
            .unwrap()
            .broadcast_add(&b.reshape((1, 3, 1, 1)).unwrap())
            .unwrap();
        assert!(max_abs_diff(&y1, &y2) < 1e-5);
        let mu_v = mu.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let var_v = v.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        for i in 0..3 {
            assert!((mean[i] - mu_v[i]).abs() < 1e-5 && (var[i] - var_v[i]).abs() < 1e-4);
        }
        let ga = (y1 * &proj).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (y2 * &proj).unwrap().sum_all().unwrap().backward().unwrap();
        for t in [&x, &g, &b] {
            let d = max_abs_diff(ga.get(t.as_tensor()).unwrap(), gb.get(t.as_tensor()).unwrap());
            assert!(d < 1e-4, "{d}");
        }
    }

    #[test]
    fn leaky_relu_matches_candle() {
        for slope in [0.0, 0.3] {
            let x = Var::from_tensor(&rand_t(&[2, 3, 4, 4], 25, DType::F32)).unwrap();
            let proj = rand_t(&[2, 3, 4, 4], 26, DType::F32);
            let y1 = leaky_relu(&x, slope).unwrap();
            let y2 = x.maximum(&(x.as_tensor() * slope).unwrap()).unwrap();
            assert!(max_abs_diff(&y1, &y2) == 0.0);
            let g1 = (y1 * &proj).unwrap().sum_all().unwrap().backward().unwrap();
            let g2 = (y2 * &proj).unwrap().sum_all().unwrap().backward().unwrap();
            let d = max_abs_diff(g1.get(x.as_tensor()).unwrap(), g2.get(x.as_tensor()).unwrap());
            assert!(d < 1e-6, "{d}");
        }
    }

    #[test]
    fn f32_and_errors() {
        let x = rand_t(&[1, 2, 8, 8], 17, DType::F32);
        let wt = rand_t(&[3, 2, 4, 4], 18, DType::F32);
        let a = conv2d(&x, &wt, 2, 1).unwrap();
        let b = x.conv2d(&wt, 1, 2, 1, 1).unwrap();
        assert!(max_abs_diff(&a, &b) < 1e-5);
        // Channel mismatch and a kernel larger than the image are errors, not panics.
        let bad = rand_t(&[3, 5, 4, 4], 19, DType::F32);
        assert!(conv2d(&x, &bad, 2, 1).is_err());
        let big = rand_t(&[1, 2, 11, 11], 20, DType::F32);
        assert!(conv2d(&x, &big, 1, 0).is_err());
        assert!(supported(DType::F32) && !supported(DType::U8));
    }
}
