"""train.agree: the hands two teacher runs agree on, as labels."""
from __future__ import annotations

import json

import numpy as np

from train.agree import agreed_hands, main


def hand(side: str, offset: float = 0.0, size: float = 100.0) -> dict:
    rng = np.random.default_rng(0)
    pts = rng.uniform(10, 10 + size, (21, 2))
    pts[0] = [10, 10]
    pts[1] = [10 + size, 10 + size]  # the box is size x size whatever the draw
    return {"side": side, "side_score": 0.9, "keypoints": (pts + offset).tolist()}


def test_a_hand_both_runs_put_in_the_same_place_is_kept_as_their_mean():
    a, b = hand("left"), hand("left", offset=4.0)  # 4 px apart on a 100 px hand
    (kept,) = agreed_hands([a], [b], width=400, height=400)
    got = np.asarray(kept["keypoints"], np.float64)
    np.testing.assert_allclose(got[:, :2], (np.asarray(a["keypoints"]) + np.asarray(b["keypoints"])) / 2, atol=0.01)
    assert kept["side"] == "left" and got[:, 2].all()


def test_hands_that_disagree_on_place_or_side_are_dropped():
    assert agreed_hands([hand("left")], [hand("left", offset=15.0)], 400, 400) == []  # 15% of the hand off
    assert agreed_hands([hand("left")], [hand("right")], 400, 400) == []
    assert agreed_hands([hand("left")], [], 400, 400) == []


def test_points_beyond_the_photo_are_kept_but_not_visible():
    a = hand("right")
    a["keypoints"][5] = [-30.0, 50.0]
    a["keypoints"][6] = [50.0, 130.0]  # below a 120-px-high photo
    (kept,) = agreed_hands([a], [a], width=200, height=120)
    vis = [v for _, _, v in kept["keypoints"]]
    assert vis[5] == 0 and vis[6] == 0 and sum(vis) == 19


def test_one_hand_of_the_second_run_matches_at_most_one_of_the_first():
    a = hand("left")
    assert len(agreed_hands([a, a], [a], 400, 400)) == 1


def test_cli_writes_rows_under_their_own_source(tmp_path):
    row = {"image": "s/1.jpg", "source": "s", "width": 400, "height": 400, "hands": [hand("left")]}
    empty = {"image": "s/2.jpg", "source": "s", "width": 400, "height": 400, "hands": []}
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(empty) + "\n")
    main([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "--out", str(tmp_path / "o.jsonl"), "--source", "rec"])
    (out,) = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert out["source"] == "rec" and out["teacher_source"] == "s" and len(out["hands"]) == 1
