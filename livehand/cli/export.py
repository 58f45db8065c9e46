"""`livehand export`: a training checkpoint -> ONNX with metadata (needs the [train] extra)."""
from __future__ import annotations

from pathlib import Path

import typer

from livehand.cli.app import app
from livehand.errors import LivehandError


@app.command()
def export(checkpoint: Path = typer.Argument(..., help="training checkpoint (.pt)"),
           out: Path = typer.Option(..., "--out", help="ONNX file to write")) -> None:
    """Export a checkpoint to ONNX and report the max abs difference ONNX Runtime vs PyTorch."""
    try:
        from train.export import export as do_export, load_checkpoint
    except ImportError as exc:
        raise LivehandError(f"export needs the training extra: pip install -e '.[train]' ({exc})") from None
    if not checkpoint.is_file():
        raise LivehandError(f"checkpoint not found: {checkpoint}")
    net, meta, _ = load_checkpoint(checkpoint)
    diff = do_export(net, meta, out)
    typer.echo(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); max |onnxruntime - torch| = {diff:.2e}")
