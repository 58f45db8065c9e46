"""TensorRT backend (the NVIDIA GPU path): a built engine plus its JSON sidecar.

Everything is allocated once, for the engine's largest batch: pinned host buffers, device
buffers bound to the execution context, and one non-default stream. A call sets the batch size,
copies in, enqueues, copies out and waits. Before TensorRT is touched, the GPU is probed and
the sidecar is compared with this machine, so an engine that cannot run here is one clear line.
"""
from __future__ import annotations

import sys
import weakref
from pathlib import Path

import numpy as np

from livehand.engine.cuda import cuda_ops
from livehand.engine.sidecar import gpu_problem, read_sidecar, version_problem
from livehand.engine.trt import load_trt, make_logger
from livehand.errors import LivehandError
from livehand.gpu import require_gpu

# How many batch sizes to run once at load: TensorRT-RTX compiles kernels for a shape on first
# use, and the first live frames (one hand, then two) should not pay for that.
_WARMUP_BATCHES = (1, 2)


class TensorRTBackend:
    def __init__(self, path: Path):
        path = Path(path)
        info = read_sidecar(path)
        self.meta = info.meta
        try:
            flavour = load_trt(info.trt_module)
        except LivehandError as exc:
            raise LivehandError(f"{path.name} needs {info.build['tensorrt']['label']}: {exc}") from None
        problem = version_problem(info, flavour)  # needs no GPU, so it is reported first
        if problem is None:
            gpu = require_gpu(f"the TensorRT engine {path.name}")
            problem = gpu_problem(info, gpu)
        if problem:
            raise LivehandError(f"{path.name} cannot run here: {problem}; {info.rebuild_hint()}")
        trt = flavour.module
        self.cuda = cuda_ops()  # before TensorRT: selects the device and fails early without bindings
        self._finalizer = weakref.finalize(self, self.cuda.close)
        self._logger = make_logger(trt)
        self._runtime = trt.Runtime(self._logger)
        data = path.read_bytes()
        if hasattr(self._runtime, "get_engine_validity"):  # TensorRT-RTX: checks the header only
            validity, diagnostics = self._runtime.get_engine_validity(data)
            if validity == trt.EngineValidity.INVALID:
                why = [name.lower().replace("_", " ") for name, flag
                       in trt.EngineInvalidityDiagnostics.__members__.items() if diagnostics & int(flag)]
                raise LivehandError(f"{path.name} cannot run here: TensorRT-RTX reports "
                                    f"{', '.join(why) or 'it invalid'}; {info.rebuild_hint()}")
        self._engine = self._runtime.deserialize_cuda_engine(data)
        if self._engine is None:
            raise LivehandError(f"{path.name} could not be loaded: {self._logger.last_error('unknown reason')}; "
                                f"{info.rebuild_hint()}")
        self._runtime_cache_path = path.with_name(path.name + ".rtcache")
        self._context, self._runtime_cache = self._create_context(trt)
        self._allocate(trt, info.max_batch)
        self.name = f"{flavour.label} on {gpu.name} ({info.build['precision']}, {self.cuda.name})"
        for b in _WARMUP_BATCHES:
            if b <= self.max_batch:
                self.infer(np.zeros((b, *self._inputs[0][1].shape[1:]), np.float32))
        self._save_runtime_cache()

    def _create_context(self, trt):
        """An execution context; on TensorRT-RTX with a runtime cache of JIT-compiled kernels
        loaded from (and later saved beside) the engine, so a restart skips recompiling."""
        if not hasattr(self._engine, "create_runtime_config"):
            return self._engine.create_execution_context(), None
        config = self._engine.create_runtime_config()
        cache = config.create_runtime_cache()
        if self._runtime_cache_path.is_file():
            cache.deserialize(self._runtime_cache_path.read_bytes())
        config.set_runtime_cache(cache)
        return self._engine.create_execution_context(config), cache

    def _save_runtime_cache(self) -> None:
        if self._runtime_cache is None:
            return
        try:
            self._runtime_cache_path.write_bytes(memoryview(self._runtime_cache.serialize()))
        except OSError as exc:  # a read-only engine folder only costs start-up time
            print(f"livehand: could not save the TensorRT runtime cache ({exc})", file=sys.stderr)

    def _allocate(self, trt, max_batch: int) -> None:
        """Buffers for the largest batch; device addresses are bound to the context once."""
        engine, ctx = self._engine, self._context
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        if len(inputs) != 1:
            raise LivehandError(f"expected an engine with one input, found {len(inputs)}")
        self.max_batch = int(engine.get_tensor_profile_shape(inputs[0], 0)[2][0])
        if self.max_batch != max_batch:
            raise LivehandError(f"engine and sidecar disagree on the largest batch ({self.max_batch} vs {max_batch})")
        ctx.set_input_shape(inputs[0], tuple(engine.get_tensor_profile_shape(inputs[0], 0)[2]))
        self._inputs, self._outputs = [], []
        for name in names:
            shape = tuple(ctx.get_tensor_shape(name))
            dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(name)))
            nbytes = int(np.prod(shape)) * dtype.itemsize
            host = self.cuda.pinned(nbytes).view(dtype).reshape(shape)
            device = self.cuda.device(nbytes)
            ctx.set_tensor_address(name, device)
            (self._inputs if name in inputs else self._outputs).append((name, host, device))

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """float32[B, 3, S, S] -> outputs with batch B; B above the engine's maximum runs in chunks."""
        if len(batch) == 0:  # no hands: TensorRT's profile starts at batch 1
            return {out: np.zeros((0, *host.shape[1:]), np.float32) for out, host, _ in self._outputs}
        chunks = [self._run(batch[i:i + self.max_batch]) for i in range(0, len(batch), self.max_batch)]
        return {name: np.concatenate([c[name] for c in chunks]) for name in chunks[0]}

    def _run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        name, host, device = self._inputs[0]
        b = len(batch)
        if not self._context.set_input_shape(name, (b, *host.shape[1:])):
            raise LivehandError(f"TensorRT refused input shape {(b, *host.shape[1:])} for {name}")
        host[:b] = batch  # casts when the engine's input is not float32
        self.cuda.to_device(device, host[:b])
        if not self._context.execute_async_v3(self.cuda.stream_handle):
            raise LivehandError(f"TensorRT inference failed: {self._logger.last_error('unknown reason')}")
        shapes = {out: tuple(self._context.get_tensor_shape(out)) for out, _, _ in self._outputs}
        for out, out_host, out_device in self._outputs:
            self.cuda.to_host(out_host[:b], out_device)
        self.cuda.synchronize()
        # Copies: the pinned buffers are overwritten by the next call.
        return {out: np.array(out_host[:b].reshape(shapes[out]), np.float32) for out, out_host, _ in self._outputs}

    def close(self) -> None:
        """Free GPU memory now rather than at garbage collection."""
        self._context = self._engine = None
        self._finalizer()
