"""`livehand predict`: hands in still images, one JSON line per image."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livehand.cli import common
from livehand.cli.app import app
from livehand.errors import LivehandError
from livehand.hand import Hand, box_of
from livehand.landmarks import Crop, run_landmarks
from livehand.sinks import JsonlWriter, check_writable
from livehand.sources import IMAGE_SUFFIXES, list_images, read_image
from livehand.tracking import TrackerConfig


def expand_inputs(inputs: list[Path]) -> list[tuple[str, Path]]:
    """(path as the user wrote it, file) for each image; a folder gives its images by name."""
    found: list[tuple[str, Path]] = []
    for given in inputs:
        if given.is_dir():
            images = list_images(given)
            if not images:
                raise LivehandError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {given}")
            found += [(str(given / p.name), p) for p in images]
        elif given.is_file():
            found.append((str(given), given))
        else:
            raise LivehandError(f"image not found: {given}")
    return found


def crop_hands(landmarks, image, flip_test: bool = False) -> list[Hand]:
    """The whole image as one upright square crop around its centre: exactly one hand."""
    h, w = image.shape[:2]
    res = run_landmarks(landmarks, image, [Crop(((w - 1) / 2.0, (h - 1) / 2.0), float(max(h, w)))],
                        flip_test=flip_test)
    kps = res.keypoints[0]
    return [Hand(kps, float(res.presence[0]), "right" if res.right[0] > 0.5 else "left", box_of(kps), 0)]


@app.command()
def predict(
    inputs: Annotated[list[Path], typer.Argument(help="images, or folders of images")],
    out: Annotated[Path | None, typer.Option("--out", help="JSON-lines file to write (default: standard output)")] = None,
    crops: Annotated[bool, typer.Option("--crops", help="each image is one hand crop: no detection")] = False,
    model: common.ModelOpt = None,
    detector: common.DetectorOpt = None,
    backend: common.BackendOpt = "auto",
    max_hands: common.MaxHandsOpt = 2,
    layout: common.LayoutOpt = None,
    flip_test: common.FlipTestOpt = TrackerConfig.flip_test,
    tiles: common.TilesOpt = TrackerConfig.detect_tiles,
) -> None:
    """Independent images: detect every time, no smoothing. One line per image:
    {"image": path, "hands": [...]} in that image's pixels."""
    images = expand_inputs(inputs)
    if out is not None:
        check_writable(out)
    landmarks = common.load_landmarks(model, backend)
    schema, convert = common.output_layout(landmarks.meta.layout, layout)
    if crops:
        find = lambda image: crop_hands(landmarks, image, flip_test)  # noqa: E731
    else:
        common.require_hand21(landmarks, model)
        tracker = common.build_tracker(landmarks, common.load_detector(detector, backend),
                                       max_hands=max_hands, mirror=False, smoothing=False, static=True,
                                       flip_test=flip_test, detect_tiles=tiles)
        find = lambda image: tracker.process(image, 0.0)  # noqa: E731
    writer = JsonlWriter(out)
    try:
        for given, path in images:
            hands = find(read_image(path))
            hands = convert(hands) if convert else hands
            writer.write({"image": given, "hands": [h.to_json() for h in hands]})
    finally:
        writer.close()
    typer.echo(f"wrote {out or 'standard output'} ({writer.lines} images, {schema.name})", err=out is None)
