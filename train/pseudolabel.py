"""Pseudo-label real photos with MediaPipe Hands (the teacher), writing livehand's JSON-lines labels.

Runs in an environment with the `mediapipe` extra (mediapipe==0.10.21 pins numpy<2, so keep it in
its own venv). MediaPipe assumes a mirrored selfie image; these photos are not mirrored, so its
"Left"/"Right" is swapped to name the person's own hand. Every detection is kept with its scores;
training filters on them.

    python -m train.pseudolabel ../shared/data/real --out train/labels/real_mediapipe.jsonl --workers 2
"""
from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import sys
from pathlib import Path

import cv2

_hands = None


def _init(complexity: int) -> None:
    global _hands
    import mediapipe as mp_lib

    _hands = mp_lib.solutions.hands.Hands(
        static_image_mode=True, max_num_hands=2, model_complexity=complexity,
        min_detection_confidence=0.5)


def label_image(job: tuple[str, str, str]) -> dict:
    root, rel, source = job
    image = cv2.imread(str(Path(root) / rel))
    if image is None:
        return {"image": rel, "source": source, "error": "unreadable"}
    h, w = image.shape[:2]
    result = _hands.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    hands = []
    for lms, handed in zip(result.multi_hand_landmarks or [], result.multi_handedness or []):
        cls = handed.classification[0]
        hands.append({
            "side": "left" if cls.label == "Right" else "right",  # un-mirror MediaPipe's label
            "side_score": round(cls.score, 4),
            "keypoints": [[round(p.x * w, 2), round(p.y * h, 2)] for p in lms.landmark],
        })
    return {"image": rel, "source": source, "width": w, "height": h, "hands": hands}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder with manifest.csv (file,source,...)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--complexity", type=int, default=1)
    args = parser.parse_args(argv)
    with open(args.root / "manifest.csv") as f:
        jobs = [(str(args.root), row["file"], row["source"]) for row in csv.DictReader(f)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    found = 0
    with mp.Pool(args.workers, initializer=_init, initargs=(args.complexity,)) as pool, \
            open(args.out, "w") as out:
        for i, rec in enumerate(pool.imap(label_image, jobs, chunksize=16)):
            found += bool(rec.get("hands"))
            out.write(json.dumps(rec) + "\n")
            if i % 500 == 0:
                print(f"{i}/{len(jobs)} images, {found} with hands", file=sys.stderr, flush=True)
    print(f"done: {len(jobs)} images, {found} with at least one hand -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
