"""Frame sources: a camera, a video file or a folder of images.

Each source is opened (and checked) when it is constructed, so bad input fails at startup with a
one-line LivehandError, and iterates as (index, t_seconds, frame_bgr uint8[H, W, 3]).
`index` counts every frame the source delivered; `t` is media time for files and seconds since
opening for cameras.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from livehand.errors import LivehandError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
DEFAULT_FPS = 30.0


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """OpenCV prints multi-line warnings when a device or file does not open; we report the
    problem ourselves in one line."""
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


class Source:
    """Common interface. realtime: frames arrive at the device's pace (a camera) rather than as
    fast as they can be decoded (a file). live_default: whether live mode (newest frame only)
    is the natural default."""

    name: str
    fps: float
    size: tuple[int, int]  # (width, height) of the first frame
    frame_count: int | None = None
    realtime: bool = False
    live_default: bool = False
    end_reason: str = "end of input"

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call more than once."""


def _video_fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if np.isfinite(fps) and 1.0 <= fps <= 1000.0 else DEFAULT_FPS


class _CaptureSource(Source):
    """An OpenCV capture whose first frame was read when it opened (to prove it works)."""

    cap: cv2.VideoCapture
    max_failures = 1  # failed reads in a row that end the stream

    def _opened(self, first: np.ndarray) -> None:
        self._first: np.ndarray | None = first
        self.size = (first.shape[1], first.shape[0])
        self.fps = _video_fps(self.cap)

    def _frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """(index, frame), the opening frame first; ends after max_failures failed reads in a row."""
        index, failures = 0, 0
        if self._first is not None:
            yield 0, self._first
            self._first, index = None, 1
        while failures < self.max_failures:
            ok, frame = self.cap.read()
            if not ok or frame is None:
                failures += 1
                if failures < self.max_failures:
                    time.sleep(0.01)
                continue
            failures = 0
            yield index, frame
            index += 1

    def close(self) -> None:
        self.cap.release()


class CameraSource(_CaptureSource):
    """A webcam by index. Ends cleanly (end_reason says why) after `max_failures` failed reads
    in a row; a camera that blocks instead is caught by the pipeline's stall timeout."""

    realtime = True
    live_default = True

    def __init__(self, index: int, max_failures: int = 10):
        self.name = f"camera {index}"
        self.max_failures = max_failures
        with quiet_opencv():
            self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            raise LivehandError(f"camera {index} could not be opened (no such device, or it is in use)")
        # A one-frame driver buffer keeps what we read close to "now".
        self.cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        ok, first = self.cap.read()
        if not ok or first is None:
            self.cap.release()
            raise LivehandError(f"camera {index} opened but delivered no frames")
        self._opened(first)
        self._start = time.perf_counter()

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        for index, frame in self._frames():
            yield index, (time.perf_counter() - self._start) if index else 0.0, frame
        self.end_reason = f"{self.name} stopped delivering frames"


class VideoSource(_CaptureSource):
    """A video file, every frame in order; t = index / fps."""

    def __init__(self, path: str | Path):
        path = Path(path)
        self.name = str(path)
        if path.is_dir():
            raise LivehandError(f"{path} is a folder; use --images for a folder of images")
        if not path.is_file():
            raise LivehandError(f"video file not found: {path}")
        with quiet_opencv():
            self.cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
            ok, first = self.cap.read() if self.cap.isOpened() else (False, None)
        if not ok or first is None:
            self.cap.release()
            raise LivehandError(f"{path} is not a readable video file")
        self._opened(first)
        count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = count if count > 0 else None

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        for index, frame in self._frames():
            yield index, index / self.fps, frame


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside `folder`, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_image(path: Path) -> np.ndarray:
    """uint8[H, W, 3] BGR; a file OpenCV cannot decode is a LivehandError naming it."""
    with quiet_opencv():
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise LivehandError(f"cannot read image {path}")
    return image


class ImageFolderSource(Source):
    """The images of a folder in name order, as a sequence of frames at `fps` (t = index / fps)."""

    def __init__(self, folder: str | Path, fps: float = DEFAULT_FPS):
        folder = Path(folder)
        self.name = str(folder)
        if not folder.is_dir():
            raise LivehandError(f"image folder not found: {folder}")
        self.paths = list_images(folder)
        if not self.paths:
            raise LivehandError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
        first = read_image(self.paths[0])
        self.size = (first.shape[1], first.shape[0])
        self.fps = fps
        self.frame_count = len(self.paths)

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        for index, path in enumerate(self.paths):
            yield index, index / self.fps, read_image(path)
