"""First call in a fresh process vs warm calls, numpy references (scripts/bench/first_call.sh).

usage: first_call.py OP INPUTS... [--repeat N]
OP: frc A.npy B.npy (frc.py's FRC, no Tukey) | akde IMG.npy (akde.py, vectorised, window 11)
    | render XY.npy (np.histogram2d, 4096 bins of 10 nm) | ms_ssim A.npy B.npy (frc.py's MS-SSIM)
Loading is not timed. Prints one JSON line: first, second and best-of-N warm wall seconds.
"""
import json, os, sys, time
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--repeat")]
    repeat = 5
    for a in sys.argv[1:]:
        if a.startswith("--repeat="):
            repeat = int(a.split("=", 1)[1])
    op = args[0]
    if op == "frc":
        import frc as ref
        a, b = np.load(args[1]), np.load(args[2])
        call = lambda: ref.frc(a, b, 10.0)
    elif op == "ms_ssim":
        import frc as ref
        a, b = np.load(args[1]).astype(np.float64), np.load(args[2]).astype(np.float64)
        call = lambda: ref.ms_ssim(a, b, 2.0)
    elif op == "akde":
        import akde as ref
        img = np.load(args[1])
        call = lambda: ref.akde_vectorized(img, window=11, scale=1.0)
    elif op == "render":
        xy = np.load(args[1])
        edges = np.arange(4097) * 10.0
        call = lambda: np.histogram2d(xy[:, 1], xy[:, 0], bins=[edges, edges])
    else:
        sys.exit(f"unknown op {op}")
    times = []
    for _ in range(2 + repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    print(json.dumps({"op": op, "first": times[0], "second": times[1], "warm": min(times[2:])}))


if __name__ == "__main__":
    main()
