"""Random skin tone and lighting.

Skin tones interpolate between neighbouring swatches of the Monk Skin Tone Scale (Google, CC BY
4.0; ten tones from very light to very dark, made to cover the range of human skin), with a small
per-channel jitter. Palms carry less melanin than the back of the hand, so the palm side is mixed
towards a light pinkish tone - noticeably on dark skin, barely on light skin, as in real hands.
"""
from __future__ import annotations

import numpy as np

from .render import Shading

MONK_SRGB = ("f6ede4", "f3e7db", "f7ead0", "eadaba", "d7bd96", "a07e56", "825c43", "604134", "3a312a", "292420")
_PALM_SRGB = "e8b49c"


def srgb_to_linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def sample_skin(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(albedo, palm albedo) in linear RGB."""
    i = rng.integers(0, len(MONK_SRGB) - 1)
    darker, lighter = srgb_to_linear(MONK_SRGB[i + 1]), srgb_to_linear(MONK_SRGB[i])
    albedo = lighter + rng.uniform() * (darker - lighter)
    albedo = np.clip(albedo * rng.normal(1.0, 0.05, 3), 0.0, 1.0)
    palm = albedo + rng.uniform(0.3, 0.55) * (srgb_to_linear(_PALM_SRGB) - albedo)
    return albedo, palm


def sample_shading(rng: np.random.Generator) -> Shading:
    """One directional light from the camera's side of the hand plus a tinted ambient term."""
    light = np.array([rng.normal(), rng.normal(), -abs(rng.normal()) - 0.3])  # towards the light
    warmth = rng.uniform(-1, 1)  # cool daylight .. warm tungsten
    tint = np.array([1 + 0.12 * warmth, 1.0, 1 - 0.15 * warmth])
    albedo, palm = sample_skin(rng)
    return Shading(
        albedo=albedo,
        palm_albedo=palm,
        light_dir=light / np.linalg.norm(light),
        light_colour=tint * rng.uniform(0.6, 1.3),
        ambient=tint * rng.uniform(0.15, 0.5),
        specular=float(rng.uniform(0.0, 0.25)),
        shininess=float(rng.uniform(6, 30)),
    )
