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

Whose speed: the paper's filter opens on each coordinate's own |dx_hat| (point_weight 1,
hand_weight 0). The speed of the hand's mean point (the norm of the mean of dx_hat over its K
keypoints) can count too, or instead: keypoint noise is largely independent from point to point,
so the hand's mean speed carries about 1/sqrt(K) of it, and a still hand's noise opens the filter
less, while a finger moving alone still needs its own speed not to lag. The speed is
hand_weight |mean dx_hat| + point_weight |dx_hat|.
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
    point_weight, hand_weight: whose speed that is (module docstring; the paper: 1 and 0).
    Defaults picked by `bench/smoothing.py --grid` on synthetic tracks: 8x less jitter on a still
    hand, a fifth of a frame of lag in a fast sweep at 30 fps (the paper's filter at beta 6,
    the default until 2026-12-06: 7.3x and a quarter frame)."""

    min_cutoff: float = 0.5
    beta: float = 6.0
    d_cutoff: float = 1.0
    point_weight: float = 0.25  # share of each coordinate's own speed in the speed that opens the filter
    hand_weight: float = 1.0    # share of the speed of the hand's mean point (samples are [..., K, D])


@dataclass(frozen=True)
class OneEuroState:
    """x_hat, dx_hat: float[...] (same shape as the signal); t: time of the last sample."""

    x_hat: np.ndarray
    dx_hat: np.ndarray
    t: float


def smoothing_factor(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    """alpha of an exponential low-pass with cutoff frequency `cutoff` Hz sampled every dt s."""
    return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * cutoff * dt))


def filter_speed(dx_hat: np.ndarray, params: OneEuroParams) -> np.ndarray:
    """float[..., K, D] filtered velocities -> the speed that sets each coordinate's cutoff (same
    shape): point_weight x |dx_hat| + hand_weight x the norm of the mean velocity over the K points."""
    speed = params.point_weight * np.abs(dx_hat)
    if params.hand_weight:
        speed = speed + params.hand_weight * np.linalg.norm(dx_hat.mean(axis=-2, keepdims=True), axis=-1,
                                                            keepdims=True)
    return speed


def one_euro_step(state: OneEuroState | None, x: np.ndarray, t: float, scale: float,
                  params: OneEuroParams) -> tuple[np.ndarray, OneEuroState]:
    """float[..., K, D] sample at time t -> (filtered float64 of that shape, new state). state None =
    first sample (returned unchanged). scale: the hand's size in the units of x (e.g. pixels)."""
    x = np.asarray(x, np.float64)
    if state is None:
        return x.copy(), OneEuroState(x.copy(), np.zeros_like(x), t)
    dt = t - state.t if t > state.t else DEFAULT_DT
    dx = (x - state.x_hat) / dt
    dx_hat = state.dx_hat + smoothing_factor(params.d_cutoff, dt) * (dx - state.dx_hat)
    cutoff = params.min_cutoff + params.beta * filter_speed(dx_hat, params) / max(scale, 1e-6)
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
