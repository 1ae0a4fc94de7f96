#!/usr/bin/python3
"""The reference side of the MNIST fidelity check: the authors' FA-VAE encoder training in PyTorch (docs/method.md §4, §9,
the networks of baseline.py), N steps on the MNIST training set, then the reconstruction MSE of the first 1,000 test
images, measured as the kit measures it (inputs clamped to [0.01, 0.99] for the encoder, z = mu + sigma*eps, true
labels, one FA step from r = 0, sigmoid; mean per-pixel squared error against the unclamped images; PSNR of that mean).

Only the encoder steps run. With P = 0 (the paper's setting) the generator and discriminator never feed back into the
encoder, so after N iterations its reconstructions have the same distribution with or without the GAN steps, which
only draw other random numbers. One epoch (469 steps at batch 128) takes ~4 min here instead of ~15.

    /usr/bin/python3 bench/pytorch/reference_epoch.py --seed 1
    /usr/bin/python3 bench/pytorch/reference_epoch.py --seed 2 --steps 469 --data ~/.cache/featurealign/mnist

Prints progress, then one JSON line: seed, steps, mse, psnr, mse_mu (z = mu), seconds.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline import CLASSES, WEIGHT_CLAMP, Encoder, orthogonal_init  # noqa: E402

BATCH = 128


def read_idx(path):
    """An IDX file (MNIST's format) as a uint8 tensor of its dimensions."""
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = data[4 + 4 * ndim:]
    if data[2] != 0x08 or len(body) != math.prod(dims):
        raise ValueError(f"{path}: not an unsigned-byte IDX file of shape {dims}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def images(path):
    return read_idx(path).float().div(255.0).unsqueeze(1)  # [N,1,28,28] in [0,1], ToTensor()'s scaling


def align(enc, z, y_onehot, create_graph):
    """One FA step from r = 0 toward (z, label), then the sigmoid (§4.5)."""
    r = torch.zeros(z.shape[0], 1, 28, 28, requires_grad=True)
    hr = enc.trunk(r)
    zr = enc.mean(hr) + torch.exp(0.5 * enc.logvar(hr))
    cost = 0.5 * ((z - zr) ** 2).sum() + 0.5 * ((y_onehot - enc.cls(hr)) ** 2).sum()
    (g,) = torch.autograd.grad(cost, r, create_graph=create_graph)
    return torch.sigmoid(r - g)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=469)
    p.add_argument("--data", default=os.path.expanduser("~/.cache/featurealign/mnist"))
    p.add_argument("--eval-images", type=int, default=1000)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    x_train = images(os.path.join(a.data, "train-images-idx3-ubyte"))
    y_train = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte")).long()
    x_test = images(os.path.join(a.data, "t10k-images-idx3-ubyte"))[:a.eval_images]
    y_test = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte")).long()[:a.eval_images]

    enc = Encoder()
    orthogonal_init(enc)
    opt = torch.optim.Adam(enc.parameters(), lr=1e-4, betas=(0.5, 0.999))
    t0 = time.time()
    order = torch.randperm(len(x_train))
    per_epoch = math.ceil(len(x_train) / BATCH)
    for step in range(a.steps):
        if step > 0 and step % per_epoch == 0:
            order = torch.randperm(len(x_train))
        idx = order[(step % per_epoch) * BATCH:(step % per_epoch + 1) * BATCH]
        with torch.no_grad():
            for m in enc.modules():
                if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                    m.weight.clamp_(-WEIGHT_CLAMP, WEIGHT_CLAMP)
        x = x_train[idx].clamp(0.01, 0.99)
        y = F.one_hot(y_train[idx], CLASSES).float()
        opt.zero_grad()
        h = enc.trunk(x)
        mu, lv = enc.mean(h), enc.logvar(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        xhat = align(enc, z, y, create_graph=True)
        rl = 0.5 * ((x - xhat) ** 2).sum()
        kl = -0.5 * (1 + lv - mu ** 2 - torch.exp(lv)).sum(dim=1)
        loss = (torch.rand(x.shape[0]) * kl).sum() + rl
        loss.backward()
        opt.step()
        if (step + 1) % 50 == 0 or step + 1 == a.steps:
            print(f"step {step + 1}/{a.steps} RL {rl.item():.1f} ({time.time() - t0:.0f} s)", file=sys.stderr)

    y = F.one_hot(y_test, CLASSES).float()
    with torch.no_grad():
        h = enc.trunk(x_test.clamp(0.01, 0.99))
        mu, lv = enc.mean(h), enc.logvar(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
    mse = ((align(enc, z, y, False).detach() - x_test) ** 2).mean().item()
    mse_mu = ((align(enc, mu, y, False).detach() - x_test) ** 2).mean().item()
    print(json.dumps({"impl": "pytorch", "seed": a.seed, "steps": a.steps, "mse": mse,
                      "psnr": 10 * math.log10(1 / mse), "mse_mu": mse_mu, "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
