"""The COCO-style hand loader on mmpose's samples in ../shared, label-file dispatch and round trip."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from livehand.skeleton import HAND21
from train.data.coco import read_coco
from train.data.labels import load_labels, write_jsonl
from train.data.records import read_jsonl

MMPOSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "labelled" / "mmpose"
FILES = {
    "freihand": "test_freihand.json", "onehand10k": "test_onehand10k.json", "panoptic": "test_panoptic.json",
    "rhd": "test_rhd.json", "interhand2.6m": "test_interhand2.6m_data.json",
    "coco_wholebody": "test_coco_wholebody.json",
}
# images, hands and sides per sample set (counted by hand from the JSON files)
EXPECTED = {
    "freihand": (8, ["unknown"] * 8),
    "onehand10k": (4, ["unknown"] * 4),
    "panoptic": (4, ["left", "right", "left", "right"]),
    "rhd": (3, ["left", "left", "right"]),
    "interhand2.6m": (4, ["right", "left", "right", "left", "left", "right"]),
    "coco_wholebody": (4, ["right", "left", "left", "right", "left", "left", "right", "right", "left", "right"]),
}
# HAND21 with each finger listed tip -> root: what an unmapped RHD file would look like
TIP_FIRST = [0] + [base + 3 - j for base in (1, 5, 9, 13, 17) for j in range(4)]


def load(name: str):
    path = MMPOSE / name / FILES[name]
    assert path.is_file(), f"the mmpose samples are expected at {MMPOSE}"
    return read_coco(path, source=name)


def bone_length(kps: np.ndarray, vis: np.ndarray) -> float:
    return sum(float(np.linalg.norm(kps[a] - kps[b])) for a, b in HAND21.bones if vis[a] and vis[b])


@pytest.mark.parametrize("name", list(FILES))
def test_sample_sets_load_with_counts_sides_and_images(name):
    records = load(name)
    n_images, sides = EXPECTED[name]
    assert len(records) == n_images
    assert [h.side for r in records for h in r.hands] == sides
    for r in records:
        assert r.image.is_file() and r.source == name
        for h in r.hands:
            assert h.keypoints.shape == (21, 2) and h.keypoints.dtype == np.float32 and h.visible.any()
            pts = h.keypoints[h.visible]
            assert (pts >= -1).all() and (pts[:, 0] <= r.extra["width"] + 1).all() \
                and (pts[:, 1] <= r.extra["height"] + 1).all()
    # HAND21 order: the skeleton's bones are shorter than with each finger reversed
    hands = [h for r in records for h in r.hands]
    shorter = [bone_length(h.keypoints, h.visible) < bone_length(h.keypoints[TIP_FIRST], h.visible[TIP_FIRST])
               for h in hands]
    assert np.mean(shorter) >= 0.75


def test_rhd_tip_first_order_is_remapped():
    for r in load("rhd"):
        (h,) = r.hands
        assert bone_length(h.keypoints, h.visible) < bone_length(h.keypoints[TIP_FIRST], h.visible[TIP_FIRST])


def test_interhand_projection_and_order():
    records = {r.image.name: r for r in load("interhand2.6m")}
    (thumbs_up,) = records["image2017.jpg"].hands
    assert int(np.argmin(thumbs_up.keypoints[:, 1])) == 4  # the thumb tip is the highest point
    (left,) = records["image29590.jpg"].hands  # the right hand's joints are invalid there
    assert left.side == "left" and left.visible.all()


def test_visibility_from_v():
    onehand = {r.image.name: r for r in load("onehand10k")}
    (h,) = onehand["9.jpg"].hands
    assert not h.visible[0] and h.visible[1:].all()  # the wrist is v=0 there
    wholebody = load("coco_wholebody")
    assert sum(len(r.hands) for r in wholebody) == 10  # 18 hands with all v = 0 are skipped


def test_panoptic_style_side_from_file_name(tmp_path):
    data = {"images": [{"id": 1, "file_name": "a_r.jpg"}, {"id": 2, "file_name": "b.jpg"}],
            "annotations": [{"id": 5, "image_id": 1, "keypoints": [1, 2, 2] * 17},
                            {"id": 6, "image_id": 2, "keypoints": [[1, 2, 0]] * 17}]}
    (tmp_path / "x.json").write_text(json.dumps(data))
    a, b = read_coco(tmp_path / "x.json")
    assert a.hands[0].side == "right" and a.hands[0].keypoints.shape == (17, 2)  # K from the data
    assert b.hands[0].side == "unknown" and not b.hands[0].visible.any()
    assert a.source == "x" and a.image == tmp_path / "a_r.jpg"


@pytest.mark.parametrize("content, needle", [
    ("{not json", "not valid JSON"),
    (json.dumps([1, 2]), "not COCO-style"),
    (json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}],
                 "annotations": [{"id": 9, "image_id": 1, "keypoints": [1, 2]}]}), "annotation 9"),
    (json.dumps({"images": [{"id": 1}], "annotations": []}), "malformed COCO"),
])
def test_malformed_coco_names_the_file(tmp_path, content, needle):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=needle) as err:
        read_coco(path)
    assert str(err.value).startswith(str(path))


def test_load_labels_dispatch_and_jsonl_round_trip(tmp_path):
    records = load("onehand10k") + load("panoptic")
    out = tmp_path / "sub" / "labels.jsonl"
    assert write_jsonl(records, out) == 8
    back = load_labels(out)
    assert [r.image.resolve() for r in back] == [r.image.resolve() for r in records]
    for a, b in zip(records, back):
        assert a.source == b.source and len(a.hands) == len(b.hands)
        for ha, hb in zip(a.hands, b.hands):
            np.testing.assert_allclose(ha.keypoints, hb.keypoints, atol=0.006)
            assert (ha.visible == hb.visible).all() and ha.side == hb.side
    assert len(load_labels(MMPOSE / "rhd" / "test_rhd.json")) == 3
    with pytest.raises(FileNotFoundError, match="label file not found"):
        load_labels(tmp_path / "missing.jsonl")
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="unknown label format"):
        load_labels(tmp_path / "x.csv")
    assert read_jsonl(out)[0].hands[0].extra == {}
