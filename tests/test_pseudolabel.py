"""train.pseudolabel.teacher_hand: MediaPipe's output -> labels in the unmirrored photo."""
from __future__ import annotations

import pytest

from train.pseudolabel import teacher_hand


@pytest.mark.parametrize("mp_label, mirrored, side", [
    ("Right", False, "left"), ("Left", False, "right"),   # MediaPipe assumes a selfie image
    ("Right", True, "right"), ("Left", True, "left"),     # we mirrored it: its label is the person's
])
def test_side_is_the_persons_own_hand(mp_label, mirrored, side):
    assert teacher_hand(mp_label, 0.9, [(0.5, 0.5)], 100, 50, mirrored)["side"] == side


def test_a_point_found_in_the_mirrored_photo_maps_back_onto_the_same_pixel():
    w, h, x_px, y_px = 640, 480, 100.25, 200.0
    plain = teacher_hand("Left", 0.9, [(x_px / w, y_px / h)], w, h, mirrored=False)
    # in the mirrored photo the same point lies at w - x (normalized x spans [0, w])
    mirrored = teacher_hand("Right", 0.9, [((w - x_px) / w, y_px / h)], w, h, mirrored=True)
    assert plain["keypoints"] == mirrored["keypoints"] == [[x_px, y_px]]
    assert plain["side"] == mirrored["side"]


def test_manifest_jobs_keep_only_the_asked_sources(tmp_path):
    from train.pseudolabel import manifest_jobs

    (tmp_path / "manifest.csv").write_text("file,source,licence\na/1.jpg,a,x\nb/2.jpg,b,y\n")
    assert manifest_jobs(tmp_path) == [(str(tmp_path), "a/1.jpg", "a"), (str(tmp_path), "b/2.jpg", "b")]
    assert manifest_jobs(tmp_path, ["b"]) == [(str(tmp_path), "b/2.jpg", "b")]


@pytest.mark.parametrize("mirrored", [False, True])
def test_a_point_found_in_the_padded_photo_maps_back_onto_the_photos_pixel(mirrored):
    from train.pseudolabel import pad_border

    w, h, x_px, y_px = 300, 200, 10.5, 190.0
    b = pad_border(w, h, 0.5)
    assert b == 150
    big_w, big_h = w + 2 * b, h + 2 * b
    shown_x = b + x_px if not mirrored else big_w - (b + x_px)  # where the point is in what MediaPipe saw
    hand = teacher_hand("Left", 0.9, [(shown_x / big_w, (b + y_px) / big_h)], w, h, mirrored, border=b)
    assert hand["keypoints"] == [[x_px, y_px]]


def test_unlabelled_images_are_those_listed_without_a_hand(tmp_path):
    from train.pseudolabel import unlabelled_images

    labels = tmp_path / "l.jsonl"
    labels.write_text('{"image": "a.jpg", "hands": []}\n{"image": "b.jpg", "hands": [{"side": "left"}]}\n'
                      '{"image": "c.jpg", "error": "unreadable"}\n')
    assert unlabelled_images(labels) == {"a.jpg", "c.jpg"}
