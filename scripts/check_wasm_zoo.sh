#!/bin/bash
# A zoo model under node: mobilenet_v2 (xnnpack file) run by the WebAssembly CLI, on 1 and 2 threads
# when the build has threads, against the native build's output (another ISA: within 1e-4 of the
# largest output); with threads, the two runs must be equal bit for bit. Prints the times.
#   scripts/check_wasm_zoo.sh WASM_BUILD_DIR NATIVE_BUILD_DIR [threads]
set -euo pipefail
wasm=$1 native=$2 threads=${3:-}
f="$native/zoo/mobilenet_v2_xnnpack.pte"
[ -f "$f" ] || { echo "wasm zoo check: $f not built (the zoo test makes it): skipped"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/native" "$out/t1" "$out/t2"
"$native/petite" run "$f" --output-dir "$out/native" >/dev/null
node --no-experimental-fetch "$wasm/petite.js" run "$f" --threads 1 --output-dir "$out/t1" >/dev/null
t1=$(node --no-experimental-fetch "$wasm/petite.js" bench "$f" --threads 1 --runs 5 --json | sed -n 's/.*"median_ms": *\([0-9.]*\).*/\1/p')
msg="mobilenet_v2 under node: ${t1} ms on 1 thread"
if [ -n "$threads" ]; then
  node --no-experimental-fetch "$wasm/petite.js" run "$f" --threads 2 --output-dir "$out/t2" >/dev/null
  cmp -s "$out/t1/output_0.npy" "$out/t2/output_0.npy" || { echo "wasm: 1 and 2 threads differ"; exit 1; }
  t2=$(node --no-experimental-fetch "$wasm/petite.js" bench "$f" --threads 2 --runs 5 --json | sed -n 's/.*"median_ms": *\([0-9.]*\).*/\1/p')
  msg="$msg, ${t2} ms on 2 (bit-identical)"
fi
/usr/bin/python3 - "$out/native/output_0.npy" "$out/t1/output_0.npy" "$msg" <<'PY'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
rel = float(np.abs(a - b).max() / np.abs(a).max())
ok = a.shape == b.shape and rel < 1e-4 and a.argmax() == b.argmax()
print("%s; against the native build: max difference %.2g of the largest output, argmax %d %s" % (
    sys.argv[3], rel, int(b.argmax()), "equal" if a.argmax() == b.argmax() else "DIFFERENT"))
sys.exit(0 if ok else 1)
PY
