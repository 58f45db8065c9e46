"""Scene negatives (train.data.scenes): which detections become candidates, the frame-row
numbering that keeps the detector's validation photos out, and packing only what the teacher
found no hand in."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from train.data.crops import load_shards
from train.data.records import HandLabel, ImageRecord
from train.data.scenes import CANDIDATES, VERDICTS, context_crop, frame_rows, pack_scene_crops, scene_boxes
from train.errors import TrainInputError


def test_a_detection_is_a_candidate_only_when_its_crop_touches_no_labelled_hand():
    hand = np.array([[100, 100, 140, 150]])
    boxes = np.array([[300, 300, 340, 340],    # far away
                      [145, 110, 175, 140],    # beside the hand: its 1.6x crop (x 136-184) reaches into it
                      [110, 110, 130, 130],    # on the hand
                      [200, 100, 230, 130]])   # 30 px wide, crop 48: ends at x 191, clear of 140
    assert scene_boxes(boxes, hand, 1.6).tolist() == [True, False, False, True]
    assert scene_boxes(boxes, np.zeros((0, 4)), 1.6).all()
    assert scene_boxes(np.zeros((0, 4)), hand, 1.6).shape == (0,)


def _hand(visible: int, side_score: float = 1.0) -> HandLabel:
    v = np.zeros(21, bool)
    v[:visible] = True
    return HandLabel(np.zeros((21, 2), np.float32), v, "left", {"side_score": side_score})


def test_frame_rows_number_photos_as_prepare_frames_packs_them():
    recs = [ImageRecord(Path("a0"), "a", [_hand(21)]),
            ImageRecord(Path("a1"), "a", [_hand(3)]),           # too few points: no frame row
            ImageRecord(Path("b0"), "b", [_hand(21)]),
            ImageRecord(Path("a2"), "a", [_hand(21, 0.5)]),     # unsure side: dropped by prepare-frames
            ImageRecord(Path("a3"), "a", [_hand(21, 0.5), _hand(21)]),
            ImageRecord(Path("b1"), "b", [])]
    assert [(r.image.name, i) for r, i in frame_rows(recs)] == [("a0", 0), ("b0", 0), ("a3", 1)]


def test_context_crop_centres_the_detection_at_the_tracker_crop_size():
    image = np.zeros((400, 400, 3), np.uint8)
    image[190:210, 190:210] = 255                          # a 20 px square at (200, 200)
    crop = context_crop(image, np.array([180.0, 180.0, 220.0, 220.0]), 1.6, 24.0, context=2.0, size=128)
    ys, xs = np.nonzero(crop[..., 0] > 127)                # 40 px box -> 64 px crop -> 128 px context
    assert abs(xs.mean() - 63.5) < 1 and abs(ys.mean() - 63.5) < 1 and 18 <= np.ptp(xs) + 1 <= 22


def _candidates(folder: Path, sources: list[str], hands: list[bool], verdicts: bool = True) -> None:
    folder.mkdir()
    with open(folder / CANDIDATES, "w") as c, open(folder / VERDICTS, "w") as v:
        for i, (source, hand) in enumerate(zip(sources, hands)):
            name = f"{i:06d}.png"
            cv2.imwrite(str(folder / name), np.full((32, 32, 3), i, np.uint8))
            c.write(json.dumps({"source": source, "image": "x.jpg", "box": [0, 0, 1, 1], "score": 0.2, "crop": name}) + "\n")
            if verdicts:
                v.write(json.dumps({"crop": name, "hand": hand}) + "\n")


def test_pack_keeps_only_crops_without_a_teacher_hand_as_no_hand_rows(tmp_path):
    _candidates(tmp_path / "c", ["a", "a", "b", "a", "a"], [False, True, False, False, False])
    counts = pack_scene_crops(tmp_path / "c", tmp_path / "out", num_keypoints=21, max_per_source=2)
    assert counts == {"a": 2, "b": 1}
    data = load_shards(sorted((tmp_path / "out").glob("*.npz")))
    assert data["images"].shape == (3, 32, 32, 3) and not data["present"].any() and not data["visible"].any()
    assert 1 not in data["images"][:, 0, 0, 0]              # the crop the teacher found a hand in


def test_pack_without_the_teachers_verdicts_names_the_missing_step(tmp_path):
    _candidates(tmp_path / "c", ["a"], [False], verdicts=False)
    (tmp_path / "c" / VERDICTS).unlink()
    with pytest.raises(TrainInputError, match="train.handcheck"):
        pack_scene_crops(tmp_path / "c", tmp_path / "out", num_keypoints=21)


def test_mining_skips_eval_sources_validation_photos_and_boxes_by_a_hand(tmp_path, monkeypatch):
    import livehand.detect
    from train.data.scenes import mine_scenes
    from train.loop import validation_mask

    image = tmp_path / "p.jpg"
    cv2.imwrite(str(image), np.full((200, 200, 3), 128, np.uint8))
    hand = HandLabel(np.array([[20.0 + i, 20.0 + i] for i in range(21)], np.float32), np.ones(21, bool), "left")
    recs = [ImageRecord(image, "train-src", [hand]) for _ in range(60)] + [ImageRecord(image, "heldout", [hand])]
    boxes = np.array([[150, 150, 170, 170], [25, 25, 35, 35]], np.float32)   # clear of the hand; on it
    monkeypatch.setattr(livehand.detect, "detect_hands", lambda *a, **k: (boxes, np.array([0.3, 0.9], np.float32)))
    counts = mine_scenes(recs, None, tmp_path / "c", 0.1, 1.6, 24.0, 0.1, ("heldout",))
    expected = int((~validation_mask(60, 0.1)).sum())
    assert 0 < expected < 60 and counts == {"train-src": expected}
    lines = [json.loads(x) for x in (tmp_path / "c" / CANDIDATES).read_text().splitlines()]
    assert len(lines) == expected and all(x["box"] == [150, 150, 170, 170] for x in lines)
    assert cv2.imread(str(tmp_path / "c" / lines[0]["crop"])).shape == (256, 256, 3)


def test_mark_puts_the_teachers_empty_candidates_into_the_frame_shards_in_letterbox_pixels(tmp_path):
    from train.data.frames import pack_frames
    from train.data.scenes import mark_false_boxes

    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), np.zeros((100, 200, 3), np.uint8))   # wide: letterboxed into 256 x 256
    hand = HandLabel(np.tile([[20.0, 30.0], [40.0, 60.0]], (11, 1))[:21].astype(np.float32), np.ones(21, bool),
                     "left", {"side_score": 1.0})
    recs = [ImageRecord(photo, "a", [hand])]
    pack_frames(recs, tmp_path / "frames")
    folder = tmp_path / "cand"
    folder.mkdir()
    with open(folder / CANDIDATES, "w") as c, open(folder / VERDICTS, "w") as v:
        for i, (box, is_hand) in enumerate([([100, 50, 120, 70], False), ([150, 10, 170, 30], True)]):
            c.write(json.dumps({"source": "a", "image": str(photo), "box": box, "score": 0.2, "crop": f"{i}.png"}) + "\n")
            v.write(json.dumps({"crop": f"{i}.png", "hand": is_hand}) + "\n")
    assert mark_false_boxes(recs, folder, tmp_path / "frames", tmp_path / "marked") == {"a": 1}
    data = load_shards([tmp_path / "marked" / "a.npz"])
    assert data["n_false"].tolist() == [1]
    # 200 px -> 256: scale 1.28; the 100 px height is centred (offset (256 - 128) / 2 = 64)
    expected = np.array([100, 50, 120, 70]) * 1.28 + [0.14, 64.0, 0.14, 64.0]
    assert np.allclose(data["false_boxes"][0, 0], expected, atol=0.5)
    assert np.allclose(data["boxes"], load_shards([tmp_path / "frames" / "a.npz"])["boxes"])


def test_shards_without_an_array_the_others_have_get_zeros_there(tmp_path):
    np.savez(tmp_path / "a.npz", images=np.zeros((2, 4, 4, 3), np.uint8), n_false=np.array([1, 2], np.int8))
    np.savez(tmp_path / "b.npz", images=np.zeros((3, 4, 4, 3), np.uint8))
    data = load_shards([tmp_path / "a.npz", tmp_path / "b.npz"])
    assert data["n_false"].tolist() == [1, 2, 0, 0, 0] and data["source_index"].tolist() == [0, 0, 1, 1, 1]
