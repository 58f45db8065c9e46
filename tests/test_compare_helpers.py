"""The pure helpers behind bench/compare_mediapipe.py, on synthetic input (no mediapipe needed)."""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from bench import compare_lib as cl


def _hand(cx: float, cy: float, size: float = 100.0, seed: int = 0) -> np.ndarray:
    """21 points spread over a size x size box centred on (cx, cy), corners included."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-0.5, 0.5, (21, 2))
    pts[0], pts[1] = (-0.5, -0.5), (0.5, 0.5)
    return (pts * size + (cx, cy)).astype(np.float64)


def test_bench_helpers_do_not_import_mediapipe():
    assert "mediapipe" not in sys.modules


def test_hand_size_and_centre():
    h = _hand(200, 300, size=80)
    assert cl.hand_size(h) == pytest.approx(80)
    np.testing.assert_allclose(cl.box_centre(h), (200, 300))


def test_frames_on_reference_counts_frames_with_a_hand_centred_on_a_reference_hand():
    ref = _hand(200, 200, size=100)
    mine = [[_hand(290, 200, size=120)],          # beside the hand
            [_hand(210, 190, size=80)],           # on the hand
            [],                                   # nothing reported
            [_hand(500, 400), _hand(200, 255)],   # a face far off, and a hand at the grown box's edge
            [_hand(200, 200)]]                    # the reference found nothing here
    refs = [[ref], [ref], [ref], [ref], []]
    assert cl.frames_on_reference(mine, refs) == [1, 3]
    assert cl.frames_on_reference(mine, refs, grow=1.0) == [1]
    # centred on the hand but twice its size (the whole torso around it): not on the hand
    assert cl.frames_on_reference([[_hand(200, 200, size=200)]], [[ref]]) == []
    assert cl.frames_on_reference([[_hand(200, 200, size=140)]], [[ref]]) == [0]


def test_match_hands_pairs_nearest_and_gates_far_ones():
    left, right = _hand(100, 100), _hand(600, 100, seed=1)
    # Other runner lists the hands in the opposite order, slightly shifted.
    assert cl.match_hands([left, right], [right + 5, left - 5]) == [(0, 1), (1, 0)]
    # A hand found 3 hand sizes away is not the same hand.
    assert cl.match_hands([left], [_hand(400, 100)]) == []
    assert cl.match_hands([], [left]) == [] and cl.match_hands([left], []) == []
    # Two candidates for one reference: only the nearer one is paired.
    assert cl.match_hands([left], [left + 40, left + 2]) == [(0, 1)]


def test_keypoint_distances():
    ref = _hand(100, 100)
    pred = ref.copy()
    pred[:10, 0] += 3.0
    pred[10:, 1] -= 15.0
    d = cl.keypoint_distances(ref, pred)
    assert d[:10] == pytest.approx(3.0) and d[10:] == pytest.approx(15.0)


def test_still_steps_finds_the_still_run_only():
    t = np.arange(40)
    # Moving 5 px/frame (5% of 100 px) for 20 frames, then still with tiny noise.
    x = np.where(t < 20, 5.0 * t, 100.0) + np.random.default_rng(0).normal(0, 0.1, 40)
    wrist = np.stack([x, np.zeros(40)], axis=1)
    sizes = np.full(40, 100.0)
    still = cl.still_steps(wrist, sizes)
    assert not still[:20].any()
    assert still[24:38].all()  # the smoothing window's edges are undefined
    # A gap (no hand) breaks the segment; a still run shorter than min_run is dropped.
    wrist[30] = np.nan
    still = cl.still_steps(wrist, sizes, min_run=5)
    assert not still[28:34].any() and still[24:28].all()


def test_jitter_rms_on_still_steps_with_missing_frames():
    base = _hand(100, 100)
    track = np.stack([base + (0.0 if i % 2 == 0 else 2.0) for i in range(6)])  # 2 px along x and y
    still = np.array([False, True, True, True, True, True])
    rms, n = cl.jitter_rms(track, still)
    assert n == 5 and rms == pytest.approx(2 * math.sqrt(2))
    track[3] = np.nan  # runner lost the hand: steps 3 and 4 cannot be used
    rms, n = cl.jitter_rms(track, still)
    assert n == 3 and rms == pytest.approx(2 * math.sqrt(2))
    assert math.isnan(cl.jitter_rms(track, np.zeros(6, bool))[0])


def test_latency_summary():
    s = cl.latency_summary([0.01] * 9 + [0.1])
    assert s["fps"] == pytest.approx(10 / 0.19)
    assert s["p50_ms"] == pytest.approx(10.0)
    assert s["p95_ms"] > 10.0


def test_side_from_mediapipe_swaps_the_mirrored_label():
    assert cl.side_from_mediapipe("Left") == "right"
    assert cl.side_from_mediapipe("Right") == "left"


def test_format_table_aligns_and_checks_widths():
    text = cl.format_table(["runner", "FPS"], [["livehand", 31.25], ["mediapipe c=1", float("nan")]])
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1  # every line padded to the same width
    assert lines[2].startswith("livehand ") and lines[2].endswith("31.2")
    assert lines[3].endswith("-")
    with pytest.raises(ValueError):
        cl.format_table(["a", "b"], [["only one"]])


def test_detector_sweep_matches_each_hand_to_one_detection():
    from bench.detector_sweep import matched

    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)
    assert matched(gt, np.array([[0, 0, 10, 10], [1, 0, 11, 10]], float)) == 1  # two on one hand: one found
    assert matched(gt, np.array([[1, 0, 11, 10], [20, 1, 30, 11]], float)) == 2
    assert matched(gt, np.array([[50, 50, 60, 60]], float)) == 0
    assert matched(gt, np.zeros((0, 4))) == 0


def test_detector_sweep_counts_hands_found_by_their_size_in_the_image():
    from bench.detector_sweep import found_by_size, size_table

    gt = np.array([[0, 0, 10, 10], [20, 0, 60, 30], [0, 40, 80, 100]], float)  # 0.1, 0.4, 0.8 of 100 px
    counts = found_by_size(gt, np.array([[21, 0, 60, 30], [50, 50, 60, 60]], float), 100)
    assert counts.tolist() == [[0, 0], [1, 0], [0, 0], [1, 1], [0, 0], [1, 0]]
    assert size_table(counts) == {"0.1-0.2": [1, 0.0], "0.3-0.45": [1, 1.0], "0.6-inf": [1, 0.0]}


def test_detector_sweep_reads_the_training_validation_rows_and_never_an_eval_source(tmp_path):
    from bench.detector_sweep import validation_frames
    from train.data.splits import EVAL_SOURCES
    from train.loop import validation_mask

    n = 100
    for name in ("train-a", EVAL_SOURCES[0], "synthetic"):
        images = np.zeros((n, 8, 8, 3), np.uint8)
        images[:, 0, 0, 0] = np.arange(n)  # row number, to see which rows come back
        boxes = np.zeros((n, 4, 4), np.float32)
        boxes[:, 0] = [1, 1, 5, 5]
        np.savez(tmp_path / f"{name}.npz", images=images, boxes=boxes, n_boxes=np.ones(n, np.int8))
    rows = [int(img[0, 0, 0]) for img, gt in validation_frames(tmp_path, 0.3)]
    assert rows == list(np.flatnonzero(validation_mask(n, 0.3))) and rows  # train-a's validation rows only


def test_detector_pick_counts_an_extra_hand_as_much_as_a_missed_one():
    from bench.detector_sweep import pick

    table = [{"margins": [0.0], "threshold": 0.1, "pipeline_found": 97, "pipeline_extra": 40},  # net 57
             {"margins": [0.0], "threshold": 0.2, "pipeline_found": 94, "pipeline_extra": 10},  # 84
             {"margins": [0.0], "threshold": 0.3, "pipeline_found": 90, "pipeline_extra": 5},   # 85
             {"margins": [0.0], "threshold": 0.4, "pipeline_found": 80, "pipeline_extra": 1}]   # 79
    assert pick(table)["threshold"] == 0.3
    table[1]["pipeline_extra"] = 9  # 85 too: a tie goes to the higher threshold (fewer crops)
    assert pick(table)["threshold"] == 0.3
    table[3]["pipeline_found"] = 90  # 89
    assert pick(table)["threshold"] == 0.4


def test_detector_pick_takes_the_threshold_from_the_plain_pass_then_the_passes_at_it():
    from bench.detector_sweep import pick

    table = [{"margins": [0.0], "threshold": 0.25, "pipeline_found": 90, "pipeline_extra": 5},        # 85
             {"margins": [0.0], "threshold": 0.4, "pipeline_found": 80, "pipeline_extra": 1},         # 79
             {"margins": [0.0, 0.25], "threshold": 0.25, "pipeline_found": 92, "pipeline_extra": 6},  # 86
             {"margins": [0.0, 0.25], "threshold": 0.4, "pipeline_found": 89, "pipeline_extra": 1}]   # 88
    # The pair's best net is at 0.4, but the threshold is the plain pass's: 0.25, where the pair wins.
    assert (pick(table)["margins"], pick(table)["threshold"]) == ([0.0, 0.25], 0.25)
    table[2]["pipeline_extra"] = 7  # 85: a tie at that threshold goes to fewer passes
    assert (pick(table)["margins"], pick(table)["threshold"]) == ([0.0], 0.25)


def test_view_tells_palm_from_back_for_each_side():
    """An upright hand with the thumb on the image's right: a right palm or a left back; its
    mirror image: a left palm or a right back (bench/handedness.py)."""
    from bench.handedness import view

    kps = np.zeros((21, 2))
    kps[0], kps[5], kps[17] = (100, 200), (130, 100), (70, 110)  # wrist, index MCP right, pinky MCP left
    assert view(kps, right=True) == "palm" and view(kps, right=False) == "back"
    mirrored = kps.copy()
    mirrored[:, 0] = 200 - mirrored[:, 0]
    assert view(mirrored, right=False) == "palm" and view(mirrored, right=True) == "back"
    upside_down = kps.copy()
    upside_down[:, 1] = 300 - upside_down[:, 1]  # a vertical flip is a mirror too
    assert view(upside_down, right=True) == "back"


def test_pick_check_names_each_setting_that_differs_from_the_sweeps():
    from bench.check_picks import mismatches

    pick = {"threshold": 0.15, "margins": [0.0, 0.25]}
    assert mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5) == []
    assert len(mismatches(pick, 0.5, 0.25, (0.0, 0.25), 0.5)) == 1
    assert len(mismatches(pick, 0.5, 0.15, (0.0,), 0.5)) == 1
    assert len(mismatches(pick, 0.6, 0.25, (0.0, 0.25), 0.5)) == 2
    assert len(mismatches(pick, 0.5, 0.15, (0.0, 0.25), None)) == 1
    look = {"second_look": 0.1, "second_look_accept": 0.9}
    assert mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, look, (0.1, 0.9)) == []
    counted = {**look, "candidates": 3}
    assert mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, counted, (0.1, 0.9), candidates=3) == []
    assert len(mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, counted, (0.1, 0.9), candidates=2)) == 1
    assert len(mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, look, (0.2, 0.9))) == 1
    start_look = {"start_second_look": 0.2, "start_second_look_accept": 0.95}
    assert mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, look, (0.1, 0.9), start_look, (0.2, 0.95)) == []
    assert len(mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, look, (0.1, 0.9), start_look, (1.0, 1.0))) == 1
    from livehand.smoothing import OneEuroParams
    grid = {"min_cutoff": 0.5, "beta": 6.0, "d_cutoff": 1.0, "point_weight": 0.25, "hand_weight": 1.0}
    assert mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, smoothing_pick=grid,
                      smoothing=OneEuroParams(0.5, 6.0, 1.0, 0.25, 1.0)) == []
    assert len(mismatches(pick, 0.5, 0.15, (0.0, 0.25), 0.5, smoothing_pick=grid,
                          smoothing=OneEuroParams(0.5, 6.0, 1.0, 1.0, 0.0))) == 1


def test_smoothing_grid_pick_is_the_steadiest_filter_no_worse_elsewhere():
    from bench.smoothing import BASELINE, pick_params
    from livehand.smoothing import OneEuroParams

    def result(still: float, lag: float, err: float) -> dict:
        case = {"still": {"reduction": still}, "sweeps": {"4": {"lag_smoothed_frames": lag}},
                "clip": {"rms_error_smoothed_px": err, "rms_error_raw_px": 1.0}}
        return {"80px": case, "320px": case}

    base = result(7.0, 0.25, 1.35)
    a, b, c = (OneEuroParams(beta=v) for v in (4.0, 5.0, 7.0))
    scored = [(a, result(9.0, 0.30, 1.30)),   # steadiest, but lags more: out
              (b, result(8.0, 0.20, 1.34)),   # steadier and no worse: the pick
              (c, result(7.5, 0.20, 1.30))]
    assert pick_params(scored, base) == b
    assert pick_params(scored[:1], base) == BASELINE  # nothing qualifies: the paper's filter stays


def test_video_second_look_sweep_counts_and_pick():
    from bench.start_presence import pick_second_look, second_look_table

    presence = np.array([0.9, 0.3, 0.3, 0.1])
    second = np.array([1.0, 0.97, 0.97, 0.99])
    is_hand = np.array([True, True, False, True])
    rows = second_look_table(presence, second, is_hand, np.ones(4), start=0.5, detect_threshold=0.25)
    off = rows[0]
    assert (off["start_second_look"], off["hands_started"], off["non_hands_started"]) == (1.0, 1, 0)
    at = {(r["start_second_look"], r["start_second_look_accept"]): r for r in rows}
    assert (at[0.2, 0.95]["hands_started"], at[0.2, 0.95]["non_hands_started"]) == (2, 1)  # net level with off
    assert (at[0.05, 0.95]["hands_started"], at[0.05, 0.95]["non_hands_started"]) == (3, 1)
    assert pick_second_look(rows) == {"start_second_look": 0.1, "start_second_look_accept": 0.95}  # 0.1 >= 0.1
    assert pick_second_look(rows[:1] + [r for r in rows if r["start_second_look"] == 0.2])["start_second_look"] == 1.0


def test_second_look_pick_prefers_net_then_the_higher_floor_and_accept():
    from bench.second_look import pick

    row = lambda f, a, found, extra: {"second_look": f, "second_look_accept": a, "found": found, "extra": extra}
    assert pick([row(0.1, 0.9, 642, 17), row(0.05, 0.9, 642, 17), row(0.1, 0.5, 643, 24)]) == row(0.1, 0.9, 642, 17)
    assert pick([row(0.1, 0.9, 642, 17), row(0.1, 0.95, 642, 17)])["second_look_accept"] == 0.95
    assert pick([row(0.3, 0.9, 630, 10), row(0.1, 0.9, 642, 17)])["found"] == 642
    off = row(1.0, 1.0, 632, 17)  # the sweep's first row: no second look
    assert pick([off, row(0.1, 0.9, 632, 17), row(0.05, 0.5, 633, 19)]) == off  # ties and losses go to off


def test_candidate_count_pick_prefers_net_then_fewer():
    from bench.second_look import pick_candidates

    row = lambda n, found, extra: {"candidates": n, "found": found, "extra": extra}
    assert pick_candidates([row(2, 642, 17), row(3, 645, 18), row(4, 646, 20)]) == 3
    assert pick_candidates([row(2, 642, 17), row(3, 643, 18)]) == 2  # a tie goes to less work

