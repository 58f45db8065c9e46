"""Hand-crop shards and the augmenting landmark dataset.

`pack_hand_crops` cuts every labelled hand out once, with a wide margin of context, into uint8
arrays (one .npz shard per source), so an epoch never decodes a JPEG. `HandCropDataset` then cuts
the model's crop from that context the way the tracker will at run time (box_from_keypoints, upright
or axis-aligned as after a detection) with random scale/shift/rotation/flip and colour changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from livehand.metadata import ModelMeta
from livehand.preprocess import box_from_keypoints, crop_affine, transform_points
from train.data.records import ImageRecord
from train.errors import TrainInputError
from train.targets import gaussian_heatmaps

SIDE_CODE = {"left": 0, "right": 1, "unknown": -1}
PERSON_MAX_SIDE = 1.6  # a head-and-shoulders crop's side at most this share of the photo's longer side


def pack_hand_crops(records: list[ImageRecord], out: Path, box_scale: float, ctx_size: int = 256,
                    context: float = 2.0, neg_fraction: float = 0.25, min_hand_px: float = 20.0,
                    seed: int = 0) -> dict[str, int]:
    """Write one shard per source: images uint8[N, C, C, 3], keypoints float32[N, K, 2] (context
    px), visible bool[N, K], side int8[N], present bool[N]. Negatives (present=False) are random
    squares that overlap no labelled hand. Returns hands written per source."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list] = {}
    for rec in records:
        image = None
        hand_boxes = []
        for hand in rec.hands:
            if hand.visible.sum() < 5:
                continue
            pts = hand.keypoints[hand.visible]
            if max(pts.max(0) - pts.min(0)) < min_hand_px:
                continue
            if image is None:
                image = cv2.imread(str(rec.image))
                if image is None:
                    raise TrainInputError(f"{rec.image}: unreadable image")
            center, side, _ = box_from_keypoints(hand.keypoints, box_scale, rotate=False, visible=hand.visible)
            hand_boxes.append((center, side))
            m = crop_affine(center, side * context, 0.0, ctx_size)
            by_source.setdefault(rec.source, []).append((
                cv2.warpAffine(image, m, (ctx_size, ctx_size), borderValue=(0, 0, 0)),
                transform_points(hand.keypoints.astype(np.float64), m).astype(np.float32),
                hand.visible, SIDE_CODE[hand.side], True))
        if image is not None and rng.random() < neg_fraction:
            neg = _negative_crop(image, hand_boxes, ctx_size, context, rng)
            if neg is not None:
                k = len(rec.hands[0].keypoints)
                by_source[rec.source].append((neg, np.zeros((k, 2), np.float32), np.zeros(k, bool), -1, False))
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for source, items in by_source.items():
        imgs, kps, vis, side, present = zip(*items)
        np.savez(out / f"{source}.npz", images=np.stack(imgs), keypoints=np.stack(kps),
                 visible=np.stack(vis), side=np.asarray(side, np.int8), present=np.asarray(present))
        counts[source] = len(items)
    return counts


def _negative_crop(image: np.ndarray, hand_boxes: list, ctx_size: int, context: float,
                   rng: np.random.Generator) -> np.ndarray | None:
    """A context crop of a hand-free square of typical hand-crop size, or None if none fits."""
    h, w = image.shape[:2]
    typical = float(np.median([s for _, s in hand_boxes]))
    for _ in range(20):
        side = typical * np.exp(rng.normal(0, 0.3))
        c = rng.uniform([side / 2, side / 2], [max(w - side / 2, side / 2 + 1), max(h - side / 2, side / 2 + 1)])
        if all(np.abs(c - hc).max() > (side + hs) / 2 for hc, hs in hand_boxes):
            return cv2.warpAffine(image, crop_affine(c, side * context, 0.0, ctx_size), (ctx_size, ctx_size))
    return None


def pack_face_crops(faces: list[dict], hands: dict[str, list[np.ndarray]], image_root: Path, out: Path,
                    num_keypoints: int, ctx_size: int = 256, context: float = 2.0, min_score: float = 0.75,
                    copies: int = 3, max_per_source: int = 400, people: bool = False,
                    box_scale: float = ModelMeta.box_scale,
                    seed: int = 0) -> dict[str, int]:
    """"No hand" crops centred on faces, one shard per source in the hand shards' schema
    (present=False), so a crop that drifts onto a face learns to let go of it. people: head and
    shoulders instead (`person_crop_box`), what a crop that spread over a webcam user's body sees.

    faces: face-label lines ({"image", "source", "width", "height", "faces": [{"box": [x0, y0, x1, y1], "score"}]});
    hands: image path -> its hands' keypoints float[K, 2]. A face whose box touches a hand box is
    skipped (a hand held to the face is a hand), and so is one below min_score: the teacher's
    weak "faces" are mostly knuckles and thumbs. A person crop may hold a hand, but only one too
    small for it to be that hand's crop (crop side box_scale x the hand's box at most a third of
    it, as the too-wide hard negatives). Each face gives `copies` crops of other sizes and
    offsets (faces are few beside the hands: this is their weight in the mix), and no source gives
    more than max_per_source (one source's single person would otherwise be most of them).
    Returns crops written per source."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[np.ndarray]] = {}
    for rec in faces:
        hand_boxes = [np.r_[k.min(0), k.max(0)] for k in hands.get(rec["image"], [])]
        image = None
        for face in rec["faces"]:
            box = np.asarray(face["box"], np.float64)
            if face["score"] < min_score or (not people and any(_overlap(box, hb) for hb in hand_boxes)):
                continue
            for _ in range(copies):
                center, side = (person_crop_box if people else face_crop_box)(box, rng)
                if people:  # a tight photo of one person would be mostly border
                    side = min(side, PERSON_MAX_SIDE * max(rec["width"], rec["height"]))
                half = side / 2
                square = np.r_[center - half, center + half]
                if people and any(_overlap(square, hb) and (hb[2:] - hb[:2]).max() * box_scale > side / 3
                                  for hb in hand_boxes):
                    continue
                if image is None:
                    image = cv2.imread(str(image_root / rec["image"]))
                    if image is None:
                        raise TrainInputError(f"{image_root / rec['image']}: unreadable image")
                m = crop_affine(center, side * context, 0.0, ctx_size)
                by_source.setdefault(rec["source"], []).append(cv2.warpAffine(image, m, (ctx_size, ctx_size)))
    out.mkdir(parents=True, exist_ok=True)
    for source, imgs in by_source.items():
        if len(imgs) > max_per_source:
            imgs = [imgs[i] for i in sorted(rng.choice(len(imgs), max_per_source, replace=False))]
            by_source[source] = imgs
        save_no_hand_shard(out / f"{source}.npz", np.stack(imgs), num_keypoints)
    return {s: len(v) for s, v in by_source.items()}


def save_no_hand_shard(path: Path, images: np.ndarray, num_keypoints: int) -> None:
    """uint8[N, C, C, 3] context crops -> a shard in the hand shards' schema, every row "no hand"."""
    n = len(images)
    np.savez(path, images=images, keypoints=np.zeros((n, num_keypoints, 2), np.float32),
             visible=np.zeros((n, num_keypoints), bool), side=np.full(n, -1, np.int8), present=np.zeros(n, bool))


def face_crop_box(face: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Face box float[4] -> (centre, side) of a crop about face-sized, seldom centred on it: where
    a drifting hand crop lands."""
    side = max(face[2] - face[0], face[3] - face[1]) * rng.uniform(1.1, 1.8)
    return (face[:2] + face[2:]) / 2 + rng.uniform(-0.15, 0.15, 2) * side, side


def person_crop_box(face: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Face box float[4] -> (centre, side) of a head-and-shoulders crop, 3.5-6.5x the face and
    centred below it, often past the frame's edge (black there, as in the tracker's crops): what
    a detector box over a webcam user's torso gives the landmark model."""
    side = max(face[2] - face[0], face[3] - face[1]) * rng.uniform(3.5, 6.5)
    offset = np.array([rng.uniform(-0.25, 0.25), rng.uniform(0.1, 0.4)]) * side
    return (face[:2] + face[2:]) / 2 + offset, side


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Two boxes (x0, y0, x1, y1) share any area."""
    return bool(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def load_shards(paths: list[Path]) -> dict[str, np.ndarray]:
    """Concatenate shards; adds `source_index` int[N] (position of the shard in `paths`)."""
    if not paths:
        raise FileNotFoundError("no crop shards (*.npz) found: run `python -m train prepare-crops` first")
    parts = [dict(np.load(p)) for p in paths]
    keys = list(dict.fromkeys(k for p in parts for k in p))
    for key in keys:  # a per-row array some shards lack (mark-scenes' false boxes) is zeros there
        like = next(p[key] for p in parts if key in p)
        for p in parts:
            p.setdefault(key, np.zeros((len(p["images"]),) + like.shape[1:], like.dtype))
    data = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    data["source_index"] = np.concatenate([np.full(len(p["images"]), i) for i, p in enumerate(parts)])
    return data


@dataclass
class CropAugment:
    """Augmentation strengths. The box perturbations imitate the tracker's crops: a box from the
    previous frame's keypoints (upright, slightly off) or from a detection (axis-aligned)."""

    p_axis_aligned: float = 0.35   # crop as right after a detection: no rotation to upright
    p_any_rotation: float = 0.1
    p_negative_any_rotation: float = 1.0  # share of 'no hand' rows turned by a uniform angle; the rest
                                   #   turn like hand crops, so orientation is no cue for presence
    rot_sigma_deg: float = 12.0
    scale_sigma: float = 0.15      # log-scale
    shift_sigma: float = 0.08      # fraction of the crop side
    p_flip: float = 0.5
    colour: float = 0.25
    p_blur: float = 0.25
    noise_max: float = 8.0
    p_gray: float = 0.05
    p_key: float = 0.0             # chroma-key green-screen samples onto a hand-free real background
    p_hard_negative: float = 0.0   # swap in a crop of a face, torso or too-wide box from `scenes`: presence 0
    p_motion_blur: float = 0.0     # linear motion blur, as in fast signing
    motion_blur_max: int = 11      # longest motion-blur streak, px at the network's input size
    p_quarter_turn: float = 0.0    # detector: turn the frame by 90/180/270 degrees (hands pointing
                                   #   sideways or down; exact for axis-aligned boxes, unlike free angles)
    zoom_out_max: float = 1.6      # detector: view side up to this x the frame's (log-uniform from 0.6),
                                   #   so big hands also appear at webcam sizes (0.1-0.3 of the frame)
    p_fill_background: float = 0.0  # detector: share of zoomed-out views whose border is a hand-free
                                   #   real background instead of black


def green_screen_mask(image_bgr: np.ndarray) -> np.ndarray:
    """uint8[H, W, 3] -> float32[H, W] in 0..1: how much each pixel is green-screen (soft edge)."""
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    hard = cv2.inRange(hsv, (35, 60, 40), (85, 255, 255))
    return cv2.GaussianBlur(hard, (5, 5), 0).astype(np.float32) / 255.0


def key_onto(image_bgr: np.ndarray, background_bgr: np.ndarray) -> np.ndarray:
    """uint8[H, W, 3] shot on a green screen, uint8[H, W, 3] -> the image with its green replaced
    by the background (soft edge)."""
    alpha = green_screen_mask(image_bgr)[..., None]
    return (image_bgr * (1 - alpha) + background_bgr * alpha).astype(np.uint8)


class HandCropDataset(torch.utils.data.Dataset):
    """Yields (input float32[3, S, S], heatmaps float32[K, S/r, S/r], kp_mask float32[K],
    present float32, side float32 (1 = right), side_mask float32, keypoints float32[K, 2] crop px)."""

    def __init__(self, data: dict[str, np.ndarray], input_size: int, stride: int, sigma: float,
                 box_scale: float, mean, std, augment: CropAugment | None, seed: int = 0,
                 keyable: np.ndarray | None = None, scenes: dict[str, np.ndarray] | None = None):
        """keyable: bool[N], samples shot on a green screen (augment.p_key replaces it).
        scenes: whole-frame shards (train.data.frames) to cut hard negatives from."""
        self.scenes = scenes
        self.data, self.size, self.stride, self.sigma = data, input_size, stride, sigma
        self.keyable = np.zeros(len(data["side"]), bool) if keyable is None else keyable
        self.backgrounds = np.flatnonzero(~data["present"] & ~self.keyable)
        self.box_scale = box_scale
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self.aug = augment
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.data["side"])

    def _rng(self, i: int) -> np.random.Generator:
        return np.random.default_rng((self.seed, self.epoch, i))

    def crop_params(self, i: int, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
        kps, vis = self.data["keypoints"][i], self.data["visible"][i]
        ctx = self.data["images"].shape[1]
        aug = self.aug
        if not self.data["present"][i]:
            center, side, angle = np.array([(ctx - 1) / 2] * 2), ctx / 2.0, 0.0
            if aug and (aug.p_negative_any_rotation >= 1.0 or rng.random() < aug.p_negative_any_rotation):
                angle = rng.uniform(-np.pi, np.pi)
        else:
            axis_aligned = aug is not None and rng.random() < aug.p_axis_aligned
            center, side, angle = box_from_keypoints(kps, self.box_scale, rotate=not axis_aligned, visible=vis)
        if aug:
            if rng.random() < aug.p_any_rotation:
                angle = rng.uniform(-np.pi, np.pi)
            angle += np.deg2rad(rng.normal(0, aug.rot_sigma_deg))
            side *= float(np.exp(rng.normal(0, aug.scale_sigma)))
            center = center + rng.normal(0, aug.shift_sigma * side, 2)
        return center, side, angle

    def __getitem__(self, i: int):
        rng = self._rng(i)
        aug = self.aug
        img = self.data["images"][i]
        if aug and aug.p_key and self.keyable[i] and len(self.backgrounds) and rng.random() < aug.p_key:
            img = key_onto(img, self.data["images"][rng.choice(self.backgrounds)])
        kps = self.data["keypoints"][i].astype(np.float64)
        vis = self.data["visible"][i].copy()
        side = int(self.data["side"][i])
        present = bool(self.data["present"][i])
        center, crop_side, angle = self.crop_params(i, rng)
        if aug and self.scenes is not None and rng.random() < aug.p_hard_negative:
            # What a drifting track sees: a face or torso, or a crop far too wide for the hand in
            # it. Presence must fall there so that the tracker hands over to the detector.
            f = int(rng.integers(len(self.scenes["n_boxes"])))
            box = hard_negative_box(self.scenes["boxes"][f][: self.scenes["n_boxes"][f]],
                                    self.scenes["images"].shape[1], self.box_scale, rng)
            if box is not None:
                img, (center, crop_side), present = self.scenes["images"][f], box, False
        m = crop_affine(center, crop_side, angle, self.size)
        if aug and rng.random() < aug.p_flip:  # mirror: a left hand becomes a right hand
            flip = np.array([[-1.0, 0.0, self.size - 1.0], [0.0, 1.0, 0.0]])
            m = flip[:, :2] @ m
            m[:, 2] += flip[:, 2]
            side = 1 - side if side >= 0 else side
        crop = cv2.warpAffine(img, m, (self.size, self.size), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        pts = transform_points(kps, m).astype(np.float32)
        inside = (pts >= 0).all(1) & (pts <= self.size - 1).all(1)
        mask = vis & inside & present
        x = crop[..., ::-1].astype(np.float32)  # BGR -> RGB, as livehand.preprocess.normalize
        if aug:
            x = colour_augment(x, rng, aug)
        x = (x - self.mean) / self.std
        heat = gaussian_heatmaps(pts, mask, self.size, self.stride, self.sigma)
        return (torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))), torch.from_numpy(heat),
                torch.from_numpy(mask.astype(np.float32)), torch.tensor(float(present)),
                torch.tensor(float(side == 1)), torch.tensor(float(present and side >= 0)),
                torch.from_numpy(pts))


def hard_negative_box(boxes: np.ndarray, frame_side: int, box_scale: float, rng: np.random.Generator
                      ) -> tuple[np.ndarray, float] | None:
    """A crop box (centre, side) in a whole frame that a drifting track could end up on, given the
    frame's hand boxes float[N, 4] (x0, y0, x1, y1) and the crop/hand-box ratio: half the time a
    hand-crop-sized square that no hand box reaches into (face, torso, arm, room), else a square
    3.5-6x a hand's crop with that hand somewhere inside (the torso-sized crop). None when no
    such box was found."""
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    if rng.random() < 0.5:
        for _ in range(10):
            side = float(np.clip(sides.mean() * box_scale * np.exp(rng.normal(0, 0.4)), 24, frame_side))
            c = rng.uniform(side / 2, frame_side - side / 2, 2)
            if np.all(np.abs(centres - c).max(1) > (side + sides) / 2):  # every hand box wholly outside
                return c, side
        return None
    return too_wide_box(boxes[int(rng.integers(len(boxes)))], frame_side, box_scale, rng)


def too_wide_box(box: np.ndarray, frame_side: int, box_scale: float, rng: np.random.Generator
                 ) -> tuple[np.ndarray, float]:
    """A hand box float[4] -> (centre, side) of a square 3.5-6x that hand's crop (at most the frame),
    the hand somewhere inside: what a track that spread over arm and torso crops."""
    box = np.asarray(box)  # its own dtype: the same arithmetic as before this was split out
    side = float(min(max(box[2] - box[0], box[3] - box[1]) * box_scale * rng.uniform(3.5, 6.0), frame_side))
    return (box[:2] + box[2:]) / 2 + rng.uniform(-0.3, 0.3, 2) * side, side


def motion_blur(x: np.ndarray, rng: np.random.Generator, max_length: int = 11) -> np.ndarray:
    """float32[S, S, 3] -> the image smeared along a random line of 3..max_length px."""
    length = int(rng.integers(3, max_length + 1))
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    a = rng.uniform(0, np.pi)
    d = np.array([np.cos(a), np.sin(a)]) * c
    cv2.line(k, (round(c - d[0]), round(c - d[1])), (round(c + d[0]), round(c + d[1])), 1.0, 1)
    return cv2.filter2D(x, -1, k / k.sum())


def colour_augment(x: np.ndarray, rng: np.random.Generator, aug: CropAugment) -> np.ndarray:
    """float32[S, S, 3] RGB 0..255 -> jittered copy (brightness, contrast, saturation, blur, noise)."""
    c = aug.colour
    gray = x.mean(axis=2, keepdims=True)
    if rng.random() < aug.p_gray:
        x = np.repeat(gray, 3, axis=2)
    else:
        x = gray + (x - gray) * rng.uniform(1 - c, 1 + c)          # saturation
        x = x * rng.uniform(1 - c, 1 + c, size=3).astype(np.float32) ** 0.3  # white balance
    x = (x - x.mean()) * rng.uniform(1 - c, 1 + c) + x.mean() * rng.uniform(1 - c, 1 + c)
    if rng.random() < aug.p_blur:
        k = int(rng.choice([3, 5]))
        x = cv2.GaussianBlur(x, (k, k), 0)
    elif aug.p_motion_blur and rng.random() < aug.p_motion_blur:
        x = motion_blur(x, rng, aug.motion_blur_max)
    if aug.noise_max > 0:
        x = x + rng.normal(0, rng.uniform(0, aug.noise_max), x.shape).astype(np.float32)
    return np.clip(x, 0, 255).astype(np.float32)


def write_crop_images(data: dict[str, np.ndarray], out: Path, count: int, size: int, box_scale: float,
                      seed: int = 0) -> int:
    """Write `count` upright hand crops (as the tracker cuts them) as JPEGs, e.g. to calibrate
    INT8 quantisation on real hands. Returns how many were written."""
    out.mkdir(parents=True, exist_ok=True)
    hands = np.flatnonzero(data["present"])
    pick = np.random.default_rng(seed).permutation(hands)[:count]
    for n, i in enumerate(pick):
        center, side, angle = box_from_keypoints(data["keypoints"][i], box_scale, visible=data["visible"][i])
        crop = cv2.warpAffine(data["images"][i], crop_affine(center, side, angle, size), (size, size))
        cv2.imwrite(str(out / f"crop_{n:05d}.jpg"), crop)
    return len(pick)
