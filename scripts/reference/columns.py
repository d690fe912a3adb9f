"""Reference side of scripts/bench/columns.sh, and the numpy values in the
tests of src/locs/series.rs.

    python columns.py bench [N] [REPEATS]
        N (default 10 000 000) uniform rows in a Picasso-like structured array
        (the layout h5py gives, as Picasso keeps them) and as f64 columns;
        times the 3-term mask (photons > 0.5) & (sx < 0.8) | (frame < 2000) on
        f64 columns, the selection locs[mask] of the structured array (where) and
        of the same columns held as separate arrays (where_columns, as locus holds
        them), and mask + selection from the structured array (filter); one
        "name seconds" line each (best of REPEATS, default 5).
    python columns.py values
        prints the reference values hard-coded in the tests (tests/data/picasso).
"""
import sys
import time

import numpy as np

DTYPE = [("frame", "u4"), ("x", "f4"), ("y", "f4"), ("photons", "f4"), ("sx", "f4"),
         ("sy", "f4"), ("bg", "f4"), ("lpx", "f4"), ("lpy", "f4"),
         ("ellipticity", "f4"), ("net_gradient", "f4")]
# The mask of the benchmark: thresholds for uniform [0, 1) columns and frames in 0..20000.
P_MIN, SX_MAX, FRAME_MAX = 0.5, 0.8, 2000


def best(repeats, fn):
    t = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        t = min(t, time.perf_counter() - t0)
    return t, out


def bench(n, repeats):
    rng = np.random.default_rng(0)
    locs = np.zeros(n, dtype=DTYPE)
    locs["frame"] = np.sort(rng.integers(0, 20000, n))
    for name, _ in DTYPE[1:]:
        locs[name] = rng.uniform(0, 1, n)
    p = locs["photons"].astype(np.float64)
    sx = locs["sx"].astype(np.float64)
    frame = locs["frame"].astype(np.float64)
    t, m = best(repeats, lambda: (p > P_MIN) & (sx < SX_MAX) | (frame < FRAME_MAX))
    print(f"mask {t:.4f} rows {n} selected {int(m.sum())}")
    t, sel = best(repeats, lambda: locs[m])
    print(f"where {t:.4f} rows {len(sel)}")
    cols = {name: np.ascontiguousarray(locs[name]) for name, _ in DTYPE}
    t, sel = best(repeats, lambda: {k: v[m] for k, v in cols.items()})
    print(f"where_columns {t:.4f} rows {len(sel['x'])}")
    t, sel = best(repeats, lambda: locs[(locs["photons"] > P_MIN) & (locs["sx"] < SX_MAX)
                                        | (locs["frame"] < FRAME_MAX)])
    print(f"filter {t:.4f} rows {len(sel)}")


def nm(locs, name, pixel_nm):
    """A pixel column in nm as locus holds it: f32(f64(v) * pixel_nm)."""
    return (locs[name].astype(np.float64) * pixel_nm).astype(np.float32).astype(np.float64)


def values():
    import h5py
    np.set_printoptions(precision=17, floatmode="unique", linewidth=200)
    with h5py.File("tests/data/picasso/raw_movie_locs.hdf5", "r") as f:
        locs = f["locs"][...]
    p = locs["photons"].astype(np.float64)
    sx = nm(locs, "sx", 130.0)
    frame = locs["frame"].astype(np.float64)
    print("raw_movie_locs: n", len(p))
    for name, v in (("photons", p), ("sx_nm", sx), ("frame", frame)):
        print(name, "sum", repr(v.sum()), "mean", repr(v.mean()), "std0", repr(v.std()),
              "std1", repr(v.std(ddof=1)), "min", repr(v.min()), "max", repr(v.max()),
              "median", repr(np.median(v)),
              "q", [repr(np.quantile(v, q)) for q in (0.0, 0.1, 0.25, 0.9, 1.0)])
    snr = p / locs["bg"].astype(np.float64)
    print("snr=photons/bg sum", repr(snr.sum()), "mean", repr(snr.mean()))
    m = (p > 5000) & (sx < 115) | (frame < 500)
    print("mask (p > 5000) & (sx < 115) | (frame < 500) count", int(m.sum()),
          "first", np.flatnonzero(m)[:5].tolist(), "last", int(np.flatnonzero(m)[-1]))
    print("  selected photons sum", repr(p[m].sum()), "frames", locs["frame"][m][:5].tolist())
    h, e = np.histogram(p, bins=20)
    print("hist photons bins=20", h.tolist(), "edges0", repr(e[0]), "edges1", repr(e[1]),
          "edges20", repr(e[20]))
    h, e = np.histogram(p, bins=10, range=(2000, 7000))
    print("hist photons bins=10 range=(2000, 7000)", h.tolist())
    h, e = np.histogram(frame, bins=7, range=(0, 4979))
    print("hist frame bins=7 range=(0, 4979)", h.tolist())
    with h5py.File("tests/data/picasso/raw_movie_locs_picked.hdf5", "r") as f:
        picked = f["locs"][...]
    g = picked["group"].astype(np.float64)
    print("picked group: n", len(g), "mean", repr(g.mean()), "sd1", repr(g.std(ddof=1)),
          "quartiles", [repr(np.quantile(g, q)) for q in (0.25, 0.5, 0.75)],
          "min", g.min(), "max", g.max())
    bg = picked["bg"].astype(np.float64)
    print("picked bg: mean", repr(bg.mean()), "sd1", repr(bg.std(ddof=1)),
          "quartiles", [repr(np.quantile(bg, q)) for q in (0.25, 0.5, 0.75)])


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "bench":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
        repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        bench(n, repeats)
    elif len(sys.argv) == 2 and sys.argv[1] == "values":
        values()
    else:
        print(__doc__)
        sys.exit(2)
