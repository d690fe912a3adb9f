"""Reference side of scripts/bench/locs.sh: h5py and numpy on the same tasks.

    python locs.py make PATH N      write an N-row Picasso file (PATH + .yaml), seeded
    python locs.py bench PATH [N_RENDER] [REPEATS]
        time loading PATH with h5py (and converting x, y to nm, as locus does)
        and np.histogram2d of N_RENDER uniform points into 4096 x 4096 bins of 10 nm;
        prints one "name seconds" line per measurement (best of REPEATS).
    python locs.py bench_csv PATH [REPEATS]
        time pandas.read_csv(PATH, engine="pyarrow") (needs pandas and pyarrow);
        prints "load_csv_big seconds rows N rows_per_s R".
"""
import sys
import time

import h5py
import numpy as np

DTYPE = [("frame", "u4"), ("x", "f4"), ("y", "f4"), ("photons", "f4"), ("sx", "f4"),
         ("sy", "f4"), ("bg", "f4"), ("lpx", "f4"), ("lpy", "f4"),
         ("ellipticity", "f4"), ("net_gradient", "f4")]


def make(path, n):
    rng = np.random.default_rng(0)
    locs = np.zeros(n, dtype=DTYPE)
    locs["frame"] = np.sort(rng.integers(0, 20000, n))
    for name in ("x", "y"):
        locs[name] = rng.uniform(0, 256, n)
    for name in ("photons", "sx", "sy", "bg", "lpx", "lpy", "ellipticity", "net_gradient"):
        locs[name] = rng.uniform(0, 1, n)
    with h5py.File(path, "w") as f:
        f.create_dataset("locs", data=locs)
    with open(path.rsplit(".", 1)[0] + ".yaml", "w") as f:
        f.write("Frames: 20000\nHeight: 256\nWidth: 256\nPixelsize: 108\n")


def best(repeats, fn):
    t = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        t = min(t, time.perf_counter() - t0)
    return t, out


def load(path):
    with h5py.File(path, "r") as f:
        locs = f["locs"][...]
    x = locs["x"] * np.float32(108.0)
    y = locs["y"] * np.float32(108.0)
    return locs, x, y


def bench(path, n_render, repeats):
    t, (locs, _, _) = best(repeats, lambda: load(path))
    print(f"load_hdf5 {t:.4f} rows {len(locs)}")
    size = 4096 * 10.0
    rng = np.random.default_rng(1)
    x = rng.uniform(0, size, n_render).astype(np.float32)
    y = rng.uniform(0, size, n_render).astype(np.float32)
    # Integer bins with a range: numpy's faster variant (explicit edge arrays are slower).
    t, (h, _, _) = best(repeats, lambda: np.histogram2d(y, x, bins=4096, range=[[0, size], [0, size]]))
    print(f"render {t:.4f} locs {n_render} shape {h.shape[1]}x{h.shape[0]} sum {h.sum():.0f}")


def bench_csv(path, repeats):
    import pandas as pd
    t, df = best(repeats, lambda: pd.read_csv(path, engine="pyarrow"))
    print(f"load_csv_big {t:.4f} rows {len(df)} rows_per_s {len(df) / t:.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "bench":
        n = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000
        r = int(sys.argv[4]) if len(sys.argv) > 4 else 3
        bench(sys.argv[2], n, r)
    elif sys.argv[1] == "bench_csv":
        bench_csv(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        sys.exit(__doc__)
