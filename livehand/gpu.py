"""What NVIDIA GPU this machine has, asked of the CUDA driver through ctypes.

TensorRT must never be asked first: without a usable GPU, creating its runtime only logs an error
and deserialising an engine then kills the process. The driver API answers safely (an error
code), needs no Python package, and honours CUDA_VISIBLE_DEVICES like every CUDA program.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import re
import sys
from dataclasses import dataclass

from livehand.errors import LivehandError

_CC_MAJOR, _CC_MINOR = 75, 76  # CUdevice_attribute values


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    compute_capability: tuple[int, int]
    memory_mb: int
    driver_cuda: tuple[int, int]  # the newest CUDA version the installed driver supports

    @property
    def sm(self) -> str:
        """'sm89' for compute capability 8.9."""
        return f"sm{self.compute_capability[0]}{self.compute_capability[1]}"

    @property
    def slug(self) -> str:
        """A file-name-safe short name: 'NVIDIA GeForce RTX 4090' -> 'rtx4090'."""
        name = re.sub(r"\b(nvidia|geforce|tesla|quadro)\b", "", self.name.lower())
        return re.sub(r"[^a-z0-9]+", "", name) or "gpu"


def _load_driver() -> ctypes.CDLL | None:
    names = ["nvcuda.dll"] if sys.platform == "win32" else ["libcuda.so.1", ctypes.util.find_library("cuda")]
    for name in filter(None, names):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _error_name(lib: ctypes.CDLL, code: int) -> str:
    text = ctypes.c_char_p()
    if lib.cuGetErrorName(code, ctypes.byref(text)) == 0 and text.value:
        return text.value.decode()
    return f"CUDA error {code}"


def probe_gpu(index: int = 0) -> tuple[GpuInfo | None, str]:
    """(the GPU, '') or (None, why there is no usable one). Never raises, never crashes."""
    lib = _load_driver()
    if lib is None:
        return None, "no NVIDIA driver found (libcuda could not be loaded)"
    code = lib.cuInit(0)
    if code != 0:
        return None, f"the NVIDIA driver reports no usable GPU ({_error_name(lib, code)})"
    count = ctypes.c_int()
    if lib.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value <= index:
        return None, f"no CUDA device {index} (found {count.value})"
    dev, major, minor, mem, ver = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_size_t(), ctypes.c_int()
    name = ctypes.create_string_buffer(256)
    codes = (lib.cuDeviceGet(ctypes.byref(dev), index), lib.cuDeviceGetName(name, 256, dev),
             lib.cuDeviceGetAttribute(ctypes.byref(major), _CC_MAJOR, dev),
             lib.cuDeviceGetAttribute(ctypes.byref(minor), _CC_MINOR, dev),
             lib.cuDeviceTotalMem_v2(ctypes.byref(mem), dev), lib.cuDriverGetVersion(ctypes.byref(ver)))
    bad = next((c for c in codes if c != 0), 0)
    if bad:
        return None, f"could not query CUDA device {index} ({_error_name(lib, bad)})"
    return GpuInfo(index, name.value.decode(errors="replace"), (major.value, minor.value),
                   mem.value >> 20, (ver.value // 1000, ver.value % 1000 // 10)), ""


def require_gpu(purpose: str) -> GpuInfo:
    """The GPU, or a LivehandError that says why `purpose` cannot happen on this machine."""
    gpu, why = probe_gpu()
    if gpu is None:
        raise LivehandError(f"{purpose} needs an NVIDIA GPU: {why}")
    return gpu


def driver_version() -> str | None:
    """The display driver's version ('550.54.14') from NVML, or None where NVML is missing."""
    try:
        nvml = ctypes.CDLL("nvml.dll" if sys.platform == "win32" else "libnvidia-ml.so.1")
    except OSError:
        return None
    buf = ctypes.create_string_buffer(96)
    if nvml.nvmlInit_v2() != 0:
        return None
    try:
        return buf.value.decode() if nvml.nvmlSystemGetDriverVersion(buf, 96) == 0 else None
    finally:
        nvml.nvmlShutdown()
