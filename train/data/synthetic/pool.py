"""Render images in worker processes (one GL context each), results in index order."""
from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp

from .render import create_context

_CHUNK = 16
_worker = None


def _init(seed: int, size: int, backgrounds: str | None, model_dir: str, single_thread_gl: bool) -> None:
    global _worker
    if single_thread_gl:  # one rasterizer thread per worker: the workers already fill the cores
        os.environ["LP_NUM_THREADS"] = "1"
    from .background import Backgrounds
    from .generator import SyntheticGenerator

    bg = Backgrounds.from_folder(backgrounds) if backgrounds else Backgrounds.default()
    _worker = SyntheticGenerator(seed, size, bg, model_dir)


def _chunk(indices: range) -> list[tuple[int, bytes, dict]]:
    return [(i, *_worker.encode(i)) for i in indices]


def generate(count: int, seed: int, size: int, backgrounds: str | None, model_dir: str,
             workers: int) -> Iterator[tuple[int, bytes, dict]]:
    """(index, jpeg bytes, hand label) for images 0..count-1 in order, from `workers` processes.
    Raises RuntimeError (one line) up front if no GL context can be made."""
    create_context().release()  # fail here, clearly, rather than inside every worker
    chunks = [range(s, min(s + _CHUNK, count)) for s in range(0, count, _CHUNK)]
    init_args = (seed, size, backgrounds, model_dir, workers > 1)
    if workers <= 1:
        _init(*init_args)
        for c in chunks:
            yield from _chunk(c)
        return
    # spawn, not fork: each worker makes its own GL context in a clean process.
    with ProcessPoolExecutor(workers, mp.get_context("spawn"), _init, init_args) as pool:
        for result in pool.map(_chunk, chunks):
            yield from result
