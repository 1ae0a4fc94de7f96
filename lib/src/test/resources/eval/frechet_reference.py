# Reference Fréchet distance for FrechetDistanceTest, the way pytorch-fid computes it (scipy.linalg.sqrtm of
# sigma1 @ sigma2, real part), with Debian's numpy 1.24 / scipy 1.10:   /usr/bin/python3 frechet_reference.py
import numpy as np
from scipy import linalg

N, D = 40, 5
i, d = np.meshgrid(np.arange(N), np.arange(D), indexing="ij")
a = np.sin(0.7 * i * (d + 1) + d) + 0.1 * d
b = np.cos(0.3 * i * (d + 1) + 1.3 * d * d) * (1 + 0.2 * d) + 0.5
mu1, mu2 = a.mean(0), b.mean(0)
s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
covmean = linalg.sqrtm(s1.dot(s2)).real
fd = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
print("cov(a)[0]:", [repr(v) for v in s1[0]])
print("eigenvalues of cov(b):", np.linalg.eigvalsh(s2))
print("FD:", repr(fd))
