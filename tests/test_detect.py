"""Detector decoding on synthetic peaks: position, size, letterbox inverse, NMS, threshold, top-k."""
from __future__ import annotations

import numpy as np
import pytest

from livehand.decode import input_to_heatmap
from livehand.detect import (average_mirrored, decode_detections, detect_hands, inside_window, letterbox_affine,
                             merge_detections, tile_windows)
from livehand.preprocess import invert_affine, transform_points

S, STRIDE = 192, 4
H = S // STRIDE


def gaussian(cx: float, cy: float, peak: float, sigma: float = 1.5) -> np.ndarray:
    ys, xs = np.mgrid[0:H, 0:H]
    return peak * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))


def synthetic_outputs(frame_boxes: list, peaks: list, frame_hw: tuple[int, int]):
    """Detector outputs for boxes (x0, y0, x1, y1) in frame px, as a perfect detector makes them."""
    aff = letterbox_affine(*frame_hw, S)
    centers = np.zeros((1, H, H), np.float32)
    sizes = np.zeros((2, H, H), np.float32)
    for box, peak in zip(frame_boxes, peaks):
        corners = transform_points(np.array(box, np.float64).reshape(2, 2), aff)
        c_in = corners.mean(axis=0)
        wh = (corners[1] - corners[0]) / S
        cx, cy = input_to_heatmap(c_in, STRIDE)
        centers[0] = np.maximum(centers[0], gaussian(cx, cy, peak))
        ix, iy = int(round(cx)), int(round(cy))
        sizes[:, iy - 2:iy + 3, ix - 2:ix + 3] = wh[:, None, None]
    return centers, sizes, invert_affine(aff)


def test_letterbox_maps_frame_into_the_square():
    aff = letterbox_affine(480, 640, S)
    corners = transform_points(np.array([[-0.5, -0.5], [639.5, 479.5]]), aff)
    # The longer side fills the input exactly; the shorter one is centred.
    np.testing.assert_allclose(corners[:, 0], [-0.5, S - 0.5], atol=1e-9)
    np.testing.assert_allclose(corners.mean(axis=0), [(S - 1) / 2] * 2, atol=1e-9)


def test_letterbox_margin_leaves_a_border_of_that_share_of_the_longer_side():
    aff = letterbox_affine(480, 640, S, margin=0.1)
    corners = transform_points(np.array([[-0.5, -0.5], [639.5, 479.5]]), aff)
    border = S * 0.1 / 1.2  # 0.1 of the longer side, out of 1.2 of it across the input
    np.testing.assert_allclose(corners[:, 0], [-0.5 + border, S - 0.5 - border], atol=1e-9)
    np.testing.assert_allclose(corners.mean(axis=0), [(S - 1) / 2] * 2, atol=1e-9)


def test_decode_recovers_boxes_in_frame_pixels():
    hw = (480, 640)
    truth = [(100.0, 80.0, 260.0, 300.0), (400.0, 200.0, 520.0, 330.0)]
    centers, sizes, inv = synthetic_outputs(truth, [0.9, 0.7], hw)
    boxes, scores = decode_detections(centers, sizes, inv, threshold=0.4, max_det=5)
    assert boxes.shape == (2, 4) and boxes.dtype == np.float32 and scores.shape == (2,)
    assert scores[0] > scores[1]  # best first
    # Centre within a fraction of a detector cell (4 input px = 13.3 frame px here).
    err = np.abs((boxes[:, :2] + boxes[:, 2:]) / 2 - np.array(truth).reshape(2, 2, 2).mean(axis=1))
    assert err.max() < 3.0, err
    np.testing.assert_allclose(boxes[:, 2:] - boxes[:, :2],
                               np.array(truth)[:, 2:] - np.array(truth)[:, :2], atol=0.01)


def test_threshold_topk_and_peak_nms():
    hw = (192, 192)
    truth = [(10.0, 10.0, 40.0, 40.0), (100.0, 100.0, 150.0, 150.0), (150.0, 20.0, 180.0, 60.0)]
    centers, sizes, inv = synthetic_outputs(truth, [0.95, 0.8, 0.3], hw)
    boxes, scores = decode_detections(centers, sizes, inv, threshold=0.4, max_det=5)
    assert len(boxes) == 2  # the 0.3 peak is under threshold; no side lobes count as peaks
    boxes, scores = decode_detections(centers, sizes, inv, threshold=0.1, max_det=1)
    assert len(boxes) == 1 and scores[0] > 0.9
    empty, none = decode_detections(np.zeros((1, H, H)), sizes, inv, 0.4, 5)
    assert empty.shape == (0, 4) and none.shape == (0,)


def test_two_peaks_on_one_hand_are_one_box():
    hw = (192, 192)
    centers, sizes, inv = synthetic_outputs([(40.0, 40.0, 150.0, 150.0)], [0.9], hw)
    centers[0, 20, 26] = 0.85  # a second local maximum 2 cells beside the first, same big box
    sizes[:, 20, 26] = sizes[:, 23, 23]
    assert len(decode_detections(centers, sizes, inv, 0.4, 5, nms_iou=1.0)[0]) == 2
    assert len(decode_detections(centers, sizes, inv, 0.4, 5)[0]) == 1


def test_box_iou():
    from livehand.matching import box_iou

    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0]])


def test_detect_hands_on_random_model(random_detector_model):
    from livehand.backends.base import load_backend

    backend = load_backend(random_detector_model)
    frame = np.random.default_rng(0).integers(0, 255, (240, 320, 3), np.uint8)
    timings: dict[str, float] = {}
    boxes, scores = detect_hands(backend, frame, timings, threshold=0.0, max_det=3)
    assert boxes.shape == (3, 4) and scores.shape == (3,) and boxes.dtype == np.float32
    assert np.all(boxes[:, 2:] >= boxes[:, :2])
    assert set(timings) == {"preprocess", "inference", "decode"}
    tiled, tiled_scores = detect_hands(backend, frame, threshold=0.0, max_det=8, tiles=True)
    assert tiled.shape[1] == 4 and len(tiled) == len(tiled_scores) <= 8
    assert np.all(np.diff(tiled_scores) <= 0)  # best first after the merge


def test_tile_windows_cover_the_frame_with_overlap():
    for h, w in ((720, 1280), (480, 480), (1280, 720), (100, 1000)):
        wins = tile_windows(h, w, tile=0.6, overlap=0.25)
        side = 0.6 * max(h, w)
        assert np.allclose(wins[:, 2], side)
        lo, hi = wins[:, :2] - side / 2, wins[:, :2] + side / 2
        for axis, extent in ((0, w), (1, h)):
            starts = np.unique(lo[:, axis])
            if extent > side:  # windows inside the frame, first and last on its borders
                assert np.isclose(lo[:, axis].min(), -0.5) and np.isclose(hi[:, axis].max(), extent - 0.5)
                ends = np.unique(hi[:, axis])
                assert np.all(ends[:-1] - starts[1:] >= 0.25 * side - 1e-6)  # neighbours overlap
            else:
                assert len(starts) == 1
    assert len(tile_windows(480, 480)) == 4 and len(tile_windows(720, 1280)) == 2


def test_boxes_cut_by_an_inner_window_edge_are_dropped_but_not_at_the_frame_border():
    h, w = 480, 480
    left_top = tile_windows(h, w)[0]  # covers x, y in [-0.5, 287.5]
    boxes = np.array([[100, 100, 150, 150],    # well inside: kept
                      [250, 100, 290, 150],    # crosses the inner right edge: dropped
                      [0, 100, 40, 150],       # on the frame's left border: kept
                      [100, 260, 150, 300]],   # crosses the inner bottom edge: dropped
                     np.float64)
    assert inside_window(boxes, left_top, h, w).tolist() == [True, False, True, False]


def test_merge_detections_keeps_the_best_of_overlapping_boxes_in_score_order():
    boxes = np.array([[0, 0, 10, 10], [50, 50, 60, 60], [1, 1, 11, 11], [100, 100, 110, 110]], np.float32)
    scores = np.array([0.4, 0.5, 0.9, 0.1], np.float32)
    kept, kept_scores = merge_detections(boxes, scores, max_det=8)
    assert kept_scores.tolist() == pytest.approx([0.9, 0.5, 0.1])
    assert kept[0].tolist() == [1, 1, 11, 11]
    assert len(merge_detections(boxes, scores, max_det=1)[0]) == 1
    empty, empty_scores = merge_detections(np.zeros((0, 4)), np.zeros(0))
    assert empty.shape == (0, 4) and empty_scores.shape == (0,)


def test_detect_hands_runs_one_pass_per_margin_in_one_batch(random_detector_model):
    from livehand.backends.base import load_backend

    backend = load_backend(random_detector_model)
    batches = []
    infer = backend.infer
    backend.infer = lambda x: batches.append(x.shape[0]) or infer(x)
    frame = np.random.default_rng(1).integers(0, 255, (240, 320, 3), np.uint8)
    plain, plain_scores = detect_hands(backend, frame, threshold=0.0, max_det=8, margins=(0.0,))
    both, both_scores = detect_hands(backend, frame, threshold=0.0, max_det=8, margins=(0.0, 0.25))
    assert batches == [1, 2]
    # The plain pass's best detection survives the merge (NMS keeps the higher score).
    assert both_scores[0] >= plain_scores[0]
    assert np.all(np.diff(both_scores) <= 0) and len(both) <= 8


class CentredBoxDetector:
    """Detector stand-in: one box centred in every input, `side` of the input wide and high."""

    def __init__(self, side: float):
        from livehand.metadata import ModelMeta

        self.meta, self.name, self.side = ModelMeta(kind="detector", input_size=S, stride=STRIDE), "fake", side

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        centre = input_to_heatmap(np.array([(S - 1) / 2] * 2), STRIDE)
        centers = np.repeat(gaussian(*centre, 0.9)[None, None], len(batch), axis=0).astype(np.float32)
        return {"centers": centers, "sizes": np.full((len(batch), 2, H, H), self.side, np.float32)}


@pytest.mark.parametrize("side,kept", [(0.1, 1), (0.4, 2)])
def test_a_margin_pass_keeps_only_boxes_too_big_for_the_plain_pass(side, kept):
    """A margin of 0.25 shows the frame at 1/1.5 scale, so the same input box is 1.5x bigger in the
    frame: 0.15 of it (under MARGIN_MIN_SIDE 0.3, the plain pass's to find) or 0.6 (kept; it and
    the plain box overlap under the NMS IoU, so both stay)."""
    frame = np.zeros((300, 300, 3), np.uint8)
    boxes, _ = detect_hands(CentredBoxDetector(side), frame, threshold=0.5, margins=(0.0, 0.25), margin_min_side=0.3)
    assert len(boxes) == kept
    sides = sorted((boxes[:, 2] - boxes[:, 0]) / 300)
    assert sides == pytest.approx([side, side * 1.5][:kept], rel=0.05)


def test_detector_resized_for_another_input_keeps_box_sizes_in_its_own_scale():
    """bench/detector_input_size.py: S x S input, maps at S / stride, sizes rescaled by trained / S."""
    onnx = pytest.importorskip("onnx")
    import onnxruntime as ort

    from bench.detector_input_size import resized, with_input_size
    from livehand.metadata import ModelMeta
    from livehand.models import DEFAULT_DETECTOR

    def meta(model) -> ModelMeta:
        return ModelMeta.from_json(next(p.value for p in model.metadata_props if p.key == "livehand"))

    def run(model, x: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(["centers", "sizes"], ort.InferenceSession(model.SerializeToString()).run(["centers", "sizes"], {"input": x})))

    trained = meta(onnx.load(str(DEFAULT_DETECTOR))).input_size
    model = resized(onnx.load(str(DEFAULT_DETECTOR)), 224)
    assert meta(model).input_size == 224
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
    out = run(model, x)
    assert out["centers"].shape == (1, 1, 56, 56)
    sizes_raw = run(with_input_size(onnx.load(str(DEFAULT_DETECTOR)), 224), x)["sizes"]
    np.testing.assert_allclose(out["sizes"], sizes_raw * trained / 224, rtol=1e-5, atol=1e-6)


def test_average_mirrored_lines_a_mirrored_map_up_with_the_original():
    """A peak at heatmap column x in the original input sits at column w-1-x in the mirrored one:
    flipped back, the two land on the same cell and average to their mean score."""
    plain = gaussian(10.0, 20.0, 0.8)[None]
    mirrored = gaussian(H - 1 - 10.0, 20.0, 0.4)[None]
    avg = average_mirrored(np.stack([plain, mirrored]), 1)
    assert avg.shape == (1, 1, H, H)
    assert np.unravel_index(avg[0, 0].argmax(), (H, H)) == (20, 10)
    assert avg[0, 0, 20, 10] == pytest.approx(0.6)


class BrightSpotDetector:
    """Detector stand-in that finds the brightest input pixel, surer of it in the left half of its
    input (0.9) than in the right (0.3): a lopsided model, as a flip test averages out."""

    def __init__(self):
        from livehand.metadata import ModelMeta

        self.meta, self.name, self.batches = ModelMeta(kind="detector", input_size=S, stride=STRIDE), "fake", []

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        self.batches.append(len(batch))
        centers = np.zeros((len(batch), 1, H, H), np.float32)
        for i, image in enumerate(batch):
            weight = image.sum(0) - image.sum(0).min()  # the spot's centroid, in input px
            ys, xs = np.mgrid[0:S, 0:S]
            x, y = (weight * xs).sum() / weight.sum(), (weight * ys).sum() / weight.sum()
            centers[i, 0] = gaussian(*input_to_heatmap(np.array([x, y]), STRIDE), 0.9 if x < S / 2 else 0.3)
        return {"centers": centers, "sizes": np.full((len(batch), 2, H, H), 20 / S, np.float32)}


def test_detector_flip_test_averages_the_mirrored_pass_into_the_same_box():
    frame = np.zeros((S, S, 3), np.uint8)
    frame[100:104, 40:44] = 255  # a spot in the left half (centred on a heatmap cell): 0.9 as it is, 0.3 mirrored
    det = BrightSpotDetector()
    plain, plain_scores = detect_hands(det, frame, threshold=0.1, margins=(0.0,))
    flipped, flipped_scores = detect_hands(det, frame, threshold=0.1, margins=(0.0,), flip_test=True)
    assert det.batches == [1, 2]
    assert plain_scores[0] == pytest.approx(0.9, abs=0.02) and flipped_scores[0] == pytest.approx(0.6, abs=0.02)
    assert len(flipped) == 1
    np.testing.assert_allclose(flipped[0], plain[0], atol=1.0)  # same box, within a pixel
