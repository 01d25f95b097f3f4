#!/bin/bash
# A selective build on the host: only the kernels two portable conformance files name
# (petite info --ops), without the XNNPACK delegate. Both files must run and print what the full
# build prints; a file that needs another kernel, or the delegate, must be refused with a message
# that names it and the build option. Prints the two CLIs' sizes.
#   scripts/check_selective.sh FULL_BUILD_DIR WORK_DIR
set -euo pipefail
full=$1 work=$2
C="${PETITE_CONFORMANCE_DIR:-$PWD/../shared/conformance}/files"
mkdir -p "$work"
"$full/petite" info --ops "$C/portable_add_constant.pte" "$C/portable_mul_cast.pte" > "$work/ops.txt"
cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DPETITE_WERROR=ON -DPETITE_TESTS=OFF \
  -DPETITE_SELECT_OPS="$work/ops.txt" -DPETITE_XNNPACK=OFF >/dev/null
cmake --build "$work/build" -j2 --target petite >/dev/null
sel="$work/build/petite"
for f in portable_add_constant portable_mul_cast; do
  "$full/petite" run "$C/$f.pte" > "$work/$f.full.txt"
  "$sel" run "$C/$f.pte" > "$work/$f.sel.txt"
  cmp -s "$work/$f.full.txt" "$work/$f.sel.txt" || { echo "selective: $f differs from the full build"; exit 1; }
done
if "$sel" run "$C/portable_softmax_wide.pte" > "$work/softmax.txt" 2>&1; then echo "selective: softmax ran without its kernel"; exit 1; fi
grep -q "aten::_softmax.out.*selective build.*PETITE_SELECT_OPS" "$work/softmax.txt" || { cat "$work/softmax.txt"; exit 1; }
if "$sel" run "$C/xnnpack_add.pte" > "$work/xnn.txt" 2>&1; then echo "selective: an XNNPACK file ran without the backend"; exit 1; fi
grep -q "XnnpackBackend.*PETITE_XNNPACK=ON" "$work/xnn.txt" || { cat "$work/xnn.txt"; exit 1; }
echo "selective build: $(grep -vc '^#' "$work/ops.txt") kernels, no XNNPACK: 2 files as the full build, 2 refused by name;" \
  "CLI text $(size -A "$sel" | awk '$1==".text"{print $2}') B vs $(size -A "$full/petite" | awk '$1==".text"{print $2}') B"
