#!/usr/bin/env bash
# The landmark ablation of docs/model.md: every arm trains from scratch on the same short budget
# (10 x 2048 samples, seed 0) and is judged on the same rows: the training validation split and
# the held-out real crops. JOBS runs at a time (default 2), one thread each; ~1 h on 2 cores.
#   [JOBS=1] bash bench/ablation.sh [ARM ...]     (default: all six)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ARMS=("$@")
[ ${#ARMS[@]} -gt 0 ] || ARMS=(real synthetic both size160 size192 width1)
mkdir -p runs
export PY
printf '%s\n' "${ARMS[@]}" | xargs -P "${JOBS:-2}" -I{} sh -c \
  '$PY -m train fit --config train/configs/ablation_{}.json > runs/ablation_{}.log 2>&1'
for arm in "${ARMS[@]}"; do
  "$(dirname "$PY")/livehand" eval --labels data/eval/real_heldout.jsonl --crops --model runs/ablation_$arm/ablation_$arm.onnx \
    --json bench/results/ablation_$arm.json > /dev/null
  cp runs/ablation_$arm/history.json bench/results/train_history_ablation_$arm.json
done
$PY bench/ablation_table.py "${ARMS[@]}"
