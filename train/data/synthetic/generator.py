"""One synthetic training image with its label, reproducible from (seed, index).

Each image draws from its own generator seeded with (seed, index), so the output does not depend
on how images are split across worker processes or in which order they are made.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .appearance import sample_shading
from .augment import add_occluders, camera_effects, composite
from .background import Backgrounds
from .handmodel import load_pair
from .labels import allowed_parts, label_hand
from .render import Renderer
from .pose import sample_rotations
from .scene import build_scene, sample_framing, sample_view

MODEL_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "hand-model"
_OCCLUDER_SHARE = 0.3


@dataclass
class Sample:
    """image: uint8 BGR [S, S, 3]; hand: livehand JSON-lines hand {"side", "keypoints"}; jpeg quality."""

    image: np.ndarray
    hand: dict
    quality: int


class SyntheticGenerator:
    """Holds the GL context, both hand models and the background source for a worker's lifetime."""

    def __init__(self, seed: int, size: int = 256, backgrounds: Backgrounds | None = None,
                 model_dir: str | Path = MODEL_DIR, supersample: int = 2):
        self.seed, self.size = seed, size
        self.models = load_pair(str(model_dir))
        self.allowed = {side: allowed_parts(m) for side, m in self.models.items()}
        self.backgrounds = backgrounds if backgrounds is not None else Backgrounds.default()
        self.renderer = Renderer(size, supersample)

    def sample(self, index: int) -> Sample:
        rng = np.random.default_rng([self.seed, index])
        side = "left" if rng.random() < 0.5 else "right"
        model = self.models[side]
        rotations = sample_rotations(model, rng)
        scene = build_scene(model, rotations, rng, self.size, sample_framing(rng), sample_view(rng))
        frame = self.renderer.render(scene.positions, scene.normals, scene.palm, scene.part, scene.faces,
                                     scene.focal, sample_shading(rng))
        image = composite(frame.rgb, frame.alpha, self.backgrounds.sample(rng, self.size))
        occluded = None
        if rng.random() < _OCCLUDER_SHARE:
            uv = scene.project(scene.keypoints)
            box = (*uv.min(0), *uv.max(0))
            occluded = add_occluders(image, box, self.backgrounds.sample(rng, self.size, faces=False), rng)
        image = camera_effects(image, rng)
        keypoints = label_hand(scene, self.allowed[side], frame.part, self.renderer.ss, occluded)
        return Sample(image, {"side": side, "keypoints": keypoints}, int(rng.integers(45, 96)))

    def encode(self, index: int) -> tuple[bytes, dict]:
        """JPEG bytes and the hand label for image `index`."""
        s = self.sample(index)
        ok, buf = cv2.imencode(".jpg", s.image, [cv2.IMWRITE_JPEG_QUALITY, s.quality])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for synthetic image {index}")
        return buf.tobytes(), s.hand

    def close(self) -> None:
        self.renderer.release()
