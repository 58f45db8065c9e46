"""python -m train: prepare data and train livehand models.

    python -m train prepare-crops --labels train/labels/real_mediapipe.jsonl --images ../shared/data/real --out data/crops
    python -m train prepare-crops --ganerated GANeratedHands_Release --out data/crops_ganerated   # when you have it
    python -m train prepare-frames --labels train/labels/real_mediapipe.jsonl --images ../shared/data/real --out data/frames
    python -m train prepare-faces --faces train/labels/faces_mediapipe.jsonl --labels train/labels/real_mediapipe.jsonl --images ../shared/data/real --out data/crops_faces --sources hagrid drone-gestures subhih-hands
    python -m train fit --config train/configs/landmarks.json
    python -m train dump-crops --out data/calib --count 256     # real crops for INT8 calibration
    python -m train mine-scenes --labels train/labels/real_mediapipe.jsonl --images ../shared/data/real --out data/scene_candidates
    python -m train prepare-scenes --candidates data/scene_candidates --out data/crops_scenes   # after train.handcheck
    python -m train mark-scenes --labels train/labels/real_mediapipe.jsonl --images ../shared/data/real \
        --candidates data/scene_candidates --out data/frames_marked                            # the same, in place in the frames
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from train.data.records import read_jsonl
from train.data.splits import EVAL_SOURCES
from train.errors import TrainInputError


def _records(labels: list[Path], images: list[Path], min_side_score: float, ganerated: Path | None = None,
             ganerated_limit: int | None = None):
    if len(labels) != len(images):
        raise SystemExit("give one --images root per --labels file")
    records = []
    if ganerated is not None:
        from train.data.ganerated import iter_ganerated

        records.extend(iter_ganerated(ganerated, limit=ganerated_limit))
    for lab, img in zip(labels, images):
        for rec in read_jsonl(lab, img):
            rec.hands = [h for h in rec.hands if h.extra.get("side_score", 1.0) >= min_side_score]
            records.append(rec)
    return records


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("prepare-crops", "prepare-frames"):
        s = sub.add_parser(name)
        s.add_argument("--labels", type=Path, nargs="*", default=[], help="JSON-lines label files")
        s.add_argument("--images", type=Path, nargs="*", default=[], help="image root per label file")
        s.add_argument("--ganerated", type=Path, help="GANerated Hands release folder (GANeratedHands_Release)")
        s.add_argument("--ganerated-limit", type=int, help="at most this many GANerated frames per subset")
        s.add_argument("--out", type=Path, required=True)
        s.add_argument("--min-side-score", type=float, default=0.7,
                       help="drop teacher hands whose handedness score is below this")
        s.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("prepare-faces", help="'no hand' crops of faces (labels from python -m train.facelabel)")
    s.add_argument("--faces", type=Path, required=True, help="face-label JSON lines")
    s.add_argument("--labels", type=Path, required=True, help="hand labels of the same images (faces touching a hand are skipped)")
    s.add_argument("--images", type=Path, required=True, help="image root")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--min-score", type=float, default=0.75)
    s.add_argument("--sources", nargs="*", default=[], help="only faces from these sources (default: all)")
    s.add_argument("--people", action="store_true",
                   help="head-and-shoulders crops (3.5-6.5x the face, below it) instead of face crops")
    s.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("mine-scenes", help="candidate 'no hand' crops: detections away from labelled hands")
    s.add_argument("--labels", type=Path, required=True, help="hand labels (JSON lines)")
    s.add_argument("--images", type=Path, required=True, help="image root")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--detector", type=Path, default=None, help="detector model (default: shipped)")
    s.add_argument("--threshold", type=float, default=0.1, help="detector centre probability")
    s = sub.add_parser("prepare-scenes", help="pack the candidates the teacher found no hand in (train.handcheck)")
    s.add_argument("--candidates", type=Path, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--max-per-source", type=int, default=300)
    s.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("mark-scenes", help="frame shards plus where a detector fired on no hand (mine-scenes + handcheck)")
    s.add_argument("--labels", type=Path, required=True, help="the hand labels the candidates were mined with")
    s.add_argument("--images", type=Path, required=True, help="image root")
    s.add_argument("--candidates", type=Path, required=True)
    s.add_argument("--frames", type=Path, default=Path("data/frames"))
    s.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("dump-crops", help="write upright hand crops (training sources only) as JPEGs")
    s.add_argument("--shards", type=Path, default=Path("data/crops"))
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--count", type=int, default=256)
    s.add_argument("--size", type=int, default=128)
    s = sub.add_parser("fit")
    s.add_argument("--config", type=Path, required=True, help="JSON with TrainConfig fields")
    s.add_argument("--set", nargs="*", default=[], help="override fields: key=json_value")
    args = p.parse_args(argv)

    t0 = time.time()
    if args.cmd == "prepare-crops":
        from livehand.metadata import ModelMeta
        from train.data.crops import pack_hand_crops

        counts = pack_hand_crops(_records(args.labels, args.images, args.min_side_score, args.ganerated,
                                                 args.ganerated_limit), args.out,
                                 box_scale=ModelMeta.box_scale, seed=args.seed)
        print(json.dumps(counts), f"({time.time() - t0:.0f} s)")
    elif args.cmd == "prepare-frames":
        from train.data.frames import pack_frames

        counts = pack_frames(_records(args.labels, args.images, args.min_side_score, args.ganerated,
                                      args.ganerated_limit), args.out)
        print(json.dumps(counts), f"({time.time() - t0:.0f} s)")
    elif args.cmd == "prepare-faces":
        from livehand.metadata import ModelMeta
        from train.data.crops import pack_face_crops

        hands = {str(rec.image.relative_to(args.images)): [h.keypoints for h in rec.hands]
                 for rec in read_jsonl(args.labels, args.images)}
        faces = [json.loads(line) for line in args.faces.read_text().splitlines() if line.strip()]
        faces = [f for f in faces if not args.sources or f["source"] in args.sources]
        k = len(next(h for hs in hands.values() for h in hs))
        counts = pack_face_crops(faces, hands, args.images, args.out, num_keypoints=k,
                                 min_score=args.min_score, people=args.people, box_scale=ModelMeta.box_scale,
                                 seed=args.seed)
        print(json.dumps(counts), f"({time.time() - t0:.0f} s)")
    elif args.cmd == "mine-scenes":
        from livehand.backends.base import load_backend
        from livehand.metadata import ModelMeta
        from livehand.models import DEFAULT_DETECTOR
        from livehand.tracking import TrackerConfig
        from train.data.scenes import mine_scenes
        from train.loop import TrainConfig

        counts = mine_scenes(_records([args.labels], [args.images], 0.0), load_backend(args.detector or DEFAULT_DETECTOR),
                             args.out, args.threshold, ModelMeta.box_scale, TrackerConfig.min_crop,
                             TrainConfig.val_fraction, EVAL_SOURCES)
        print(json.dumps(counts), f"({time.time() - t0:.0f} s)")
    elif args.cmd == "prepare-scenes":
        from livehand.skeleton import HAND21
        from train.data.scenes import pack_scene_crops

        counts = pack_scene_crops(args.candidates, args.out, num_keypoints=len(HAND21.names), max_per_source=args.max_per_source,
                                  seed=args.seed)
        print(json.dumps(counts), f"({time.time() - t0:.0f} s)")
    elif args.cmd == "mark-scenes":
        from train.data.scenes import mark_false_boxes

        counts = mark_false_boxes(_records([args.labels], [args.images], 0.0), args.candidates, args.frames, args.out)
        print(json.dumps(counts), f"({time.time() - t0:.0f} s)")
    elif args.cmd == "dump-crops":
        from livehand.metadata import ModelMeta
        from train.data.crops import load_shards, write_crop_images

        paths = sorted(p for p in args.shards.glob("*.npz") if p.stem not in EVAL_SOURCES)
        n = write_crop_images(load_shards(paths), args.out, args.count, args.size, ModelMeta.box_scale)
        print(f"wrote {n} crops from {[p.stem for p in paths]} to {args.out}")
    else:
        from train.loop import TrainConfig, fit

        cfg = json.loads(args.config.read_text())
        for kv in args.set:
            k, v = kv.split("=", 1)
            cfg[k] = json.loads(v)
        fit(TrainConfig(**cfg))


def cli(argv: list[str] | None = None) -> None:
    """main() with bad input (a missing file, a malformed value) as one line and exit status 1."""
    try:
        main(argv)
    except (FileNotFoundError, TrainInputError) as e:
        raise SystemExit(f"python -m train: error: {e}") from None


if __name__ == "__main__":
    cli()
