"""Ask the teacher (MediaPipe Hands) whether a candidate "no hand" crop holds a hand.

The detector's boxes away from labelled hands (`python -m train mine-scenes`) are mostly things
in the room, but some are hands the teacher missed in the whole photo (small, at the person's
side). Each candidate's context crop (3.2x the detection) is shown to MediaPipe on its own, where
such a hand is big enough to find; a crop with any hand in it is not used as a negative. Runs in
the mediapipe venv and writes FOLDER/verdicts.jsonl:

    mpvenv/bin/python -m train.handcheck data/scene_candidates [--min-confidence 0.3]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="output of python -m train mine-scenes")
    parser.add_argument("--min-confidence", type=float, default=0.3,
                        help="MediaPipe's palm-detection confidence: low, so a doubtful hand stays out of the negatives")
    args = parser.parse_args(argv)
    listing = args.folder / "candidates.jsonl"
    if not listing.is_file():
        sys.exit(f"{listing}: missing; run python -m train mine-scenes first")
    import mediapipe as mp_lib

    hands = mp_lib.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1,
                                         min_detection_confidence=args.min_confidence)
    found = total = 0
    with open(args.folder / "verdicts.jsonl", "w") as out:
        for line in listing.read_text().splitlines():
            name = json.loads(line)["crop"]
            image = cv2.imread(str(args.folder / name))
            if image is None:
                sys.exit(f"{args.folder / name}: unreadable image")
            result = hands.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            hand = bool(result.multi_hand_landmarks)
            found += hand
            total += 1
            out.write(json.dumps({"crop": name, "hand": hand}) + "\n")
    print(f"{total} candidates, the teacher found a hand in {found}")


if __name__ == "__main__":
    main()
