"""Where results go: a window, an MP4 file, a JSON-lines file.

All three are opened at startup so that an unwritable path or a missing display fails before any
frame is processed. They are used from the main thread only (OpenCV's GUI must be).
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from livehand.errors import LivehandError

QUIT_KEYS = (ord("q"), ord("Q"), 27)  # 27 = Esc


@functools.cache
def display_available() -> bool:
    """True when OpenCV was built with a GUI and there is a screen to put a window on."""
    gui = next((line.split(":", 1)[1].strip() for line in cv2.getBuildInformation().splitlines()
                if line.strip().startswith("GUI:")), "NONE")
    if gui.upper() == "NONE":
        return False
    if not sys.platform.startswith("linux"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    # OpenCV's Qt aborts the whole process when DISPLAY names a server it cannot reach (a stale
    # ssh session, say), so try a window in a throwaway process first.
    probe = "import cv2; cv2.namedWindow('livehand-probe'); cv2.destroyAllWindows()"
    try:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=15).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def check_writable(path: Path) -> None:
    """Fail early, in one line, when `path` cannot be created or overwritten."""
    if path.is_dir():
        raise LivehandError(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise LivehandError(f"cannot write {path}: folder {path.parent} does not exist")
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise LivehandError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not existed:  # leave no empty file behind if a later startup check fails
        path.unlink()


class Window:
    """An OpenCV window; q / Esc or closing it asks to quit."""

    def __init__(self, title: str = "livehand"):
        self.title = title
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
        except cv2.error as exc:
            raise LivehandError(f"cannot open a window ({str(exc).strip().splitlines()[-1]}); "
                                "use --no-display") from None
        self._shown = False

    def show(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        self._shown = True

    def poll(self) -> bool:
        """Pump GUI events; True when the user asked to quit. Call often, even without frames."""
        key = cv2.waitKey(1)
        if key != -1 and (key & 0xFF) in QUIT_KEYS:
            return True
        return self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1

    def close(self) -> None:
        cv2.destroyWindow(self.title)
        cv2.waitKey(1)  # lets the GUI actually take the window down


class VideoRecorder:
    """MP4 (mp4v) writer at a fixed size and frame rate; frames of another size are resized.
    close() must run (the pipeline does it in `finally`) for the file to be playable."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]):
        self.path = Path(path)
        check_writable(self.path)
        self.size = size
        self.frames = 0
        self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self.writer.isOpened():
            raise LivehandError(f"cannot record to {self.path}: OpenCV has no mp4v writer for this "
                                "file name (use a .mp4 file)")

    def write(self, image: np.ndarray, repeat: int = 1) -> None:
        """Write `image` `repeat` times (live mode repeats it for dropped frames, so the file
        plays back in real time)."""
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        for _ in range(repeat):
            self.writer.write(image)
        self.frames += repeat

    def close(self) -> None:
        self.writer.release()


class JsonlWriter:
    """One JSON object per line, flushed per line: the file is complete up to the last write.
    path None: standard output (left open on close)."""

    def __init__(self, path: Path | None):
        self.path = None if path is None else Path(path)
        self.lines = 0
        if self.path is None:
            self._file: IO[str] = sys.stdout
            return
        check_writable(self.path)
        try:
            self._file = open(self.path, "w", encoding="utf-8")
        except OSError as exc:
            raise LivehandError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> None:
        if self.path is not None:
            self._file.close()
