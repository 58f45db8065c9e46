"""Forward kinematics and linear-blend skinning in numpy (a hand has 25 joints and ~1,360 vertices,
so one posed hand costs well under a millisecond)."""
from __future__ import annotations

import numpy as np

from .handmodel import HandModel


def axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix about a unit axis (Rodrigues)."""
    x, y, z = axis
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def forward_kinematics(model: HandModel, rotations: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Joint-to-world transforms float64[J, 4, 4].

    rotations: float[J, 3, 3], each joint's rotation in its own bind frame (identity = bind pose),
    applied down the tree so a knuckle carries its finger. root: float[4, 4], model -> world.
    """
    world = np.empty_like(model.bind)
    for k in model.order:
        p = model.parents[k]
        parent = root if p < 0 else world[p]
        local = model.local[k].copy()
        local[:3, :3] = local[:3, :3] @ rotations[k]
        world[k] = parent @ local
    return world


def skin(model: HandModel, world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posed vertices and unit normals, float32[V, 3] each, by linear-blend skinning."""
    skinning = world @ model.inverse_bind  # [J, 4, 4]: bind-pose model space -> posed world
    blended = np.einsum("vi,vijk->vjk", model.weights, skinning[model.joints])  # [V, 4, 4]
    verts = np.einsum("vjk,vk->vj", blended[:, :3, :3], model.positions) + blended[:, :3, 3]
    normals = np.einsum("vjk,vk->vj", blended[:, :3, :3], model.normals)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
    return verts.astype(np.float32), normals.astype(np.float32)


def keypoints(model: HandModel, world: np.ndarray) -> np.ndarray:
    """The 21 label points in world space, float64[21, 3] (HAND21 order)."""
    frames = world[model.keypoint_joints]
    return np.einsum("kij,kj->ki", frames[:, :3, :3], model.keypoint_offsets) + frames[:, :3, 3]
