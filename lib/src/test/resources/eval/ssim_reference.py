# Reference SSIM values for ImageMetricsTest, computed two independent ways with Debian's numpy 1.24 / scipy 1.10:
#   /usr/bin/python3 ssim_reference.py
# (a) what skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
#     data_range=1) does per channel: scipy.ndimage.gaussian_filter(mode='reflect', truncate=3.5) of x, y, xx, yy, xy,
#     then the mean of the SSIM map after cropping (win_size - 1) // 2 = 5 pixels from every border;
# (b) a plain-numpy loop over every full 11x11 window, weights exp(-d^2 / (2 sigma^2)) normalised to sum 1.
import numpy as np
from scipy.ndimage import gaussian_filter

N, C, H, W = 2, 3, 16, 20
n, c, i, j = np.meshgrid(np.arange(N), np.arange(C), np.arange(H), np.arange(W), indexing="ij")
x = 0.5 + 0.45 * np.sin(0.37 * i + 0.23 * j * (c + 1) + 1.1 * n)
y = np.clip(x + 0.2 * np.cos(0.51 * i * j / 7.0 + 0.9 * c + 0.3 * n), 0.0, 1.0)
C1, C2 = 0.01 ** 2, 0.03 ** 2

def ssim_scipy(a, b):
    f = lambda z: gaussian_filter(z, sigma=1.5, mode="reflect", truncate=3.5)
    ux, uy = f(a), f(b)
    vx, vy, vxy = f(a * a) - ux * ux, f(b * b) - uy * uy, f(a * b) - ux * uy
    s = ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux ** 2 + uy ** 2 + C1) * (vx + vy + C2))
    return s[5:-5, 5:-5].mean()

def ssim_loop(a, b):
    d = np.arange(-5, 6)
    g = np.exp(-(d[:, None] ** 2 + d[None, :] ** 2) / (2 * 1.5 ** 2)); g /= g.sum()
    vals = []
    for r in range(5, a.shape[0] - 5):
        for s in range(5, a.shape[1] - 5):
            pa, pb = a[r - 5:r + 6, s - 5:s + 6], b[r - 5:r + 6, s - 5:s + 6]
            mx, my = (g * pa).sum(), (g * pb).sum()
            vx, vy = (g * (pa - mx) ** 2).sum(), (g * (pb - my) ** 2).sum()
            cxy = (g * (pa - mx) * (pb - my)).sum()
            vals.append(((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx ** 2 + my ** 2 + C1) * (vx + vy + C2)))
    return np.mean(vals)

per_image = []
for k in range(N):
    a = np.mean([ssim_scipy(x[k, ch], y[k, ch]) for ch in range(C)])
    b = np.mean([ssim_loop(x[k, ch], y[k, ch]) for ch in range(C)])
    assert abs(a - b) < 1e-12, (a, b)
    per_image.append(a)
print("per-image SSIM:", [repr(v) for v in per_image])
print("mean SSIM:", repr(float(np.mean(per_image))))
print("per-image MSE:", [repr(float(((x[k] - y[k]) ** 2).mean())) for k in range(N)])
