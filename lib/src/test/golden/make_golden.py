#!/usr/bin/python3
"""Golden fixtures for the FA-VAE encoder loss and its parameter gradients.

Run by hand (never by CI), from the repository root:

    /usr/bin/python3 lib/src/test/golden/make_golden.py

It writes lib/src/test/resources/golden/fa_vae/ (see the README.md written there)
and then checks a few gradient entries of every case against float64 central
finite differences; it exits non-zero if any check fails.

The computation follows docs/method.md (sections 2 and 4): the inner feature
alignment step is differentiated with create_graph=True, so the parameter
gradients contain the second-order path through r, exactly what the Java port
must reproduce.
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)

BATCH = 3
Z = 6
CLASSES = 10
LABELS = [3, 7, 0]
SLOPE = 0.01  # LeakyReLU default slope, as in the reference nets

CASES = {
    # name: (T, eta, r0 kind)
    "t1_zero": (1, 1.0, "zero"),
    "t2_zero": (2, 1.0, "zero"),
    "t1_random": (1, 1.0, "random"),
    "t2_random_eta05": (2, 0.5, "random"),
}

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "resources", "golden", "fa_vae"))


class ReducedEncoder(nn.Module):
    """MNIST-shaped encoder with narrow widths, so fixtures stay small.

    Module indices inside `trunk` match the full MNIST encoder (0,2,4,6 convs,
    9 linear), hence the parameter names trunk.0.weight ... trunk.9.bias.
    """

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 3, 3, 1, 1), nn.LeakyReLU(SLOPE),
            nn.Conv2d(3, 4, 3, 2, 1), nn.LeakyReLU(SLOPE),
            nn.Conv2d(4, 4, 3, 1, 1), nn.LeakyReLU(SLOPE),
            nn.Conv2d(4, 5, 3, 2, 1), nn.LeakyReLU(SLOPE),
            nn.Flatten(),
            nn.Linear(5 * 7 * 7, 16), nn.LeakyReLU(SLOPE),
        )
        self.mean = nn.Linear(16, Z)
        self.logvar = nn.Linear(16, Z)
        self.cls = nn.Linear(16, CLASSES)


def build_encoder():
    torch.manual_seed(1)
    net = ReducedEncoder()
    # Orthogonal weights (gain 1), biases keep PyTorch's default init.
    for name, p in net.named_parameters():
        if name.endswith(".weight"):
            nn.init.orthogonal_(p)
    return net


def make_inputs():
    gen = torch.Generator().manual_seed(2024)
    x = torch.rand(BATCH, 1, 28, 28, generator=gen).clamp(0.01, 0.99)
    y = torch.zeros(BATCH, CLASSES)
    y[torch.arange(BATCH), torch.tensor(LABELS)] = 1.0
    eps = torch.randn(BATCH, Z, generator=gen)
    beta = torch.rand(BATCH, generator=gen)
    # One random start shared by both "random" cases (each case folder saves it).
    r0_random = 0.1 * torch.randn(BATCH, 1, 28, 28, generator=gen)
    return x, y, eps, beta, r0_random


def fa_vae_loss(net, x, y, eps, beta, r0, T, eta, create_graph=True):
    """Returns (loss, rl, kl[B], r_T, xhat); every reduction is a sum."""
    h = net.trunk(x)
    mu = net.mean(h)
    lv = net.logvar(h)
    z = mu + torch.exp(0.5 * lv) * eps  # not detached: gradients flow into the data branch too
    r = r0.clone().requires_grad_(True)
    for _ in range(T):
        hr = net.trunk(r)
        zr = net.mean(hr) + torch.exp(0.5 * net.logvar(hr))  # mu + one sigma, no noise (reference code)
        cr = net.cls(hr)
        cost = 0.5 * ((z - zr) ** 2).sum() + 0.5 * ((y - cr) ** 2).sum()
        (g,) = torch.autograd.grad(cost, r, create_graph=create_graph)
        r = r - eta * g
    xhat = torch.sigmoid(r)
    rl = 0.5 * ((x - xhat) ** 2).sum()
    kl = -0.5 * (1 + lv - mu ** 2 - torch.exp(lv)).sum(dim=1)
    loss = (beta * kl).sum() + rl
    return loss, rl, kl, r, xhat


def save(path, tensor):
    arr = np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype="<f8")
    if arr.ndim == 0:
        arr = arr.reshape(1)  # the Java reader expects no 0-d arrays
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, arr, allow_pickle=False)


def finite_difference_check(net, x, y, eps, beta, r0, T, eta, grads, label):
    """Central differences on a few entries; returns the worst relative error."""
    params = dict(net.named_parameters())
    # Entries spread over every kind of parameter (conv, linear, each head, biases).
    probes = [
        ("trunk.0.weight", (0, 0, 1, 1)), ("trunk.0.bias", (2,)),
        ("trunk.2.weight", (1, 2, 0, 2)), ("trunk.4.bias", (3,)),
        ("trunk.6.weight", (4, 3, 2, 1)), ("trunk.9.weight", (7, 100)),
        ("trunk.9.bias", (5,)), ("mean.weight", (2, 9)), ("mean.bias", (1,)),
        ("logvar.weight", (4, 3)), ("logvar.bias", (0,)), ("cls.weight", (3, 11)),
        ("cls.bias", (7,)),
    ]
    # 1e-5 balances round-off (the loss is ~100, so 1e-6 loses ~1e-5 relative on
    # gradients of ~1e-4) against LeakyReLU kinks, which steps of 1e-4 already cross.
    step = 1e-5
    worst = 0.0
    for name, idx in probes:
        p = params[name]
        with torch.no_grad():
            orig = p[idx].item()
            p[idx] = orig + step
        plus = fa_vae_loss(net, x, y, eps, beta, r0, T, eta)[0].item()
        with torch.no_grad():
            p[idx] = orig - step
        minus = fa_vae_loss(net, x, y, eps, beta, r0, T, eta)[0].item()
        with torch.no_grad():
            p[idx] = orig
        numeric = (plus - minus) / (2 * step)
        analytic = grads[name][idx].item()
        rel = abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-8)
        worst = max(worst, rel)
        print(f"  FD {label:16s} {name:15s}{str(idx):14s} analytic {analytic:+.10e} "
              f"numeric {numeric:+.10e} rel {rel:.1e}")
    return worst


def main():
    net = build_encoder()
    x, y, eps, beta, r0_random = make_inputs()
    # Regenerate from scratch so no stale array survives; README.md is kept.
    for sub in ["inputs", "weights", *CASES]:
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)

    save(f"{OUT}/inputs/x.npy", x)
    save(f"{OUT}/inputs/y.npy", y)
    save(f"{OUT}/inputs/eps.npy", eps)
    save(f"{OUT}/inputs/beta.npy", beta)
    for name, p in net.named_parameters():
        save(f"{OUT}/weights/{name}.npy", p)

    # Round-off and truncation stay below ~5e-6 here, while dropping the second-order
    # path (create_graph=False) changes these entries by 17 % to 300 %.
    tolerance = 1e-4
    failed = []
    for case, (T, eta, kind) in CASES.items():
        r0 = torch.zeros(BATCH, 1, 28, 28) if kind == "zero" else r0_random
        loss, rl, kl, r, xhat = fa_vae_loss(net, x, y, eps, beta, r0, T, eta)
        names = [n for n, _ in net.named_parameters()]
        grad_list = torch.autograd.grad(loss, [p for _, p in net.named_parameters()])
        grads = dict(zip(names, grad_list))
        d = f"{OUT}/{case}"
        save(f"{d}/r0.npy", r0)
        save(f"{d}/r.npy", r)
        save(f"{d}/xhat.npy", xhat)
        save(f"{d}/loss.npy", loss)
        save(f"{d}/rl.npy", rl)
        save(f"{d}/kl.npy", kl)
        for n, g in grads.items():
            save(f"{d}/grad/{n}.npy", g)
        with open(f"{d}/meta.json", "w") as f:
            json.dump({"T": T, "eta": eta, "r0": kind}, f)
            f.write("\n")
        print(f"{case}: loss {loss.item():.10f} rl {rl.item():.10f} kl {kl.detach().numpy()}")
        worst = finite_difference_check(net, x, y, eps, beta, r0, T, eta, grads, case)
        print(f"  worst relative error {worst:.2e} (tolerance {tolerance:.0e})")
        # How much the gradient owes to the second-order path; a port that detaches
        # the inner gradient would be off by this much.
        first_order_loss = fa_vae_loss(net, x, y, eps, beta, r0, T, eta, create_graph=False)[0]
        first_order = torch.autograd.grad(first_order_loss, list(net.parameters()), allow_unused=True)
        diff = sum(((g - (fo if fo is not None else 0)) ** 2).sum() for g, fo in zip(grad_list, first_order))
        norm = sum((g ** 2).sum() for g in grad_list)
        print(f"  |grad - first-order-only grad| / |grad| = {(diff / norm).sqrt().item():.3f}")
        if not worst < tolerance:
            failed.append(case)

    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f"wrote {OUT} ({total / 1024:.0f} KiB), torch {torch.__version__}, numpy {np.__version__}")
    if failed:
        print("FINITE-DIFFERENCE CHECK FAILED for: " + ", ".join(failed))
        sys.exit(1)
    print("finite-difference check passed for every case")


if __name__ == "__main__":
    main()
