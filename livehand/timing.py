"""Bounded rolling timings: per-stage durations, latency and frame rate for the HUD and bench."""
from __future__ import annotations

import time
from collections import deque
from itertools import islice

import numpy as np

STAGES = ("capture", "preprocess", "inference", "decode", "tracking", "draw")


class StageTimes:
    """Durations in seconds per stage name. Each stage keeps at most `maxlen` samples (about an
    hour at 30 fps by default), so memory stays bounded on endless camera runs."""

    def __init__(self, maxlen: int = 100_000):
        self._maxlen = maxlen
        self._samples: dict[str, deque[float]] = {}

    def add(self, stage: str, seconds: float) -> None:
        self._samples.setdefault(stage, deque(maxlen=self._maxlen)).append(float(seconds))

    def percentiles_ms(self, stage: str, qs: tuple[float, ...] = (50, 95),
                       last: int | None = None) -> tuple[float, ...]:
        """Percentiles in milliseconds over all kept samples, or only the `last` ones;
        NaN for a stage with no samples."""
        samples = self._samples.get(stage)
        if not samples:
            return tuple(float("nan") for _ in qs)
        values = np.fromiter(samples if last is None else islice(reversed(samples), last), np.float64)
        return tuple(float(v) * 1000.0 for v in np.percentile(values, qs))

    def summary(self, stages: tuple[str, ...]) -> dict[str, dict[str, float]]:
        """{stage: {"p50_ms", "p95_ms"}} for the given stages (NaN where none were timed)."""
        return {s: dict(zip(("p50_ms", "p95_ms"), self.percentiles_ms(s))) for s in stages}


class RateMeter:
    """Events per second over a sliding window of wall time."""

    def __init__(self, window_s: float = 1.0):
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self._times.append(now)
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()

    @property
    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0
