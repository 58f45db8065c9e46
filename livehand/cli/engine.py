"""`livehand build-engine`: an ONNX model -> a TensorRT engine and its JSON sidecar."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from livehand.cli.app import app


@app.command("build-engine")
def build_engine_cmd(
    model: Annotated[Optional[Path], typer.Argument(
        help="ONNX model exported by livehand (carries its metadata) (default: the shipped landmark model)")] = None,
    fp16: Annotated[bool, typer.Option("--fp16", help="FP16 engine (flag on TensorRT 10; FP16 graph on 11/RTX)")] = False,
    int8: Annotated[bool, typer.Option("--int8", help="INT8 engine from a Q/DQ ONNX, or calibrated with --calib")] = False,
    max_batch: Annotated[int, typer.Option("--max-batch", help="largest batch (crops per call); tuned for 4")] = 8,
    out: Annotated[Optional[Path], typer.Option("--out", help="engine file (default: engines/<descriptive name>.engine)")] = None,
    workspace: Annotated[Optional[int], typer.Option("--workspace", min=1, help="builder workspace limit, MB")] = None,
    timing_cache: Annotated[Optional[Path], typer.Option(
        "--timing-cache", help="timing cache file, read before and written after the build "
        "(default: engines/timing_<tensorrt>_<gpu>.cache; TensorRT-RTX has none)")] = None,
    calib: Annotated[Optional[Path], typer.Option(
        "--calib", help="folder of hand crops (images) to calibrate --int8 on, for an FP32 model")] = None,
    calib_limit: Annotated[int, typer.Option("--calib-limit", min=1, help="most calibration images")] = 256,
    engines_dir: Annotated[Path, typer.Option("--engines-dir", help="where engines go without --out")] = Path("engines"),
) -> None:
    """Build a TensorRT engine (full TensorRT 10.x/11.x or TensorRT for RTX, whichever is installed).

    Batch is dynamic, 1..--max-batch. Next to the engine goes <engine>.json with the model's
    preprocessing metadata and how the engine was built; `livehand run --model X.engine` reads it."""
    from livehand.engine.build import BuildOptions, build_engine
    from livehand.models import DEFAULT_LANDMARKS

    opts = BuildOptions(fp16=fp16, int8=int8, max_batch=max_batch, out=out, engines_dir=engines_dir,
                        workspace_mb=workspace, timing_cache=timing_cache, calib_dir=calib,
                        calib_limit=calib_limit)
    result = build_engine(model or DEFAULT_LANDMARKS, opts)
    size_mb = result.engine.stat().st_size / 1e6
    target = result.target
    where = (f"{target['gpu']} ({target['compute_capability']})" if target["gpu"] else
             f"GPUs of compute capability {', '.join(target['portable_ccs'])}")
    typer.echo(f"built {result.engine} ({size_mb:.1f} MB) in {result.seconds:.1f} s with {result.flavour.label}: "
               f"{result.precision}, batch {result.batch[0]}..{result.batch[2]} (opt {result.batch[1]}), for {where}")
    for note in result.notes:
        typer.echo(f"  {note}")
    cache = result.timing_cache
    if "path" in cache:
        typer.echo(f"  timing cache {cache['path']}: read {cache['read_bytes']} bytes, wrote {cache['written_bytes']}"
                   + (f" ({cache['note']})" if "note" in cache else ""))
    for warning in result.warnings[:5]:
        typer.echo(f"  TensorRT warning: {warning}", err=True)
    typer.echo(f"  sidecar {result.sidecar}")
