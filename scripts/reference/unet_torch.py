#!/usr/bin/env python3
"""PyTorch twin of locus's U-Net (src/nn/unet.rs; docs/methods.md §7) for timing.

Same architecture: D encoder blocks Conv2d(4x4, s2, p1, no bias) -> BatchNorm
(not in the first and not in the innermost block) -> LeakyReLU(0.3); D-1
decoder blocks ConvTranspose2d(4x4, s2, p1, no bias) -> BatchNorm -> Dropout
0.5 (first 3) -> ReLU -> concat; output ConvTranspose2d(1, 4x4, s2, p1) with
bias -> tanh. BatchNorm eps 1e-3, momentum 0.01 (PyTorch convention, = Keras
0.99). One training step = forward (train mode), MSE, backward, Adam
(lr 2e-4, betas (0.5, 0.999), eps 1e-7).

Usage: unet_torch.py [--size 256] [--depth 8] [--filters 64] [--batch 1]
                     [--steps 5] [--warmup 2] [--threads N] [--predict N]
--predict N times tiled inference of an N x N image instead (tiles of --size,
overlap size/4, linear ramps: nn::predict's scheme) and prints predict_ms and
the peak RSS.
Prints: torch step_ms=<median> cpu_ms=<median process CPU time> forward_ms=... backward_ms=... params=...
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


class UNet(nn.Module):
    def __init__(self, depth=8, filters=64, leaky=0.3, dropout=0.5):
        super().__init__()
        f = [filters * min(2 ** i, 8) for i in range(depth)]
        self.down = nn.ModuleList()
        cin = 1
        for i in range(depth):
            layers = [nn.Conv2d(cin, f[i], 4, 2, 1, bias=False)]
            if 0 < i < depth - 1:
                layers.append(nn.BatchNorm2d(f[i], eps=1e-3, momentum=0.01))
            layers.append(nn.LeakyReLU(leaky))
            self.down.append(nn.Sequential(*layers))
            cin = f[i]
        self.up = nn.ModuleList()
        for j in range(depth - 1):
            fo = f[depth - 2 - j]
            layers = [nn.ConvTranspose2d(cin, fo, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(fo, eps=1e-3, momentum=0.01)]
            if j < 3 and dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.ReLU())
            self.up.append(nn.Sequential(*layers))
            cin = 2 * fo
        self.out = nn.ConvTranspose2d(cin, 1, 4, 2, 1, bias=True)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        skips = []
        for blk in self.down:
            x = blk(x)
            skips.append(x)
        skips.pop()
        for blk in self.up:
            x = torch.cat([blk(x), skips.pop()], 1)
        return torch.tanh(self.out(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--filters", type=int, default=64)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--predict", type=int, default=0, help="time tiled prediction of an N x N image (tiles of --size)")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.predict > 0:
        return predict(a)
    net = UNet(a.depth, a.filters).train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    x = torch.randn(a.batch, 1, a.size, a.size)
    y = torch.tanh(torch.randn(a.batch, 1, a.size, a.size))
    nparams = sum(p.numel() for p in net.parameters())
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads")
    times, fwd, bwd, cpu = [], [], [], []
    for i in range(a.warmup + max(a.steps, 1)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((net(x) - y) ** 2)
        loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i >= a.warmup:
            times.append((t3 - t0) * 1e3)
            fwd.append((t1 - t0) * 1e3)
            bwd.append((t2 - t1) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    print(f"torch step_ms={statistics.median(times):.1f} cpu_ms={statistics.median(cpu):.0f} forward_ms={statistics.median(fwd):.1f} "
          f"backward_ms={statistics.median(bwd):.1f} params={nparams}")


def positions(length, t, overlap):
    # nn::predict's tile starts: one tile when it fits, else n evenly spread ones.
    if length <= t:
        return [0]
    n = -(-(length - t) // (t - overlap)) + 1
    return [round(i * (length - t) / (n - 1)) for i in range(n)]


def ramp(t, overlap, single):
    if single:
        return torch.ones(t)
    i = torch.arange(t, dtype=torch.float32)
    return torch.minimum(torch.ones(t), torch.minimum((i + 1) / (overlap + 1), (t - i) / (overlap + 1)))


def predict(a):
    import resource
    net = UNet(a.depth, a.filters).eval()
    n, t = a.predict, a.size
    overlap = t // 4
    yy, xx = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    img = ((xx * 7 + yy * 13) % 17).float()
    img = 2 * (img - img.min()) / (img.max() - img.min()) - 1
    ps = positions(n, t, overlap)
    w1 = ramp(t, overlap, len(ps) == 1)
    w = w1[:, None] * w1[None, :]

    def run():
        acc = torch.zeros(n, n)
        wsum = torch.zeros(n, n)
        with torch.no_grad():
            for y0 in ps:
                for x0 in ps:
                    out = net(img[y0:y0 + t, x0:x0 + t][None, None])[0, 0]
                    acc[y0:y0 + t, x0:x0 + t] += out * w
                    wsum[y0:y0 + t, x0:x0 + t] += w
        return acc / wsum

    run()
    times = []
    for _ in range(max(a.steps, 1)):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch predict_ms={statistics.median(times):.0f} peak_rss_mb={rss:.0f} image={n} tile={t}")


if __name__ == "__main__":
    main()
