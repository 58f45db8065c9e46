"""Model metadata: the preprocessing settings (and a landmark model's own operating point) that
travel inside every model file.

Exported ONNX models carry this as JSON under the metadata key ``livehand``; TensorRT engines
carry it in a JSON sidecar. The runtime reads it from there and never hard-codes it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from livehand.errors import LivehandError

METADATA_KEY = "livehand"
MODEL_KINDS = ("landmarks", "detector")


@dataclass(frozen=True)
class ModelMeta:
    """kind: 'landmarks' (hand crop -> heatmaps, presence, handedness) or 'detector'
    (whole frame -> hand centres and sizes). input_size: square side S in pixels.
    mean/std: per-channel RGB normalisation on 0..255 values. stride: input px per output px.
    layout: keypoint schema name (landmarks only). box_scale: crop side / keypoint-box side
    that the landmark model was trained with (the tracker crops the same way). start_presence
    (landmarks): the presence a detector's crop needs to start a track in video; each model's
    presence head is calibrated differently, so it is picked per model on validation frames
    (bench/start_presence.py) and written at export; files without it get 0.75, the value
    every model used before (docs/benchmarks.md)."""

    kind: str
    input_size: int
    stride: int
    mean: tuple[float, float, float] = (127.5, 127.5, 127.5)
    std: tuple[float, float, float] = (127.5, 127.5, 127.5)
    layout: str = "hand21"
    box_scale: float = 1.6
    start_presence: float = 0.75
    name: str = "model"
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "model") -> "ModelMeta":
        try:
            raw = json.loads(text)
            raw["mean"], raw["std"] = tuple(raw["mean"]), tuple(raw["std"])
            meta = cls(**raw)
        except (ValueError, TypeError, KeyError) as exc:
            raise LivehandError(f"{source}: livehand metadata is malformed ({exc})") from None
        if meta.kind not in MODEL_KINDS:
            raise LivehandError(f"{source}: unknown model kind {meta.kind!r}")
        return meta
