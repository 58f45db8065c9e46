"""`livehand export`: a training checkpoint -> ONNX with metadata (needs the [train] extra),
optionally with its FP16 and INT8 (Q/DQ, calibrated on real hand crops) variants beside it."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from livehand.cli.app import app
from livehand.errors import LivehandError


@app.command()
def export(checkpoint: Annotated[Path, typer.Argument(help="training checkpoint (.pt)")],
           out: Annotated[Path, typer.Option("--out", help="ONNX file to write")],
           fp16: Annotated[bool, typer.Option("--fp16", help="also write <out>_fp16.onnx (FP16 compute, FP32 I/O)")] = False,
           calib: Annotated[Optional[Path], typer.Option(
               "--int8-calib", help="also write <out>_int8.onnx (Q/DQ), calibrated on the hand crops in this folder")] = None,
           start_presence: Annotated[Optional[float], typer.Option(
               "--start-presence", min=0.0, max=1.0,
               help="presence a new hand needs to start a track, stored in the metadata "
                    "(pick it with bench/start_presence.py); default: the checkpoint's")] = None,
           ) -> None:
    """Export a checkpoint to ONNX and report the max abs difference ONNX Runtime vs PyTorch."""
    try:
        from train.export import export as do_export, load_checkpoint
    except ImportError as exc:
        raise LivehandError(f"export needs the training extra: pip install -e '.[train]' ({exc})") from None
    if not checkpoint.is_file():
        raise LivehandError(f"checkpoint not found: {checkpoint}")
    if calib is not None and not calib.is_dir():
        raise LivehandError(f"--int8-calib: not a folder of hand crops: {calib}")
    net, meta, _ = load_checkpoint(checkpoint)
    if start_presence is not None:
        meta = replace(meta, start_presence=start_presence)
    diff = do_export(net, meta, out)
    typer.echo(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); max |onnxruntime - torch| = {diff:.2e}")
    from livehand.engine.variants import to_fp16, to_int8_qdq

    if fp16:
        half = out.with_name(out.stem + "_fp16.onnx")
        half.write_bytes(to_fp16(out.read_bytes()))
        typer.echo(f"wrote {half} ({half.stat().st_size / 1e6:.2f} MB)")
    if calib is not None:
        q = to_int8_qdq(out, out.with_name(out.stem + "_int8.onnx"), meta, calib)
        typer.echo(f"wrote {q} ({q.stat().st_size / 1e6:.2f} MB), calibrated on {calib}")
