#!/usr/bin/env bash
# The main job end to end: set up, build, then inspect and run real .pte files written by the
# official ExecuTorch exporter (../shared/conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target petite >/dev/null
files="${PETITE_CONFORMANCE_DIR:-$PWD/../shared/conformance}/files"
echo "== petite info: the trained int8 keyword spotter (DS-CNN, cortex_m ops) =="
./build/petite info "$files/cortex_m_int8_keyword_spotting.pte" | head -40
echo "== petite run: softmax over float[2, 4096] =="
./build/petite run "$files/portable_softmax_wide.pte"
echo "== petite run: a program with constant methods =="
./build/petite run "$files/constant_methods.pte" --method get_double
./build/petite run "$files/qnn_llama_unsupported_backend.pte" --method get_vocab_size
