"""The `livehand` command. Each command group lives in its own module and registers on `app`."""
from __future__ import annotations

import sys

from livehand.cli.app import app
from livehand.errors import LivehandError

# Importing a module registers its commands on `app`.
from livehand.cli import export as _export  # noqa: E402,F401
from livehand.cli import bench as _bench, predict as _predict, run as _run  # noqa: E402,F401
from livehand.cli import evaluate as _evaluate  # noqa: E402,F401
from livehand.cli import doctor as _doctor, engine as _engine  # noqa: E402,F401


def main() -> None:
    """Entry point: a LivehandError becomes one line on stderr and exit code 2."""
    try:
        app(standalone_mode=False)
    except LivehandError as exc:
        print(f"livehand: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # usage errors, --help's exit and the like
        # Matched by shape, not class: typer >= 0.2x carries its own copy of click
        # (typer._click) and no longer installs click, older typer raises click's own classes.
        if type(exc).__name__ == "Abort":
            sys.exit(130)
        code = getattr(exc, "exit_code", None)
        if not isinstance(code, int):
            raise
        if callable(getattr(exc, "show", None)):
            exc.show()
        sys.exit(code)
