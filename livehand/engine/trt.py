"""Which TensorRT is installed: full TensorRT (`tensorrt`, 10.x/11.x) or TensorRT for RTX
(`tensorrt_rtx`). Both share the builder/runtime API; they differ in typing and in caches."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from livehand.errors import LivehandError

# module name -> the name users know it by; full TensorRT first (it runs on every NVIDIA GPU).
FLAVOURS = {"tensorrt": "TensorRT", "tensorrt_rtx": "TensorRT-RTX"}
INSTALL_HINT = "install it with: pip install 'livehand[trt]' (TensorRT for RTX) or NVIDIA's tensorrt"


@dataclass(frozen=True)
class TrtFlavour:
    module: ModuleType
    module_name: str  # "tensorrt" or "tensorrt_rtx"
    version: str

    @property
    def label(self) -> str:
        """'TensorRT-RTX 1.7.1.116'."""
        return f"{FLAVOURS[self.module_name]} {self.version}"

    @property
    def file_tag(self) -> str:
        """'trt-rtx-1.7.1' / 'trt-10.8.0': flavour and version for engine file names."""
        short = ".".join(self.version.split(".")[:3])
        return f"trt-rtx-{short}" if self.is_rtx else f"trt-{short}"

    @property
    def is_rtx(self) -> bool:
        return self.module_name == "tensorrt_rtx"

    @property
    def strongly_typed(self) -> bool:
        """TensorRT 11 and RTX take precision from the ONNX dtypes only: no FP16/INT8 flags."""
        return not hasattr(self.module.BuilderFlag, "FP16")


def load_trt(module_name: str | None = None) -> TrtFlavour:
    """The installed TensorRT (the one named, or the first that imports), or a LivehandError."""
    names = [module_name] if module_name else list(FLAVOURS)
    reasons = []
    for name in names:
        try:
            mod = importlib.import_module(name)
            return TrtFlavour(mod, name, str(mod.__version__))
        except Exception as exc:  # the PyPI tensorrt stubs fail with OSError/RuntimeError, not only ImportError
            reasons.append(f"{name}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}")
    wanted = FLAVOURS.get(module_name or "", "TensorRT")
    raise LivehandError(f"{wanted} is not installed or does not load ({'; '.join(reasons)}); {INSTALL_HINT}")


def make_logger(trt: ModuleType):
    """A TensorRT logger that keeps errors and warnings, so a failure can be reported in one line
    and the build command can show warnings once, after its progress display."""

    class Collector(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.errors: list[str] = []
            self.warnings: list[str] = []

        def log(self, severity, msg: str) -> None:
            if severity in (trt.ILogger.INTERNAL_ERROR, trt.ILogger.ERROR):
                self.errors.append(msg.strip())
            elif severity == trt.ILogger.WARNING:
                self.warnings.append(msg.strip())

        def last_error(self, default: str) -> str:
            return self.errors[-1] if self.errors else default

    return Collector()
