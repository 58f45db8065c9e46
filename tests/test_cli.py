"""`livehand run / predict / bench` end to end, in subprocesses: outputs, Ctrl-C, failures and
one-line errors for bad input."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import onnx
import pytest
from fakes import TESTS, cli, count_video_frames, make_video

from livehand.metadata import METADATA_KEY


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("video") / "clip.mp4", 24)


@pytest.fixture(scope="module")
def models(random_landmark_model, random_detector_model) -> list[str]:
    return ["--model", str(random_landmark_model), "--detector", str(random_detector_model)]


def _one_line_error(res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("livehand: error: "), res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_writes_every_frame(tmp_path, video, models):
    res = cli("run", "--video", str(video), "--no-display", "--record", str(tmp_path / "o.mp4"),
              "--jsonl", str(tmp_path / "o.jsonl"), *models, fake=True)
    assert res.returncode == 0, res.stderr
    lines = _jsonl(tmp_path / "o.jsonl")
    assert [r["frame"] for r in lines] == list(range(24))
    assert count_video_frames(tmp_path / "o.mp4") == 24
    assert "processed 24 of 24 frames" in res.stdout


def test_sigint_leaves_playable_mp4_and_complete_jsonl(tmp_path, models):
    long_video = make_video(tmp_path / "long.mp4", 300)
    out_mp4, out_jsonl = tmp_path / "o.mp4", tmp_path / "o.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_cli.py"), "run", "--video", str(long_video), "--no-display",
         "--record", str(out_mp4), "--jsonl", str(out_jsonl), *models],
        env={**__import__("os").environ, "FAKE_DELAY": "0.05", "DISPLAY": ""},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and (not out_jsonl.exists() or len(out_jsonl.read_text().splitlines()) < 5):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = _jsonl(out_jsonl)  # every line parses
    assert 5 <= len(lines) < 300
    assert [r["frame"] for r in lines] == list(range(len(lines)))
    assert count_video_frames(out_mp4) == len(lines)  # playable: the writer was released
    assert "stopped: interrupted" in out


def test_worker_exception_is_one_line_and_nonzero(tmp_path, video, models):
    res = cli("run", "--video", str(video), "--no-display", "--jsonl", str(tmp_path / "o.jsonl"), *models,
              fake=True, env={"FAKE_FAIL_AT": "3"})
    _one_line_error(res, "inference thread failed", "RuntimeError", "fake model exploded")
    assert "Traceback" not in res.stderr
    assert len(_jsonl(tmp_path / "o.jsonl")) == 2


def test_bench_json(video, models):
    res = cli("bench", "--video", str(video), "--json", "--max-frames", "10", *models, fake=True)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["frames"] == 10 and report["fps"] > 0
    assert set(report["stages_ms"]) == {"capture", "preprocess", "inference", "decode", "tracking", "draw"}
    assert report["stages_ms"]["draw"]["p95_ms"] >= report["stages_ms"]["draw"]["p50_ms"] >= 0
    assert report["model"] == "random-landmarks" and report["backend"].startswith("onnxruntime")
    assert report["detector_fraction"] == pytest.approx(0.1)  # the fake detects on its first frame only
    assert report["live"] is False and report["dropped"] == 0


def test_bench_live_plays_the_file_at_its_frame_rate(video, models):
    """--live: the 24-frame, 30 fps clip takes at least its 0.77 s of media time (every-frame mode
    takes what the machine needs), and every frame is either processed or counted as dropped."""
    res = cli("bench", "--video", str(video), "--json", "--live", *models, fake=True)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["live"] is True and report["frames"] + report["dropped"] == 24
    assert report["wall_s"] >= 23 / 30 - 0.01
    assert report["latency_ms"]["p95_ms"] >= report["latency_ms"]["p50_ms"] > 0


def test_predict_crops(tmp_path, random_landmark_model):
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, shape in (("a.png", (90, 120, 3)), ("b.jpg", (100, 60, 3))):
        cv2.imwrite(str(folder / name), rng.integers(0, 255, shape, dtype=np.uint8))
    out = tmp_path / "p.jsonl"
    res = cli("predict", str(folder), str(folder / "a.png"), "--crops", "--out", str(out),
              "--model", str(random_landmark_model), "--layout", "17")
    assert res.returncode == 0, res.stderr
    lines = _jsonl(out)
    assert [r["image"] for r in lines] == [str(folder / "a.png"), str(folder / "b.jpg"), str(folder / "a.png")]
    assert lines[0] == lines[2]  # deterministic
    for r in lines:
        (hand,) = r["hands"]
        assert len(hand["keypoints"]) == 17 and hand["side"] in ("left", "right") and 0 <= hand["score"] <= 1
    # Without --out the same lines go to standard output and the summary to stderr.
    res = cli("predict", str(folder), str(folder / "a.png"), "--crops",
              "--model", str(random_landmark_model), "--layout", "17")
    assert res.returncode == 0, res.stderr
    assert [json.loads(line) for line in res.stdout.splitlines()] == lines
    assert "standard output" in res.stderr


def _with_layout(src, dst, layout: str):
    model = onnx.load(str(src))
    (prop,) = [p for p in model.metadata_props if p.key == METADATA_KEY]
    prop.value = json.dumps({**json.loads(prop.value), "layout": layout})
    onnx.save(model, str(dst))
    return dst


@pytest.mark.parametrize("case", ["camera", "missing", "text_video", "two_sources", "bad_model",
                                  "detector_as_model", "layout17_impossible", "layout21_impossible",
                                  "unwritable", "empty_images", "no_display_no_output"])
def test_bad_input_is_one_line_exit_2(tmp_path, video, models, random_landmark_model,
                                      random_detector_model, case):
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    (tmp_path / "empty").mkdir()
    out = ["--no-display", "--jsonl", str(tmp_path / "o.jsonl")]
    hand17 = ["--model", str(_with_layout(random_landmark_model, tmp_path / "h17.onnx", "hand17")),
              "--detector", str(random_detector_model)]
    args, needles = {
        "camera": (["--camera", "99", *out, *models], ["camera 99 could not be opened"]),
        "missing": (["--video", str(tmp_path / "nope.mp4"), *out, *models], ["not found"]),
        "text_video": (["--video", str(text), *out, *models], ["not a readable video"]),
        "two_sources": (["--video", str(video), "--camera", "1", *out, *models], ["one source"]),
        "bad_model": (["--video", str(video), *out, "--model", str(text)], ["not a valid ONNX model"]),
        "detector_as_model": (["--video", str(video), *out, "--model", str(random_detector_model)],
                              ["detector model"]),
        "layout17_impossible": (["--video", str(video), *out, "--layout", "17", *hand17], ["hand21"]),
        "layout21_impossible": (["--video", str(video), *out, "--layout", "21", *hand17], ["hand17"]),
        "unwritable": (["--video", str(video), "--no-display", "--record", "/proc/x/out.mp4", *models],
                       ["/proc/x/out.mp4"]),
        "empty_images": (["--images", str(tmp_path / "empty"), *out, *models], ["no images"]),
        "no_display_no_output": (["--video", str(video), *models], ["no display"]),
    }[case]
    _one_line_error(cli("run", *args), *needles)
    assert not (tmp_path / "o.jsonl").exists()  # nothing was started


def test_output_layout_errors():
    from livehand.cli.common import output_layout
    from livehand.errors import LivehandError

    with pytest.raises(LivehandError, match="hand17 keypoints cannot be converted to hand21"):
        output_layout("hand17", "21")
    with pytest.raises(LivehandError, match="unknown keypoint layout"):
        output_layout("hand21", "42")


def test_run_and_predict_with_the_real_tracker(tmp_path, video, models):
    res = cli("run", "--video", str(video), "--no-display", "--record", str(tmp_path / "o.mp4"),
              "--jsonl", str(tmp_path / "o.jsonl"), "--mirror", "--layout", "17", "--flip-test", *models)
    assert res.returncode == 0, res.stderr
    lines = _jsonl(tmp_path / "o.jsonl")
    assert [r["frame"] for r in lines] == list(range(24))
    assert all(len(h["keypoints"]) == 17 for r in lines for h in r["hands"])
    assert count_video_frames(tmp_path / "o.mp4") == 24

    cv2.imwrite(str(tmp_path / "x.png"), np.zeros((80, 120, 3), np.uint8))
    res = cli("predict", str(tmp_path / "x.png"), str(tmp_path / "x.png"), "--out", str(tmp_path / "p.jsonl"),
              "--flip-test", *models)
    assert res.returncode == 0, res.stderr
    assert [r["image"] for r in _jsonl(tmp_path / "p.jsonl")] == [str(tmp_path / "x.png")] * 2


def test_missing_shipped_model_names_the_flag(tmp_path):
    from livehand.errors import LivehandError
    from livehand.models import model_path

    with pytest.raises(LivehandError, match="pass --model PATH"):
        model_path(None, tmp_path / "hand_landmarks.onnx", "--model")
    assert model_path(tmp_path / "mine.onnx", tmp_path / "default.onnx", "--model") == tmp_path / "mine.onnx"


def test_unreachable_display_falls_back_without_a_window(tmp_path, video, models):
    # OpenCV's Qt would abort the process on a DISPLAY it cannot reach; we must not.
    res = cli("run", "--video", str(video), "--jsonl", str(tmp_path / "o.jsonl"), *models, fake=True,
              env={"DISPLAY": ":987"})
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == "livehand: no display found, running without a window"
    assert len(_jsonl(tmp_path / "o.jsonl")) == 24


def test_usage_errors_and_help_exit_cleanly():
    """typer >= 0.2x no longer installs click: usage errors must still be a message, not a traceback."""
    res = cli("predict", "--no-such-option")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "no-such-option" in res.stderr
    res = cli("--help")
    assert res.returncode == 0 and "predict" in res.stdout and "Traceback" not in res.stderr
