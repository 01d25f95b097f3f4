#!/usr/bin/env bash
# Mutation check: apply deliberate wrong edits, one at a time, to a copy of the tree and confirm the
# fast suite fails on each: compute-layer tests on every ISA, kernel unit tests, the vision library's
# tests, the conformance corpus (where ../shared has it), the int8 bit-exactness test, a few operator
# cases through the exporter (both backends), the GPT-2-style block and the dynamic sizes (through XNNPACK
# too). The edits reach the compute
# layer, the XNNPACK delegate, the runtime, the exporter and the vision library. A wrong edit that
# passes, one whose pattern no longer matches, and one that does not build are each a failure.
#
#   bash scripts/mutation_check.sh        (needs Debian's PyTorch, as the test command installs; about 2.5 minutes on an idle 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
conf=${PETITE_CONFORMANCE_DIR:-$root/../shared/conformance}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$work/"
cd "$work"
cmake -S . -B b -DCMAKE_BUILD_TYPE=Release -DPETITE_CONFORMANCE_DIR="$conf" -DPETITE_PYTHON=/nonexistent >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)

py=/usr/bin/python3
"$py" -c "import torch, torchvision, flatbuffers" >/dev/null 2>&1 ||
  { echo "mutation check: /usr/bin/python3 lacks torch / torchvision / flatbuffers (scripts/setup.sh installs them)"; exit 1; }
# 0: some test failed (caught; $failed_step names it); 1: every test passed; 2: the tree does not build
failed_step=""
step() {
  failed_step=$1
  shift
  ( "$@"; exit $? ) >/dev/null 2>&1  # a subshell: a crash is its exit code, not a console line
}
c_suites() {
  cmake --build b -j"$jobs" --target test_compute >/dev/null 2>&1 || return 2
  step test_compute ./b/tests/test_compute || return 0
  cmake --build b -j"$jobs" --target test_kernels test_vision conformance test_llm >/dev/null 2>&1 || return 2
  step test_kernels ./b/tests/test_kernels &&
    { [ ! -f "$conf/manifest.json" ] || step conformance env PETITE_CONFORMANCE_DIR="$conf" ./b/tests/conformance; } &&
    step test_vision ./b/tests/test_vision && step test_llm ./b/tests/test_llm llm-ref && return 1
  return 0
}
py_suites() {
  local env=(env PETITE_LIB="$PWD/b/libpetite.so" PETITE_CLI="$PWD/b/petite" PETITE_CONFORMANCE_DIR="$conf")
  cmake --build b -j"$jobs" --target petite_shared petite >/dev/null 2>&1 || return 2
  step test_ops "${env[@]}" "$py" tests/python/test_ops.py -k reshape_alias,nobias,split,unbind,add_broadcast,linear_3d &&
    step test_int8 "${env[@]}" "$py" tests/python/test_int8.py &&
    step test_kernel_table "${env[@]}" "$py" tests/python/test_kernel_table.py &&
    step test_dynamic "${env[@]}" "$py" tests/python/test_dynamic.py &&
    step test_architectures "${env[@]}" "$py" tests/python/test_architectures.py -k gpt2 && return 1
  return 0
}
# 1 only when every suite passed. Cheapest first, and each group of targets is built only when the
# tests before it passed; an edit outside the compute layer and the vision library runs the suites
# through the library (which reach it) before the C unit tests (which mostly do not).
fast_suite() {
  local rc first=c_suites second=py_suites
  case "${1:-}" in python/* | src/backends/* | src/runtime/* | src/kernels/*) first=py_suites second=c_suites ;; esac
  rc=0; $first || rc=$?
  [ $rc -eq 1 ] || return $rc
  $second
}

start=$(date +%s)
# the runner's files (a small decoder exported by the unmutated tree, eager's greedy tokens)
cmake --build b -j"$jobs" --target petite_shared petite_text_shared >/dev/null
PETITE_LIB="$PWD/b/libpetite.so" "$py" tests/llm/make_refs.py llm-ref >/dev/null
rc=0; fast_suite || rc=$?
[ $rc -eq 1 ] || { echo "mutation check: the fast suite $([ $rc -eq 2 ] && echo "does not build" || echo "fails ($failed_step)") without any mutation"; exit 1; }
echo "mutation check: the fast suite passes unmutated ($(( $(date +%s) - start )) s)"

# file | what the wrong edit does | sed expression (must change the file)
mutations=(
  "src/compute/gemm.c|GEMM drops the last k of a depth block that is not full|s/size_t kc = K - k0 < KC ? K - k0 : KC;/size_t kc = K - k0 < KC ? (K - k0 > 1 ? K - k0 - 1 : K - k0) : KC;/"
  "src/compute/gemm.c|packing a transposed B drops its last column|s/for (; j < w; j++) dst\[j\] = src\[j \* ldn\];/for (; j + 1 < w; j++) dst[j] = src[j * ldn];/"
  "src/compute/ukernels.inc|add ignores alpha on the vector path|s/} else { UK_BIN(u + al \* v); }/} else { UK_BIN(u + v); }/"
  "src/compute/ukernels.inc|depthwise (NHWC) skips the channels after the last full block|s/    for (; c < C; c++) {/    for (; c < C \&\& c % 16 == 0; c++) {/"
  "src/compute/qconv.c|CMSIS-NN rounding: negative values round like positive ones|s/    if (res < 0) threshold++;//"
  "src/compute/qconv.c|int8 convolution: input zero point off by one|s/(load8(x, xb + (c0 + ic) \* d->xs\[3\], d->x_unsigned) - xz)/(load8(x, xb + (c0 + ic) * d->xs[3], d->x_unsigned) - xz + 1)/"
  "src/backends/xnnpack/xn_dense.c|XNNPACK int8 convolution / fully connected: input zero point off by one|s/d->x_zero_point = a->zero_point, d->y_zero_point = o->zero_point/d->x_zero_point = a->zero_point + 1, d->y_zero_point = o->zero_point/"
  "src/compute/qgemm.c|int8 tiles: the output zero point is not added|s/(float)(d->hi - d->y_zero_point), d->y_zero_point}/(float)(d->hi - d->y_zero_point), 0}/"
  "src/compute/pool2d.c|average pooling ignores count_include_pad|s/else if (d->count_include_pad) r.area/else if (0) r.area/"
  "src/compute/ukernels.inc|softmax without the max subtraction|s/for (size_t k = 0; k < n; k++) y\[k\] = uk_exp(x\[k\] - mx);/for (size_t k = 0; k < n; k++) y[k] = uk_exp(x[k]);/"
  "src/compute/ukernels.inc|fp32 -> int8 convert rounds halves away from zero|s/            s8\[i\] = (int8_t)((int32_t)((f + magic) - magic) + zp);/            s8[i] = (int8_t)((int32_t)roundf(f) + zp);/"
  "src/compute/conv2d.c|indirect convolution: a padding-free tile reads one tap per kernel row|s/merged\[ti\] ? (size_t)d->KW \* icg : icg/merged[ti] ? icg : icg/"
  "src/backends/xnnpack/xnn_run.c|XNNPACK reshape aliases do not keep their bytes alive|s/        if (o->last > g->values\[root\].last) g->values\[root\].last = o->last;/        if (0) g->values[root].last = o->last;/"
  "src/compute/conv2d.c|NCHW im2col ignores dilation|s/int64_t off = kw \* d->dw - d->pl, base/int64_t off = kw - d->pl, base/"
  "src/backends/xnnpack/xnn_fuse.c|byte tables: the activation chain is left out of the table|s/pc_quantize_f32(\&one, 256, f\[nchain \& 1\]/pc_quantize_f32(\&one, 256, f[0]/"
  "src/compute/qgemm.c|int8 convolution by kernel rows: in place even where the row reads padding|s/if (ih >= 0 \&\& ih < gm->H \&\& cols_in \&\& (ih/if (ih >= 0 \&\& ih < gm->H \&\& (ih/"
  "src/compute/qconv.c|4-bit weights: an odd k reads the low nibble|s/return (int32_t)((k \& 1) ? byte >> 4 : byte \& 15) - 8;/return (int32_t)((k \& 1) ? byte \& 15 : byte >> 4) - 8;/"
  "src/compute/qdyn.c|qdint8 fast path: the input zero point is not taken out|s/(int64_t)dots\[r\] - (int64_t)p\[r\].zp \* wsum/(int64_t)dots[r]/"
  "src/compute/layout.c|constant pad: the leading padding is ignored|s/int64_t c = idx\[k\] - d->pre\[k\];/int64_t c = idx[k];/"
  # the XNNPACK delegate
  "src/backends/xnnpack/xnn_run.c|XNNPACK: a left-out optional input (a bias-free layer) is read as a value|/an optional input left out (a bias-free layer)/d"
  "src/backends/xnnpack/xn_elementwise.c|XNNPACK shape rule: a broadcast binary node takes the first input's dims|s/        d\[k\] = x == 1 ? y : x;/        d[k] = x;/"
  "src/backends/xnnpack/xn_layout.c|XNNPACK reshape rule: the inferred dim from the serialized (upper-bound) dims, not this run's|s/    uint64_t total = numel_of(a->cur, a->ndims), known = 1;/    uint64_t total = numel_of(a->dims, a->ndims), known = 1;/"
  # the runtime
  "src/runtime/api.c|setting an input copies half its bytes|s/if (need) memcpy(t->data, data, need);/if (need) memcpy(t->data, data, need \/ 2);/"
  "src/kernels/kernel.c|a split's returned list is not checked against its out list|s/memcmp(ret->u.list.idx, out->u.list.idx, out->u.list.n \* sizeof \*out->u.list.idx) != 0/0/"
  # the exporter
  "python/petite/export/plan.py|memory plan: an output's bytes are free after its last read|s/            end\[o\] = n$/            end[o] = end.get(o, start[o])/"
  "python/petite/export/lower.py|split-like ops: the out list written once (the official runtime refuses the count)|s/args += \[lst, lst\] if name in LIST_OUT/args += [lst] if name in LIST_OUT/"
  # the text-generation runner and the cache writes
  "src/llm/llm.c|decode feeds each token at the position before its own|s/if ((s = forward(l, \&tk, 1, l->pos, \&logits)) != PETITE_OK) {/if ((s = forward(l, \&tk, 1, l->pos > 0 ? l->pos - 1 : 0, \&logits)) != PETITE_OK) {/"
  "src/kernels/index.c|index_copy writes every index but the first|s/^        for (int64_t k = 0; k < L; k++) {/        for (int64_t k = 1; k < L; k++) {/"
  # the 4-bit tiles of the text models' linear layers (every x86-64 machine here has AVX2)
  "src/compute/qdyn.c|4-bit packing: each group's high nibbles from the k before|s/| nib\[(k + 4 + jj) \* Q4_NR + c\] << 4);/| nib[(k + 3 + jj) * Q4_NR + c] << 4);/"
  "src/compute/ukernels_avx2.c|AVX2 4-bit tile: the zero point taken out 7 times|s/_mm256_set1_epi32(8 \* qsum\[r \* ng + b\]);/_mm256_set1_epi32(7 * qsum[r * ng + b]);/"
  # the vision library
  "src/vision/vision.c|YUV to RGB: blue from V instead of U|s/rgb\[2\] = clamp255(Y + 1.772f \* U);/rgb[2] = clamp255(Y + 1.772f * V);/"
)

# the VNNI tile runs only where the CPU has it
grep -qw avx512_vnni /proc/cpuinfo 2>/dev/null && mutations+=(
  "src/compute/ukernels_avx512vnni.c|VNNI tile: the input is not flipped to unsigned|s/return _mm512_xor_si512(_mm512_set1_epi32(v), _mm512_set1_epi32((int32_t)0x80808080u));/return _mm512_set1_epi32(v);/"
  "src/compute/ukernels_avx512vnni.c|VNNI depthwise: the third kernel row of a group is dropped|s/const __m512i c = left > 2 ? qdw_flip(m, r0 + 2 \* ldrow + o) : z;/const __m512i c = z;/"
  "src/compute/ukernels_avx512vnni.c|VNNI 4-bit tile: the high nibbles not masked|s/hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);/hi = _mm512_srli_epi16(w, 4);/"
)

# each wrong edit builds on a copy of the unmutated build tree, and the edited source gets its old time
# back: nothing is rebuilt to undo an edit (restoring an included file would rebuild every ISA's copy)
cp -a b b.clean
survived=0
for m in "${mutations[@]}"; do
  IFS='|' read -r file what expr <<<"$m"
  cp -p "$file" "$file.orig"
  sed -i "$expr" "$file"
  rc=0; t0=$(date +%s)
  cmp -s "$file" "$file.orig" || { fast_suite "$file" || rc=$?; }
  dt="$(( $(date +%s) - t0 )) s"
  if cmp -s "$file" "$file.orig"; then
    echo "  NOT APPLIED  $what ($file: the pattern no longer matches)"
    survived=1
  elif [ $rc -eq 2 ]; then
    echo "  NO BUILD     $what ($file: the mutated tree does not build, so nothing was tested)"
    survived=1
  elif [ $rc -eq 1 ]; then
    echo "  SURVIVED     $what ($file)"
    survived=1
  else
    echo "  caught       $what (by $failed_step, $dt)"
  fi
  mv "$file.orig" "$file"
  rm -rf b && cp -a b.clean b
done
echo "mutation check: ${#mutations[@]} wrong edits, $([ $survived -eq 0 ] && echo "all caught" || echo "SOME NOT CAUGHT") in $(( $(date +%s) - start )) s"
exit $survived
