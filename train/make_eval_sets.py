"""Write the held-out evaluation label files (JSON lines) that `livehand eval` reads.

    python -m train.make_eval_sets --out data/eval
    livehand eval --labels data/eval/real_heldout.jsonl --json data/eval/real_heldout.report.json
    livehand eval --labels data/eval/video.jsonl
    livehand eval --labels data/eval/mmpose.jsonl

- real_heldout.jsonl: MediaPipe pseudo-labels of the EVAL_SOURCES photos (never trained on).
- video.jsonl: every Nth frame of the ASL clip (frames written as PNG under asl/) with MediaPipe
  Hands full's keypoints, plus hands.jpg with MediaPipe's expected keypoints (both LEFT hands).
- mmpose.jsonl: the mmpose human-labelled samples, one source per dataset (research-only terms:
  evaluation, never training).
Image paths are written relative to the output folder, so the files need no --images-root.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from train.data.coco import read_coco
from train.data.labels import write_jsonl
from train.data.records import HandLabel, ImageRecord, read_jsonl
from train.data.splits import EVAL_SOURCES
from train.errors import TrainInputError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_LABELS = Path(__file__).resolve().parent / "labels" / "real_mediapipe.jsonl"
# Same handedness-score floor as `python -m train prepare-crops`: below it the teacher was unsure.
MIN_SIDE_SCORE = 0.7
MMPOSE_SETS = ("freihand", "onehand10k", "panoptic", "rhd", "interhand2.6m", "coco_wholebody")


def real_heldout(labels: Path, real_root: Path, sources: tuple[str, ...] = EVAL_SOURCES,
                 min_side_score: float = MIN_SIDE_SCORE) -> list[ImageRecord]:
    """The photos of `sources` whose every teacher hand is confident. Images with an unsure hand
    are dropped whole (a hand left unlabelled there would make a correct prediction look extra),
    and so are images where the teacher found none (it may have missed a hand that is there)."""
    return [r for r in read_jsonl(labels, real_root)
            if r.source in sources and r.hands
            and all(h.extra.get("side_score", 0.0) >= min_side_score for h in r.hands)]


def inside(keypoints: np.ndarray, width: int, height: int) -> np.ndarray:
    """float[K, 2] px -> bool[K]: the points inside the image."""
    x, y = keypoints[:, 0], keypoints[:, 1]
    return (x >= 0) & (y >= 0) & (x <= width - 1) & (y <= height - 1)


def video_frames(video: Path, keypoints_json: Path, out_dir: Path, every: int,
                 source: str = "asl-clip") -> list[ImageRecord]:
    """Every `every`th frame of `video` as out_dir/frame_NNNN.png, labelled with the per-frame
    float[F][21][>=2] keypoints of `keypoints_json`; the frame counts must agree."""
    per_frame = json.loads(keypoints_json.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(str(video))
    records, n = [], 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if n % every == 0:
                if n >= len(per_frame):
                    raise TrainInputError(f"{keypoints_json}: {len(per_frame)} frames of keypoints, {video} has more")
                kps = np.asarray(per_frame[n], np.float32)[:, :2]
                path = out_dir / f"frame_{n:04d}.png"
                cv2.imwrite(str(path), frame)
                h, w = frame.shape[:2]
                records.append(ImageRecord(path, source, [HandLabel(kps, inside(kps, w, h))], {"frame": n}))
            n += 1
    finally:
        cap.release()
    if n != len(per_frame):
        raise TrainInputError(f"{video} has {n} frames, {keypoints_json} {len(per_frame)}")
    return records


def hands_photo(expected_json: Path, source: str = "hands-photo") -> ImageRecord:
    """hands.jpg with MediaPipe's keypoints; the README says both hands are LEFT hands."""
    d = json.loads(expected_json.read_text())
    hands = [HandLabel(np.asarray(k, np.float32), np.ones(len(k), bool), "left") for k in d["hands"]]
    return ImageRecord(expected_json.parent / d["image"], source, hands)


def mmpose_samples(root: Path) -> list[ImageRecord]:
    """Every mmpose sample set under root, one source per dataset folder."""
    records = []
    for name in MMPOSE_SETS:
        labels = sorted(p for p in (root / name).glob("*.json")
                        if not p.name.endswith(("_camera.json", "_joint_3d.json")))
        if len(labels) != 1:
            raise TrainInputError(f"{root / name}: expected one label JSON, found {[p.name for p in labels]}")
        records += read_coco(labels[0], source=name)
    return records


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m train.make_eval_sets", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="folder for the label files and frames")
    p.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    p.add_argument("--real-labels", type=Path, default=REAL_LABELS)
    p.add_argument("--every", type=int, default=5, help="take every Nth frame of the ASL clip")
    p.add_argument("--min-side-score", type=float, default=MIN_SIDE_SCORE)
    args = p.parse_args(argv)

    video = args.shared / "video"
    sets = {
        "real_heldout": real_heldout(args.real_labels, args.shared / "real", EVAL_SOURCES, args.min_side_score),
        "video": video_frames(video / "asl_hand.25fps.mp4", video / "asl_hand.full.json", args.out / "asl",
                              args.every) + [hands_photo(video / "hands_expected.json")],
        "mmpose": mmpose_samples(args.shared / "labelled" / "mmpose"),
    }
    for name, records in sets.items():
        path = args.out / f"{name}.jsonl"
        write_jsonl(records, path)
        sources = sorted({r.source for r in records})
        print(f"{path}: {len(records)} images, {sum(len(r.hands) for r in records)} hands ({', '.join(sources)})")
    print(f"then: livehand eval --labels {args.out}/real_heldout.jsonl  (and video.jsonl, mmpose.jsonl)")


if __name__ == "__main__":
    main()
