"""One Euro keypoint smoothing (Casiez, Roussel & Vogel, CHI 2012) and a jitter meter. Pure numpy.

The One Euro filter is a first-order low-pass whose cutoff rises with speed: slow motion is
smoothed hard (jitter gone), fast motion barely (little lag). Per scalar, with dt the time step:

    alpha(fc) = 1 / (1 + 1 / (2 pi fc dt))
    dx      = (x - x_hat_prev) / dt
    dx_hat  = dx_hat_prev + alpha(d_cutoff) (dx - dx_hat_prev)
    fc      = min_cutoff + beta |dx_hat|
    x_hat   = x_hat_prev + alpha(fc) (x - x_hat_prev)

Scale awareness: the speed that raises the cutoff is measured in hand sizes per second
(|dx_hat| / scale), so beta means the same for a small far hand and a big near hand. The
positions themselves stay in pixels, so a hand that changes size does not make the filter move.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_DT = 1.0 / 30.0  # used when timestamps do not advance (an image folder, a repeated t)


@dataclass(frozen=True)
class OneEuroParams:
    """min_cutoff: Hz at rest (lower = steadier still hand). beta: extra Hz per hand size per
    second of speed (higher = less lag when moving). d_cutoff: Hz of the speed estimate.
    Defaults chosen with bench/smoothing.py: >= 5x less jitter on a still hand for noise of
    0.5-2% of hand size, about a quarter frame of lag in a fast sweep at 30 fps."""

    min_cutoff: float = 0.5
    beta: float = 6.0
    d_cutoff: float = 1.0


@dataclass(frozen=True)
class OneEuroState:
    """x_hat, dx_hat: float[...] (same shape as the signal); t: time of the last sample."""

    x_hat: np.ndarray
    dx_hat: np.ndarray
    t: float


def smoothing_factor(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    """alpha of an exponential low-pass with cutoff frequency `cutoff` Hz sampled every dt s."""
    return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * cutoff * dt))


def one_euro_step(state: OneEuroState | None, x: np.ndarray, t: float, scale: float,
                  params: OneEuroParams) -> tuple[np.ndarray, OneEuroState]:
    """float[...] sample at time t -> (filtered float64[...], new state). state None = first
    sample (returned unchanged). scale: the hand's size in the units of x (e.g. pixels)."""
    x = np.asarray(x, np.float64)
    if state is None:
        return x.copy(), OneEuroState(x.copy(), np.zeros_like(x), t)
    dt = t - state.t if t > state.t else DEFAULT_DT
    dx = (x - state.x_hat) / dt
    dx_hat = state.dx_hat + smoothing_factor(params.d_cutoff, dt) * (dx - state.dx_hat)
    cutoff = params.min_cutoff + params.beta * np.abs(dx_hat) / max(scale, 1e-6)
    x_hat = state.x_hat + smoothing_factor(cutoff, dt) * (x - state.x_hat)
    return x_hat, OneEuroState(x_hat, dx_hat, t)


class OneEuroFilter:
    """Stateful wrapper for one track: call it with each new sample. A lost track takes its
    filter with it, so a re-acquired hand starts afresh and does not glide in from its old place."""

    def __init__(self, params: OneEuroParams = OneEuroParams()):
        self.params = params
        self.state: OneEuroState | None = None

    def __call__(self, x: np.ndarray, t: float, scale: float) -> np.ndarray:
        y, self.state = one_euro_step(self.state, x, t, scale, self.params)
        return y


def rms_motion(prev: np.ndarray, cur: np.ndarray) -> float:
    """float[..., K, >=2] twice -> RMS over keypoints of the frame-to-frame displacement (px)."""
    d = np.asarray(cur, np.float64)[..., :2] - np.asarray(prev, np.float64)[..., :2]
    return float(np.sqrt(np.mean(np.sum(d * d, axis=-1))))


class JitterMeter:
    """Running RMS keypoint motion in px/frame: an exponential average of the mean squared
    frame-to-frame displacement over roughly the last `window` samples. On a still hand this is
    the jitter a user sees."""

    def __init__(self, window: int = 30):
        self.decay = 1.0 - 1.0 / window
        self._mean_sq: float | None = None

    def add(self, prev: np.ndarray, cur: np.ndarray) -> None:
        sq = rms_motion(prev, cur) ** 2
        self._mean_sq = sq if self._mean_sq is None else self.decay * self._mean_sq + (1 - self.decay) * sq

    @property
    def value(self) -> float:
        return 0.0 if self._mean_sq is None else math.sqrt(self._mean_sq)
