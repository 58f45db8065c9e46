"""Pose a hand, attach the forearm, orient it and place it in front of a pinhole camera.

Camera space is OpenCV's (x right, y down, z forward). The hand is turned so the palm or the back
faces the camera within a tilt (sometimes any orientation), spun to any in-plane angle, and moved
so its projected size and offset match the sampled framing; the focal length varies too, so
perspective ranges from webcam-close to zoomed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .forearm import forearm_mesh
from .handmodel import HandModel
from .kinematics import axis_angle, forward_kinematics, keypoints, skin

FOREARM_PART = 25  # part id of forearm pixels (joint ids are 0..24)
# Wrist frame -> camera for the back of the hand facing the camera, fingers up: +X stays x, +Y (back
# of hand) points at the camera (-z), +Z (towards the arm) points down the image (+y).
BACK_VIEW = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
PALM_VIEW = axis_angle(np.array([0.0, 1.0, 0.0]), np.pi) @ BACK_VIEW  # turned about the image's vertical


@dataclass
class Framing:
    """fov_deg: horizontal field of view; fill: hand box side / image side; offset: box-centre shift
    in units of the free margin (|offset| <= 1 keeps the box inside, larger cuts the hand off)."""

    fov_deg: float
    fill: float
    offset: tuple[float, float]


@dataclass
class Scene:
    """One posed hand + forearm in camera space, ready to render and label."""

    side: str
    positions: np.ndarray
    normals: np.ndarray
    palm: np.ndarray
    part: np.ndarray
    faces: np.ndarray
    keypoints: np.ndarray
    focal: float
    size: int

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixel coordinates float64[N, 2], pixel centres at integers (livehand's convention)."""
        return self.focal * points[:, :2] / points[:, 2:3] + self.size / 2 - 0.5


def sample_framing(rng: np.random.Generator) -> Framing:
    return Framing(rng.uniform(20, 70), rng.uniform(0.4, 0.7), tuple(rng.uniform(-1.1, 1.1, 2)))


def sample_view(rng: np.random.Generator) -> np.ndarray:
    """Wrist frame -> camera rotation: palm or back towards the camera (tilted up to 65 degrees) for
    most images, a uniformly random orientation for the rest; any in-plane angle."""
    if rng.random() < 0.15:
        q = rng.normal(size=4)
        x, y, z, w = q / np.linalg.norm(q)
        view = np.array([
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ])
        return view @ BACK_VIEW
    facing = PALM_VIEW if rng.random() < 0.5 else BACK_VIEW
    tilt_axis = np.array([*rng.normal(size=2), 0.0])
    tilt = axis_angle(tilt_axis / np.linalg.norm(tilt_axis), np.radians(rng.uniform(0, 65)))
    spin = axis_angle(np.array([0.0, 0.0, 1.0]), rng.uniform(0, 2 * np.pi))
    return spin @ tilt @ facing


def _rigid(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rotation, translation
    return m


def _project(points: np.ndarray, focal: float) -> np.ndarray:
    """Pixels relative to the image centre."""
    return focal * points[:, :2] / points[:, 2:3]


def build_scene(model: HandModel, rotations: np.ndarray, rng: np.random.Generator, size: int,
                framing: Framing, view: np.ndarray) -> Scene:
    """Pose `model` by its joint rotations (pose.sample_rotations), turn it by `view` (wrist frame ->
    camera) and frame it so its projected box gets side `framing.fill * size`; rng draws the forearm."""
    wrist = model.index("wrist")
    turn = view @ model.bind[wrist, :3, :3].T  # model -> camera rotation
    pose = forward_kinematics(model, rotations, _rigid(turn, np.zeros(3)))
    verts, normals = skin(model, pose)
    focal = size / 2 / np.tan(np.radians(framing.fov_deg) / 2)

    # Distance from the box size (projection scales ~1/z), then the shift in pixels; perspective makes
    # both interact a little, so a few rounds settle them.
    centre = verts.mean(0)
    shift = np.array([0.0, 0.0, 0.5])
    for _ in range(3):
        uv = _project(verts - centre + shift, focal)
        shift[2] *= np.ptp(uv, 0).max() / (framing.fill * size)
        shift[2] = max(shift[2], np.ptp(verts[:, 2]) + 0.03)  # keep the whole hand in front of the camera
        uv = _project(verts - centre + shift, focal)
        margin = np.maximum(size / 2 - np.ptp(uv, 0) / 2, 0)
        target = np.asarray(framing.offset) * margin
        shift[:2] += (target - (uv.min(0) + uv.max(0)) / 2) * shift[2] / focal
    translation = shift - centre  # skinning commutes with the root transform: just move the result
    root = _rigid(turn, translation)
    arm_pos, arm_nrm, arm_faces = forearm_mesh(model.wrist_section, rng.uniform(0.3, 0.45),
                                               rng.uniform(1.05, 1.3), rng.uniform(1.3, 1.8))
    arm_palm = np.clip(-arm_nrm[:, 1], 0, 1)  # inner forearm (the palm side, wrist -Y) is lighter too
    arm_frame = root @ model.bind[wrist]  # the wrist's frame before its own bend: the arm does not bend
    arm_pos = arm_pos @ arm_frame[:3, :3].T + arm_frame[:3, 3]
    arm_nrm = arm_nrm @ arm_frame[:3, :3].T
    dominant = model.joints[np.arange(len(model.joints)), model.weights.argmax(1)]
    return Scene(
        side=model.side,
        positions=np.concatenate([verts + translation, arm_pos]).astype(np.float32),
        normals=np.concatenate([normals, arm_nrm]).astype(np.float32),
        palm=np.concatenate([model.palm, arm_palm]).astype(np.float32),
        part=np.concatenate([dominant, np.full(len(arm_pos), FOREARM_PART)]).astype(np.float32),
        faces=np.concatenate([model.faces, arm_faces + len(verts)]),
        keypoints=keypoints(model, pose) + translation,
        focal=float(focal),
        size=size,
    )
