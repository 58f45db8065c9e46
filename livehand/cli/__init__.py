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
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
