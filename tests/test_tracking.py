"""Tracking: geometry round trips, matching, handedness votes, and HandTracker over synthetic
sequences with fake backends that really look at the pixels they are given.

A synthetic hand is 21 gaussian dots on black: G = 255 at a dot's centre, R = 10 (k + 1) names
its keypoint k, B encodes the hand (B / 255 = P(right) the fake landmark model reports). Every
channel has the same profile, so any resampled pixel keeps R/G and B/G: the fakes find each
dot's intensity-weighted centroid in whatever crop or letterbox they are fed.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from livehand.decode import input_to_heatmap
from livehand.landmarks import Crop, merge_flipped, run_landmarks
from livehand.metadata import ModelMeta
from livehand.preprocess import crop_affine, invert_affine, transform_points
from livehand.tracking import (HandTracker, crop_close, crop_from_box, crop_from_keypoints, hand_size,
                               keypoint_distance,
                               match_boxes, merge_duplicates, person_right, resolve_sides, shrink_pairs,
                               vote_side)

RIGHT, LEFT = 242, 13  # B codes: P(right) = 0.95 / 0.05
DOT_SIGMA = 3.0  # px: smooth dots survive any resampling with their centroid intact


def hand_template() -> np.ndarray:
    """float64[21, 2]: an upright open hand, wrist at the origin, middle MCP 0.5 above, size ~1."""
    pts = [(0.0, 0.0)]
    for angle, base, step in ((-60, 0.2, 0.15), (-22, 0.45, 0.13), (0, 0.5, 0.14), (20, 0.46, 0.13),
                              (40, 0.4, 0.11)):
        a = math.radians(angle)
        pts += [(math.sin(a) * (base + step * j), -math.cos(a) * (base + step * j)) for j in range(4)]
    return np.array(pts)


def make_hand(center: tuple[float, float], size: float, angle_deg: float = 0.0) -> np.ndarray:
    """float64[21, 2] frame px: the template scaled, rotated (clockwise on screen) and placed."""
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (hand_template() - [0, -0.45]) * size @ rot.T + center


def render(hands: list[tuple[np.ndarray, int]], hw: tuple[int, int] = (480, 640)) -> np.ndarray:
    """uint8[H, W, 3] BGR: each (keypoints float[21, 2], B code) drawn as 21 gaussian dots."""
    img = np.zeros((*hw, 3), np.float64)
    for kps, code in hands:
        for k, (x, y) in enumerate(kps):
            x0, y0 = max(int(x) - 10, 0), max(int(y) - 10, 0)
            ys, xs = np.mgrid[y0:min(int(y) + 11, hw[0]), x0:min(int(x) + 11, hw[1])]
            g = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * DOT_SIGMA ** 2))[..., None]
            patch = img[y0:y0 + g.shape[0], x0:x0 + g.shape[1]]
            np.maximum(patch, g * (code, 255, 10 * (k + 1)), out=patch)
    return np.rint(img).astype(np.uint8)


def dots(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float[S, S, 3] RGB -> (ys, xs, weight) of dot pixels float[P, 3], keypoint index int[P],
    B code int[P] (rounding makes the code wobble by a unit or two; see same_code)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    ys, xs = np.nonzero(g > 60)  # fainter pixels lose the ratios to uint8 rounding
    w = g[ys, xs]
    k = np.rint(r[ys, xs] * 255 / w / 10 - 1).astype(int)
    code = np.rint(b[ys, xs] * 255 / w).astype(int)
    return np.stack([ys, xs, w], 1), k, code


def same_code(code: np.ndarray) -> list[np.ndarray]:
    """int[P] -> one bool[P] mask per hand, most pixels first (codes within 4 are one hand)."""
    masks, left = [], np.ones(len(code), bool)
    while left.any():
        main = np.bincount(code[left], minlength=256)
        main = int(np.convolve(main, np.ones(9), "same").argmax())
        m = left & (np.abs(code - main) <= 4)
        masks.append(m)
        left &= ~m
    return masks


def unnormalize(batch: np.ndarray, meta: ModelMeta) -> np.ndarray:
    return batch.transpose(0, 2, 3, 1) * np.asarray(meta.std) + np.asarray(meta.mean)


def gaussian_map(size: int, x: float, y: float, sigma: float = 1.2) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size]
    return np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma ** 2)).astype(np.float32)


class FakeLandmarks:
    """Landmark model stand-in: heatmaps peak at each dot's centroid in the crop (a faint guess at
    the crop centre for a dot it cannot see); presence is the share of the 21 dots found;
    handedness is the crop's dominant B code / 255."""

    def __init__(self):
        self.meta = ModelMeta(kind="landmarks", input_size=128, stride=4, box_scale=1.6)
        self.name = "fake"
        self.batches: list[int] = []

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        self.batches.append(len(batch))
        s, hm = self.meta.input_size, self.meta.input_size // self.meta.stride
        heat = np.zeros((len(batch), 21, hm, hm), np.float32)
        presence = np.zeros(len(batch), np.float32)
        right = np.full(len(batch), 0.5, np.float32)
        for i, img in enumerate(unnormalize(batch, self.meta)):
            pix, k, code = dots(img)
            if not len(pix):
                continue
            main = same_code(code)[0]  # the hand this crop is mostly about
            right[i] = np.median(code[main]) / 255
            for j in range(21):
                sel = (k == j) & main
                if pix[sel, 2].sum() < 255:  # less than one dot centre's worth: not in the crop,
                    heat[i, j] = 0.05 * gaussian_map(hm, hm / 2 - 0.5, hm / 2 - 0.5)  # so a weak guess
                    continue
                # the dot's bright core: an edge pixel of a neighbouring dot can read as this
                # keypoint when rounding wobbles its colour ratio (seen with OpenCV 5.1's warp)
                sel &= pix[:, 2] >= 0.5 * pix[sel, 2].max()
                w = pix[sel, 2] / pix[sel, 2].sum()
                y, x = (pix[sel, :2] * w[:, None]).sum(0)
                heat[i, j] = gaussian_map(hm, *input_to_heatmap(np.array([x, y]), self.meta.stride))
                presence[i] += 1 / 21
        assert s == batch.shape[-1]
        return {"heatmaps": heat, "presence": presence, "handedness": right}


class FakeDetector:
    """Detector stand-in: a centre peak and a box size for every B code seen in the letterbox."""

    def __init__(self):
        self.meta = ModelMeta(kind="detector", input_size=192, stride=4)
        self.name = "fake"
        self.calls = 0
        self.batches: list[int] = []

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        self.calls += 1
        self.batches.append(len(batch))
        s, hm = self.meta.input_size, self.meta.input_size // self.meta.stride
        centers = np.zeros((len(batch), 1, hm, hm), np.float32)
        sizes = np.zeros((len(batch), 2, hm, hm), np.float32)
        for b, image in enumerate(unnormalize(batch, self.meta)):  # one per detector pass
            pix, _, code = dots(image)
            for hand in same_code(code):
                p = pix[hand]
                if p[:, 2].sum() < 2 * 255:  # a stray pixel whose code rounding wandered off
                    continue
                (y0, x0), (y1, x1) = p[:, :2].min(0), p[:, :2].max(0)
                cx, cy = input_to_heatmap(np.array([(x0 + x1) / 2, (y0 + y1) / 2]), self.meta.stride)
                centers[b, 0] = np.maximum(centers[b, 0], 0.9 * gaussian_map(hm, cx, cy, 1.5))
                ix, iy = int(round(cx)), int(round(cy))
                wh = np.array([x1 - x0, y1 - y0])[:, None, None] / s
                sizes[b, :, max(iy - 1, 0):iy + 2, max(ix - 1, 0):ix + 2] = wh
        return {"centers": centers, "sizes": sizes}


def tracker(**kw) -> tuple[HandTracker, FakeLandmarks, FakeDetector]:
    """Flip test off unless asked for: the fake reads handedness from colour, which a mirror keeps."""
    kw.setdefault("flip_test", False)
    lm, det = FakeLandmarks(), FakeDetector()
    return HandTracker(lm, det, **kw), lm, det


# --- geometry -------------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 35.0, -120.0, 180.0])
def test_keypoint_crop_is_upright_and_round_trips(angle):
    kps = make_hand((300.0, 250.0), 180.0, angle)
    crop = crop_from_keypoints(kps, 1.6, 24.0)
    assert crop.angle == pytest.approx(math.radians(angle), abs=1e-9) or \
        abs(abs(crop.angle - math.radians(angle)) - 2 * math.pi) < 1e-9
    aff = crop_affine(np.array(crop.center), crop.side, crop.angle, 128)
    in_crop = transform_points(kps, aff)
    # Upright: the middle MCP is straight above the wrist, and the whole hand is inside the crop.
    assert abs(in_crop[9, 0] - in_crop[0, 0]) < 1e-6 and in_crop[9, 1] < in_crop[0, 1]
    assert in_crop.min() > 10 and in_crop.max() < 117
    assert np.abs(transform_points(in_crop, invert_affine(aff)) - kps).max() < 1e-9


@pytest.mark.parametrize("angle", [0.0, 30.0, -75.0])
def test_warp_and_inverse_recover_keypoints_below_half_a_pixel(angle):
    """Crop warp -> (fake) model -> heatmap decode -> inverse affine lands on the dots."""
    kps = make_hand((320.3, 240.7), 170.0, angle)
    frame = render([(kps, RIGHT)])
    lm = FakeLandmarks()
    crop = crop_from_keypoints(kps + [6.0, -4.0], lm.meta.box_scale, 24.0)  # a slightly off crop
    res = run_landmarks(lm, frame, [crop])
    err = np.linalg.norm(res.keypoints[0, :, :2] - kps, axis=1)
    assert err.max() < 0.5, err.max()
    assert res.presence[0] == pytest.approx(1.0) and res.right[0] == pytest.approx(RIGHT / 255)


def test_flip_test_lands_on_the_same_keypoints():
    """Mirrored crops go through the model too; flipped back, their heatmaps peak where the
    plain ones do, so the averaged keypoints still land on the dots."""
    kps = make_hand((300.0, 250.0), 160.0, 20.0)
    lm = FakeLandmarks()
    crop = crop_from_keypoints(kps + [5.0, 3.0], lm.meta.box_scale, 24.0)
    res = run_landmarks(lm, render([(kps, RIGHT)]), [crop, crop], flip_test=True)
    assert lm.batches == [4]  # both crops and their mirrors in one batch
    assert np.linalg.norm(res.keypoints[:, :, :2] - kps, axis=-1).max() < 0.5


def test_merge_flipped_turns_the_mirrored_half_round():
    rng = np.random.default_rng(0)
    heat = rng.random((2, 21, 8, 8)).astype(np.float32)
    out = {"heatmaps": np.concatenate([heat, heat[..., ::-1]]), "presence": np.array([0.9, 0.2, 0.7, 0.4]),
           "handedness": np.array([0.8, 0.3, 0.2, 0.7])}  # a right hand mirrored reads as a left one
    merged = merge_flipped(out, 2)
    np.testing.assert_allclose(merged["heatmaps"], heat)
    np.testing.assert_allclose(merged["presence"], [0.8, 0.3])
    np.testing.assert_allclose(merged["handedness"], [0.8, 0.3])


def test_crop_from_box_and_hand_size():
    crop = crop_from_box(np.array([100.0, 50.0, 200.0, 250.0]), 1.5, 24.0)
    assert crop == Crop((150.0, 150.0), 300.0, 0.0)
    assert crop_from_box(np.array([0.0, 0.0, 2.0, 2.0]), 1.5, 24.0).side == 24.0
    a = make_hand((0.0, 0.0), 100.0, 0.0)
    assert hand_size(make_hand((50.0, 9.0), 100.0, 70.0)) == pytest.approx(hand_size(a))
    assert hand_size(make_hand((0.0, 0.0), 300.0, 0.0)) == pytest.approx(3 * hand_size(a))


# --- matching and merging -------------------------------------------------------------------

def test_match_boxes_greedy_one_to_one():
    a = np.array([[0, 0, 10, 10], [100, 100, 120, 120], [300, 300, 310, 310]], float)
    b = np.array([[101, 101, 121, 121], [1, 0, 11, 10], [2, 0, 12, 10]], float)
    assert sorted(match_boxes(a, b, 0.3)) == [(0, 1), (1, 0)]
    assert match_boxes(a, np.zeros((0, 4)), 0.3) == []


def test_keypoint_distance_is_in_hand_sizes_and_merge_keeps_first():
    a = make_hand((100.0, 100.0), 100.0)
    b = make_hand((400.0, 100.0), 100.0)
    big = make_hand((100.0, 300.0), 400.0)
    d = keypoint_distance(np.stack([a, big]), np.stack([a + 10, big + 40, b]))
    assert d.shape == (2, 3)
    assert d[0, 0] == pytest.approx(math.hypot(10, 10) / hand_size(a))
    assert d[1, 1] == pytest.approx(d[0, 0])  # the same move relative to the hand's size
    assert d[0, 2] == pytest.approx(300 / hand_size(a))
    assert merge_duplicates(np.stack([a, b, a + 3, b + 50]), 0.25, 0.7) == [0, 1, 3]
    # Hands side by side with overlapping boxes but different keypoints stay apart.
    flipped = (a - a.mean(0)) * [-1, 1] + a.mean(0) + [30, 0]
    assert merge_duplicates(np.stack([a, flipped]), 0.25, 0.7) == [0, 1]
    assert merge_duplicates(np.zeros((0, 21, 2)), 0.25, 0.7) == []


# --- handedness -------------------------------------------------------------------------------

def test_vote_side_hysteresis_and_cap():
    ev, side = vote_side(0.0, None, 0.9, cap=30.0, margin=5.0)
    assert side == "right"
    for _ in range(40):
        ev, side = vote_side(ev, side, 0.9, 30.0, 5.0)
    assert ev == 30.0  # capped, so contrary evidence can still win later
    for _ in range(3):  # a short run of wrong votes is flicker: ignored
        ev, side = vote_side(ev, side, 0.05, 30.0, 5.0)
    assert side == "right"
    flips = None
    for n in range(1, 30):  # a sustained contrary model wins within a bounded number of frames
        ev, side = vote_side(ev, side, 0.05, 30.0, 5.0)
        if side == "left":
            flips = n
            break
    assert flips is not None and flips < 10
    ev, side = vote_side(ev, side, 0.6, 30.0, 5.0)
    assert side == "left"  # a single weak opposite vote never flips it back
    # Crossing zero is not enough either way: the evidence must pass the margin.
    assert vote_side(1.0, "right", 0.2, 30.0, 5.0) == (pytest.approx(1.0 - math.log(4)), "right")
    assert vote_side(-1.0, "left", 0.8, 30.0, 5.0) == (pytest.approx(-1.0 + math.log(4)), "left")
    assert vote_side(-4.0, "left", 0.9, 30.0, 5.0)[1] == "left"
    assert vote_side(4.0, "left", 0.9, 30.0, 5.0)[1] == "right"


def test_resolve_sides_one_left_one_right():
    assert resolve_sides(["right", "right"], [10.0, 3.0], 2) == ["right", "left"]
    assert resolve_sides(["right", "right"], [3.0, 10.0], 2) == ["left", "right"]
    assert resolve_sides(["left", "left"], [-2.0, -9.0], 2) == ["right", "left"]
    assert resolve_sides(["right", "right"], [4.0, 4.0], 2) == ["right", "left"]  # tie: newer yields
    assert resolve_sides(["right", "right"], [10.0, 3.0], 4) == ["right", "right"]
    assert resolve_sides(["left", "right"], [-1.0, 1.0], 2) == ["left", "right"]


def test_mirror_swaps_the_side():
    assert person_right(0.9, mirror=False) == 0.9
    assert person_right(0.9, mirror=True) == pytest.approx(0.1)
    frame = render([(make_hand((320.0, 240.0), 150.0), RIGHT)])
    for mirror, want in ((False, "right"), (True, "left")):
        for static in (False, True):
            hands = tracker(mirror=mirror, static=static)[0].process(frame, 0.0)
            assert [h.side for h in hands] == [want]


def test_one_left_one_right_applies_to_tracking_not_to_single_images():
    """Two hands the model calls right: live tracking of one person makes one of them left; a
    photo (static mode) reports each hand's own side, as it may show several people's hands."""
    also_right = 215  # P(right) 0.84: the fake tells hands apart by their code
    frame = render([(make_hand((180.0, 240.0), 150.0), RIGHT), (make_hand((470.0, 240.0), 150.0), also_right)])
    assert sorted(h.side for h in tracker(static=False)[0].process(frame, 0.0)) == ["left", "right"]
    assert [h.side for h in tracker(static=True)[0].process(frame, 0.0)] == ["right", "right"]


# --- HandTracker ------------------------------------------------------------------------------

def two_hand_sequence(n: int):
    """Frames of a right hand moving down-right and a left hand rotating and growing, 30 fps."""
    for i in range(n):
        a = make_hand((160.0 + 3 * i, 120.0 + 6 * i), 150.0, 10.0 * math.sin(i / 5))
        b = make_hand((480.0, 250.0 - 2 * i), 120.0 + i, -20.0 - 2 * i)
        yield i / 30, render([(a, RIGHT), (b, LEFT)]), a, b


def test_ids_sides_and_keypoints_stable_over_a_sequence():
    trk, lm, det = tracker(smoothing=False, detect_every=5)
    ids = None
    for i, (t, frame, a, b) in enumerate(two_hand_sequence(40)):
        hands = trk.process(frame, t)
        assert len(hands) == 2 and hands[0].id < hands[1].id
        ha, hb = sorted(hands, key=lambda h: np.abs(h.keypoints[:, :2] - a).max())
        ids = ids or (ha.id, hb.id)
        assert (ha.id, hb.id) == ids and {ha.id, hb.id} == {0, 1}, i
        assert (ha.side, hb.side) == ("right", "left")
        assert np.abs(ha.keypoints[:, :2] - a).max() < 0.5
        assert np.abs(hb.keypoints[:, :2] - b).max() < 0.5
        assert ha.keypoints.shape == (21, 3) and ha.keypoints.dtype == np.float32
        assert ha.box == pytest.approx(tuple(a.min(0)) + tuple(a.max(0)), abs=0.5)
        assert set(trk.last_timings) == {"preprocess", "inference", "decode", "tracking"}
    # Both hands were found at once; after that the keypoints carried the crops: no detector,
    # and every frame was exactly one landmark batch holding both hands.
    assert trk.detector_runs == det.calls == 1
    assert lm.batches == [2] * 40 and trk.frames == 40


def test_lost_hand_dies_gets_redetected_with_a_new_id():
    trk, lm, det = tracker(smoothing=False, detect_every=3)
    a = make_hand((200.0, 240.0), 150.0)
    b = make_hand((450.0, 240.0), 150.0)
    both, only_a = render([(a, RIGHT), (b, LEFT)]), render([(a, RIGHT)])
    t = 0.0
    assert [h.id for h in trk.process(both, t)] == [0, 1]
    ids = []
    for i in range(1, 8):  # b leaves: its track dies at once; the detector looks every 3 frames
        ids.append([h.id for h in trk.process(only_a, i / 30)])
    assert ids == [[0]] * 7
    assert det.calls == 1 + 2  # frames 4 and 7 (counting from 1), rate-limited
    assert lm.batches[:3] == [2, 2, 1]  # b's crop ran once more, found nothing, and stopped
    for i in range(8, 11):  # b is back: the detector's next turn (frame 10) finds it
        hands = trk.process(both, i / 30)
    assert det.calls == 4
    assert [(h.id, h.side) for h in hands] == [(0, "right"), (2, "left")]  # b is a new hand


def test_max_hands_one_never_runs_the_detector_again():
    trk, lm, det = tracker(max_hands=1, smoothing=False)
    frame = render([(make_hand((200.0, 240.0), 150.0), RIGHT), (make_hand((450.0, 240.0), 150.0), LEFT)])
    for i in range(10):
        hands = trk.process(frame, i / 30)
        assert len(hands) == 1 and hands[0].id == 0
    # The first batch tries both detections (a false one must not hide a real hand); one is kept.
    assert det.calls == 1 and lm.batches == [2] + [1] * 9


def test_duplicate_tracks_merge_into_the_older_id():
    trk, lm, det = tracker(smoothing=False)
    a = make_hand((300.0, 240.0), 150.0)
    frame = render([(a, RIGHT)])
    trk.process(frame, 0.0)
    (first,) = trk.tracks
    ghost = trk._start(first.keypoints + np.float32([12.0, 8.0, 0.0]), 0.9, 0.95, 0.0)  # a second track on it
    trk.tracks.append(ghost)
    hands = trk.process(frame, 1 / 30)
    assert [h.id for h in hands] == [0]
    assert lm.batches[-1] == 2  # both crops ran, then merged


def test_both_right_hands_become_one_left_one_right():
    trk = tracker(smoothing=False)[0]
    frame = render([(make_hand((200.0, 240.0), 150.0), RIGHT), (make_hand((450.0, 240.0), 150.0), 200)])
    for i in range(5):
        hands = trk.process(frame, i / 30)
        assert sorted(h.side for h in hands) == ["left", "right"]
        surer = next(h for h in hands if h.box[0] < 320)  # p(right) 0.95 against 0.78
        assert surer.side == "right"
    trk4 = tracker(smoothing=False, max_hands=4)[0]
    assert [h.side for h in trk4.process(frame, 0.0)] == ["right", "right"]


def test_smoothing_cuts_jitter_of_a_still_hand():
    rng = np.random.default_rng(0)
    base = make_hand((320.0, 240.0), 160.0)
    frames = [render([(base + rng.normal(0, 1.0, base.shape), RIGHT)]) for _ in range(40)]
    jitter = {}
    for smoothing in (False, True):
        trk = tracker(smoothing=smoothing)[0]
        for i, frame in enumerate(frames):
            hands = trk.process(frame, i / 30)
        jitter[smoothing] = trk.jitter
        assert len(hands) == 1
    assert jitter[False] > 1.0  # the noise is there (about 1.4 px RMS frame to frame)
    assert jitter[True] < jitter[False] / 3


def test_reset_forgets_hands():
    trk, _, det = tracker()
    frame = render([(make_hand((300.0, 240.0), 150.0), RIGHT)])
    trk.process(frame, 0.0)
    trk.process(frame, 1 / 30)
    trk.reset()
    assert trk.tracks == [] and trk.frames == 0 and trk.jitter == 0.0
    assert [h.id for h in trk.process(frame, 2 / 30)] == [0] and det.calls == 2


def test_static_mode_is_independent_per_image():
    trk, lm, det = tracker(static=True)
    a = make_hand((200.0, 240.0), 150.0, 40.0)
    b = make_hand((450.0, 240.0), 130.0)
    for i in range(3):
        hands = trk.process(render([(a + 5 * i, RIGHT), (b, LEFT)]), 0.0)
        assert sorted(h.id for h in hands) == [0, 1]
        assert sorted(h.side for h in hands) == ["left", "right"]
        right = next(h for h in hands if h.side == "right")
        assert np.abs(right.keypoints[:, :2] - (a + 5 * i)).max() < 0.75  # raw, not smoothed
    assert det.calls == 3 and lm.batches == [2, 2] * 3  # detector crop, then the refinement pass
    assert trk.jitter == 0.0
    assert tracker(static=True)[0].process(np.zeros((120, 160, 3), np.uint8), 0.0) == []


@pytest.mark.parametrize("static,tuning,batch", [
    (True, {}, 2),                             # still images: plain + margin pass
    (True, {"detect_flip_test": True}, 4),     # ... each also mirrored
    (False, {}, 1),                            # video: the plain pass
    (False, {"detect_flip_test": True}, 2),
])
def test_detector_flip_test_doubles_the_detector_batch_and_finds_the_same_hands(static, tuning, batch):
    trk, _, det = tracker(static=static, **tuning)
    a, b = make_hand((200.0, 240.0), 150.0, 40.0), make_hand((450.0, 240.0), 130.0)
    hands = trk.process(render([(a, RIGHT), (b, LEFT)]), 0.0)
    assert det.batches == [batch]
    assert sorted(h.side for h in hands) == ["left", "right"]
    right = next(h for h in hands if h.side == "right")
    assert np.abs(right.keypoints[:, :2] - a).max() < 0.75


class ScheduledPresence(FakeLandmarks):
    """The fake's keypoints, with the presence of each batch call taken from a list."""

    def __init__(self, presences: list[float]):
        super().__init__()
        self.presences = list(presences)

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        out = super().infer(batch)
        out["presence"] = np.full(len(batch), self.presences[len(self.batches) - 1], np.float32)
        return out


@pytest.mark.parametrize("presences, tuning, found, passes", [
    ([0.3, 0.95], {}, 1, 2),                           # low on the box crop, sure once upright
    ([0.3, 0.6], {}, 0, 2),                            # upright but not sure enough
    ([0.05, 0.95], {}, 0, 1),                          # under the floor: no second pass
    ([0.3, 0.95], {"second_look": 1.0}, 0, 1),         # second look off
    ([0.7, 0.6], {}, 1, 2),                            # a sure hand needs only min_presence
])
def test_still_image_second_look(presences, tuning, found, passes):
    lm, det = ScheduledPresence(presences), FakeDetector()
    trk = HandTracker(lm, det, max_hands=2, static=True, flip_test=False, second_look_accept=0.9,
                      **{"second_look": 0.1, **tuning})
    hands = trk.process(render([(make_hand((250.0, 240.0), 150.0, 60.0), RIGHT)]), 0.0)
    assert len(hands) == found and len(lm.batches) == passes


class DecoyDetector(FakeDetector):
    """The fake detector, plus confident peaks on empty background, ranked above every hand."""

    def __init__(self, decoys: list[tuple[float, float]]):
        super().__init__()
        self.decoys = decoys  # (x, y) in detector heatmap cells

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        out = super().infer(batch)
        hm = out["centers"].shape[-1]
        for x, y in self.decoys:
            out["centers"][:, 0] = np.maximum(out["centers"][:, 0], 0.95 * gaussian_map(hm, x, y, 1.5))
            out["sizes"][:, :, int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2] = 0.2
        return out


@pytest.mark.parametrize("static", [True, False])
@pytest.mark.parametrize("candidates, found", [(2, 0), (3, 1)])
def test_candidates_let_a_hand_ranked_under_false_detections_through(candidates, found, static):
    det = DecoyDetector([(6.0, 14.0), (6.0, 34.0)])  # two empty patches at the left edge, scored 0.95
    trk = HandTracker(FakeLandmarks(), det, max_hands=1, static=static, flip_test=False,
                      candidates=candidates, detect_margins=(0.0,), start_presence=0.5)
    hands = trk.process(render([(make_hand((420.0, 240.0), 150.0), RIGHT)]), 0.0)
    assert len(hands) == found


@pytest.mark.parametrize("presences, tuning, started, passes", [
    ([0.3, 0.97], {}, 1, 2),                           # unsure on the box crop, sure once upright
    ([0.3, 0.9], {}, 0, 2),                            # upright, but under the accept level
    ([0.1, 0.97], {}, 0, 1),                           # under the floor: no second pass
    ([0.3, 0.97], {"start_second_look": 1.0}, 0, 1),   # off
    ([0.6, 0.2], {}, 1, 1),                            # over the start presence: no second pass
])
def test_video_second_look_for_a_new_track(presences, tuning, started, passes):
    lm, det = ScheduledPresence(presences), FakeDetector()
    trk = HandTracker(lm, det, max_hands=1, flip_test=False, start_presence=0.5, start_second_look_accept=0.95,
                      **{"start_second_look": 0.2, **tuning})
    hands = trk.process(render([(make_hand((250.0, 240.0), 150.0, 60.0), RIGHT)]), 0.0)
    assert len(hands) == started and len(lm.batches) == passes


def test_unknown_tuning_name_is_an_error():
    with pytest.raises(TypeError):
        tracker(min_presense=0.3)
    trk = tracker(min_cutoff=0.5, beta=3.0, detect_every=2)[0]
    assert trk.config.one_euro.min_cutoff == 0.5 and trk.config.one_euro.beta == 3.0
    assert trk.config.detect_every == 2


def test_end_to_end_on_random_weight_models(random_landmark_model, random_detector_model):
    from livehand.backends.base import load_backend

    lm, det = load_backend(random_landmark_model), load_backend(random_detector_model)
    frame = np.random.default_rng(0).integers(0, 255, (240, 320, 3), np.uint8)
    for static in (False, True):
        # Random weights: accept everything so that hands come out and their shapes can be checked.
        trk = HandTracker(lm, det, max_hands=2, static=static, detect_threshold=0.0, min_presence=0.0,
                          start_presence=0.0)
        for i in range(3):
            hands = trk.process(frame, i / 30)
            assert 1 <= len(hands) <= 2
            for h in hands:
                assert h.keypoints.shape == (21, 3) and h.keypoints.dtype == np.float32
                assert np.isfinite(h.keypoints).all() and h.side in ("left", "right")
                assert len(h.box) == 4 and 0.0 <= h.score <= 1.0
            assert set(trk.last_timings) == {"preprocess", "inference", "decode", "tracking"}
            assert all(v >= 0 for v in trk.last_timings.values())
        assert trk.frames == 3 and trk.detector_runs >= 1
        assert len({h.id for h in hands}) == len(hands)


def test_fast_hand_is_kept_by_motion_prediction():
    """A hand speeding up to 80 px/frame (half its size): the crop must lead it to keep all of it."""
    xs = 110.0 + np.cumsum([0, 20, 40, 60, 80, 80])

    def run(predict: float) -> tuple[float, int]:
        trk, _, det = tracker(smoothing=False, predict=predict, max_hands=1)
        worst = 0.0
        for i, x in enumerate(xs):
            kps = make_hand((x, 240.0), 150.0)
            hands = trk.process(render([(kps, RIGHT)]), i / 30)
            worst = max(worst, np.abs(hands[0].keypoints[:, :2] - kps).max() if hands else np.inf)
        return worst, det.calls

    worst, calls = run(1.0)
    assert worst < 0.5 and calls == 1
    worst, calls = run(0.0)
    assert worst > 5 or calls > 1  # without prediction the crop trails and loses part of the hand


def test_crop_close_in_centre_size_and_angle():
    base = Crop((100.0, 100.0), 200.0, 0.1)
    assert crop_close(Crop((105.0, 103.0), 205.0, 0.12), base, 0.06)
    assert not crop_close(Crop((115.0, 100.0), 200.0, 0.1), base, 0.06)   # moved 7.5% of the side
    assert not crop_close(Crop((100.0, 100.0), 220.0, 0.1), base, 0.06)   # 10% bigger
    assert not crop_close(Crop((100.0, 100.0), 200.0, 0.2), base, 0.06)   # turned 0.1 rad
    assert crop_close(Crop((100.0, 100.0), 200.0, 0.1 + 2 * math.pi - 0.01), base, 0.06)  # wraps
    assert not crop_close(Crop((100.0, 100.0), 200.0, 0.1), base, 0.0)    # 0: never held


def test_crop_hold_keeps_a_slow_hand_s_crop_still_and_its_keypoints_right():
    """A hand creeping 1 px/frame: with crop_hold the model sees the same crop until the hand has
    moved a few % of it (still input, steadier keypoints); without, a new crop every frame."""
    def run(hold: float) -> tuple[int, float]:
        trk, _, _ = tracker(smoothing=False, crop_hold=hold, max_hands=1)
        crops, worst = [], 0.0
        for i in range(30):
            kps = make_hand((200.0 + i, 240.0), 150.0)
            hands = trk.process(render([(kps, RIGHT)]), i / 30)
            worst = max(worst, np.abs(hands[0].keypoints[:, :2] - kps).max())
            crops.append(trk.tracks[0].crop)
        return len({(c.center, c.side, c.angle) for c in crops}), worst

    held, worst = run(0.06)
    assert held <= 3 and worst < 0.5
    moving, worst = run(0.0)
    assert moving >= 25 and worst < 0.5


def test_weak_track_calls_the_detector_at_once_then_rate_limited():
    trk, lm, det = tracker(max_hands=1, smoothing=False, detect_every=5)
    kps = make_hand((300.0, 240.0), 150.0)
    whole = render([(kps, RIGHT)])
    occluded = render([(kps[:14], RIGHT)])  # 7 dots hidden: presence 2/3, weak but alive
    calls = []
    for i in range(12):
        hands = trk.process(whole if i < 3 else occluded, i / 30)
        assert [h.id for h in hands] == [0]
        calls.append(det.calls)
    # Frame 1 finds the hand; frame 4 sees it weaken, so frame 5 re-detects at once; while it
    # stays weak the detector runs every 5 frames (frame 10), not every frame.
    assert calls == [1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3]
    assert np.abs(hands[0].keypoints[:14, :2] - kps[:14]).max() < 0.5


def test_a_new_hand_needs_start_presence_but_a_tracked_one_lives_down_to_min_presence():
    """Hysteresis: a face can pass min_presence on a detector crop, so a track starts only at the
    landmark model's start presence (its metadata, 0.75 here) and dies below min_presence (0.5)."""
    trk, _, _ = tracker(max_hands=1, smoothing=False, detect_every=1)
    assert trk.config.start_presence == 0.75
    kps = make_hand((300.0, 240.0), 150.0)
    whole, occluded = render([(kps, RIGHT)]), render([(kps[:14], RIGHT)])  # presence 1 and 2/3
    assert trk.process(occluded, 0.0) == []
    assert [h.id for h in trk.process(whole, 1 / 30)] == [0]
    assert [h.id for h in trk.process(occluded, 2 / 30)] == [0]
    trk2, _, _ = tracker(max_hands=1, smoothing=False, start_presence=0.5)
    assert len(trk2.process(occluded, 0.0)) == 1


def test_start_presence_comes_from_the_model_unless_given():
    kps = make_hand((300.0, 240.0), 150.0)
    occluded = render([(kps[:14], RIGHT)])  # presence 2/3
    for model_start, given, found in ((0.6, None, 1), (0.7, None, 0), (0.7, 0.6, 1)):
        lm = FakeLandmarks()
        lm.meta = replace(lm.meta, start_presence=model_start)
        trk = HandTracker(lm, FakeDetector(), max_hands=1, smoothing=False, flip_test=False,
                          **({} if given is None else {"start_presence": given}))
        assert trk.config.start_presence == (given or model_start)
        assert len(trk.process(occluded, 0.0)) == found


def test_detection_re_anchors_only_a_weak_track():
    trk, _, det = tracker(smoothing=False)
    kps = make_hand((300.0, 240.0), 150.0, 30.0)
    frame = render([(kps, RIGHT)])
    trk.process(frame, 0.0)
    trk.process(frame, 1 / 30)
    (track,) = trk.tracks
    keypoint_crop = trk._next_crop(track, 2 / 30)
    assert keypoint_crop.angle != 0.0  # upright keypoint crop of a tilted hand
    for score, anchored in ((0.95, False), (0.6, True)):
        track.score = score
        crops = [keypoint_crop]
        assert trk._new_hand_crops(frame, crops, {}) == []  # the hand is tracked: nothing new
        assert (crops[0] != keypoint_crop) == anchored
        if anchored:  # the detector's unrotated box crop around the same hand
            assert crops[0].angle == 0.0
            assert np.allclose(crops[0].center, (kps.min(0) + kps.max(0)) / 2, atol=3.0)


def test_shrink_pairs_takes_a_smaller_detection_centred_in_a_track_box():
    track = np.array([[100.0, 100.0, 400.0, 500.0]])  # side 400
    assert shrink_pairs(np.array([[150.0, 300.0, 400.0, 500.0]]), track, 0.7) == [(0, 0)]  # side 250, inside
    assert shrink_pairs(np.array([[100.0, 100.0, 400.0, 420.0]]), track, 0.7) == []  # side 320: the same hand
    assert shrink_pairs(np.array([[380.0, 300.0, 600.0, 500.0]]), track, 0.7) == []  # centre outside
    # best first: the first qualifying detection is taken, and one detection serves one track
    dets = np.array([[300.0, 100.0, 400.0, 200.0], [120.0, 120.0, 220.0, 220.0]])
    assert shrink_pairs(dets, track, 0.7) == [(0, 0)]
    assert shrink_pairs(dets[:1], np.concatenate([track, track]), 0.7) == [(0, 0)]


def test_a_detected_hand_inside_a_spread_track_moves_the_track_there():
    """A track whose skeleton has spread over the torso around a hand (a blurred hand gave a wide
    crop, and the model answers a wide crop with a wide skeleton) is strong, so re-anchoring weak
    tracks never fixes it: a detection centred inside its box at a fraction of its size does, and
    the jump is not read as motion."""
    trk, _, _ = tracker(smoothing=False)
    kps = make_hand((250.0, 260.0), 120.0)
    frame = render([(kps, RIGHT)])
    trk.process(frame, 0.0)
    (track,) = trk.tracks
    track.keypoints = (kps - kps.mean(0)) * 3.0 + kps.mean(0) + (60.0, -40.0)  # torso-sized, off centre
    track.crop = crop_from_keypoints(track.keypoints, 1.6, 24.0)
    track.velocity = np.array([500.0, 0.0])
    track.score = 0.98
    crops = [trk._next_crop(track, 1 / 30)]
    assert trk._new_hand_crops(frame, crops, {}) == []
    hand_box = np.concatenate([kps.min(0), kps.max(0)])
    assert np.allclose(crops[0].center, (hand_box[:2] + hand_box[2:]) / 2, atol=3.0)
    assert crops[0].side == pytest.approx(1.6 * max(hand_box[2:] - hand_box[:2]), rel=0.15)  # dots have width
    assert np.all(track.velocity == 0.0) and track.unconfirmed == 0
    (hand,) = trk.process(frame, 1 / 30)
    assert hand.id == 0


def test_a_reacquired_hand_does_not_glide_from_its_old_place():
    trk = tracker(smoothing=True)[0]
    a, b = make_hand((200.0, 240.0), 150.0), make_hand((450.0, 260.0), 150.0)
    for i in range(3):
        trk.process(render([(a, RIGHT)]), i / 30)
    assert trk.process(np.zeros((480, 640, 3), np.uint8), 3 / 30) == []  # lost
    (hand,) = trk.process(render([(b, RIGHT)]), 4 / 30)
    assert hand.id == 1 and np.abs(hand.keypoints[:, :2] - b).max() < 0.5


def test_a_track_the_detector_stops_confirming_is_dropped():
    """A crop stuck on a face keeps a high presence score: if the detector, when it runs, finds
    nothing on a track max_unconfirmed times in a row, the track goes."""

    class GoesBlind(FakeDetector):
        def infer(self, batch):
            out = super().infer(batch)
            if self.calls > 1:  # finds the hand once, then never again
                out["centers"][:] = 0.0
            return out

    frame = render([(make_hand((320.0, 240.0), 150.0), RIGHT)])
    for limit, kept in ((3, False), (10 ** 6, True)):
        trk = HandTracker(FakeLandmarks(), GoesBlind(), max_hands=2, detect_every=5, max_unconfirmed=limit)
        seen = [bool(trk.process(frame, i / 30)) for i in range(30)]
        assert seen[0] and seen[10]  # unconfirmed twice is not yet enough
        assert seen[-1] == kept


def test_still_images_get_the_margin_pass_and_video_the_plain_pass_alone():
    """One detector pass per margin in one batch: DETECT_MARGINS (with the zoomed-out pass) for
    still images, VIDEO_DETECT_MARGINS in video, where a false detection would become a lasting track."""
    from livehand.detect import DETECT_MARGINS, VIDEO_DETECT_MARGINS

    batches = []

    class Counting(FakeDetector):
        def infer(self, batch):
            batches.append(len(batch))
            return super().infer(batch)

    frame = render([(make_hand((320.0, 240.0), 150.0), RIGHT)])
    for static in (True, False):
        HandTracker(FakeLandmarks(), Counting(), max_hands=2, static=static).process(frame, 0.0)
    assert batches == [len(DETECT_MARGINS), len(VIDEO_DETECT_MARGINS)] and len(DETECT_MARGINS) > len(VIDEO_DETECT_MARGINS)
    HandTracker(FakeLandmarks(), Counting(), max_hands=2, detect_margins=(0.0, 0.25)).process(frame, 0.0)
    assert batches[-1] == 2  # an explicit setting wins
