"""The threaded runtime: capture thread -> inference thread -> main thread (draw, display, sinks).

Threads are joined by small bounded hand-offs, so memory stays flat however long the run:
- live mode: the capture thread keeps only the newest frame; a frame replaced before the
  inference thread took it is dropped (and counted). Files are paced at their frame rate, so a
  video behaves like a camera.
- every-frame mode: the capture thread waits for room (back-pressure); nothing is dropped.
The main thread owns every OpenCV GUI call. An exception in any thread ends the run (what was
already processed is still output) and is raised from `run()` as one LivehandError line;
SIGINT/SIGTERM, q/Esc, end of input, a camera that stops delivering frames, or `max_frames` end
the run cleanly.
"""
from __future__ import annotations

import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from livehand.draw import HudStats, draw
from livehand.errors import LivehandError
from livehand.hand import Hand
from livehand.sinks import JsonlWriter, VideoRecorder, Window
from livehand.skeleton import HAND21, KeypointSchema
from livehand.sources import Source
from livehand.timing import STAGES, RateMeter, StageTimes

HUD_WINDOW = 120  # frames the HUD's latency percentiles look back over


class Tracker(Protocol):
    """What the pipeline needs from livehand.tracking.HandTracker."""

    last_timings: dict[str, float]
    frames: int
    detector_runs: int
    jitter: float

    def process(self, frame_bgr: np.ndarray, t: float) -> list[Hand]: ...


@dataclass
class Frame:
    """A captured frame. captured: perf_counter() when it arrived (latency starts there);
    capture_s: seconds spent reading it. image: uint8[H, W, 3] BGR."""

    index: int
    t: float
    image: np.ndarray
    captured: float
    capture_s: float


@dataclass
class Result:
    """A processed frame: image is what the tracker saw (mirrored with --mirror)."""

    frame: Frame
    image: np.ndarray
    hands: list[Hand]
    timings: dict[str, float]


@dataclass
class Outputs:
    """The main thread's sinks; any may be absent. close() closes all, even if one fails."""

    window: Window | None = None
    video: VideoRecorder | None = None
    jsonl: JsonlWriter | None = None

    def close(self) -> None:
        errors = []
        for sink in (self.video, self.jsonl, self.window):
            if sink is not None:
                try:
                    sink.close()
                except Exception as exc:  # the others must still be closed
                    errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


_EMPTY, _CLOSED = object(), object()


class Handoff:
    """A bounded queue between two threads.

    latest=True: put never waits; when full it replaces the oldest waiting item (dropped).
    latest=False: put waits for room (back-pressure) unless `stop` is set."""

    def __init__(self, maxsize: int, latest: bool = False):
        self.maxsize, self.latest = maxsize, latest
        self._items: deque = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: object, stop: threading.Event) -> int:
        """Returns how many items left without being consumed: a replaced one (latest mode) or
        `item` itself when stop was set while waiting for room."""
        with self._cond:
            lost = 0
            if self.latest:
                while len(self._items) >= self.maxsize:
                    self._items.popleft()
                    lost += 1
            else:
                while len(self._items) >= self.maxsize:
                    if stop.is_set():
                        return 1
                    self._cond.wait(0.05)
            self._items.append(item)
            self._cond.notify_all()
            return lost

    def get(self, timeout: float) -> object:
        """The next item, or _EMPTY after `timeout` s, or _CLOSED once closed and empty."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            if self._items:
                item = self._items.popleft()
                self._cond.notify_all()
                return item
            return _CLOSED if self._closed else _EMPTY

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def drain(self) -> int:
        """Discard what is waiting; returns how many."""
        with self._cond:
            n = len(self._items)
            self._items.clear()
            self._cond.notify_all()
            return n


@dataclass
class Summary:
    """How a run went. Invariant at the end: processed + dropped == captured."""

    captured: int
    processed: int
    dropped: int
    wall_s: float
    stop_reason: str
    stages: dict[str, dict[str, float]]
    latency_ms: dict[str, float]
    detector_fraction: float
    jitter: float

    @property
    def fps(self) -> float:
        return self.processed / self.wall_s if self.wall_s > 0 else 0.0


class Pipeline:
    """Runs `source` through `tracker` into `outputs`. The pipeline closes the source (from the
    main thread, once the capture thread is done); the caller closes `outputs`.

    convert: applied to the tracker's hands before drawing and writing (e.g. 21 -> 17 points);
    schema: the layout of the converted hands (for drawing). draw: whether to draw at all
    (needed for a window or a recording; bench draws to time it)."""

    def __init__(self, source: Source, tracker: Tracker, outputs: Outputs, *, live: bool,
                 mirror: bool = False, convert: Callable[[list[Hand]], list[Hand]] | None = None,
                 schema: KeypointSchema = HAND21, draw: bool = True, hud: bool = True,
                 max_frames: int | None = None, stall_timeout_s: float = 5.0, queue_size: int = 4):
        self.source, self.tracker, self.outputs = source, tracker, outputs
        self.live, self.mirror, self.convert, self.schema = live, mirror, convert, schema
        self.draw, self.hud, self.max_frames = draw, hud, max_frames
        self.stall_timeout_s = stall_timeout_s
        self.inbox = Handoff(1 if live else queue_size, latest=live)
        self.outbox = Handoff(2)
        self.stop = threading.Event()
        self.times = StageTimes()
        self.rate = RateMeter()
        self.captured = self.processed = 0
        self._dropped_capture = self._dropped_inference = 0
        self._last_capture = time.perf_counter()
        self._last_index = -1
        self._reason: str | None = None
        self._error: tuple[str, BaseException] | None = None

    @property
    def dropped(self) -> int:
        return self._dropped_capture + self._dropped_inference

    def _finish(self, reason: str) -> None:
        """A natural end (end of input, max_frames): queued frames are still processed."""
        if self._reason is None:
            self._reason = reason

    def _end(self, reason: str) -> None:
        """An early end (quit, interrupt, stall, failure): queued frames are abandoned."""
        self._finish(reason)
        self.stop.set()

    def _fail(self, stage: str, exc: BaseException, finish_queued: bool = False) -> None:
        """Record the first failure. finish_queued: frames already taken are still processed
        and output (the capture side failed; what it delivered is good)."""
        if self._error is None:
            self._error = (stage, exc)
        (self._finish if finish_queued else self._end)(f"{stage} failed")

    # --- threads -------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            frames = iter(self.source)
            pace = self.live and not self.source.realtime  # a file pretending to be a camera
            start = time.perf_counter()
            while not self.stop.is_set():
                t0 = time.perf_counter()
                item = next(frames, None)
                t1 = time.perf_counter()
                if item is None:
                    self._finish(self.source.end_reason)
                    break
                index, t, image = item
                if pace and self.stop.wait(max(0.0, start + t - t1)):
                    break
                now = time.perf_counter()
                self.captured += 1
                self._last_capture = now
                self._dropped_capture += self.inbox.put(Frame(index, t, image, now, t1 - t0), self.stop)
                if self.max_frames is not None and self.captured >= self.max_frames:
                    self._finish(f"reached {self.max_frames} frames")
                    break
        except BaseException as exc:
            self._fail("capture", exc, finish_queued=True)
        finally:
            self.inbox.close()

    def _infer(self) -> None:
        try:
            while not self.stop.is_set():
                frame = self.inbox.get(timeout=0.1)
                if frame is _CLOSED:
                    break
                if frame is _EMPTY:
                    continue
                t0 = time.perf_counter()
                image = cv2.flip(frame.image, 1) if self.mirror else frame.image
                flip_s = time.perf_counter() - t0
                hands = self.tracker.process(image, frame.t)
                timings = dict(self.tracker.last_timings)
                timings["preprocess"] = timings.get("preprocess", 0.0) + flip_s
                timings["capture"] = frame.capture_s
                self._dropped_inference += self.outbox.put(Result(frame, image, hands, timings), self.stop)
        except BaseException as exc:
            self._fail("inference", exc)
        finally:
            self.outbox.close()

    # --- main thread ---------------------------------------------------------------------
    def _deliver(self, res: Result) -> None:
        hands = self.convert(res.hands) if self.convert else res.hands
        image = res.image
        t0 = time.perf_counter()
        if self.draw:
            # A copy: the tracker may keep the frame it saw (e.g. for motion) and must not see ink.
            image = draw(image.copy(), hands, self.schema, self._hud_stats() if self.hud else None)
        now = time.perf_counter()
        for stage, seconds in res.timings.items():
            self.times.add(stage, seconds)
        self.times.add("draw", now - t0)
        self.times.add("latency", now - res.frame.captured)
        out = self.outputs
        if out.window is not None:
            out.window.show(image)
        if out.video is not None:
            out.video.write(image, repeat=max(1, res.frame.index - self._last_index))
        if out.jsonl is not None:
            out.jsonl.write({"frame": res.frame.index, "t": round(res.frame.t, 4),
                             "hands": [h.to_json() for h in hands]})
        self._last_index = res.frame.index
        self.processed += 1
        self.rate.tick(now)

    def _hud_stats(self) -> HudStats:
        p50, p95 = self.times.percentiles_ms("latency", last=HUD_WINDOW)
        return HudStats(self.rate.rate, p50, p95, self.dropped, float(self.tracker.jitter))

    def _main_loop(self) -> None:
        window = self.outputs.window
        while True:
            if window is not None and window.poll():
                self._end("quit")
            # After a worker failure, still output what it finished (up to the closed outbox).
            if self.stop.is_set() and self._error is None:
                return
            res = self.outbox.get(timeout=0.01 if window is not None else 0.1)
            if res is _CLOSED:
                return
            if res is _EMPTY:
                if self.source.realtime and time.perf_counter() - self._last_capture > self.stall_timeout_s:
                    self._end(f"{self.source.name} stopped delivering frames "
                              f"(none for {self.stall_timeout_s:.0f} s)")
                continue
            try:
                self._deliver(res)
            except Exception as exc:  # a second Ctrl-C (KeyboardInterrupt) passes through
                self._fail("output", exc)
                return

    def _on_signal(self, signum: int, _frame) -> None:
        """Ctrl-C / SIGTERM: stop cleanly (a second one during shutdown gets the old handler)."""
        self._end("interrupted")

    def run(self) -> Summary:
        threads = [threading.Thread(target=self._capture, name="livehand-capture", daemon=True),
                   threading.Thread(target=self._infer, name="livehand-inference", daemon=True)]
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            handlers = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        start = time.perf_counter()
        try:
            for th in threads:
                th.start()
            self._main_loop()
        finally:
            self.stop.set()
            for s, h in handlers.items():
                signal.signal(s, h)
            # Unblock and join; a camera stuck inside read() is a daemon thread left behind.
            # Frames still queued when the run stopped early were never output: dropped.
            self._dropped_inference += self.outbox.drain()
            threads[1].join(timeout=5.0)  # finishes its current frame
            threads[0].join(timeout=1.0)  # or it is a camera blocked in read()
            if not threads[0].is_alive():
                self.source.close()
        wall = time.perf_counter() - start
        self._dropped_inference += self.inbox.drain() + self.outbox.drain()
        if self._error is not None:
            stage, exc = self._error
            if isinstance(exc, LivehandError):
                raise exc
            msg = " ".join(str(exc).split()) or "no details"
            raise LivehandError(f"{stage} thread failed: {type(exc).__name__}: {msg[:300]}") from exc
        return Summary(
            captured=self.captured, processed=self.processed, dropped=self.dropped, wall_s=wall,
            stop_reason=self._reason or "stopped", stages=self.times.summary(STAGES),
            latency_ms=dict(zip(("p50_ms", "p95_ms"), self.times.percentiles_ms("latency"))),
            detector_fraction=self.tracker.detector_runs / max(1, self.tracker.frames),
            jitter=float(self.tracker.jitter))
