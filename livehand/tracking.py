"""Hand tracking: which crops to run, which hand is which, left or right, and smoothing.

Per frame, each tracked hand is cropped where its keypoints say it is now (rotated upright, the
same `box_from_keypoints` that cut the training crops), moved on by its last motion. The hand
detector runs only when hands are missing (rate-limited) or a track weakens; its new hands join
the tracked crops in ONE landmark batch, and a track it fails to confirm several runs in a row
is dropped (a crop can slide onto a face and keep a high presence score), and a detection
centred inside a track's box at a fraction of its size moves the track onto it (a track that
spread over the torso around a blurred hand). A new track needs a higher presence than an old one
needs to live (a face can pass the lower one): the landmark model's start presence, picked for it
on validation frames and carried in its metadata. Pure helpers first, then the stateful `HandTracker`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from livehand.backends.base import Backend
from livehand.detect import (DETECT_MARGINS, DETECT_THRESHOLD, MARGIN_MIN_SIDE, VIDEO_DETECT_MARGINS,
                             VIDEO_DETECT_THRESHOLD, detect_hands)
from livehand.hand import Hand, box_of
from livehand.landmarks import Crop, LandmarkResult, run_landmarks
from livehand.preprocess import box_from_keypoints
from livehand.matching import box_iou, greedy_match
from livehand.smoothing import DEFAULT_DT, JitterMeter, OneEuroFilter, OneEuroParams

SIDES = ("left", "right")


@dataclass(frozen=True)
class TrackerConfig:
    """Tuning knobs; HandTracker(**tuning) takes any of these and the OneEuroParams fields."""

    min_presence: float = 0.5       # a track dies, and a new hand is refused, below this
    start_presence: float | None = None  # in video a new track needs this much (hysteresis: a face can
                                    #   pass min_presence); None: the landmark model's metadata value
    redetect_presence: float = 0.8  # a track below this asks the detector to re-anchor its crop
    detect_every: int = 5           # frames between detector runs while hands are missing
    detect_threshold: float | None = None  # detector centre probability (None: DETECT_THRESHOLD on
                                    #   still images, VIDEO_DETECT_THRESHOLD in video)
    detect_margins: tuple[float, ...] | None = None  # one whole-frame detector pass per black border
                                    #   (None: DETECT_MARGINS on still images, VIDEO_DETECT_MARGINS in video)
    detect_margin_min_side: float = MARGIN_MIN_SIDE     # smallest box (of the frame) a margin pass keeps
    match_iou: float = 0.3          # a detection overlapping a track's box this much is that hand
    shrink_ratio: float = 0.7       # a detection centred in a track's box at most this share of its
                                    #   side moves the track there (the track had spread over arm/torso)
    max_unconfirmed: int = 3        # detector runs in a row that find nothing on a track: drop it
                                    #   (a crop that slid onto a face keeps a high presence score)
    merge_distance: float = 0.25    # two tracks closer than this (mean keypoint distance / hand
    merge_iou: float = 0.7          #   size) or overlapping more than this are one hand
    side_cap: float = 30.0          # |handedness evidence| cap (log-odds), so a wrong vote heals
    side_margin: float = 5.0        # evidence against the current side needed to flip it
    predict: float = 1.0            # share of the last motion used to place the next crop
    crop_hold: float = 0.06         # keep last frame's crop while the new one is within this share
                                    #   of its side (centre, size, angle): a still hand, still input
    refine: bool = True             # static mode: a second pass on the rotated keypoint crop
    candidates: int = 2             # detections per hand slot the landmark model checks (still images:
                                    #   max_hands slots; video: the free ones), so false detections
                                    #   ranked above a real hand cannot hide it (bench/second_look.py)
    second_look: float = 0.1        # static mode: a detection whose unrotated crop scores at least
    second_look_accept: float = 0.9  #   this (under min_presence) gets the upright pass too, and is a
                                    #   hand if that scores second_look_accept (1.0: off; picked on
                                    #   the validation rows by bench/second_look.py)
    start_second_look: float = 0.2  # video: the same for a new track's detection under start_presence
    start_second_look_accept: float = 0.95  # (1.0: off; bench/start_presence.py picks the pair)
    flip_test: bool = True          # run each crop mirrored too and average (2x model work)
    detect_tiles: bool = False      # detector also on overlapping windows, for small hands
    detect_flip_test: bool = False  # detector also on the mirrored frame, outputs averaged (off:
                                    #   fewer hands net of false ones on the validation rows)
    min_crop: float = 24.0          # smallest crop side in frame px
    one_euro: OneEuroParams = field(default_factory=OneEuroParams)

    @classmethod
    def from_tuning(cls, tuning: dict) -> "TrackerConfig":
        """Split flat keyword tuning into this config and its OneEuroParams; unknown names raise."""
        euro_names = {f.name for f in fields(OneEuroParams)}
        euro = OneEuroParams(**{k: v for k, v in tuning.items() if k in euro_names})
        return cls(**{k: v for k, v in tuning.items() if k not in euro_names}, one_euro=euro)


# --- pure helpers -----------------------------------------------------------------------------

def crop_from_keypoints(keypoints: np.ndarray, box_scale: float, min_side: float) -> Crop:
    """float[21, >=2] frame px -> the upright square crop the landmark model was trained on."""
    center, side, angle = box_from_keypoints(keypoints, box_scale, rotate=True)
    return Crop((float(center[0]), float(center[1])), max(side, min_side), angle)


def crop_from_box(box: np.ndarray, box_scale: float, min_side: float) -> Crop:
    """Detector box float[4] (x0, y0, x1, y1) -> an unrotated crop (the landmark model is trained
    with rotation augmentation, so it copes until the next frame's upright keypoint crop)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return Crop(((x0 + x1) / 2, (y0 + y1) / 2), max(max(x1 - x0, y1 - y0) * box_scale, min_side), 0.0)


def crop_close(a: Crop, b: Crop, tolerance: float) -> bool:
    """a is within tolerance of b: centre (share of b's side), size (log ratio), angle (radians)."""
    shift = np.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1]) / b.side
    turn = abs((a.angle - b.angle + math.pi) % (2 * math.pi) - math.pi)
    return shift < tolerance and abs(math.log(a.side / b.side)) < tolerance and turn < tolerance


def hand_size(keypoints: np.ndarray) -> float:
    """float[21, >=2] -> the keypoints' extent in the hand's upright frame (px)."""
    return box_from_keypoints(keypoints, 1.0, rotate=True)[1]


def keypoint_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float[N, K, >=2], float[M, K, >=2] -> float64[N, M]: mean distance between corresponding
    keypoints in units of the pair's mean hand size (so the same threshold fits every scale)."""
    a, b = np.asarray(a, np.float64)[..., :2], np.asarray(b, np.float64)[..., :2]
    d = np.linalg.norm(a[:, None] - b[None], axis=-1).mean(axis=-1)
    sa = np.array([hand_size(k) for k in a])
    sb = np.array([hand_size(k) for k in b])
    return d / np.maximum((sa[:, None] + sb[None]) / 2, 1e-6)


def match_boxes(a: np.ndarray, b: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """float[N, 4], float[M, 4] -> (i, j) pairs, greedily by IoU (best first), each index used
    at most once, only pairs with IoU >= min_iou. A handful of hands needs nothing smarter."""
    if len(a) == 0 or len(b) == 0:
        return []
    return greedy_match(1.0 - box_iou(a, b), 1.0 - min_iou)


def shrink_pairs(detections: np.ndarray, tracks: np.ndarray, max_ratio: float) -> list[tuple[int, int]]:
    """float[N, 4] detection boxes (best first), float[M, 4] track keypoint boxes -> (i, j) pairs
    where detection i's centre lies inside track j's box and its longer side is at most max_ratio
    of the track's: a hand found inside what the track took for a hand (a blurred hand gives a
    wide crop, the model spreads a skeleton over the torso, and the crop never shrinks back).
    Each track takes its best such detection, each detection one track."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    det, trk = np.asarray(detections, np.float64).reshape(-1, 4), np.asarray(tracks, np.float64).reshape(-1, 4)
    det_side = np.maximum(det[:, 2] - det[:, 0], det[:, 3] - det[:, 1])
    trk_side = np.maximum(trk[:, 2] - trk[:, 0], trk[:, 3] - trk[:, 1])
    centres = (det[:, :2] + det[:, 2:]) / 2
    for j, box in enumerate(trk):
        for i in range(len(det)):
            inside = np.all(centres[i] >= box[:2]) and np.all(centres[i] <= box[2:])
            if i not in used and inside and det_side[i] <= max_ratio * trk_side[j]:
                pairs.append((i, j))
                used.add(i)
                break
    return pairs


def merge_duplicates(keypoints: np.ndarray, max_distance: float, max_iou: float) -> list[int]:
    """float[N, K, >=2] hands in priority order -> indices to keep (in that order): a hand is
    dropped when it is a duplicate of a kept one (two crops that converged on the same hand)."""
    if len(keypoints) == 0:
        return []
    dist = keypoint_distance(keypoints, keypoints)
    boxes = np.array([box_of(k) for k in keypoints])
    iou = box_iou(boxes, boxes)
    keep: list[int] = []
    for i in range(len(keypoints)):
        if all(dist[i, k] >= max_distance and iou[i, k] <= max_iou for k in keep):
            keep.append(i)
    return keep


def person_right(p_right_in_image: float, mirror: bool) -> float:
    """The model says which hand the image shows; a mirrored (flipped) frame shows the other one."""
    return 1.0 - p_right_in_image if mirror else p_right_in_image


def vote_side(evidence: float, side: str | None, p_right: float, cap: float, margin: float
              ) -> tuple[float, str]:
    """Add one frame's handedness vote -> (new evidence, side).

    evidence: summed log-odds of 'right' over the track's life, clipped to +-cap. side: the
    current decision (None for a new track, which takes the evidence's sign). Hysteresis: the
    side flips only once the evidence is past `margin` the other way, so single-frame flicker
    never shows, while a consistently contrary model still wins within a few frames."""
    p = min(max(p_right, 0.02), 0.98)
    evidence = min(max(evidence + math.log(p / (1 - p)), -cap), cap)
    if side is None:
        side = "right" if evidence >= 0 else "left"
    elif side == "right" and evidence < -margin:
        side = "left"
    elif side == "left" and evidence > margin:
        side = "right"
    return evidence, side


def resolve_sides(sides: list[str], evidence: list[float], max_hands: int) -> list[str]:
    """With max_hands == 2 a person shows at most one left and one right hand: if both claim the
    same side, the one with the weaker evidence for it (the newer one on a tie) takes the other."""
    if max_hands != 2 or len(sides) != 2 or sides[0] != sides[1]:
        return list(sides)
    sign = 1.0 if sides[0] == "right" else -1.0
    weaker = 1 if sign * evidence[1] <= sign * evidence[0] else 0
    out = list(sides)
    out[weaker] = SIDES[1 - SIDES.index(sides[0])]
    return out


# --- the tracker ------------------------------------------------------------------------------

@dataclass
class Track:
    """One hand followed over frames. keypoints: float32[21, 3] raw model output (frame px);
    output: float32[21, 3] what was reported (smoothed). evidence: handedness log-odds (see
    vote_side). crop: the upright keypoint crop at time t; velocity: float64[2] px/s of its centre."""

    id: int
    keypoints: np.ndarray
    output: np.ndarray
    score: float
    evidence: float
    side: str
    t: float
    crop: Crop
    velocity: np.ndarray
    filter: OneEuroFilter
    dropped: bool = False  # presence fell below redetect_presence in the last frame
    unconfirmed: int = 0   # detector runs in a row with no detection on this track


class HandTracker:
    """Frames in, hands with stable ids out. See the module docstring for the policy;
    static=True treats every image on its own (no ids carried, no smoothing)."""

    def __init__(self, landmarks: Backend, detector: Backend, *, max_hands: int = 2,
                 mirror: bool = False, smoothing: bool = True, static: bool = False, **tuning):
        self.landmarks, self.detector = landmarks, detector
        self.max_hands, self.mirror = max_hands, mirror
        self.smoothing, self.static = smoothing, static
        config = TrackerConfig.from_tuning(tuning)
        if config.start_presence is None:
            config = replace(config, start_presence=landmarks.meta.start_presence)
        self.config = config
        self.detect_margins = self.config.detect_margins or (DETECT_MARGINS if static else VIDEO_DETECT_MARGINS)
        self.detect_threshold = self.config.detect_threshold
        if self.detect_threshold is None:
            self.detect_threshold = DETECT_THRESHOLD if static else VIDEO_DETECT_THRESHOLD
        self.box_scale = landmarks.meta.box_scale
        self.reset()

    def reset(self) -> None:
        """Forget every hand (the next frame starts from the detector) and the statistics."""
        self.tracks: list[Track] = []
        self.frames = 0
        self.detector_runs = 0
        self.last_detections = np.zeros((0, 4), np.float32)  # the detector's boxes, its latest run
        self.last_timings: dict[str, float] = {}
        self._next_id = 0
        self._last_detect = -(10 ** 9)
        self._meter = JitterMeter()

    @property
    def jitter(self) -> float:
        """Running RMS keypoint motion of the reported hands, px/frame."""
        return self._meter.value

    def process(self, frame_bgr: np.ndarray, t: float) -> list[Hand]:
        """uint8[H, W, 3] BGR frame at time t (s) -> hands in frame px, ordered by id."""
        start = time.perf_counter()
        timings = {"preprocess": 0.0, "inference": 0.0, "decode": 0.0}
        self.frames += 1
        hands = self._static(frame_bgr, timings) if self.static else self._track(frame_bgr, t, timings)
        timings["tracking"] = max(time.perf_counter() - start - sum(timings.values()), 0.0)
        self.last_timings = timings
        return hands

    def _track(self, frame: np.ndarray, t: float, timings: dict[str, float]) -> list[Hand]:
        cfg = self.config
        crops = [self._next_crop(tr, t) for tr in self.tracks]
        new_crops = self._new_hand_crops(frame, crops, timings) if self._detector_due() else []
        res = run_landmarks(self.landmarks, frame, crops + new_crops, timings, cfg.flip_test)

        n_old = len(self.tracks)
        alive = [i for i in range(n_old) if res.presence[i] >= cfg.min_presence
                 and self.tracks[i].unconfirmed < cfg.max_unconfirmed]
        start = max(cfg.start_presence, cfg.min_presence)
        res = self._second_look(frame, res, [i for i in range(n_old, len(res.presence))
                                             if cfg.start_second_look <= res.presence[i] < start], timings)
        fresh = [i for i in range(n_old, len(res.presence)) if res.presence[i] >= start]
        fresh.sort(key=lambda i: -res.presence[i])
        # Older tracks first, so a duplicate keeps the id the hand already had.
        pool = alive + fresh
        merged = merge_duplicates(res.keypoints[pool], cfg.merge_distance, cfg.merge_iou)
        keep = [pool[k] for k in merged]
        free = max(self.max_hands - len(alive), 0)
        keep = [i for i in keep if i < n_old] + [i for i in keep if i >= n_old][:free]

        tracks: list[Track] = []
        for i in keep:
            kps, p_right = res.keypoints[i], person_right(float(res.right[i]), self.mirror)
            if i < n_old:
                tr = self.tracks[i]
                self._update(tr, kps, float(res.presence[i]), p_right, t)
            else:
                tr = self._start(kps, float(res.presence[i]), p_right, t)
            tracks.append(tr)
        tracks.sort(key=lambda tr: tr.id)
        sides = resolve_sides([tr.side for tr in tracks], [tr.evidence for tr in tracks], self.max_hands)
        for tr, side in zip(tracks, sides):
            tr.side = side
        self.tracks = tracks
        return [Hand(tr.output.copy(), tr.score, tr.side, box_of(tr.output), tr.id) for tr in tracks]

    def _second_look(self, frame: np.ndarray, res: LandmarkResult, unsure: list[int],
                     timings: dict[str, float]) -> LandmarkResult:
        """New detections the model was unsure of on their unrotated box crop: run the upright crop
        their keypoints give; where that scores start_second_look_accept, it replaces the first
        look (presence included, so it starts a track). Others keep their first look."""
        if not unsure:
            return res
        cfg = self.config
        crops = [crop_from_keypoints(res.keypoints[i], self.box_scale, cfg.min_crop) for i in unsure]
        again = run_landmarks(self.landmarks, frame, crops, timings, cfg.flip_test)
        kps, presence, right = res.keypoints.copy(), res.presence.copy(), res.right.copy()
        for j, i in enumerate(unsure):
            if again.presence[j] >= cfg.start_second_look_accept:
                kps[i], presence[i], right[i] = again.keypoints[j], again.presence[j], again.right[j]
        return LandmarkResult(kps, presence, right)

    def _detector_due(self) -> bool:
        """No hands: every frame (the landmark model is idle, so the time is free). Hands missing or
        a track weak: every detect_every frames. A track whose presence just dropped: at once."""
        cfg = self.config
        if not self.tracks or any(tr.dropped for tr in self.tracks):
            return True
        weak = any(tr.score < cfg.redetect_presence for tr in self.tracks)
        wanted = len(self.tracks) < self.max_hands or weak
        return wanted and self.frames - self._last_detect >= cfg.detect_every

    def _detect(self, frame: np.ndarray, timings: dict[str, float]) -> np.ndarray:
        """Hand boxes float32[N, 4] from the detector with this tracker's settings, best first."""
        cfg = self.config
        boxes, _ = detect_hands(self.detector, frame, timings, self.detect_threshold, tiles=cfg.detect_tiles,
                                margins=self.detect_margins, margin_min_side=cfg.detect_margin_min_side,
                                flip_test=cfg.detect_flip_test)
        self.detector_runs += 1
        self.last_detections = boxes
        return boxes

    def _new_hand_crops(self, frame: np.ndarray, crops: list[Crop], timings: dict[str, float]) -> list[Crop]:
        """Run the detector. A detection on a tracked hand re-anchors that track's crop if the track
        is weak; the others become crops for new hands. crops: mutated."""
        cfg = self.config
        boxes = self._detect(frame, timings)
        self._last_detect = self.frames
        track_boxes = np.array([box_of(tr.keypoints) for tr in self.tracks]).reshape(-1, 4)
        shrunk = shrink_pairs(boxes, track_boxes, cfg.shrink_ratio)
        shrunk_d, shrunk_k = {d for d, _ in shrunk}, {k for _, k in shrunk}
        rest_d = [d for d in range(len(boxes)) if d not in shrunk_d]
        rest_k = [k for k in range(len(self.tracks)) if k not in shrunk_k]
        pairs = [(rest_d[d], rest_k[k]) for d, k in match_boxes(boxes[rest_d], track_boxes[rest_k], cfg.match_iou)]
        for d, k in pairs:
            if self.tracks[k].score < cfg.redetect_presence:
                crops[k] = self._reanchor(self.tracks[k], boxes[d])
        for d, k in shrunk:
            crops[k] = self._reanchor(self.tracks[k], boxes[d])
        pairs += shrunk
        confirmed = {k for _, k in pairs}
        for k, tr in enumerate(self.tracks):
            tr.unconfirmed = 0 if k in confirmed else tr.unconfirmed + 1
        matched = {d for d, _ in pairs}
        # Presence picks the real hands among the candidates after the landmark pass.
        free = max(self.max_hands - len(self.tracks), 0)
        return [crop_from_box(b, self.box_scale, cfg.min_crop)
                for d, b in enumerate(boxes) if d not in matched][:cfg.candidates * free]

    def _reanchor(self, tr: Track, box: np.ndarray) -> Crop:
        """Move a track's crop onto a detected box: motion and smoothing start afresh there, or the
        jump would be read as velocity and smoothed over as if the hand had moved."""
        tr.crop = crop_from_box(box, self.box_scale, self.config.min_crop)
        tr.velocity = np.zeros(2)
        tr.filter = OneEuroFilter(self.config.one_euro)
        return tr.crop

    def _next_crop(self, tr: Track, t: float) -> Crop:
        """The track's keypoint crop, moved on by its velocity over the time since its last frame."""
        dt = t - tr.t if t > tr.t else DEFAULT_DT
        cx, cy = np.asarray(tr.crop.center) + self.config.predict * tr.velocity * dt
        return Crop((float(cx), float(cy)), tr.crop.side, tr.crop.angle)

    def _start(self, kps: np.ndarray, score: float, p_right: float, t: float) -> Track:
        evidence, side = vote_side(0.0, None, p_right, self.config.side_cap, self.config.side_margin)
        tr = Track(self._next_id, kps, kps, score, evidence, side, t,
                   crop_from_keypoints(kps, self.box_scale, self.config.min_crop), np.zeros(2),
                   OneEuroFilter(self.config.one_euro))
        self._next_id += 1
        tr.output = self._smooth(tr, kps, t)
        return tr

    def _update(self, tr: Track, kps: np.ndarray, score: float, p_right: float, t: float) -> None:
        cfg = self.config
        crop = crop_from_keypoints(kps, self.box_scale, cfg.min_crop)
        if crop_close(crop, tr.crop, cfg.crop_hold):
            crop = tr.crop
        dt = t - tr.t if t > tr.t else DEFAULT_DT
        tr.velocity = (np.asarray(crop.center) - tr.crop.center) / dt
        tr.crop, tr.t, tr.keypoints = crop, t, kps
        tr.dropped = tr.score >= cfg.redetect_presence > score
        tr.score = score
        tr.evidence, tr.side = vote_side(tr.evidence, tr.side, p_right, cfg.side_cap, cfg.side_margin)
        previous = tr.output
        tr.output = self._smooth(tr, kps, t)
        self._meter.add(previous, tr.output)

    def _smooth(self, tr: Track, kps: np.ndarray, t: float) -> np.ndarray:
        """float32[21, 3] raw -> reported keypoints: x, y One-Euro-filtered in units of hand size."""
        if not self.smoothing:
            return kps.copy()
        out = kps.copy()
        out[:, :2] = tr.filter(kps[:, :2], t, hand_size(kps))
        return out

    def _static(self, frame: np.ndarray, timings: dict[str, float]) -> list[Hand]:
        """Detect, crop, landmark (and refine on the upright keypoint crop); nothing carried over."""
        cfg = self.config
        boxes = self._detect(frame, timings)
        crops = [crop_from_box(b, self.box_scale, cfg.min_crop)
                 for b in boxes[: cfg.candidates * self.max_hands]]
        res = run_landmarks(self.landmarks, frame, crops, timings, cfg.flip_test)
        # A hand seen from an odd angle in an unrotated box can score low there and high once
        # upright (validation rows: 8 of the 10 hands the detector found and the pipeline lost).
        sure = res.presence >= cfg.min_presence
        unsure = ~sure & (res.presence >= cfg.second_look) if cfg.refine else np.zeros_like(sure)
        found = np.flatnonzero(sure | unsure)
        kps, presence, right = res.keypoints[found], res.presence[found], res.right[found]
        if cfg.refine and len(found):
            crops = [crop_from_keypoints(k, self.box_scale, cfg.min_crop) for k in kps]
            res = run_landmarks(self.landmarks, frame, crops, timings, cfg.flip_test)
            ok = res.presence >= np.where(unsure[found], max(cfg.second_look_accept, cfg.min_presence),
                                          cfg.min_presence)
            kps, presence, right = res.keypoints[ok], res.presence[ok], res.right[ok]
        order = np.argsort(-presence, kind="stable")  # the surer hand wins a duplicate
        keep = order[merge_duplicates(kps[order], cfg.merge_distance, cfg.merge_iou)][: self.max_hands]
        # Each hand's own handedness: the one-left-one-right rule of resolve_sides is a prior for a
        # person tracked live, while a photo may show hands of several people (hands.jpg: two lefts).
        sides = [vote_side(0.0, None, person_right(float(right[i]), self.mirror), cfg.side_cap,
                           cfg.side_margin)[1] for i in keep]
        return [Hand(kps[i].copy(), float(presence[i]), side, box_of(kps[i]), n)
                for n, (i, side) in enumerate(zip(keep, sides))]
