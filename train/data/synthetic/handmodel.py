"""Load a rigged MIT hand (left.glb / right.glb) into numpy arrays ready for skinning.

The .glb files keep all 25 joints as flat children of the armature, with bind-pose global
transforms and no parent links, so the finger chains are rebuilt here by name. Joint frames follow
the WebXR hand convention (checked on both files): local -Z runs along the bone towards the
fingertip, +Y points out of the back of the hand (the nail side), X completes a right-handed frame.
The two files are mirror images, so the same local angles give mirrored poses.

The `*-tip` joints sit 10-13 mm short of the mesh's fingertip (measured along the distal bone in
the bind pose); the 21-point label of a tip is moved to the end of the mesh, the point MediaPipe,
FreiHAND and GANerated label. The other joint origins sit inside the finger at the joint centres.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

FINGERS = ("index", "middle", "ring", "pinky")
_CHAIN = ("metacarpal", "phalanx-proximal", "phalanx-intermediate", "phalanx-distal", "tip")

# The 21 label points in HAND21 order (0 wrist, thumb CMC..tip, then index..pinky MCP..tip).
KEYPOINT_JOINTS: tuple[str, ...] = (
    "wrist",
    "thumb-metacarpal", "thumb-phalanx-proximal", "thumb-phalanx-distal", "thumb-tip",
    *(f"{f}-finger-{j}" for f in FINGERS for j in _CHAIN[1:]),
)
TIP_JOINTS = ("thumb-tip", *(f"{f}-finger-tip" for f in FINGERS))
# MediaPipe, the teacher of every real label, puts the wrist point nearer the knuckles than the
# rig's wrist joint (which sits in the forearm): on 371 renders it found, its wrist lay a median
# 0.22 of the way from the joint to the middle finger's knuckle (13% of hand size off, the
# largest gap of any point). Renders are labelled the teacher's way, or the model learns two wrists.
WRIST_TOWARD_KNUCKLE = 0.22
# The other points, the same way (bench/renders_vs_teacher.py, 375 render hands, 2026-12-02): the
# teacher's knuckles lie further along the finger than the rig's joint centres and its finger joints
# and tips nearer the wrist. Shares of the hand's length (wrist joint to middle fingertip, rest
# pose); a positive shift moves the point along its outgoing bone, a negative one back along the
# bone that comes in; the teacher's median offsets under 0.01 are left alone.
TEACHER_SHIFT: dict[int, float] = {
    3: -0.033, 4: -0.045,                                   # thumb IP, tip
    5: 0.025, 6: -0.020, 7: -0.014, 8: -0.021,              # index MCP, PIP, DIP, tip
    9: 0.018, 10: -0.017, 11: -0.014, 12: -0.018,           # middle
    13: 0.025, 14: -0.014, 15: -0.014, 16: -0.025,          # ring
    17: 0.033,                                              # pinky MCP
}

_COMPONENT = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _parent_name(name: str) -> str | None:
    if name == "wrist":
        return None
    if name.startswith("thumb-"):
        chain = ("metacarpal", "phalanx-proximal", "phalanx-distal", "tip")
        part = name.removeprefix("thumb-")
        return "wrist" if part == chain[0] else f"thumb-{chain[chain.index(part) - 1]}"
    finger, part = name.split("-finger-")
    return "wrist" if part == _CHAIN[0] else f"{finger}-finger-{_CHAIN[_CHAIN.index(part) - 1]}"


def _quat_matrix(q: list[float]) -> np.ndarray:
    x, y, z, w = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


@dataclass(frozen=True)
class HandModel:
    """One hand. Joint arrays are in skin order; `parents` lists parents before children.

    bind: float64[J, 4, 4] joint-to-model transforms in the bind pose; local: the same relative
    to the parent; inverse_bind: from the file. keypoint_joints: int[21] joint per label point;
    keypoint_offsets: float64[21, 3] label point in that joint's frame (the wrist, tips and the
    points TEACHER_SHIFT moves; zero for the rest). hand_length: wrist joint to the middle
    fingertip's mesh end in the bind pose, metres (the unit of TEACHER_SHIFT).
    palm: float32[V] 0..1, how much a vertex faces the palm side (palms are lighter than backs).
    wrist_section: (centre_x, centre_y, half_x, half_y) of the mesh just behind the wrist joint
    (0-14 mm towards the arm, where it still has full thickness before closing off), in wrist-frame
    metres: the forearm is joined on there.
    """

    side: str
    names: tuple[str, ...]
    parents: np.ndarray
    order: np.ndarray
    bind: np.ndarray
    local: np.ndarray
    inverse_bind: np.ndarray
    positions: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    joints: np.ndarray
    weights: np.ndarray
    palm: np.ndarray
    keypoint_joints: np.ndarray
    keypoint_offsets: np.ndarray
    wrist_section: tuple[float, float, float, float]
    hand_length: float

    def index(self, name: str) -> int:
        return self.names.index(name)


def _read_glb(path: Path):
    import pygltflib

    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()

    def accessor(i: int) -> np.ndarray:
        acc = gltf.accessors[i]
        view = gltf.bufferViews[acc.bufferView]
        dtype, width = _COMPONENT[acc.componentType], _WIDTH[acc.type]
        if view.byteStride not in (None, width * np.dtype(dtype).itemsize):
            raise ValueError(f"{path}: interleaved buffer views are not supported")
        offset = (view.byteOffset or 0) + (acc.byteOffset or 0)
        return np.frombuffer(blob, dtype, acc.count * width, offset).reshape(acc.count, width).copy()

    if len(gltf.skins) != 1 or len(gltf.meshes) != 1 or len(gltf.meshes[0].primitives) != 1:
        raise ValueError(f"{path}: expected one skin and one single-primitive mesh")
    return gltf, accessor


def load_hand(path: str | Path, side: str) -> HandModel:
    """Parse a hand .glb (pygltflib) and derive the kinematic tree, label points and shading data."""
    path = Path(path)
    gltf, accessor = _read_glb(path)
    skin, prim = gltf.skins[0], gltf.meshes[0].primitives[0]
    nodes = [gltf.nodes[j] for j in skin.joints]
    names = tuple(n.name for n in nodes)
    missing = set(KEYPOINT_JOINTS) - set(names)
    if missing:
        raise ValueError(f"{path}: missing joints {sorted(missing)}")

    bind = np.tile(np.eye(4), (len(nodes), 1, 1))
    for k, node in enumerate(nodes):
        if node.matrix:
            bind[k] = np.asarray(node.matrix, np.float64).reshape(4, 4).T
        else:
            bind[k, :3, :3] = _quat_matrix(node.rotation or [0, 0, 0, 1])
            bind[k, :3, 3] = node.translation or [0, 0, 0]
    parents = np.array([-1 if _parent_name(n) is None else names.index(_parent_name(n)) for n in names])
    local = np.array([bind[k] if p < 0 else np.linalg.inv(bind[p]) @ bind[k] for k, p in enumerate(parents)])
    depth = [0] * len(names)
    for k in range(len(names)):
        p = k
        while parents[p] >= 0:
            p, depth[k] = parents[p], depth[k] + 1
    order = np.argsort(depth, kind="stable")

    positions = accessor(prim.attributes.POSITION).astype(np.float32)
    normals = accessor(prim.attributes.NORMAL).astype(np.float32)
    joints = accessor(prim.attributes.JOINTS_0).astype(np.int32)
    weights = accessor(prim.attributes.WEIGHTS_0).astype(np.float32)
    weights /= weights.sum(1, keepdims=True)
    faces = accessor(prim.indices).reshape(-1, 3).astype(np.uint32)
    inverse_bind = accessor(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1).astype(np.float64)

    kp_joints = np.array([names.index(n) for n in KEYPOINT_JOINTS])
    kp_offsets = np.zeros((21, 3))
    dominant = joints[np.arange(len(joints)), weights.argmax(1)]
    for tip in TIP_JOINTS:
        t = names.index(tip)
        near = np.isin(dominant, [t, parents[t]])
        along = -(positions[near] - bind[t, :3, 3]) @ bind[t, :3, 2]  # distance past the joint along -Z
        kp_offsets[KEYPOINT_JOINTS.index(tip)] = (0.0, 0.0, -float(along.max()))

    w = bind[names.index("wrist")]
    knuckle = bind[names.index("middle-finger-phalanx-proximal"), :3, 3]
    kp_offsets[0] = WRIST_TOWARD_KNUCKLE * (knuckle - w[:3, 3]) @ w[:3, :3]
    middle_tip = names.index("middle-finger-tip")
    hand_length = float(np.linalg.norm(bind[middle_tip] @ (*kp_offsets[KEYPOINT_JOINTS.index("middle-finger-tip")], 1.0)
                                       - np.append(w[:3, 3], 1.0)))
    for k, share in TEACHER_SHIFT.items():
        kp_joints[k], kp_offsets[k] = _shifted(k, share * hand_length, kp_joints[k], kp_offsets[k], parents, local)
    palm_dir = -w[:3, 1]  # wrist +Y is the back of the hand
    palm = np.clip(normals @ palm_dir.astype(np.float32), 0.0, 1.0)
    in_wrist = (positions - w[:3, 3]) @ w[:3, :3]
    ring = in_wrist[(in_wrist[:, 2] > -0.002) & (in_wrist[:, 2] < 0.014)]
    lo, hi = ring[:, :2].min(0), ring[:, :2].max(0)
    section = (*((lo + hi) / 2), *((hi - lo) / 2))
    return HandModel(side, names, parents, order, bind, local, inverse_bind, positions, normals, faces,
                     joints, weights, palm.astype(np.float32), kp_joints, kp_offsets,
                     tuple(float(s) for s in section), hand_length)


def _shifted(k: int, distance: float, joint: int, offset: np.ndarray, parents: np.ndarray,
             local: np.ndarray) -> tuple[int, np.ndarray]:
    """Label point k moved `distance` (model units) along its outgoing bone (local -Z), or for a
    negative distance back along its incoming bone: the point then rides on the parent joint, so it
    stays on the bone however the joint bends. A tip has no outgoing bone; it moves along -Z both ways."""
    if distance >= 0 or KEYPOINT_JOINTS[k] in TIP_JOINTS:
        return joint, offset + (0.0, 0.0, -distance)
    parent = parents[joint]
    bone = local[joint, :3, 3]  # the joint's origin in the parent's frame
    return parent, bone * (1.0 + distance / float(np.linalg.norm(bone)))


@lru_cache(maxsize=4)
def load_pair(model_dir: str) -> dict[str, HandModel]:
    """Both hands from a folder holding left.glb and right.glb."""
    return {side: load_hand(Path(model_dir) / f"{side}.glb", side) for side in ("left", "right")}
