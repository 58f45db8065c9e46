"""The shared typer app that the command modules register on."""
import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Real-time hand tracking: both hands, 21 keypoints, CPU or TensorRT.")


@app.callback()
def _group() -> None:
    """Keeps `livehand` a command group even while only one command is registered."""
