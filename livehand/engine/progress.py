"""A progress display for TensorRT builds, fed by the builder's IProgressMonitor callbacks."""
from __future__ import annotations

import sys
from types import ModuleType
from typing import TextIO


def make_progress_monitor(trt: ModuleType, out: TextIO = sys.stderr):
    """One status line, rewritten in place on a terminal ('Building engine 3/6 > Optimizing graph
    12/30'); elsewhere (logs, CI) one line per top-level step, so output stays short."""

    class Progress(trt.IProgressMonitor):
        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self.phases: list[list] = []  # [name, step, steps] from outermost to innermost
            self.tty = out.isatty()

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            self.phases.append([phase_name, 0, num_steps])
            if not self.tty and len(self.phases) <= 2:
                out.write(f"  {'  ' * (len(self.phases) - 1)}{phase_name}\n")
            self._show()

        def step_complete(self, phase_name: str, step: int) -> bool:
            for phase in self.phases:
                if phase[0] == phase_name:
                    phase[1] = step + 1
            self._show()
            return True  # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            self.phases = [p for p in self.phases if p[0] != phase_name]
            if not self.phases and self.tty:
                out.write("\r\033[K")
            self._show()

        def _show(self) -> None:
            if self.tty and self.phases:
                line = " > ".join(f"{n} {s}/{t}" for n, s, t in self.phases)
                out.write(f"\r\033[K  {line[:150]}")
            out.flush()

    return Progress()
