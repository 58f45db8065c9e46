"""Keypoint schemas: names, order, bones, flip pairs, colours and the 21->17 mapping.

Defined once and shared by training (targets, flips), decoding and drawing. A schema is plain
data, so the training pipeline can learn any K points; the runtime's hand tracking uses HAND21
(the MediaPipe / GANerated / FreiHAND order) and derives HAND17 from it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class HandKeypoint(enum.IntEnum):
    WRIST = 0
    THUMB_CMC = 1
    THUMB_MCP = 2
    THUMB_IP = 3
    THUMB_TIP = 4
    INDEX_MCP = 5
    INDEX_PIP = 6
    INDEX_DIP = 7
    INDEX_TIP = 8
    MIDDLE_MCP = 9
    MIDDLE_PIP = 10
    MIDDLE_DIP = 11
    MIDDLE_TIP = 12
    RING_MCP = 13
    RING_PIP = 14
    RING_DIP = 15
    RING_TIP = 16
    PINKY_MCP = 17
    PINKY_PIP = 18
    PINKY_DIP = 19
    PINKY_TIP = 20


# BGR colours (OpenCV draws in BGR): one per finger, grey for the palm.
PALM_COLOUR = (200, 200, 200)
FINGER_COLOURS = {
    "thumb": (0, 140, 255),
    "index": (0, 220, 0),
    "middle": (255, 180, 0),
    "ring": (255, 0, 200),
    "pinky": (60, 60, 255),
}


@dataclass(frozen=True)
class KeypointSchema:
    """Everything the code needs to know about a keypoint layout.

    names: K names in model order. bones: (a, b) index pairs to draw. bone_colours: one BGR
    colour per bone. flip_pairs: index pairs that swap under a horizontal flip (empty for hands:
    a flipped left hand is a right hand with the same point order).
    """

    name: str
    names: tuple[str, ...]
    bones: tuple[tuple[int, int], ...]
    bone_colours: tuple[tuple[int, int, int], ...]
    flip_pairs: tuple[tuple[int, int], ...] = field(default=())

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    def flip_permutation(self) -> np.ndarray:
        """int[K]: where each keypoint goes under a horizontal flip."""
        perm = np.arange(self.num_keypoints)
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm


_FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _hand21() -> KeypointSchema:
    bones, colours = [], []
    for f, finger in enumerate(_FINGERS):
        base = 1 + 4 * f
        chain = [0, base, base + 1, base + 2, base + 3]
        for a, b in zip(chain[:-1], chain[1:]):
            bones.append((a, b))
            colours.append(FINGER_COLOURS[finger])
    for a, b in ((5, 9), (9, 13), (13, 17)):  # across the knuckles
        bones.append((a, b))
        colours.append(PALM_COLOUR)
    names = tuple(k.name.lower() for k in HandKeypoint)
    return KeypointSchema("hand21", names, tuple(bones), tuple(colours))


HAND21 = _hand21()
HAND_CONNECTIONS = HAND21.bones

# 17-point layout: wrist, palm centre, 5 tips, 5 first knuckles (thumb IP, index..pinky PIP),
# 5 base knuckles (MCPs). Each row of HAND17_FROM_21 averages some of the 21 points.
_H = HandKeypoint
_HAND17_SOURCES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("wrist", (_H.WRIST,)),
    ("palm_centre", (_H.WRIST, _H.INDEX_MCP, _H.MIDDLE_MCP, _H.RING_MCP, _H.PINKY_MCP)),
    *((f"{f}_tip", (4 + 4 * i,)) for i, f in enumerate(_FINGERS)),
    *((f"{f}_first_knuckle", (3 if i == 0 else 2 + 4 * i,)) for i, f in enumerate(_FINGERS)),
    *((f"{f}_base_knuckle", (2 if i == 0 else 1 + 4 * i,)) for i, f in enumerate(_FINGERS)),
)


def _hand17() -> tuple[KeypointSchema, np.ndarray]:
    matrix = np.zeros((17, 21), np.float32)
    for row, (_, sources) in enumerate(_HAND17_SOURCES):
        matrix[row, list(sources)] = 1.0 / len(sources)
    bones, colours = [(0, 1)], [PALM_COLOUR]
    for i, finger in enumerate(_FINGERS):
        tip, first, base = 2 + i, 7 + i, 12 + i
        for a, b in ((0, base), (base, first), (first, tip)):
            bones.append((a, b))
            colours.append(FINGER_COLOURS[finger])
    names = tuple(n for n, _ in _HAND17_SOURCES)
    return KeypointSchema("hand17", names, tuple(bones), tuple(colours)), matrix


HAND17, HAND17_FROM_21 = _hand17()

SCHEMAS = {s.name: s for s in (HAND21, HAND17)}


def to_hand17(keypoints21: np.ndarray) -> np.ndarray:
    """float[..., 21, C] -> float[..., 17, C]: the 17-point layout from the 21 points.

    Works on any trailing channels (x, y, conf): the palm centre's conf is the mean of its sources.
    """
    return np.einsum("pk,...kc->...pc", HAND17_FROM_21, keypoints21)


def schema_for_layout(layout: int | str) -> KeypointSchema:
    """'21'/'17'/'hand21'/... -> schema; ValueError names the layouts that exist."""
    key = f"hand{layout}" if str(layout).isdigit() else str(layout)
    if key not in SCHEMAS:
        raise ValueError(f"unknown keypoint layout {layout!r}; known: 21, 17")
    return SCHEMAS[key]
