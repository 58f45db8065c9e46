"""Random, anatomically plausible joint angles for the rigged hand.

Angles are in each joint's own bind frame (WebXR convention, see handmodel): flexion turns the
bone about -X so it bends towards the palm, abduction turns it about +-Y (sign per hand, so
positive always spreads towards the thumb). A hand draws one overall curl and spread and each
finger deviates from them, so poses range over open hands, fists, pinches and counting gestures
instead of independent per-joint noise. Ranges follow the usual active ranges of motion:
MCP -20..90, PIP 0..105, DIP ~2/3 PIP (the tendons couple them), thumb CMC/MCP/IP smaller.
One finger in five bends at the knuckle and the middle joint apart (a straight finger folded at
the knuckle, a hook with the knuckle straight), as finger spelling does (ASL H, K, P, E): with
one curl driving both joints, a straight finger pointing sideways was only ever a pinky or index.
About a third of the thumbs fold across the palm (CMC 40-60 degrees towards the fingers), which
the one-parameter thumb (at most along the palm's edge) never reached.
"""
from __future__ import annotations

import numpy as np

from .handmodel import FINGERS, HandModel
from .kinematics import axis_angle

_X, _Y = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
# Spread per finger (degrees at full spread, + towards the thumb) and metacarpal cupping limits.
_SPREAD = {"index": 14.0, "middle": 2.0, "ring": -9.0, "pinky": -20.0}
_CUP = {"index": 0.0, "middle": 0.0, "ring": 6.0, "pinky": 14.0}
# Share of poses with the thumb folded across the palm (counting 3 and 4, W, fists). Without it
# the thumb's tip came within half a palm of the ring knuckle in 18% of renders against 38-54%
# of the hands in hagrid, sign-digits and subhih-hands, and livehand drew such thumbs out to the side.
P_THUMB_ACROSS = 0.35


def _radial_sign(model: HandModel) -> float:
    """+1 if turning a finger about its +Y moves it towards the thumb, else -1 (mirrored hands)."""
    index = model.bind[model.index("index-finger-phalanx-proximal")]
    pinky = model.bind[model.index("pinky-finger-phalanx-proximal")]
    towards_thumb = index[:3, 3] - pinky[:3, 3]
    return float(np.sign(-index[:3, 0] @ towards_thumb))


def _clip(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)  # np.clip costs ~10 us per scalar call


def _bend(flex_deg: float, spread_deg: float, radial: float) -> np.ndarray:
    """Abduct first, then flex about the abducted bone's own hinge axis."""
    return axis_angle(_Y, np.radians(spread_deg) * radial) @ axis_angle(-_X, np.radians(flex_deg))


def _finger_curls(rng: np.random.Generator) -> np.ndarray:
    """Curl 0 (straight) .. 1 (fist) for index..pinky: mostly one shared curl, sometimes a gesture."""
    base = rng.choice([0.0, rng.uniform(0, 1), 1.0], p=[0.3, 0.5, 0.2])
    curls = np.clip(base + rng.normal(0, 0.12, 4), 0, 1)
    if rng.random() < 0.35:  # counting / pointing / rock gestures: some fingers up, others down
        up = rng.random(4) < 0.5
        curls = np.where(up, rng.uniform(0, 0.15, 4), rng.uniform(0.75, 1.0, 4))
    return curls


def sample_rotations(model: HandModel, rng: np.random.Generator) -> np.ndarray:
    """Local joint rotations float64[J, 3, 3] for one random hand pose (wrist bend included)."""
    rot = np.tile(np.eye(3), (len(model.names), 1, 1))
    radial = _radial_sign(model)
    spread = rng.uniform(-0.2, 1.0)
    for finger, curl in zip(FINGERS, _finger_curls(rng)):
        mcp = _clip(curl * 85 + rng.normal(0, 8), -20, 90)
        pip = _clip(curl * 100 + rng.normal(0, 8), -3, 105)
        if rng.random() < 0.2:  # knuckle and middle joint apart
            mcp, pip = rng.uniform(-10, 90), rng.uniform(0, 105)
        dip = _clip(pip * 2 / 3 + rng.normal(0, 5), -5, 80)
        abduct = spread * _SPREAD[finger] * (1 - max(mcp, 0) / 110) + rng.normal(0, 2)
        rot[model.index(f"{finger}-finger-metacarpal")] = _bend(rng.uniform(0, _CUP[finger]), 0, radial)
        rot[model.index(f"{finger}-finger-phalanx-proximal")] = _bend(mcp, abduct, radial)
        rot[model.index(f"{finger}-finger-phalanx-intermediate")] = _bend(pip, 0, radial)
        rot[model.index(f"{finger}-finger-phalanx-distal")] = _bend(dip, 0, radial)
    if rng.random() < P_THUMB_ACROSS:  # across the palm, tip by the ring finger's base
        cmc, cmc_spread = rng.uniform(40, 60), rng.uniform(-35, -15)
        mcp, ip = rng.uniform(35, 55), rng.uniform(30, 70)
    else:
        thumb = rng.uniform(0, 1)  # 0 out to the side .. 1 folded along the palm's edge
        cmc, cmc_spread = thumb * 40 - 10 + rng.normal(0, 6), rng.uniform(-15, 25)
        mcp, ip = _clip(thumb * 45 + rng.normal(0, 10), -5, 60), _clip(thumb * 60 + rng.normal(0, 15), -20, 80)
    rot[model.index("thumb-metacarpal")] = _bend(cmc, cmc_spread, radial)
    rot[model.index("thumb-phalanx-proximal")] = _bend(mcp, 0, radial)
    rot[model.index("thumb-phalanx-distal")] = _bend(ip, 0, radial)
    # Wrist bend kept moderate: the hand mesh turns rigidly about the wrist joint, so larger bends
    # open a visible step where it meets the (unbent) forearm.
    rot[model.index("wrist")] = _bend(rng.uniform(-25, 25), rng.uniform(-12, 12), radial)
    return rot
