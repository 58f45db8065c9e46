"""The few CUDA operations the TensorRT backend needs, from cuda-python or (if that is what the
user has) pycuda: pinned host memory, device memory, one non-default stream, async copies.

cuda-python is the default: it ships wheels and is what NVIDIA's TensorRT samples use now.
pycuda is source-only (needs a CUDA toolkit to install) but common on existing setups.
"""
from __future__ import annotations

import ctypes

import numpy as np

from livehand.errors import LivehandError

CUDA_HINT = "pip install cuda-python (or the [trt] extra)"


class CudaPython:
    """cuda.bindings.runtime: every call returns (error, value...)."""

    name = "cuda-python"

    def __init__(self) -> None:
        from cuda.bindings import runtime as rt

        self.rt = rt
        self._host: list[int] = []
        self._device: list[int] = []
        self._check(rt.cudaSetDevice(0), "select GPU 0")
        # Non-blocking: TensorRT's enqueue must not serialise with the legacy default stream.
        self.stream = self._check(rt.cudaStreamCreateWithFlags(rt.cudaStreamNonBlocking), "create a stream")
        self.stream_handle = int(self.stream)

    def _check(self, result: tuple, what: str):
        err = result[0]
        if err != self.rt.cudaError_t.cudaSuccess:
            name = self.rt.cudaGetErrorName(err)[1].decode()
            text = self.rt.cudaGetErrorString(err)[1].decode()
            raise LivehandError(f"CUDA could not {what}: {name} ({text})")
        return result[1] if len(result) > 1 else None

    def pinned(self, nbytes: int) -> np.ndarray:
        ptr = self._check(self.rt.cudaMallocHost(nbytes), f"allocate {nbytes} bytes of pinned memory")
        self._host.append(ptr)
        return np.ctypeslib.as_array((ctypes.c_uint8 * nbytes).from_address(ptr))

    def device(self, nbytes: int) -> int:
        ptr = self._check(self.rt.cudaMalloc(nbytes), f"allocate {nbytes} bytes on the GPU")
        self._device.append(int(ptr))
        return int(ptr)

    def to_device(self, dst: int, src: np.ndarray) -> None:
        self._check(self.rt.cudaMemcpyAsync(dst, src.ctypes.data, src.nbytes,
                                            self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice, self.stream),
                    "copy to the GPU")

    def to_host(self, dst: np.ndarray, src: int) -> None:
        self._check(self.rt.cudaMemcpyAsync(dst.ctypes.data, src, dst.nbytes,
                                            self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost, self.stream),
                    "copy from the GPU")

    def synchronize(self) -> None:
        self._check(self.rt.cudaStreamSynchronize(self.stream), "finish the stream")

    def close(self) -> None:
        """Free everything; errors are ignored (at interpreter exit CUDA may already be gone)."""
        for ptr in self._device:
            self.rt.cudaFree(ptr)
        for ptr in self._host:
            self.rt.cudaFreeHost(ptr)
        self._device, self._host = [], []
        self.rt.cudaStreamDestroy(self.stream)


class PyCuda:
    """pycuda.driver on the device's primary context, the one TensorRT's CUDA runtime uses."""

    name = "pycuda"

    def __init__(self) -> None:
        import pycuda.autoprimaryctx  # noqa: F401  (retains and activates the primary context)
        import pycuda.driver as drv

        self.drv = drv
        self._device: list = []
        self.stream = drv.Stream()
        self.stream_handle = int(self.stream.handle)

    def pinned(self, nbytes: int) -> np.ndarray:
        return self.drv.pagelocked_empty(nbytes, np.uint8)

    def device(self, nbytes: int) -> int:
        alloc = self.drv.mem_alloc(nbytes)
        self._device.append(alloc)  # pycuda frees on garbage collection: keep it alive
        return int(alloc)

    def to_device(self, dst: int, src: np.ndarray) -> None:
        self.drv.memcpy_htod_async(dst, src, self.stream)

    def to_host(self, dst: np.ndarray, src: int) -> None:
        self.drv.memcpy_dtoh_async(dst, src, self.stream)

    def synchronize(self) -> None:
        self.stream.synchronize()

    def close(self) -> None:
        for alloc in self._device:
            alloc.free()
        self._device = []


def cuda_ops() -> CudaPython | PyCuda:
    """cuda-python when it imports, else pycuda, else a LivehandError naming what to install."""
    try:
        import cuda.bindings.runtime  # noqa: F401
    except ImportError:
        try:
            import pycuda.driver  # noqa: F401
        except ImportError:
            raise LivehandError(f"the TensorRT backend needs CUDA Python bindings: {CUDA_HINT}") from None
        return PyCuda()
    return CudaPython()
