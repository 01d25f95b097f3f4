#!/usr/bin/env bash
# The main job end to end: set up, build, train a small CNN on real data (sklearn's handwritten
# digits), export it with petite-export (PyTorch alone), run it with the petite CLI on held-out
# digits and print the predictions; then train a small detector on scenes of those digits, export
# it, run `petite detect` on held-out scenes, print the boxes, write an annotated PNG and report
# the held-out mAP@0.5 of eager PyTorch and of petite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --main  # the build and the exporter only (the test command installs the rest)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target petite petite_shared petite_vision_shared >/dev/null
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
echo "== 4. a detector: train it on scenes of handwritten digits (about 2 minutes of one core; progress below) =="
/usr/bin/python3 examples/detector/digits_detector.py "$work/detector"
echo "== 5. export it and compare eager PyTorch with petite on the held-out scenes =="
PETITE_LIB=$PWD/build/libpetite.so PETITE_CLI=$PWD/build/petite \
  /usr/bin/python3 examples/detector/evaluate.py "$work/detector" | grep -v "^  "
echo "== 6. petite detect on held-out scenes =="
./build/petite detect "$work/detector/digits_detector_xnnpack.pte" "$work/detector"/scene_[0-2].png \
  --labels "$work/detector/digit_labels.txt" --out "$work/detector/annotated.png"
echo "(annotated pictures: $work/detector/annotated_0.png ... annotated_2.png)"
echo "== 7. a small language model: train it on Debian's fortunes (a SentencePiece tokenizer, then 120 steps: about 3 minutes of 2 cores) =="
/usr/bin/python3 examples/text_generation/train.py --out "$work/lm" --steps 120
echo "== 8. export it (8da4w: 4-bit weights, int8 activations, 4-bit embeddings; validated by greedy generation) =="
tools/petite-export "$work/lm" --task text-generation --max-seq-len 128 --quantize 8da4w --embedding-quantize 4,32 \
  --model-name fortunes --output-dir "$work/lm/out" | grep -E "validate|exports"
echo "== 9. petite generate: let it write (after 3 minutes of training: English-like words, not yet sense) =="
for prompt in "The secret of life is" "A computer"; do
  ./build/petite generate "$work/lm/out/fortunes_xnnpack_quantized.pte" --tokenizer "$work/lm/tokenizer.model" \
    --prompt "$prompt" --max-new-tokens 40 --temperature 0.8 --top-p 0.9 --seed 1 --echo
done
