#!/usr/bin/env bash
# Re-measure every figure in docs/model.md and docs/benchmarks.md with the shipped models.
# Needs: the dev venv (.venv), data/eval from `python -m train.make_eval_sets --out data/eval`,
# data/calib from `python -m train dump-crops --out data/calib`, data/crops and data/frames (model card,
# step 2), renders packed in data/crops_synth20 for handedness.py (model card, cycles 14-17),
# and for the MediaPipe comparison
# a separate venv with mediapipe==0.10.21 (MP_PYTHON, default /work/mpvenv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
R=bench/results
mkdir -p "$R"
PY=.venv/bin/python
LH=.venv/bin/livehand
# First the settings picked on the validation rows: every figure below is measured with them, so
# the shipped ones must be what the sweeps pick now (a retrained model can move the pick).
$PY bench/detector_sweep.py --frames data/frames --margin-sets 0 0,0.25 --json $R/detector_sweep_validation.json
$PY bench/start_presence.py --frames data/frames --json $R/start_presence_validation.json
$PY bench/second_look.py --frames data/frames --json $R/second_look_validation.json
$PY bench/smoothing.py --grid --json $R/smoothing_grid.json
$PY bench/check_picks.py $R/detector_sweep_validation.json $R/start_presence_validation.json $R/second_look_validation.json \
    $R/smoothing_grid.json
for set in real_heldout video mmpose; do
  $LH eval --labels data/eval/$set.jsonl --json $R/eval_$set.json
  $LH eval --labels data/eval/$set.jsonl --crops --json $R/eval_${set}_crops.json
done
$LH eval --labels data/eval/real_heldout.jsonl --tiles --json $R/eval_real_heldout_tiles.json
# INT8 / FP16 variants of the shipped landmark model (same checkpoint and start presence), judged on the same held-out crops
START=$($PY -c "from livehand.backends.base import load_backend as l; from livehand.models import DEFAULT_LANDMARKS as m; print(l(m).meta.start_presence)")
$LH export "${LANDMARK_CKPT:-train/checkpoints/landmarks_no_renders4.pt}" --out /tmp/livehand_variants/lm.onnx \
    --start-presence "$START" --fp16 --int8-calib data/calib
cmp /tmp/livehand_variants/lm.onnx livehand/models/hand_landmarks.onnx  # LANDMARK_CKPT is the shipped model
for v in lm_int8 lm_fp16; do
  $LH eval --labels data/eval/real_heldout.jsonl --crops --model /tmp/livehand_variants/$v.onnx --json $R/eval_real_heldout_crops_$v.json
done
$PY bench/model_latency.py --models /tmp/livehand_variants/{lm,lm_fp16,lm_int8}.onnx --json $R/model_latency_variants.json
$LH bench --video ../shared/data/video/human_hand_video.mp4 --json > $R/bench_human_hand_video.json
$LH bench --video ../shared/data/video/asl_hand.25fps.mp4 --json > $R/bench_asl_hand.json
$LH bench --video ../shared/data/video/human_hand_video.mp4 --live --json > $R/bench_live_human_hand_video.json
$LH bench --video ../shared/data/video/asl_hand.25fps.mp4 --live --json > $R/bench_live_asl_hand.json
$PY bench/detector_sweep.py --labels data/eval/real_heldout.jsonl --json $R/detector_sweep.json
$PY bench/acceptance.py --json $R/acceptance.json
$PY bench/two_hands.py > $R/two_hands.json
$PY bench/smoothing.py --json $R/smoothing.json
$PY bench/handedness.py --renders data/crops_synth20 --json $R/handedness.json
$PY bench/point_offsets.py --json $R/point_offsets_asl.json
# random weights: only the architecture matters, so SKIP_LATENCY=1 keeps the last figures after a retrain
[ "${SKIP_LATENCY:-0}" = 1 ] || $PY bench/model_latency.py --sizes 128 160 192 --widths 0.5 1.0 --json $R/model_latency.json
PYTHONPATH=. "${MP_PYTHON:-/work/mpvenv/bin/python}" bench/compare_mediapipe.py \
    --json $R/compare_mediapipe.json --picture docs/img/compare.png
