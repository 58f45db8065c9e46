"""Find faces in the real photos with MediaPipe Face Detection (a teacher, like train.pseudolabel).

Faces are what a hand crop most often drifts onto (skin, the same size, next to the hands), and
the random hand-free squares of prepare-crops rarely land on one. The boxes become "no hand"
crops for the presence head (`python -m train prepare-faces`). Runs in the mediapipe venv:

    python -m train.facelabel ../shared/data/real --out train/labels/faces_mediapipe.jsonl
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
from pathlib import Path

import cv2

from train.pseudolabel import manifest_jobs

_faces = None


def _init(min_score: float) -> None:
    global _faces
    import mediapipe as mp_lib

    # model_selection=1: the full-range model (faces up to ~5 m), as in photos of a whole person.
    _faces = mp_lib.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_score)


def label_image(job: tuple[str, str, str]) -> dict:
    root, rel, source = job
    image = cv2.imread(str(Path(root) / rel))
    if image is None:
        return {"image": rel, "source": source, "error": "unreadable"}
    h, w = image.shape[:2]
    result = _faces.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    faces = []
    for det in result.detections or []:
        b = det.location_data.relative_bounding_box
        faces.append({"box": [round(b.xmin * w, 1), round(b.ymin * h, 1),
                              round((b.xmin + b.width) * w, 1), round((b.ymin + b.height) * h, 1)],
                      "score": round(det.score[0], 4)})
    return {"image": rel, "source": source, "width": w, "height": h, "faces": faces}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder with manifest.csv (file,source,...)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=0.6)
    args = parser.parse_args(argv)
    jobs = manifest_jobs(args.root)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    found = 0
    with mp.Pool(args.workers, initializer=_init, initargs=(args.min_score,)) as pool, \
            open(args.out, "w") as out:
        for i, rec in enumerate(pool.imap(label_image, jobs, chunksize=16)):
            if not rec.get("faces"):
                continue  # only images with a face are worth a line
            found += 1
            out.write(json.dumps(rec) + "\n")
            if found % 200 == 0:
                print(f"{i}/{len(jobs)} images, {found} with faces", file=sys.stderr, flush=True)
    print(f"done: {len(jobs)} images, {found} with at least one face -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
