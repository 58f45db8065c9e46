"""One Euro filter against a plain scalar transcription of the paper, scale invariance, jitter."""
from __future__ import annotations

import math

import numpy as np
import pytest

from livehand.smoothing import (DEFAULT_DT, JitterMeter, OneEuroFilter, OneEuroParams, one_euro_step,
                                rms_motion)


class ScalarOneEuro:
    """Casiez et al. 2012, Algorithm 1, written out for one float with no numpy."""

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.x_prev = self.dx_prev = self.t_prev = None

    @staticmethod
    def alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: float, t: float) -> float:
        if self.x_prev is None:
            self.x_prev, self.dx_prev, self.t_prev = x, 0.0, t
            return x
        dt = t - self.t_prev
        dx = (x - self.x_prev) / dt
        dx_hat = self.dx_prev + self.alpha(self.d_cutoff, dt) * (dx - self.dx_prev)
        cutoff = self.min_cutoff + self.beta * abs(dx_hat)
        x_hat = self.x_prev + self.alpha(cutoff, dt) * (x - self.x_prev)
        self.x_prev, self.dx_prev, self.t_prev = x_hat, dx_hat, t
        return x_hat


def test_matches_scalar_reference_elementwise():
    rng = np.random.default_rng(0)
    params = OneEuroParams(min_cutoff=0.7, beta=0.3, d_cutoff=1.3, point_weight=1.0, hand_weight=0.0)  # the paper's
    times = np.cumsum(rng.uniform(0.02, 0.05, 60))  # uneven frame intervals
    signal = np.cumsum(rng.normal(0, 5, (60, 21, 2)), axis=0) + rng.normal(0, 1, (60, 21, 2))
    filt = OneEuroFilter(params)
    got = np.stack([filt(x, t, scale=1.0) for x, t in zip(signal, times)])
    refs = [[ScalarOneEuro(0.7, 0.3, 1.3) for _ in range(2)] for _ in range(21)]
    want = np.array([[[refs[k][c](float(x[k, c]), float(t)) for c in range(2)] for k in range(21)]
                     for x, t in zip(signal, times)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert np.abs(got - signal).max() > 1.0  # it did filter


def test_hand_speed_matches_a_scalar_transcription():
    """speed = point_weight |dx_hat| + hand_weight |mean over points of dx_hat|, written out with
    per-coordinate scalar filters that share the hand's mean speed."""
    rng = np.random.default_rng(2)
    pw, hw, mc, beta, dc = 0.25, 1.0, 0.5, 6.0, 1.0
    times = np.cumsum(rng.uniform(0.02, 0.05, 40))
    signal = np.cumsum(rng.normal(0, 3, (40, 21, 2)), axis=0) + rng.normal(0, 1, (40, 21, 2))
    got = np.stack([f(x, t, 100.0) for f in [OneEuroFilter(OneEuroParams(mc, beta, dc, pw, hw))]
                    for x, t in zip(signal, times)])
    x_hat, dx_hat, t_prev, want = signal[0].copy(), np.zeros((21, 2)), times[0], [signal[0].copy()]
    for x, t in zip(signal[1:], times[1:]):
        dt = t - t_prev
        a_d = ScalarOneEuro.alpha(dc, dt)
        dx_hat = np.array([[dx_hat[k][c] + a_d * ((x[k][c] - x_hat[k][c]) / dt - dx_hat[k][c]) for c in range(2)]
                           for k in range(21)])
        mean = [sum(dx_hat[k][c] for k in range(21)) / 21 for c in range(2)]
        hand = math.hypot(*mean)
        x_hat = np.array([[x_hat[k][c] + ScalarOneEuro.alpha(mc + beta * (pw * abs(dx_hat[k][c]) + hw * hand) / 100.0, dt)
                           * (x[k][c] - x_hat[k][c]) for c in range(2)] for k in range(21)])
        t_prev = t
        want.append(x_hat)
    np.testing.assert_allclose(got, np.stack(want), rtol=1e-12, atol=1e-9)


def test_hand_speed_steadies_a_still_hand_and_follows_a_translation_like_the_paper():
    """Independent noise on a still hand opens the paper's filter more than the hand's mean speed
    (about 1/sqrt(21) of it); a clean sweep along x moves every point alike, so both speeds agree."""
    rng = np.random.default_rng(3)
    times = np.arange(120) / 30
    still = 200 + rng.normal(0, 2, (120, 21, 2))
    paper, hand = OneEuroParams(0.5, 6.0, 1.0, 1.0, 0.0), OneEuroParams(0.5, 6.0, 1.0, 0.0, 1.0)
    outs = {}
    for name, p in (("paper", paper), ("hand", hand)):
        f = OneEuroFilter(p)
        outs[name] = np.stack([f(x, t, 100.0) for x, t in zip(still, times)])
    jitter = {k: np.sqrt(np.mean(np.sum(np.diff(v[30:], axis=0) ** 2, axis=-1))) for k, v in outs.items()}
    assert jitter["hand"] < 0.8 * jitter["paper"]
    sweep = np.zeros((60, 21, 2))
    sweep[..., 0] = np.linspace(0, 300, 60)[:, None] + np.arange(21)[None]
    f, g = OneEuroFilter(paper), OneEuroFilter(hand)
    for x, t in zip(sweep, times):
        np.testing.assert_allclose(f(x, t, 100.0), g(x, t, 100.0), rtol=1e-12, atol=1e-9)


def test_scale_makes_beta_size_independent():
    """The same motion at 4x the size, filtered with scale 4x, is exactly 4x the output."""
    rng = np.random.default_rng(1)
    small = np.cumsum(rng.normal(0, 2, (50, 21, 2)), axis=0)
    times = np.arange(50) / 30
    params = OneEuroParams(min_cutoff=1.0, beta=5.0, d_cutoff=1.0)
    a, b = OneEuroFilter(params), OneEuroFilter(params)
    out_small = np.stack([a(x, t, 50.0) for x, t in zip(small, times)])
    out_big = np.stack([b(4 * x, t, 200.0) for x, t in zip(small, times)])
    np.testing.assert_allclose(out_big, 4 * out_small, rtol=1e-9, atol=1e-9)
    # ...whereas ignoring the size would filter the big hand differently.
    c = OneEuroFilter(params)
    out_unscaled = np.stack([c(4 * x, t, 50.0) for x, t in zip(small, times)])
    assert np.abs(out_unscaled - 4 * out_small).max() > 0.5


def test_non_advancing_time():
    filt = OneEuroFilter(OneEuroParams(min_cutoff=1.0, beta=0.0))
    filt(np.zeros((1, 2)), 0.0, 1.0)
    y = filt(np.full((1, 2), 10.0), 0.0, 1.0)  # same t: one default frame interval is assumed
    alpha = 1 / (1 + 1 / (2 * math.pi * 1.0 * DEFAULT_DT))
    np.testing.assert_allclose(y, 10 * alpha)
    y = filt(np.full((1, 2), 20.0), -5.0, 1.0)  # time went back (a looped video): one default interval
    np.testing.assert_allclose(y, 10 * alpha + (20 - 10 * alpha) * alpha)


def test_first_step_is_identity_and_state_is_pure():
    params = OneEuroParams()
    y0, s0 = one_euro_step(None, np.array([[1.0, 2.0]]), 0.0, 10.0, params)
    y1, s1 = one_euro_step(s0, np.array([[3.0, 2.0]]), 1 / 30, 10.0, params)
    y1b, _ = one_euro_step(s0, np.array([[3.0, 2.0]]), 1 / 30, 10.0, params)
    np.testing.assert_array_equal(y0, [[1.0, 2.0]])
    np.testing.assert_array_equal(y1, y1b)  # the old state was not mutated
    assert 1.0 < y1[0, 0] < 3.0 and y1[0, 1] == 2.0


def test_jitter_meter_rms():
    prev = np.zeros((21, 3))
    cur = np.zeros((21, 3))
    cur[:, 0] = 3.0
    cur[:, 1] = 4.0
    assert rms_motion(prev, cur) == pytest.approx(5.0)
    meter = JitterMeter(window=10)
    assert meter.value == 0.0
    meter.add(prev, cur)
    assert meter.value == pytest.approx(5.0)
    for _ in range(200):
        meter.add(prev, prev)
    assert meter.value < 0.01
