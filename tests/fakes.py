"""Test doubles for the runtime: a tracker with HandTracker's contract, tiny videos, a CLI runner."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from livehand.hand import Hand, box_of

TESTS = Path(__file__).resolve().parent


class FakeTracker:
    """HandTracker's contract: one right hand, a ring of 21 points around the frame centre.
    delay: seconds per frame (a slow model); fail_at: the frame number (1-based) that raises."""

    def __init__(self, delay: float = 0.0, fail_at: int | None = None):
        self.delay, self.fail_at = delay, fail_at
        self.last_timings: dict[str, float] = {}
        self.frames = self.detector_runs = 0
        self.jitter = 0.0
        self.last_detections = np.zeros((0, 4), np.float32)
        self.seen_t: list[float] = []

    def process(self, frame_bgr: np.ndarray, t: float) -> list[Hand]:
        t0 = time.perf_counter()
        self.frames += 1
        if self.fail_at is not None and self.frames >= self.fail_at:
            raise RuntimeError("fake model exploded\non two lines")
        if self.frames == 1:
            self.detector_runs += 1
        if self.delay:
            time.sleep(self.delay)
        self.seen_t.append(t)
        h, w = frame_bgr.shape[:2]
        ang = np.linspace(0, 2 * np.pi, 21, endpoint=False)
        kps = np.stack([w / 2 + w / 4 * np.cos(ang), h / 2 + h / 4 * np.sin(ang), np.ones(21)], 1)
        kps = kps.astype(np.float32)
        self.last_detections = np.array([box_of(kps)], np.float32)  # as if the detector boxed exactly its hand
        dt = time.perf_counter() - t0
        self.last_timings = {"preprocess": dt / 4, "inference": dt / 2, "decode": dt / 8, "tracking": dt / 8}
        return [Hand(kps, 0.9, "right", box_of(kps), 1)]


def make_video(path: Path, frames: int, size: tuple[int, int] = (96, 64), fps: float = 30.0) -> Path:
    """An mp4v file whose frame i has brightness 2*i (so frames are distinguishable)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        img = np.full((size[1], size[0], 3), (2 * i) % 256, np.uint8)
        cv2.rectangle(img, (i % size[0], 10), (i % size[0] + 10, 20), (0, 0, 255), -1)
        writer.write(img)
    writer.release()
    return path


def count_video_frames(path: Path) -> int:
    """Frames actually decodable (not the container's claim)."""
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def cli(*args: str, fake: bool = False, env: dict | None = None, timeout: float = 60,
        **popen) -> subprocess.CompletedProcess:
    """Run `livehand ARGS` in a subprocess; fake=True swaps in FakeTracker (tests/fake_cli.py)."""
    cmd = [sys.executable, str(TESTS / "fake_cli.py") if fake else str(Path(sys.executable).parent / "livehand")]
    full_env = {**os.environ, "DISPLAY": "", "WAYLAND_DISPLAY": "", **(env or {})}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, env=full_env,
                          **popen)
