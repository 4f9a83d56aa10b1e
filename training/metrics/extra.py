"""Extra full-reference metrics for ``python -m training.score``: MS-SSIM, VIFp and FSIM.

Each is ``fn(sharp, test) -> float`` on two HxWx3 RGB uint8 images of one size (HxW grey is
taken as three equal channels), the signature of ``training.score.METRICS``; higher is better.

* ``ms_ssim``: multi-scale SSIM (Wang, Simoncelli and Bovik 2003), TensorFlow's
  ``tf.image.ssim_multiscale`` with the project's SSIM settings (Gaussian 11x11, sigma 1.5,
  K1 0.01, K2 0.03, peak 255) and the paper's 5 scale weights, on RGB. Needs both sides >= 161 px
  (the 11 px window must fit at the 5th scale); smaller images raise ValueError.
* ``vifp``: pixel-domain visual information fidelity (Sheikh and Bovik 2006) from the ``sewar``
  package (``sewar.full_ref.vifp``, sigma_nsq 2, 4 scales) on the BT.601 luma (0..255 float).
* ``fsim``: FSIMc (Zhang, Zhang, Mou and Zhang 2011) for RGB, FSIM for grey: phase congruency
  (Kovesi's log-Gabor method, 4 scales x 4 orientations) and Scharr gradient similarity on the
  YIQ luma, times the I and Q chroma similarity. Written here after the authors' MATLAB code,
  because no maintained Python package installs beside this project's dependencies
  (``image-similarity-measures`` pins scikit-image < 0.21, and computes a per-band variant);
  ``piq.fsim`` (PyTorch) is the second implementation it is checked against.

Protocol: full-size images, no cropping; FSIM first averages and subsamples by
``F = max(1, round(min(H, W) / 256))`` as the reference does.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import signal

from training.metrics import protocol as metrics
from training.metrics.registry import PROTOCOLS, register_metric

MS_SSIM_MIN_SIDE = (11 - 1) * 2 ** 4 + 1
METRICS_EXTRA_PROTOCOL = (
    "MS-SSIM: tf.image.ssim_multiscale(max_val=255, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03) on RGB; "
    "VIFp: sewar.full_ref.vifp(sigma_nsq=2) on BT.601 luma; FSIM: FSIMc for RGB (FSIM for grey), reference "
    "MATLAB settings (4 scales, 4 orientations, min wavelength 6, mult 2, sigma_f 0.55, T1 0.85, T2 160, "
    "T3 = T4 = 200, lambda 0.03)")


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """The checks of :mod:`training.metrics.protocol`, with grey expanded to RGB (these metrics are defined
    on colour images)."""
    a, b = metrics._pair(a, b)
    if a.shape[2] == 1:
        a, b = np.repeat(a, 3, 2), np.repeat(b, 3, 2)
    if a.shape[2] != 3:
        raise ValueError(f"expected HxWx3 or HxW images, got shape {a.shape}")
    return a, b


def _luma(x: np.ndarray) -> np.ndarray:
    return x @ np.array([0.299, 0.587, 0.114])


def ms_ssim(sharp, test, small: str = "raise") -> float:
    """MS-SSIM of ``test`` against ``sharp`` (RGB uint8, both sides >= 161 px).

    Smaller images raise ValueError, or give NaN with ``small="nan"`` (what ``EXTRA_METRICS``
    registers, so that scoring small test images reports "no value" instead of stopping).
    """
    a, b = _pair(sharp, test)
    if min(a.shape[:2]) < MS_SSIM_MIN_SIDE:
        if small == "nan":
            return math.nan
        raise ValueError(f"MS-SSIM needs images of at least {MS_SSIM_MIN_SIDE} px a side "
                         f"(5 scales of an 11 px window), got {a.shape[:2]}")
    import tensorflow as tf
    value = tf.image.ssim_multiscale(tf.constant(a[None], tf.float32), tf.constant(b[None], tf.float32),
                                     max_val=255.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03)
    return float(value.numpy()[0])


def vifp(sharp, test) -> float:
    """VIFp of ``test`` against ``sharp`` on the luma, by ``sewar`` (``pip install sewar``)."""
    a, b = _pair(sharp, test)
    try:
        from sewar.full_ref import vifp as sewar_vifp
    except ImportError as exc:
        raise ImportError("the vifp metric needs the sewar package: pip install 'blurgen[metrics]' "
                          "(or pip install sewar)") from exc
    return float(sewar_vifp(_luma(a), _luma(b), sigma_nsq=2))


# ---- FSIM -----------------------------------------------------------------------------------

def _freq_grid(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised frequency coordinates as the reference builds them (odd sides span +-0.5)."""
    def axis(n):
        return (np.arange(n) - (n - 1) / 2) / (n - 1) if n % 2 else (np.arange(n) - n // 2) / n
    return np.meshgrid(axis(cols), axis(rows))


def phase_congruency(image: np.ndarray, scales: int = 4, orientations: int = 4, min_wavelength: float = 6,
                     mult: float = 2, sigma_onf: float = 0.55, d_theta_on_sigma: float = 1.2,
                     k: float = 2.0, epsilon: float = 1e-4) -> np.ndarray:
    """Phase congruency map (HxW float64) of a grey image, Kovesi's method with noise compensation."""
    rows, cols = image.shape
    x, y = _freq_grid(rows, cols)
    radius = np.fft.ifftshift(np.sqrt(x ** 2 + y ** 2))
    theta = np.fft.ifftshift(np.arctan2(-y, x))
    lowpass = 1.0 / (1.0 + (radius / 0.45) ** 30)  # the grid radius before the DC fix-up
    radius[0, 0] = 1.0
    sin_t, cos_t = np.sin(theta), np.cos(theta)
    log_gabor = []
    for s in range(scales):
        fo = 1.0 / (min_wavelength * mult ** s)
        g = np.exp(-(np.log(radius / fo)) ** 2 / (2 * math.log(sigma_onf) ** 2)) * lowpass
        g[0, 0] = 0.0
        log_gabor.append(g)
    spectrum = np.fft.fft2(image)
    theta_sigma = math.pi / orientations / d_theta_on_sigma
    energy_all = np.zeros_like(image)
    amplitude_all = np.zeros_like(image)
    for o in range(orientations):
        angle = o * math.pi / orientations
        ds = sin_t * math.cos(angle) - cos_t * math.sin(angle)
        dc = cos_t * math.cos(angle) + sin_t * math.sin(angle)
        spread = np.exp(-np.arctan2(ds, dc) ** 2 / (2 * theta_sigma ** 2))
        responses, spatial = [], []
        for s in range(scales):
            filt = log_gabor[s] * spread
            spatial.append(np.real(np.fft.ifft2(filt)) * math.sqrt(rows * cols))
            responses.append(np.fft.ifft2(spectrum * filt))
            if s == 0:
                em_n = float(np.sum(filt ** 2))
        sum_e = sum(r.real for r in responses)
        sum_o = sum(r.imag for r in responses)
        x_energy = np.sqrt(sum_e ** 2 + sum_o ** 2) + epsilon
        mean_e, mean_o = sum_e / x_energy, sum_o / x_energy
        energy = sum(r.real * mean_e + r.imag * mean_o - np.abs(r.real * mean_o - r.imag * mean_e)
                     for r in responses)
        # Noise: its power from the median response of the smallest scale (Rayleigh statistics).
        noise_power = -np.median(np.abs(responses[0]) ** 2) / math.log(0.5) / em_n
        sum_an2 = sum(float(np.sum(f ** 2)) for f in spatial)
        sum_aiaj = sum(float(np.sum(spatial[i] * spatial[j])) for i in range(scales) for j in range(i + 1, scales))
        tau = math.sqrt((2 * noise_power * sum_an2 + 4 * noise_power * sum_aiaj) / 2)
        threshold = (tau * math.sqrt(math.pi / 2) + k * math.sqrt((2 - math.pi / 2) * tau ** 2)) / 1.7
        energy_all += np.maximum(energy - threshold, 0.0)
        amplitude_all += sum(np.abs(r) for r in responses)
    return energy_all / amplitude_all


def _downsample(x: np.ndarray, f: int) -> np.ndarray:
    if f == 1:
        return x
    box = np.full((f, f), 1.0 / f ** 2)
    return signal.convolve2d(x, box, mode="same")[::f, ::f]


def _similarity(a, b, c):
    return (2 * a * b + c) / (a ** 2 + b ** 2 + c)


def fsim(sharp, test, chromatic: bool = True) -> float:
    """FSIMc (``chromatic``, RGB) or FSIM (grey, or ``chromatic=False``) of ``test`` against ``sharp``."""
    a, b = _pair(sharp, test)
    grey = np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 0], a[..., 2]) and \
        np.array_equal(b[..., 0], b[..., 1]) and np.array_equal(b[..., 0], b[..., 2])
    yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    f = max(1, int(math.floor(min(a.shape[:2]) / 256 + 0.5)))
    ya, yb = (np.stack([_downsample(c, f) for c in np.moveaxis(im @ yiq.T, 2, 0)]) for im in (a, b))
    pc_a, pc_b = phase_congruency(ya[0]), phase_congruency(yb[0])
    scharr = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]) / 16.0
    grad = [np.hypot(signal.convolve2d(y, scharr, mode="same"), signal.convolve2d(y, scharr.T, mode="same"))
            for y in (ya[0], yb[0])]
    pc_max = np.maximum(pc_a, pc_b)
    sim = _similarity(pc_a, pc_b, 0.85) * _similarity(grad[0], grad[1], 160.0)
    if chromatic and not grey:
        chroma = _similarity(ya[1], yb[1], 200.0) * _similarity(ya[2], yb[2], 200.0)
        # real(z ** 0.03) as the reference takes it: negative products give |z|^0.03 cos(0.03 pi).
        sim = sim * np.real(np.power(chroma.astype(complex), 0.03))
    return float(np.sum(sim * pc_max) / np.sum(pc_max))


def ms_ssim_or_nan(sharp, test) -> float:
    """:func:`ms_ssim`, NaN for images under 161 px a side."""
    return ms_ssim(sharp, test, small="nan")


#: name -> fn(sharp, test) registered in the metrics table below.
EXTRA_METRICS = {"ms_ssim": ms_ssim_or_nan, "vifp": vifp, "fsim": fsim}


for _name, _fn in EXTRA_METRICS.items():
    register_metric(_name, _fn)
PROTOCOLS.append(METRICS_EXTRA_PROTOCOL)
