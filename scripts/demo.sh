#!/usr/bin/env bash
# The main job end to end: set up, build, train a small CNN on real data (sklearn's handwritten
# digits), export it with petite-export (PyTorch alone), run it with the petite CLI on held-out
# digits and print the predictions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target petite petite_shared >/dev/null
work=build/demo
rm -rf "$work" && mkdir -p "$work"
echo "== 1. train the digits CNN =="
/usr/bin/python3 examples/digits/train_digits.py "$work"
echo "== 2. export it: petite-export =="
tools/petite-export "$work/digits_cnn.pt" --model-name digits_cnn --input-shapes 1,1,8,8 \
  --output-dir "$work/exported_models" --create-summary
echo "== 3. run it: petite run, one held-out digit at a time =="
for f in "$work"/digit_*.npy; do
  label=$(basename "$f" .npy | cut -d_ -f2)
  pred=$(./build/petite run "$work/exported_models/digits_cnn_portable.pte" --input "$f" \
         | sed -n 's/.*\[argmax \([0-9]*\)\].*/\1/p')
  echo "$(basename "$f"): true digit $label, petite predicts $pred"
done
echo "== petite info =="
./build/petite info "$work/exported_models/digits_cnn_portable.pte" | head -20
