#!/usr/bin/python3
"""PyTorch speed baseline for the feature-alignment training steps (MNIST shapes).

Times the authors' steps at the paper's full size (docs/method.md §4-§9, MNIST architecture §8.1): Z = 128,
batch 128, float32, 2 CPU threads, orthogonal init, Adam(1e-4, betas (0.5, 0.999)) for encoder/G/D and
Adam(1e-4) for the memory net. Inputs are random tensors in [0, 1]: the speed does not depend on the pixels,
so no data files are needed.

    /usr/bin/python3 bench/pytorch/baseline.py --step fa_vae --warmup 3 --iters 10
    /usr/bin/python3 bench/pytorch/baseline.py --step all --warmup 2 --iters 5 --json

Each timed step prints its time in ms; the run ends with one JSON line
{"step", "median_ms", "times_ms", "peak_rss_mb", "threads", "blas", ...}. With --json only the JSON lines are printed.
`--step all` runs every step in its own child process, so each peak RSS belongs to that step alone.
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from blas_check import mapped_blas_libraries  # beside this file: which BLAS this process really uses

Z = 128
CLASSES = 10
BATCH = 128
SLOPE = 0.01
WEIGHT_CLAMP = math.sqrt(2.0)
STEPS = ["fa_vae", "fa_vae_gan", "local", "sample1000"]
EXPECTED_PARAMS = {"encoder": 14_003_946, "generator": 160_305, "discriminator": 12_918_241,
                   "memory": 13_438_560}


class Asinh(nn.Module):
    # asinh(0) = 0 and asinh'(0) = 1, so one alignment step from 0 recovers the layer output (notes §6).
    def forward(self, x):
        return torch.asinh(x)


def mnist_trunk(activation):
    """Conv/Linear trunk of §8.1: 1x28x28 -> 4096. `activation` builds one nonlinearity module."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1, 1), activation(),
        nn.Conv2d(32, 32, 3, 2, 1), activation(),
        nn.Conv2d(32, 64, 3, 1, 1), activation(),
        nn.Conv2d(64, 64, 3, 2, 1), activation(),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 4096), activation(),
    )


def leaky():
    return nn.LeakyReLU(SLOPE)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = mnist_trunk(leaky)
        self.mean = nn.Linear(4096, Z)
        self.logvar = nn.Linear(4096, Z)
        self.cls = nn.Linear(4096, CLASSES)


class Generator(nn.Module):
    """Image-to-image refiner: x_hat plus a label channel -> image (§8.1)."""

    def __init__(self):
        super().__init__()
        self.label = nn.Linear(CLASSES, 28 * 28)
        self.body = nn.Sequential(
            nn.Conv2d(2, 128, 3, 1, 1), nn.BatchNorm2d(128), leaky(),
            nn.Conv2d(128, 128, 3, 1, 1), nn.BatchNorm2d(128), leaky(),
            nn.Conv2d(128, 1, 3, 1, 1), nn.Sigmoid(),
        )

    def forward(self, x, y_onehot):
        label_channel = self.label(y_onehot).view(-1, 1, 28, 28)
        return self.body(torch.cat([x, label_channel], dim=1))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = mnist_trunk(leaky)
        self.out = nn.Linear(4096, 1)

    def forward(self, x):
        return self.out(self.trunk(x))


def memory_net():
    # 12 modules: the trunk with asinh, then Linear(4096 -> Z) with no activation.
    return nn.Sequential(*mnist_trunk(Asinh), nn.Linear(4096, Z))


def orthogonal_init(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.orthogonal_(m.weight)


def count(net):
    return sum(p.numel() for p in net.parameters())


def adam(net, betas=(0.5, 0.999)):
    return torch.optim.Adam(net.parameters(), lr=1e-4, betas=betas)


class Bench:
    """All networks, optimisers and one fixed random batch."""

    def __init__(self):
        torch.manual_seed(1)
        self.enc, self.gen, self.disc, self.mem = Encoder(), Generator(), Discriminator(), memory_net()
        for net in (self.enc, self.gen, self.disc, self.mem):
            orthogonal_init(net)
        self.opt_enc, self.opt_gen, self.opt_disc = adam(self.enc), adam(self.gen), adam(self.disc)
        self.opt_mem = adam(self.mem, betas=(0.9, 0.999))
        self.x = torch.rand(BATCH, 1, 28, 28)
        self.y = F.one_hot(torch.randint(0, CLASSES, (BATCH,)), CLASSES).float()

    def param_counts(self):
        return {"encoder": count(self.enc), "generator": count(self.gen),
                "discriminator": count(self.disc), "memory": count(self.mem)}

    # -- feature alignment ------------------------------------------------------------------------
    def align(self, z, y_onehot, create_graph):
        """One FA step from r = 0 toward (z, label); returns r_1 (before the sigmoid)."""
        enc = self.enc
        r = torch.zeros(z.shape[0], 1, 28, 28, requires_grad=True)
        hr = enc.trunk(r)
        zr = enc.mean(hr) + torch.exp(0.5 * enc.logvar(hr))  # mu + one sigma, no noise (reference code)
        cost = 0.5 * ((z - zr) ** 2).sum() + 0.5 * ((y_onehot - enc.cls(hr)) ** 2).sum()
        (g,) = torch.autograd.grad(cost, r, create_graph=create_graph)
        return r - g

    # -- steps --------------------------------------------------------------------------------------
    def clamp_encoder_weights(self):
        with torch.no_grad():
            for m in self.enc.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    m.weight.clamp_(-WEIGHT_CLAMP, WEIGHT_CLAMP)

    def encoder_step(self, x):
        """§4: posterior, T = 1 alignment with the graph kept, loss sum(beta*KL) + RL, one Adam step."""
        enc = self.enc
        self.opt_enc.zero_grad()
        h = enc.trunk(x)
        mu, lv = enc.mean(h), enc.logvar(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        xhat = torch.sigmoid(self.align(z, self.y, create_graph=True))
        rl = 0.5 * ((x - xhat) ** 2).sum()
        kl = -0.5 * (1 + lv - mu ** 2 - torch.exp(lv)).sum(dim=1)
        beta = torch.rand(x.shape[0])
        loss = (beta * kl).sum() + rl
        loss.backward()
        self.opt_enc.step()
        return xhat

    def step_fa_vae(self):
        self.clamp_encoder_weights()
        self.encoder_step(self.x.clamp(0.01, 0.99))

    def step_fa_vae_gan(self):
        """§5 order: clamp -> encoder step -> G step -> D real step -> D fake step."""
        self.clamp_encoder_weights()
        x = self.x.clamp(0.01, 0.99)
        xhat = self.encoder_step(x)
        # Generator on the detached reconstructions of the real batch; least squares, target +1.
        # P = 0, so the perceptual re-encoding term is not computed.
        self.opt_gen.zero_grad()
        g = self.gen(xhat.detach(), self.y)
        loss_gen = 0.5 * ((1 - self.disc(g)) ** 2).sum()
        loss_gen.backward()
        self.opt_gen.step()
        # Discriminator, real batch, target +1: its own Adam step.
        self.opt_disc.zero_grad()
        loss_real = 0.5 * ((1 - self.disc(x)) ** 2).sum()
        loss_real.backward()
        self.opt_disc.step()
        # Discriminator, fakes from prior samples through exactly one FA step, target -1: a second Adam step.
        # Nothing is backpropagated into the alignment here, so its graph is not kept.
        z = torch.randn(x.shape[0], Z)
        x_tilde = torch.sigmoid(self.align(z, self.y, create_graph=False)).detach()
        fake = self.gen(x_tilde, self.y)
        self.opt_disc.zero_grad()
        loss_fake = 0.5 * ((-1 - self.disc(fake.detach())) ** 2).sum()
        loss_fake.backward()
        self.opt_disc.step()

    def step_local(self):
        """§6: each module aligns its own input; first-order parameter grads; one Adam step over all."""
        x = self.x.clamp(0.01, 0.99)
        self.opt_mem.zero_grad()
        for module in self.mem:
            params = list(module.parameters())
            fx = module(x)
            if params:  # asinh/Flatten have nothing to train
                r = torch.zeros_like(x, requires_grad=True)
                cost = 0.5 * ((fx - module(r)) ** 2).sum()
                (g,) = torch.autograd.grad(cost, r, create_graph=True)
                r = r - g
                loss = 0.5 * ((x - r) ** 2).sum()
                for p, grad in zip(params, torch.autograd.grad(loss, params)):
                    p.grad = grad  # plain first-order grads: each module's graph is freed here
            x = fx.detach()  # cut the gradient between modules
        self.opt_mem.step()

    def step_sample1000(self):
        """1,000 samples: z ~ N(0, I), labels cycling 0-9, one FA step from 0, sigmoid, G in eval mode."""
        self.enc.eval()
        self.gen.eval()
        per_batch = 125
        for start in range(0, 1000, per_batch):
            labels = torch.arange(start, start + per_batch) % CLASSES
            y = F.one_hot(labels, CLASSES).float()
            z = torch.randn(per_batch, Z)
            x_tilde = torch.sigmoid(self.align(z, y, create_graph=False)).detach()
            with torch.no_grad():
                self.gen(x_tilde, y)
        self.enc.train()
        self.gen.train()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def run_one(step, warmup, iters, quiet):
    torch.set_num_threads(2)
    bench = Bench()
    counts = bench.param_counts()
    if not quiet:
        print("parameters: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    wrong = {k: v for k, v in counts.items() if v != EXPECTED_PARAMS[k]}
    if wrong:
        raise SystemExit(f"parameter counts differ from docs/method.md §8: {wrong} vs {EXPECTED_PARAMS}")
    fn = getattr(bench, "step_" + step)
    times = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1000.0
        if i >= warmup:
            times.append(ms)
        if not quiet:
            print(f"{step} {'warmup' if i < warmup else 'iter'} {i - warmup if i >= warmup else i}: {ms:.1f} ms",
                  flush=True)
    # min_ms is reported beside the median because other jobs on a shared machine only ever add time.
    result = {"step": step, "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
              "times_ms": [round(t, 1) for t in times], "peak_rss_mb": round(peak_rss_mb(), 1),
              "threads": torch.get_num_threads(), "blas": ", ".join(mapped_blas_libraries()) or "?",
              "batch": BATCH if step != "sample1000" else 125,
              "torch": torch.__version__, "params": counts}
    print(json.dumps(result), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--step", choices=STEPS + ["all"], required=True)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--json", action="store_true", help="print only the final JSON line(s)")
    args = ap.parse_args()
    if args.iters < 1:
        ap.error("--iters must be at least 1")
    if args.step != "all":
        run_one(args.step, args.warmup, args.iters, args.json)
        return
    # One child process per step, one after another, so peak RSS is per step and runs never overlap.
    for step in STEPS:
        cmd = [sys.executable, os.path.abspath(__file__), "--step", step,
               "--warmup", str(args.warmup), "--iters", str(args.iters)] + (["--json"] if args.json else [])
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
