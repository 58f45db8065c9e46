"""Whole-frame shards and the augmenting detector dataset (CenterNet-style targets).

Frames are letterboxed once into uint8 squares with their hand boxes (the box around each hand's
keypoints, as the detector predicts it). Training zooms, shifts, rotates a little (or by quarter
turns), flips, and with some probability builds a 2x2 mosaic of four frames, which gives several
small hands per image, as a webcam sees them, from photos that mostly show one large hand.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from livehand.decode import input_to_heatmap
from livehand.preprocess import crop_affine, transform_points
from train.data.crops import CropAugment, colour_augment, key_onto
from train.data.records import ImageRecord
from train.errors import TrainInputError

MAX_HANDS = 4
MIN_VISIBLE = 5  # keypoints a hand needs to count in a frame (a photo with none gets no row)


def frame_hands(hands: list) -> list:
    """The hands a frame row keeps: those with MIN_VISIBLE visible points, at most MAX_HANDS."""
    return [h for h in hands if h.visible.sum() >= MIN_VISIBLE][:MAX_HANDS]


def pack_frames(records: list[ImageRecord], out: Path, size: int = 256) -> dict[str, int]:
    """One shard per source: images uint8[N, size, size, 3] (letterboxed), boxes float32[N, 4, 4]
    (x0, y0, x1, y1 letterbox px; rows past n_boxes are zero), n_boxes int8[N]."""
    by_source: dict[str, list] = {}
    for rec in records:
        hands = frame_hands(rec.hands)
        if not hands:  # an image the teacher found no hand in may still hold one: skip it
            continue
        image = cv2.imread(str(rec.image))
        if image is None:
            raise TrainInputError(f"{rec.image}: unreadable image")
        h, w = image.shape[:2]
        m = crop_affine(((w - 1) / 2, (h - 1) / 2), max(h, w), 0.0, size)
        boxes = np.zeros((MAX_HANDS, 4), np.float32)
        for j, hand in enumerate(hands):
            pts = transform_points(hand.keypoints[hand.visible].astype(np.float64), m)
            boxes[j] = [*pts.min(0), *pts.max(0)]
        by_source.setdefault(rec.source, []).append(
            (cv2.warpAffine(image, m, (size, size), borderValue=(0, 0, 0)), boxes, len(hands)))
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for source, items in by_source.items():
        imgs, boxes, n = zip(*items)
        np.savez(out / f"{source}.npz", images=np.stack(imgs), boxes=np.stack(boxes), n_boxes=np.asarray(n, np.int8))
        counts[source] = len(items)
    return counts


def fill_outside(view: np.ndarray, m: np.ndarray, side: int, background: np.ndarray) -> np.ndarray:
    """uint8[S, S, 3] view warped by m (float[2, 3]) from a side x side frame, uint8[S, S, 3] ->
    the view with what lies outside the frame taken from the background (no black frame edge
    for the detector to learn hands by)."""
    inside = cv2.warpAffine(np.ones((side, side), np.uint8), m, view.shape[1::-1], flags=cv2.INTER_NEAREST)
    return np.where(inside[..., None] > 0, view, background)


class FrameDataset(torch.utils.data.Dataset):
    """Yields (input float32[3, S, S], centres float32[1, h, h], sizes float32[2, h, h],
    size_mask float32[1, h, h]), and the "no hand" weights float32[1, h, h] with false_box_weight."""

    def __init__(self, data: dict[str, np.ndarray], input_size: int, stride: int, mean, std,
                 augment: CropAugment | None, p_mosaic: float = 0.5, seed: int = 0,
                 keyable: np.ndarray | None = None, backgrounds=None, false_box_weight: float = 0.0):
        """keyable: bool[N], frames shot on a green screen; with augment.p_key their green is
        replaced by a hand-free real background from `backgrounds` (synthetic.background.Backgrounds),
        so the detector sees those hands (rps-cv: fists, flat hands, two fingers) in rooms; with
        augment.p_fill_background a zoomed-out view's border comes from `backgrounds` too.
        false_box_weight > 0: the frames' `false_boxes` (what a detector took for a hand there,
        mark-scenes) weigh 1 + false_box_weight in the focal loss's "no hand" term, and each item
        gets a fifth tensor, that weight map float32[1, h, h]."""
        self.data, self.size, self.stride = data, input_size, stride
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self.aug, self.p_mosaic, self.seed = augment, p_mosaic, seed
        self.keyable = np.zeros(len(data["n_boxes"]), bool) if keyable is None else keyable
        self.backgrounds = backgrounds
        self.false_box_weight = false_box_weight
        if false_box_weight and "false_boxes" not in data:
            raise TrainInputError("false_box_weight needs frames with false_boxes: run python -m train mark-scenes")
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.data["n_boxes"])

    def _falses(self, i: int) -> np.ndarray:
        """float64[F, 4] the detector's false boxes in frame i (none without false_boxes)."""
        if not self.false_box_weight:
            return np.zeros((0, 4))
        return self.data["false_boxes"][i][: int(self.data["n_false"][i])].astype(np.float64)

    def _frame(self, i: int, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        n = int(self.data["n_boxes"][i])
        img = self.data["images"][i]
        aug = self.aug
        if (rng is not None and aug and aug.p_key and self.keyable[i] and self.backgrounds is not None
                and rng.random() < aug.p_key):
            img = key_onto(img, self.backgrounds.sample(rng, img.shape[0]))
        return img, self.data["boxes"][i][:n].astype(np.float64)

    def _mosaic(self, idx: list[int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        c = self.data["images"].shape[1]
        half = c // 2
        canvas = np.zeros((c, c, 3), np.uint8)
        boxes, falses = [], []
        for q, i in enumerate(idx):
            img, b = self._frame(i, rng)
            ox, oy = (q % 2) * half, (q // 2) * half
            canvas[oy:oy + half, ox:ox + half] = cv2.resize(img, (half, half), interpolation=cv2.INTER_AREA)
            boxes.append(b * (half / c) + [ox, oy, ox, oy])
            falses.append(self._falses(i) * (half / c) + [ox, oy, ox, oy])
        return canvas, np.concatenate(boxes), np.concatenate(falses)

    def __getitem__(self, i: int):
        rng = np.random.default_rng((self.seed, self.epoch, i))
        aug = self.aug
        if aug and rng.random() < self.p_mosaic:
            img, boxes, falses = self._mosaic([i, *rng.integers(0, len(self), 3)], rng)
        else:
            (img, boxes), falses = self._frame(i, rng), self._falses(i)
        c = img.shape[0]
        center, side, angle = np.array([(c - 1) / 2] * 2), float(c), 0.0
        if aug:
            side *= float(np.exp(rng.uniform(np.log(0.6), np.log(aug.zoom_out_max))))
            center = center + rng.uniform(-0.2, 0.2, 2) * c
            angle = np.deg2rad(rng.normal(0, 8))
            if rng.random() < aug.p_quarter_turn:
                angle += np.pi / 2 * rng.integers(1, 4)
        m = crop_affine(center, side, angle, self.size)
        if aug and rng.random() < aug.p_flip:
            m[0] = -m[0]
            m[0, 2] += self.size - 1
        x = cv2.warpAffine(img, m, (self.size, self.size), borderValue=(0, 0, 0))
        if (aug and side > c and self.backgrounds is not None and aug.p_fill_background
                and rng.random() < aug.p_fill_background):
            x = fill_outside(x, m, c, self.backgrounds.sample(rng, self.size))
        x = x[..., ::-1].astype(np.float32)
        if aug:
            x = colour_augment(x, rng, aug)
        x = (x - self.mean) / self.std
        centres, sizes, mask = self._targets(boxes, m)
        item = (torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))), torch.from_numpy(centres),
                torch.from_numpy(sizes), torch.from_numpy(mask))
        if not self.false_box_weight:
            return item
        spots = np.zeros_like(centres)
        for _, _, g in self._splats(falses, m):
            np.maximum(spots[0], g, out=spots[0])
        return item + (torch.from_numpy(1.0 + self.false_box_weight * spots * (1.0 - centres)),)

    def _splats(self, boxes: np.ndarray, m: np.ndarray):
        """Boxes float[N, 4] in the frame, m the view's warp -> for each box whose centre lands in
        the view and that is big enough to see: ((w, h) input px, (ix, iy) its centre cell, its
        gaussian float32[h, h] peaking at 1 on that cell)."""
        h = self.size // self.stride
        grid = np.arange(h, dtype=np.float32)
        for x0, y0, x1, y1 in boxes:
            corners = transform_points(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]), m)
            (bx0, by0), (bx1, by1) = corners.min(0), corners.max(0)
            bw, bh = bx1 - bx0, by1 - by0
            cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
            if not (0 <= cx < self.size and 0 <= cy < self.size) or min(bw, bh) < 4:
                continue  # centre off-image or too small to see: no target
            hx, hy = input_to_heatmap(np.array([cx, cy]), self.stride)
            # The peak sits exactly on a cell (value 1): the focal loss counts only those as positives.
            ix, iy = int(np.clip(round(hx), 0, h - 1)), int(np.clip(round(hy), 0, h - 1))
            sigma = max(0.8, min(bw, bh) / self.stride / 6)
            yield (bw, bh), (ix, iy), np.exp(-((grid[None, :] - ix) ** 2 + (grid[:, None] - iy) ** 2) / (2 * sigma ** 2))

    def _targets(self, boxes: np.ndarray, m: np.ndarray):
        h = self.size // self.stride
        centres = np.zeros((1, h, h), np.float32)
        sizes = np.zeros((2, h, h), np.float32)
        mask = np.zeros((1, h, h), np.float32)
        for (bw, bh), (ix, iy), g in self._splats(boxes, m):
            np.maximum(centres[0], g, out=centres[0])
            ys, xs = slice(max(iy - 1, 0), iy + 2), slice(max(ix - 1, 0), ix + 2)
            sizes[0, ys, xs], sizes[1, ys, xs] = bw / self.size, bh / self.size
            mask[0, ys, xs] = 1.0
        return centres, sizes, mask
