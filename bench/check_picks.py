"""Check that what ships is what the validation sweeps pick now; one line and exit 1 if not.

    python bench/check_picks.py DETECTOR_SWEEP.json START_PRESENCE.json SECOND_LOOK.json [SMOOTHING_GRID.json]

bench/refresh_results.sh runs it right after the sweeps, before measuring anything: a
retrained model can move the detector's threshold and passes (bench/detector_sweep.py), the
landmark model's own start presence (bench/start_presence.py), and the candidate count and the
still-image second look (bench/second_look.py), and figures measured with stale settings would
not be the shipped product's.
The smoothing grid (bench/smoothing.py --grid) does not depend on the models; it is checked too.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from livehand.backends.base import load_backend
from livehand.detect import DETECT_MARGINS, DETECT_THRESHOLD
from livehand.models import DEFAULT_LANDMARKS
from livehand.smoothing import OneEuroParams
from livehand.tracking import TrackerConfig


def mismatches(sweep_pick: dict, start_pick: float, threshold: float, margins: tuple[float, ...],
               start_presence: float | None, look_pick: dict | None = None,
               look: tuple[float, float] = (TrackerConfig.second_look, TrackerConfig.second_look_accept),
               start_look_pick: dict | None = None,
               start_look: tuple[float, float] = (TrackerConfig.start_second_look,
                                                  TrackerConfig.start_second_look_accept),
               smoothing_pick: dict | None = None, smoothing: OneEuroParams = OneEuroParams(),
               candidates: int = TrackerConfig.candidates) -> list[str]:
    """The sweeps' picks against the shipped settings -> one message per difference."""
    out = []
    if smoothing_pick is not None and OneEuroParams(**smoothing_pick) != smoothing:
        out.append(f"smoothing grid picks {smoothing_pick}, livehand/smoothing.py ships {smoothing}")
    if look_pick is not None and (look_pick["second_look"], look_pick["second_look_accept"]) != tuple(look):
        out.append(f"second look pick {look_pick}, livehand/tracking.py ships {look}")
    if look_pick is not None and look_pick.get("candidates", candidates) != candidates:
        out.append(f"candidates pick {look_pick['candidates']}, "
                   f"livehand/tracking.py ships {candidates}")
    if start_look_pick is not None and (start_look_pick["start_second_look"],
                                        start_look_pick["start_second_look_accept"]) != tuple(start_look):
        out.append(f"video second look pick {start_look_pick}, livehand/tracking.py ships {start_look}")
    if (sweep_pick["threshold"], tuple(sweep_pick["margins"])) != (threshold, tuple(margins)):
        out.append(f"detector sweep picks threshold {sweep_pick['threshold']} with margins {sweep_pick['margins']}, "
                   f"livehand/detect.py ships {threshold} with {list(margins)}")
    if start_presence is None or abs(start_pick - start_presence) > 1e-6:
        out.append(f"start presence pick {start_pick}, the shipped landmark model has {start_presence}")
    return out


def main() -> None:
    sweep, start, look = (json.loads(Path(p).read_text()) for p in sys.argv[1:4])
    grid = json.loads(Path(sys.argv[4]).read_text()) if len(sys.argv) > 4 else None
    problems = mismatches(sweep["pick"], start["pick"], DETECT_THRESHOLD, DETECT_MARGINS,
                          load_backend(DEFAULT_LANDMARKS).meta.start_presence, look["pick"],
                          start_look_pick=start.get("second_look_pick"),
                          smoothing_pick=grid["pick"] if grid else None)
    for p in problems:
        print(f"check_picks: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("check_picks: shipped settings are the validation picks")


if __name__ == "__main__":
    main()
