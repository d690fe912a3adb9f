#!/usr/bin/env python3
"""Reference anisotropic adaptive KDE (docs/methods.md §4), independent of locus.

Written from docs/methods.md, numpy only. Two implementations:

* ``akde_direct``: one source pixel at a time, like the paper code
  (``aniso_kde.py``): build the float32 window, add 0.001 to its corners,
  weighted mean and covariance, Frobenius normalisation, inverse, kernel,
  scatter.  Slow (a Python loop per non-zero pixel).
* ``akde_vectorized``: the same numbers for all pixels at once: window moments
  by separable shifted sums (float64), covariance/inverse in closed form for
  every source, kernels evaluated and scattered in chunks of sources, one
  window offset at a time (``--kernel-dtype`` float32 by default, float64 on
  request).

Conventions (docs/methods.md §4): window k (odd), s = k // 2, window
coordinates x_j = j - s, y_i = s - i (y up); Sigma = scale * C / ||C||_F;
kernel centred on the source, normalised to sum 1; ``border="skip"`` drops
sources within s of an edge (paper code), ``border="clip"`` (default) clips the
window to the image (values outside 0, guard still at the four corners of the
full window) and renormalises the kernel over its in-image part.  Sources whose
covariance is not positive definite (possible only with negative values) use
the isotropic kernel Sigma = scale / sqrt(2) * identity, as locus does.

Command line::

    akde.py IN.npy OUT.npy [--window 11] [--scale 1] [--border clip|skip]
                           [--method vectorized|direct] [--kernel-dtype float32|float64]

prints ``time_s=<wall seconds> cpu_s=<CPU seconds>`` (computation only, without file I/O).
"""

import argparse
import sys
import time

import numpy as np

GUARD = 0.001


def _check(img, window, scale, border):
    if window < 3 or window % 2 == 0:
        raise ValueError(f"window must be odd and >= 3, got {window}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if border not in ("clip", "skip"):
        raise ValueError(f"border must be 'clip' or 'skip', got {border!r}")
    img = np.asarray(img, dtype=np.float32)
    if img.ndim != 2 or img.size == 0:
        raise ValueError("image must be a non-empty 2-D array")
    if not np.all(np.isfinite(img)):
        raise ValueError("image holds non-finite values")
    return img


def _sigma_inverse(tot, cxx, cxy, cyy, scale):
    """Entries (a, b, d) of Sigma^-1 from the weighted covariance; isotropic fallback."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.sqrt(cxx * cxx + 2 * cxy * cxy + cyy * cyy)
        p, q, r = scale * cxx / f, scale * cyy / f, scale * cxy / f
        det = p * q - r * r
        ok = (tot > 0) & (f > 0) & (p > 0) & (q > 0) & (det > 0)
        iso = scale / np.sqrt(2.0)
        p = np.where(ok, p, iso)
        q = np.where(ok, q, iso)
        r = np.where(ok, r, 0.0)
        det = p * q - r * r
        return q / det, -r / det, p / det


def akde_direct(img, window=11, scale=1.0, border="clip"):
    """docs/methods.md §4 one source pixel at a time (paper-code style)."""
    img = _check(img, window, scale, border)
    k, s = window, window // 2
    h, w = img.shape
    padded = np.zeros((h + 2 * s, w + 2 * s), np.float32)
    padded[s:s + h, s:s + w] = img
    inside = np.zeros(padded.shape, bool)
    inside[s:s + h, s:s + w] = True
    out = np.zeros(padded.shape, np.float64)
    jj, ii = np.meshgrid(np.arange(k), np.arange(k))
    x = (jj - s).astype(np.float64)
    y = (s - ii).astype(np.float64)
    for r, c in zip(*np.nonzero(img)):
        if border == "skip" and (r < s or c < s or r + s >= h or c + s >= w):
            continue
        win = padded[r:r + k, c:c + k].copy()  # float32, 0 outside the image
        win[0, 0] += np.float32(GUARD)
        win[0, -1] += np.float32(GUARD)
        win[-1, 0] += np.float32(GUARD)
        win[-1, -1] += np.float32(GUARD)
        wv = win.astype(np.float64)
        tot = wv.sum()
        mux = (wv * x).sum() / tot
        muy = (wv * y).sum() / tot
        cxx = (wv * (x - mux) ** 2).sum() / tot
        cxy = (wv * (x - mux) * (y - muy)).sum() / tot
        cyy = (wv * (y - muy) ** 2).sum() / tot
        a, b, d = _sigma_inverse(np.float64(tot), cxx, cxy, cyy, scale)
        kern = np.exp(-0.5 * (a * x * x + 2 * b * x * y + d * y * y))
        mask = inside[r:r + k, c:c + k]
        kern = np.where(mask, kern, 0.0)
        out[r:r + k, c:c + k] += kern / kern.sum() * float(img[r, c])
    return out[s:s + h, s:s + w].astype(np.float32)


def window_moments(img, k):
    """Six raw moments of the k x k window around every pixel (0 outside), float64,
    in window coordinates (x right, y up), without the corner guard."""
    s = k // 2
    h, w = img.shape
    p = np.zeros((h + 2 * s, w + 2 * s))
    p[s:s + h, s:s + w] = img
    a0 = np.zeros((h + 2 * s, w))
    a1 = np.zeros_like(a0)
    a2 = np.zeros_like(a0)
    for j in range(k):
        x = j - s
        sl = p[:, j:j + w]
        a0 += sl
        a1 += x * sl
        a2 += (x * x) * sl
    m = {n: np.zeros((h, w)) for n in ("m0", "mx", "my", "mxx", "mxy", "myy")}
    for i in range(k):
        y = s - i
        b0, b1, b2 = a0[i:i + h], a1[i:i + h], a2[i:i + h]
        m["m0"] += b0
        m["mx"] += b1
        m["mxx"] += b2
        m["my"] += y * b0
        m["myy"] += (y * y) * b0
        m["mxy"] += y * b1
    return m


def akde_vectorized(img, window=11, scale=1.0, border="clip", kernel_dtype=np.float32, chunk=1 << 16):
    """docs/methods.md §4 for all sources at once (numpy, chunked)."""
    img = _check(img, window, scale, border)
    k, s = window, window // 2
    h, w = img.shape
    m = window_moments(img, k)
    rows, cols = np.nonzero(img)
    edge = (rows < s) | (cols < s) | (rows + s >= h) | (cols + s >= w)
    if border == "skip":
        rows, cols, edge = rows[~edge], cols[~edge], edge[~edge]
    # guard, weighted covariance, inverse (float64)
    g4 = 4 * GUARD
    tot = m["m0"][rows, cols] + g4
    mux = m["mx"][rows, cols] / tot
    muy = m["my"][rows, cols] / tot
    cxx = (m["mxx"][rows, cols] + g4 * s * s) / tot - mux * mux
    cyy = (m["myy"][rows, cols] + g4 * s * s) / tot - muy * muy
    cxy = m["mxy"][rows, cols] / tot - mux * muy
    a, b, d = _sigma_inverse(tot, cxx, cxy, cyy, scale)
    del m

    jj, ii = np.meshgrid(np.arange(k), np.arange(k))
    x = (jj - s).ravel().astype(kernel_dtype)
    y = (s - ii).ravel().astype(kernel_dtype)
    di = ii.ravel()
    dj = jj.ravel()
    wp = w + 2 * s
    out = np.zeros((h + 2 * s) * wp, kernel_dtype)
    vals = img[rows, cols].astype(kernel_dtype)
    for start in range(0, rows.size, chunk):
        sl = slice(start, start + chunk)
        r, c = rows[sl], cols[sl]
        ca = a[sl].astype(kernel_dtype)[:, None]
        cb = b[sl].astype(kernel_dtype)[:, None]
        cd = d[sl].astype(kernel_dtype)[:, None]
        q = ca * (x * x) + (2 * cb) * (x * y) + cd * (y * y)
        q *= -0.5
        kern = np.exp(q, out=q)
        e = edge[sl]
        ksum = kern.sum(axis=1)
        if e.any():
            # clipped windows: renormalise over the in-image part
            rin = (r[e, None] + di[None, :] - s >= 0) & (r[e, None] + di[None, :] - s < h)
            cin = (c[e, None] + dj[None, :] - s >= 0) & (c[e, None] + dj[None, :] - s < w)
            kern[e] *= rin & cin
            ksum[e] = kern[e].sum(axis=1)
        kern *= (vals[sl] / ksum)[:, None]
        base = r * wp + c  # top-left of the window in the padded output
        for o in range(k * k):
            out[base + (di[o] * wp + dj[o])] += kern[:, o]
    return out.reshape(h + 2 * s, wp)[s:s + h, s:s + w].astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--window", type=int, default=11)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--border", default="clip", choices=["clip", "skip"])
    ap.add_argument("--method", default="vectorized", choices=["vectorized", "direct"])
    ap.add_argument("--kernel-dtype", default="float32", choices=["float32", "float64"])
    args = ap.parse_args(argv)
    img = np.load(args.input).astype(np.float32)
    t0 = time.perf_counter()
    c0 = time.process_time()
    if args.method == "direct":
        out = akde_direct(img, args.window, args.scale, args.border)
    else:
        out = akde_vectorized(img, args.window, args.scale, args.border, np.dtype(args.kernel_dtype))
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    np.save(args.output, out)
    print(f"time_s={dt:.6f} cpu_s={dc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
