"""The shipped models: package data next to this file, looked up in this one place."""
from __future__ import annotations

from pathlib import Path

from livehand.errors import LivehandError

MODELS_DIR = Path(__file__).resolve().parent
DEFAULT_LANDMARKS = MODELS_DIR / "hand_landmarks.onnx"
DEFAULT_DETECTOR = MODELS_DIR / "hand_detector.onnx"


def model_path(given: Path | None, default: Path, flag: str) -> Path:
    """The path the user gave, else the shipped default; a missing default is a clear error
    (a missing user path is reported by the backend loader, which names the file)."""
    if given is not None:
        return Path(given)
    if not default.is_file():
        raise LivehandError(f"the shipped model {default.name} is not installed at {default}; "
                            f"pass {flag} PATH")
    return default
