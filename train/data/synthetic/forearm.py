"""A forearm for the hand mesh, which stops at the wrist: a tapered elliptic tube with an end cap.

Built in the wrist joint's bind frame (+Z points away from the fingers, +Y out of the back of the
hand) so it stays with the arm while the wrist bends the hand. It starts at the wrist joint with
the cross-section of the hand mesh just behind the wrist (slightly smaller, so it hides inside the
hand's closed-off end instead of poking through it) and widens towards the elbow, more in
thickness than in width, as real forearms do.
"""
from __future__ import annotations

import numpy as np

_AROUND, _ALONG = 20, 5


def forearm_mesh(section: tuple[float, float, float, float], length: float, widen: float,
                 thicken: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions float32[N, 3], normals float32[N, 3], faces uint32[M, 3] in the wrist frame.

    section: (centre_x, centre_y, half_x, half_y) at the wrist; length in metres; widen/thicken:
    how much the half-width/half-thickness grow from wrist to the far end (1 = not at all).
    """
    cx, cy, ax, ay = section
    theta = np.linspace(0, 2 * np.pi, _AROUND, endpoint=False)
    t = np.linspace(0, 1, _ALONG)[:, None]
    half_x = ax * (1 + (widen - 1) * t)
    half_y = ay * (1 + (thicken - 1) * t)
    cos, sin = np.cos(theta)[None], np.sin(theta)[None]
    ring = np.stack([cx + half_x * cos, cy + half_y * sin, np.broadcast_to(length * t, (_ALONG, _AROUND))], -1)
    normal = np.stack([cos / half_x, sin / half_y, np.zeros((_ALONG, _AROUND))], -1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    positions = np.concatenate([ring.reshape(-1, 3), [[cx, cy, length]]])
    normals = np.concatenate([normal.reshape(-1, 3), [[0.0, 0.0, 1.0]]])

    faces = []
    for i in range(_ALONG - 1):
        for j in range(_AROUND):
            a, b = i * _AROUND + j, i * _AROUND + (j + 1) % _AROUND
            faces += [(a, b, a + _AROUND), (b, b + _AROUND, a + _AROUND)]
    last, centre = (_ALONG - 1) * _AROUND, len(positions) - 1
    faces += [(last + j, last + (j + 1) % _AROUND, centre) for j in range(_AROUND)]
    return positions.astype(np.float32), normals.astype(np.float32), np.asarray(faces, np.uint32)
