"""Pseudo-label real photos with MediaPipe Hands (the teacher), writing livehand's JSON-lines labels.

Runs in an environment with the `mediapipe` extra (mediapipe==0.10.21 pins numpy<2, so keep it in
its own venv). MediaPipe assumes a mirrored selfie image; these photos are not mirrored, so its
"Left"/"Right" is swapped to name the person's own hand. Every detection is kept with its scores;
training filters on them. --flip labels the mirrored photo and maps the result back (keypoints
and side): a second opinion from the same teacher, for judging how consistent its labels are.
--pad F shows the teacher the photo inside a black border F times its longer side on every side:
its palm detector misses hands that fill the frame or run off its edge (most of the training
photos it found no hand in), and finds many of them with room around; keypoints come back in the
photo's own pixels (those beyond its edge too). --unlabelled-in LABELS takes only the photos that
LABELS gives no hand.

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


def _init(complexity: int, min_confidence: float = 0.5, max_hands: int = 2) -> None:
    global _hands
    import mediapipe as mp_lib

    _hands = mp_lib.solutions.hands.Hands(
        static_image_mode=True, max_num_hands=max_hands, model_complexity=complexity,
        min_detection_confidence=min_confidence)


def manifest_jobs(root: Path, sources: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(root, file, source) for every photo in root/manifest.csv (only `sources` when given)."""
    with open(root / "manifest.csv") as f:
        return [(str(root), row["file"], row["source"]) for row in csv.DictReader(f)
                if not sources or row["source"] in sources]


def teacher_hand(label: str, score: float, xy_norm: list[tuple[float, float]], w: int, h: int,
                 mirrored: bool, border: int = 0) -> dict:
    """One MediaPipe hand -> a livehand label dict, in the unmirrored, unpadded w x h photo's pixels.

    MediaPipe assumes a selfie (mirrored) image: its "Right" is the person's left in an unmirrored
    photo, and the person's right when we mirrored the photo ourselves. Normalized x spans the
    shown image's extent [0, W] (W = w + 2 * border), so mirroring maps x * W to W - x * W; the
    border is then taken off both axes."""
    right = (label == "Right") == mirrored
    big_w, big_h = w + 2 * border, h + 2 * border
    return {"side": "right" if right else "left", "side_score": round(score, 4),
            "keypoints": [[round((big_w - x * big_w if mirrored else x * big_w) - border, 2),
                           round(y * big_h - border, 2)] for x, y in xy_norm]}


def pad_border(w: int, h: int, pad: float) -> int:
    """Border width in px for --pad: pad times the photo's longer side."""
    return int(round(pad * max(w, h)))


def label_image(job: tuple[str, str, str, bool, float]) -> dict:
    root, rel, source, mirrored, pad = job
    image = cv2.imread(str(Path(root) / rel))
    if image is None:
        return {"image": rel, "source": source, "error": "unreadable"}
    h, w = image.shape[:2]
    b = pad_border(w, h, pad)
    rgb = cv2.copyMakeBorder(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), b, b, b, b, cv2.BORDER_CONSTANT, value=0)
    result = _hands.process(rgb[:, ::-1].copy() if mirrored else rgb)
    hands = [teacher_hand(handed.classification[0].label, handed.classification[0].score,
                          [(p.x, p.y) for p in lms.landmark], w, h, mirrored, border=b)
             for lms, handed in zip(result.multi_hand_landmarks or [], result.multi_handedness or [])]
    return {"image": rel, "source": source, "width": w, "height": h, "hands": hands}


def unlabelled_images(labels: Path) -> set[str]:
    """Images a JSON-lines label file lists with no hand."""
    rows = (json.loads(line) for line in labels.read_text().splitlines() if line.strip())
    return {r["image"] for r in rows if not r.get("hands")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder with manifest.csv (file,source,...)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--complexity", type=int, default=1)
    parser.add_argument("--flip", action="store_true", help="label the mirrored photos (mapped back)")
    parser.add_argument("--pad", type=float, default=0.0, help="black border, times the longer side, on every side")
    parser.add_argument("--sources", nargs="*", default=None, help="only these sources (default: all)")
    parser.add_argument("--unlabelled-in", type=Path, default=None,
                        help="only the photos this label file gives no hand")
    parser.add_argument("--min-confidence", type=float, default=0.5,
                        help="the teacher's palm-detection confidence (MediaPipe's default 0.5)")
    parser.add_argument("--max-hands", type=int, default=2, help="most hands the teacher reports per photo")
    args = parser.parse_args(argv)
    keep = unlabelled_images(args.unlabelled_in) if args.unlabelled_in else None
    jobs = [(*job, args.flip, args.pad) for job in manifest_jobs(args.root, args.sources)
            if keep is None or job[1] in keep]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    found = 0
    with mp.Pool(args.workers, initializer=_init,
                 initargs=(args.complexity, args.min_confidence, args.max_hands)) as pool, \
            open(args.out, "w") as out:
        for i, rec in enumerate(pool.imap(label_image, jobs, chunksize=16)):
            found += bool(rec.get("hands"))
            out.write(json.dumps(rec) + "\n")
            if i % 500 == 0:
                print(f"{i}/{len(jobs)} images, {found} with hands", file=sys.stderr, flush=True)
    print(f"done: {len(jobs)} images, {found} with at least one hand -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
