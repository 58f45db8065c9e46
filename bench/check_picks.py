"""Check that what ships is what the validation sweeps pick now; one line and exit 1 if not.

    python bench/check_picks.py DETECTOR_SWEEP.json START_PRESENCE.json

bench/refresh_results.sh runs it right after the two sweeps, before measuring anything: a
retrained landmark model can move the detector's threshold and passes (bench/detector_sweep.py)
and its own start presence (bench/start_presence.py), and figures measured with stale settings
would not be the shipped product's.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from livehand.backends.base import load_backend
from livehand.detect import DETECT_MARGINS, DETECT_THRESHOLD
from livehand.models import DEFAULT_LANDMARKS


def mismatches(sweep_pick: dict, start_pick: float, threshold: float, margins: tuple[float, ...],
               start_presence: float | None) -> list[str]:
    """The sweeps' picks against the shipped settings -> one message per difference."""
    out = []
    if (sweep_pick["threshold"], tuple(sweep_pick["margins"])) != (threshold, tuple(margins)):
        out.append(f"detector sweep picks threshold {sweep_pick['threshold']} with margins {sweep_pick['margins']}, "
                   f"livehand/detect.py ships {threshold} with {list(margins)}")
    if start_presence is None or abs(start_pick - start_presence) > 1e-6:
        out.append(f"start presence pick {start_pick}, the shipped landmark model has {start_presence}")
    return out


def main() -> None:
    sweep, start = (json.loads(Path(p).read_text()) for p in sys.argv[1:3])
    problems = mismatches(sweep["pick"], start["pick"], DETECT_THRESHOLD, DETECT_MARGINS,
                          load_backend(DEFAULT_LANDMARKS).meta.start_presence)
    for p in problems:
        print(f"check_picks: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("check_picks: shipped settings are the validation picks")


if __name__ == "__main__":
    main()
