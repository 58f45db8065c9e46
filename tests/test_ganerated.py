"""The GANerated Hands loader on files generated in the release's exact layout and format."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from train.data.ganerated import iter_ganerated

RNG = np.random.default_rng(0)


def joints2d() -> np.ndarray:
    return RNG.uniform(20, 236, (21, 2)).astype(np.float32)


def joint_pos(order=tuple(range(21))) -> np.ndarray:
    """float[21, 3] normalised the release's way (middle MCP at the origin, |wrist - MCP| = 1),
    listed in `order`."""
    pts = RNG.normal(size=(21, 3))
    pts -= pts[9]
    pts /= np.linalg.norm(pts[0])
    return pts[list(order)]


def write_frame(folder: Path, frame: int, kps: np.ndarray, pos: np.ndarray | None = None,
                joint_text: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    f = f"{frame:04d}"
    cv2.imwrite(str(folder / f"{f}_color_composed.png"), np.zeros((256, 256, 3), np.uint8))
    text = joint_text if joint_text is not None else ",".join(f"{v:.6f}" for v in kps.reshape(-1))
    (folder / f"{f}_joint2D.txt").write_text(text + "\n")
    pos = joint_pos() if pos is None else pos
    (folder / f"{f}_joint_pos.txt").write_text(",".join(f"{v:.6f}" for v in pos.reshape(-1)) + "\n")
    (folder / f"{f}_joint_pos_global.txt").write_text(",".join(["1.0"] * 63) + "\n")
    (folder / f"{f}_crop_params.txt").write_text("120.5,80.25,0.8\n")


@pytest.fixture
def release(tmp_path) -> tuple[Path, dict]:
    """GANeratedHands_Release/data with 2 noObject folders (2 + 1 frames) and 1 withObject frame."""
    data = tmp_path / "GANeratedHands_Release" / "data"
    truth = {}
    for sub, folder, frame in (("noObject", "0001", 1), ("noObject", "0001", 2), ("noObject", "0002", 1),
                               ("withObject", "0001", 1)):
        kps = joints2d()
        write_frame(data / sub / folder, frame, kps)
        truth[(sub, folder, frame)] = kps
    return tmp_path / "GANeratedHands_Release", truth


def test_reads_every_frame_as_a_left_hand(release):
    root, truth = release
    records = list(iter_ganerated(root))
    assert len(records) == 4
    for rec, ((sub, folder, frame), kps) in zip(records, sorted(truth.items())):
        assert rec.image == root / "data" / sub / folder / f"{frame:04d}_color_composed.png"
        assert rec.image.is_file() and rec.source == "ganerated" and rec.extra["subset"] == sub
        assert rec.extra["crop_params"] == (120.5, 80.25, 0.8)
        (h,) = rec.hands
        assert h.side == "left" and h.visible.all()
        np.testing.assert_allclose(h.keypoints, kps, atol=1e-5)


def test_root_forms_subsets_and_limit(release):
    root, _ = release
    assert len(list(iter_ganerated(root / "data"))) == 4
    assert len(list(iter_ganerated(root.parent))) == 4
    assert len(list(iter_ganerated(root, subsets=("withObject",)))) == 1
    assert len(list(iter_ganerated(root, limit=3))) == 3
    with pytest.raises(FileNotFoundError, match="no GANerated"):
        list(iter_ganerated(root / "data" / "noObject" / "0001"))


@pytest.mark.parametrize("text, why", [
    (",".join(["1.5"] * 41), "expected 42"),
    (",".join(["1.5"] * 41 + ["abc"]), "not a list of numbers"),
    (",".join(["1.5"] * 41 + ["nan"]), "expected 42 finite"),
    ("", "expected 42"),
])
def test_malformed_joint2d_names_the_file(tmp_path, text, why):
    folder = tmp_path / "data" / "noObject" / "0001"
    write_frame(folder, 1, joints2d())
    write_frame(folder, 2, joints2d(), joint_text=text)
    records = iter_ganerated(tmp_path)
    next(records)  # the good frame still loads
    with pytest.raises(ValueError, match=why) as err:
        next(records)
    assert str(folder / "0002_joint2D.txt") in str(err.value)


def test_a_tip_to_root_joint_order_is_caught(tmp_path):
    tip_first = [0] + [base + 3 - j for base in (1, 5, 9, 13, 17) for j in range(4)]
    folder = tmp_path / "data" / "withObject" / "0001"
    write_frame(folder, 1, joints2d(), pos=joint_pos(tip_first))
    with pytest.raises(ValueError, match=r"0001_joint_pos.txt.*joint 12, not 9"):
        list(iter_ganerated(tmp_path))


def test_prepare_crops_packs_ganerated_frames(release, tmp_path):
    from train.__main__ import main

    root, _ = release
    main(["prepare-crops", "--ganerated", str(root), "--out", str(tmp_path / "shards")])
    data = np.load(tmp_path / "shards" / "ganerated.npz")
    hands = data["present"]
    assert hands.sum() >= 2 and (data["side"][hands] == 0).all()  # GANerated hands are left hands
    assert data["images"].shape[1:] == (256, 256, 3) and data["visible"][hands].all()


def test_prepare_frames_packs_ganerated_frames_too(release, tmp_path):
    from train.__main__ import main

    root, truth = release
    main(["prepare-frames", "--ganerated", str(root), "--out", str(tmp_path / "frames")])
    data = np.load(tmp_path / "frames" / "ganerated.npz")
    assert len(data["n_boxes"]) == len(truth) and (data["n_boxes"] == 1).all()


def test_train_cli_reports_missing_shards_in_one_line(tmp_path):
    from train.__main__ import cli

    with pytest.raises(SystemExit) as exc:
        cli(["dump-crops", "--shards", str(tmp_path / "none"), "--out", str(tmp_path / "calib")])
    assert str(exc.value).startswith("python -m train: error: no crop shards")


def test_train_cli_reports_bad_labels_in_one_line_and_lets_bugs_keep_their_traceback(tmp_path, monkeypatch):
    import train.__main__ as train_main

    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"image": "a.png", "hands": [{"side": "up", "keypoints": [[1, 2]]}]}\n')
    with pytest.raises(SystemExit) as exc:
        train_main.cli(["prepare-crops", "--labels", str(bad), "--images", str(tmp_path), "--out", str(tmp_path / "o")])
    assert str(exc.value).startswith("python -m train: error: ") and "side must be one of" in str(exc.value)

    def broken(argv):
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr(train_main, "main", broken)
    with pytest.raises(ValueError, match="a bug"):
        train_main.cli([])
