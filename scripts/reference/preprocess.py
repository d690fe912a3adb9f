"""Reference side of scripts/bench/preprocess.sh: Picasso (PyPI `picassosr`) on the same tables.

    python preprocess.py bench DIR [REPEATS]
        DIR holds what examples/bench_preprocess.rs wrote: undrift_*.hdf5 (+ .yaml, + _truth.csv
        with the simulated drift per frame in nm), nena.hdf5 and link.hdf5 with link_locus.csv
        (locus's linked table) and link_params.txt. Runs postprocess.undrift (segmentation 1000),
        postprocess.nena and postprocess.link; prints one "name seconds value..." line per task
        (best of REPEATS after one warm-up call that compiles Picasso's numba kernels).
    python preprocess.py fixture OUT_DIR SAMPLE.hdf5 [R_PX T ...]
        writes Picasso's linked table of SAMPLE for each (radius in camera pixels, max dark
        frames) pair as OUT_DIR/<stem>_link_r<R>_t<T>.csv (columns frame,x,y,lpx,lpy,photons,n,len;
        lengths in camera pixels), the fixture of src/preprocess/link/tests.rs.
"""
import glob
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
from picasso import io, postprocess  # noqa: E402


def best(repeats, fn):
    t = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        t = min(t, time.perf_counter() - t0)
    return t, out


def pixelsize(info):
    for d in reversed(info):
        if "Pixelsize" in d:
            return float(d["Pixelsize"])
    raise SystemExit("no Pixelsize")


def residual(drift_px, p, truth_csv):
    truth = pd.read_csv(truth_csv)
    n = min(len(truth), len(drift_px))
    out = []
    for axis in ("x", "y"):
        d = drift_px[axis].to_numpy()[:n] * p - truth[f"{axis}_nm"].to_numpy()[:n]
        out.append(float(np.sqrt(np.mean((d - d.mean()) ** 2))))
    return out


def bench(folder, repeats):
    files = sorted(glob.glob(os.path.join(folder, "undrift_*.hdf5")))
    # Warm-up: numba compiles on first use.
    locs, info = io.load_locs(files[0])
    postprocess.undrift(locs.copy(), info, 1000, display=False)
    for f in files:
        locs, info = io.load_locs(f)
        p = pixelsize(info)
        t, (drift, _) = best(repeats, lambda: postprocess.undrift(locs.copy(), info, 1000, display=False))
        rx, ry = residual(drift, p, f[: -len(".hdf5")] + "_truth.csv")
        name = os.path.basename(f)[: -len(".hdf5")]
        print(f"{name} {t:.4f} {rx:.3f} {ry:.3f}")
    locs, info = io.load_locs(os.path.join(folder, "nena.hdf5"))
    p = pixelsize(info)
    postprocess.nena(locs.copy(), info)
    t, (_, s) = best(repeats, lambda: postprocess.nena(locs.copy(), info))
    print(f"nena {t:.4f} {s * p:.4f}")
    with open(os.path.join(folder, "link_params.txt")) as fh:
        r_nm, dark = fh.read().split()
    locs, info = io.load_locs(os.path.join(folder, "link.hdf5"))
    p = pixelsize(info)
    r_px, dark = float(r_nm) / p, int(dark)

    def run():
        return postprocess.link(locs, info, r_max=r_px, max_dark_time=dark, remove_ambiguous_lengths=False)

    run()
    t, linked = best(repeats, run)
    mine = pd.read_csv(os.path.join(folder, "link_locus.csv"))
    print(f"link {t:.4f} {len(linked)} {compare_linked(linked, mine, p)}")


def compare_linked(picasso, locus, p):
    """Number of events whose (frame, n, len, x, y) differ between the two tables."""
    a = picasso[["frame", "x", "y", "n", "len"]].copy()
    a["x"] *= p
    a["y"] *= p
    b = locus[["frame", "x", "y", "n", "len"]].copy()
    if len(a) != len(b):
        return max(len(a), len(b))
    a = a.sort_values(["frame", "x", "y"], kind="stable").to_numpy(dtype=float)
    b = b.sort_values(["frame", "x", "y"], kind="stable").to_numpy(dtype=float)
    bad = (a[:, 0] != b[:, 0]) | (a[:, 3] != b[:, 3]) | (a[:, 4] != b[:, 4])
    bad |= np.abs(a[:, 1] - b[:, 1]) > 0.01
    bad |= np.abs(a[:, 2] - b[:, 2]) > 0.01
    return int(bad.sum())


def fixture(out_dir, sample, params):
    locs, info = io.load_locs(sample)
    stem = os.path.basename(sample)[: -len(".hdf5")]
    for r, t in params:
        linked = postprocess.link(locs, info, r_max=r, max_dark_time=t, remove_ambiguous_lengths=False)
        cols = ["frame", "x", "y", "lpx", "lpy", "photons", "n", "len"]
        path = os.path.join(out_dir, f"{stem}_link_r{r:g}_t{t}.csv")
        linked[cols].to_csv(path, index=False, float_format="%.9g")
        print(path, len(locs), "->", len(linked))


if __name__ == "__main__":
    if sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    elif sys.argv[1] == "fixture":
        rest = sys.argv[4:] or ["1", "1", "0.3", "3"]
        params = [(float(rest[i]), int(rest[i + 1])) for i in range(0, len(rest), 2)]
        fixture(sys.argv[2], sys.argv[3], params)
    else:
        raise SystemExit(__doc__)
