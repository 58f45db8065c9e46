"""`livehand` with tests/fakes.FakeTracker in place of HandTracker, for subprocess tests.

FAKE_DELAY: seconds per frame; FAKE_FAIL_AT: frame number whose processing raises."""
import os

from fakes import FakeTracker

from livehand.cli import common, main


def _fake_tracker(landmarks, detector, **_options) -> FakeTracker:
    fail_at = os.environ.get("FAKE_FAIL_AT")
    return FakeTracker(float(os.environ.get("FAKE_DELAY", "0")), int(fail_at) if fail_at else None)


common.build_tracker = _fake_tracker

if __name__ == "__main__":
    main()
