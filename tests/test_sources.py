"""Sources: every frame in order with media time, and one-line errors for bad input."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from fakes import make_video

from livehand.errors import LivehandError
from livehand.sources import CameraSource, ImageFolderSource, VideoSource


def test_video_yields_every_frame_with_media_time(tmp_path):
    src = VideoSource(make_video(tmp_path / "v.mp4", 12, fps=25.0))
    got = list(src)
    src.close()
    assert [i for i, _, _ in got] == list(range(12))
    assert [t for _, t, _ in got] == pytest.approx([i / 25.0 for i in range(12)])
    assert src.size == (96, 64) and got[0][2].shape == (64, 96, 3)
    # frame i was written with brightness 2*i: order and content survive
    means = [float(img[40:, :, 1].mean()) for _, _, img in got]
    assert means == sorted(means) and means[-1] > means[0] + 15


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt", "not a readable video"),
    (lambda d: d, "is a folder"),
])
def test_video_bad_input(tmp_path, make, message):
    with pytest.raises(LivehandError, match=message):
        VideoSource(make(tmp_path))


def test_camera_that_does_not_open_is_one_quiet_line(capfd):
    with pytest.raises(LivehandError, match="camera 99 could not be opened"):
        CameraSource(99)
    assert capfd.readouterr().err == ""  # OpenCV's own multi-line warnings are silenced


def test_image_folder_sorted_and_errors(tmp_path):
    for name, value in (("b.png", 20), ("a.jpg", 10), ("c.PNG", 30)):
        cv2.imwrite(str(tmp_path / name), np.full((8, 8, 3), value, np.uint8))
    (tmp_path / "readme.txt").write_text("not an image")
    src = ImageFolderSource(tmp_path, fps=10.0)
    got = list(src)
    assert [p.name for p in src.paths] == ["a.jpg", "b.png", "c.PNG"]
    assert [round(float(img.mean())) for _, _, img in got] == [10, 20, 30]
    assert [t for _, t, _ in got] == pytest.approx([0.0, 0.1, 0.2])

    (tmp_path / "d.png").write_text("broken")
    with pytest.raises(LivehandError, match="cannot read image .*d.png"):
        list(ImageFolderSource(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LivehandError, match="no images"):
        ImageFolderSource(empty)
    with pytest.raises(LivehandError, match="not found"):
        ImageFolderSource(tmp_path / "nope")


class _FlakyCapture:
    """A camera that delivers `good` frames, then fails every read."""

    def __init__(self, good: int):
        self.good = good

    def read(self):
        if self.good <= 0:
            return False, None
        self.good -= 1
        return True, np.zeros((4, 4, 3), np.uint8)

    def release(self):
        pass


def test_camera_that_stops_delivering_ends_cleanly():
    cam = CameraSource.__new__(CameraSource)  # skip opening a real device
    cam.name, cam.max_failures, cam.cap, cam._start = "camera 7", 3, _FlakyCapture(4), 0.0
    cam._first = np.zeros((4, 4, 3), np.uint8)
    assert [i for i, _, _ in cam] == [0, 1, 2, 3, 4]
    assert cam.end_reason == "camera 7 stopped delivering frames"
