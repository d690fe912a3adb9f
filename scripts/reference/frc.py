#!/usr/bin/env python3
"""Independent numpy reference for locus' FRC and image metrics.

Implements docs/methods.md §5 (Fourier ring correlation: zero-padding to square,
Picasso's Tukey mask with nfac = 8, floor ring binning on the centred grid,
FRC = Re Σ F1 F2* / sqrt(Σ|F1|² Σ|F2|²), LOESS via statsmodels, resolution at
1/7 or ½-bit, area-FRC) and §6 (MSE, PSNR, and SSIM / MS-SSIM transcribed from
TensorFlow's `tf.image.ssim` / `tf.image.ssim_multiscale`: 11×11 Gaussian
σ = 1.5, VALID filtering, K1 = 0.01, K2 = 0.03, 5 scales with TF's power
factors, symmetric padding of odd sides before 2×2 average pooling).

Written from the formulas, not from locus' Rust code.

Usage:
  frc.py frc A.npy B.npy [--pixel-nm 10] [--tukey] [--repeat 1]   # JSON: curve, resolution, area, time
  frc.py metrics A.npy B.npy [--max-val 2]                        # JSON: mse, psnr, ssim, ms_ssim
  frc.py testvals                                                  # values pasted into the Rust tests
"""
import argparse
import json
import sys
import time

import numpy as np

MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(idx):
    """splitmix64 of integer indices -> floats in [0, 1) (same as the Rust tests' generator)."""
    with np.errstate(over="ignore"):
        z = np.asarray(idx, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def hash_image(h, w, seed):
    """An h×w float32 image of uniform [0,1) values from splitmix64(seed·2^32 + row·w + col)."""
    idx = np.uint64(seed) * np.uint64(1 << 32) + np.arange(h * w, dtype=np.uint64)
    return splitmix64(idx).reshape(h, w).astype(np.float32)


# ---------------------------------------------------------------- FRC (§5)

def tukey_1d(n, nfac=8.0):
    u = (np.arange(n) - n / 2.0) / n
    m = 0.5 - 0.5 * np.cos(np.pi * nfac * u)
    m[np.abs(u) < (nfac - 2.0) / (2.0 * nfac)] = 1.0
    return m


def pad_square(img):
    h, w = img.shape
    n = max(h, w)
    out = np.zeros((n, n), dtype=np.float64)
    out[:h, :w] = img
    return out


def frc(a, b, pixel_nm=1.0, tukey=False):
    """Returns dict(rings, freq, values, counts) on the standard rings q = 0..ceil(N/2)-1."""
    a = pad_square(a)
    b = pad_square(b)
    n = a.shape[0]
    if tukey:
        m = tukey_1d(n)
        m2 = np.outer(m, m)
        a = a * m2
        b = b * m2
    fa = np.fft.fft2(a)
    fb = np.fft.fft2(b)
    k = np.round(np.fft.fftfreq(n) * n)  # centred indices -floor(N/2)..ceil(N/2)-1
    r = np.floor(np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)).astype(np.int64).ravel()
    nb = r.max() + 1
    cross = np.bincount(r, weights=(fa * np.conj(fb)).real.ravel(), minlength=nb)
    p1 = np.bincount(r, weights=(np.abs(fa) ** 2).ravel(), minlength=nb)
    p2 = np.bincount(r, weights=(np.abs(fb) ** 2).ravel(), minlength=nb)
    cnt = np.bincount(r, minlength=nb)
    nq = (n + 1) // 2
    den = np.sqrt(p1[:nq] * p2[:nq])
    vals = np.where(den > 0, cross[:nq] / np.where(den > 0, den, 1.0), 0.0)
    rings = np.arange(nq)
    return dict(n=n, rings=rings, freq=rings / (n * pixel_nm), values=vals, counts=cnt[:nq])


def loess_span(n):
    s = max(-(-(n // 2) // 20), 5)
    return s + 1 if s % 2 == 0 else s


def smooth(values, n):
    from statsmodels.nonparametric.smoothers_lowess import lowess
    x = np.arange(len(values), dtype=float)
    return lowess(values, x, frac=loess_span(n) / len(values), it=3, delta=0.0, return_sorted=False)


def half_bit(nq):
    s = np.sqrt(nq)
    return (0.2071 + 1.9102 / s) / (1.2071 + 0.9102 / s)


def resolution(freq, curve, thresh):
    """First i >= 1 with curve[i-1]-T[i-1] >= 0 > curve[i]-T[i], linear interpolation, 1/f."""
    d = curve - thresh
    for i in range(1, len(d)):
        if d[i - 1] >= 0 > d[i]:
            t = d[i - 1] / (d[i - 1] - d[i])
            f = freq[i - 1] + t * (freq[i] - freq[i - 1])
            return 1.0 / f if f > 0 else None
    return None


def area(values, n, fraction):
    last = min(int(np.floor(fraction * n / 2.0)), (n + 1) // 2 - 1)
    return float(np.mean(values[1:last + 1]))


# ---------------------------------------------------------------- metrics (§6)

def gauss_1d(size=11, sigma=1.5):
    c = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-0.5 * c * c / sigma**2)
    return g / g.sum()


def filter_valid(z, g):
    k = len(g)
    h, w = z.shape
    t = sum(g[i] * z[:, i:w - k + 1 + i] for i in range(k))
    return sum(g[i] * t[i:h - k + 1 + i, :] for i in range(k))


def ssim_per_channel(x, y, max_val):
    """TF's _ssim_per_channel: returns (mean(l*cs), mean(cs))."""
    g = gauss_1d()
    c1 = (0.01 * max_val) ** 2
    c2 = (0.03 * max_val) ** 2
    m0 = filter_valid(x, g)
    m1 = filter_valid(y, g)
    num0 = m0 * m1 * 2.0
    den0 = m0 * m0 + m1 * m1
    lum = (num0 + c1) / (den0 + c1)
    num1 = filter_valid(x * y, g) * 2.0
    den1 = filter_valid(x * x + y * y, g)
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return float(np.mean(lum * cs)), float(np.mean(cs))


def ssim(a, b, max_val=2.0):
    return ssim_per_channel(np.asarray(a, np.float64), np.asarray(b, np.float64), max_val)[0]


POWER = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def ms_ssim(a, b, max_val=2.0):
    x = np.asarray(a, np.float64)
    y = np.asarray(b, np.float64)
    mcs = []
    s = None
    for k in range(len(POWER)):
        if k > 0:
            ph, pw = x.shape[0] % 2, x.shape[1] % 2
            if ph or pw:
                x = np.pad(x, ((0, ph), (0, pw)), mode="symmetric")
                y = np.pad(y, ((0, ph), (0, pw)), mode="symmetric")
            x = 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])
            y = 0.25 * (y[0::2, 0::2] + y[1::2, 0::2] + y[0::2, 1::2] + y[1::2, 1::2])
        s, cs = ssim_per_channel(x, y, max_val)
        mcs.append(max(cs, 0.0))
    vals = mcs[:-1] + [max(s, 0.0)]
    return float(np.prod(np.array(vals) ** np.array(POWER)))


def mse(a, b):
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def psnr(a, b, max_val=2.0):
    m = mse(a, b)
    return float("inf") if m == 0 else 10.0 * np.log10(max_val**2 / m)


# ---------------------------------------------------------------- CLI

def cmd_frc(args):
    a = np.load(args.a)
    b = np.load(args.b)
    best = best_cpu = None
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        c = frc(a, b, args.pixel_nm, args.tukey)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
    sm = smooth(c["values"], c["n"])
    out = dict(
        n=int(c["n"]),
        seconds=best,
        cpu_seconds=best_cpu,
        values=c["values"].tolist(),
        smoothed=sm.tolist(),
        counts=c["counts"].tolist(),
        resolution=resolution(c["freq"], sm, 1.0 / 7.0),
        resolution_raw=resolution(c["freq"], c["values"], 1.0 / 7.0),
        area02=area(c["values"], c["n"], 0.2),
    )
    json.dump(out, sys.stdout)
    print()


def cmd_metrics(args):
    a = np.load(args.a).astype(np.float64)
    b = np.load(args.b).astype(np.float64)
    out = dict(mse=mse(a, b), psnr=psnr(a, b, args.max_val), ssim=ssim(a, b, args.max_val))
    if min(a.shape) >= 161:
        out["ms_ssim"] = ms_ssim(a, b, args.max_val)
    json.dump(out, sys.stdout)
    print()


def cmd_testvals(_args):
    np.set_printoptions(precision=17)
    # LOESS: y_i = exp(-i/20) + 0.2 (u_i - 0.5), i = 0..n-1, u = splitmix64(1000 + i).
    for n, n_img in ((64, 128), (256, 512)):
        i = np.arange(n)
        y = np.exp(-i / 20.0) + 0.2 * (splitmix64(1000 + i) - 0.5)
        sm = smooth(y, n_img)
        pick = list(range(0, n, max(1, n // 16))) + [n - 1]
        print(f"lowess n={n} N={n_img} span={loess_span(n_img)}:",
              ", ".join(f"({j}, {float(sm[j])!r})" for j in pick))
    # Metrics: a = hash_image(h, w, 7) smoothed-ish pattern, b = a + noise.
    for (h, w) in ((171, 165), (40, 52)):
        rr, cc = np.mgrid[0:h, 0:w]
        base = np.sin(rr / 7.0) * np.cos(cc / 11.0)
        a = (base + 0.3 * hash_image(h, w, 7).astype(np.float64)).astype(np.float32).astype(np.float64)
        b = (base + 0.3 * hash_image(h, w, 8).astype(np.float64)).astype(np.float32).astype(np.float64)
        line = f"metrics {h}x{w}: mse={mse(a, b)!r} psnr={float(psnr(a, b))!r} ssim={ssim(a, b)!r}"
        if min(h, w) >= 161:
            line += f" ms_ssim={ms_ssim(a, b)!r}"
        print(line)
    # FRC of hash images with a shared structure, 48x40 padded to 48x48, Tukey, smoothed resolution.
    h, w = 40, 48
    rr, cc = np.mgrid[0:h, 0:w]
    base = np.sin(rr / 3.0) * np.cos(cc / 5.0)
    a = (base + hash_image(h, w, 11)).astype(np.float32)
    b = (base + hash_image(h, w, 12)).astype(np.float32)
    for tk in (False, True):
        c = frc(a, b, 10.0, tk)
        sm = smooth(c["values"], c["n"])
        print(f"frc 40x48 tukey={tk}: values[:6]={c['values'][:6].tolist()!r}")
        print(f"   smoothed[:6]={sm[:6].tolist()!r}")
        print(f"   res_smooth={float(resolution(c['freq'], sm, 1 / 7))!r} area02={area(c['values'], c['n'], 0.2)!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("frc")
    f.add_argument("a")
    f.add_argument("b")
    f.add_argument("--pixel-nm", type=float, default=1.0)
    f.add_argument("--tukey", action="store_true")
    f.add_argument("--repeat", type=int, default=1)
    f.set_defaults(func=cmd_frc)
    m = sub.add_parser("metrics")
    m.add_argument("a")
    m.add_argument("b")
    m.add_argument("--max-val", type=float, default=2.0)
    m.set_defaults(func=cmd_metrics)
    t = sub.add_parser("testvals")
    t.set_defaults(func=cmd_testvals)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
