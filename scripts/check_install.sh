#!/usr/bin/env bash
# Linking into an app: (1) only petite_* is exported by libpetite.a and libpetite.so (nm);
# (2) `cmake --install` to a temporary prefix, then a C program built with pkg-config against it
# (shared and static), the same for an app of the vision library through petite_vision.pc (a pv_*
# function and the runtime in one program), the Python binding imported from the installed place and
# run on the conformance corpus's XNNPACK a + b (without the corpus: the same program exported here),
# and the installed petite-export answering --help.
#
#   bash scripts/check_install.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
conf=${PETITE_CONFORMANCE_DIR:-$PWD/../shared/conformance}
add_file=$conf/files/xnnpack_add.pte  # an XNNPACK a + b on float32[3]: the apps below run it

fail=0
# each library exports its own prefix only
for spec in "libpetite:petite_" "libpetite_vision:pv_" "libpetite_text:ptk_"; do
  name=${spec%%:*} pre=${spec#*:}
  for lib in "$build/$name.a" "$build/$name.so"; do
    [ -f "$lib" ] || { echo "FAIL $lib is missing"; fail=1; continue; }
    extra=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | grep -v "^$pre" || true)
    if [ -n "$extra" ]; then
      echo "FAIL $lib exports $(echo "$extra" | wc -l) symbols outside $pre*: $(echo $extra | head -c 300)"
      fail=1
    else
      echo "symbols: $lib exports $(nm -g --defined-only "$lib" | awk 'NF==3' | wc -l) symbols, all $pre*"
    fi
  done
done

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
if [ ! -f "$add_file" ]; then  # a clone without the corpus: the same program, exported here
  add_file=$prefix/add_xnnpack.pte
  PYTHONPATH=python PETITE_LIB="$build/libpetite.so" /usr/bin/python3 - "$prefix" <<'PY' >/dev/null
import sys, torch
from petite.export import export_model
class Add(torch.nn.Module):
    def forward(self, a, b):
        return a + b
r = export_model(Add(), [torch.ones(3), torch.ones(3)], model_name="add", backends=["xnnpack"],
                 output_dir=sys.argv[1])[0]
assert r["success"] and r["xnnpack_subgraphs"] == 1, r
PY
  echo "install: no conformance corpus: runs the apps on an a + b exported here ($add_file)"
fi
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name petite.pc | head -1)
export PKG_CONFIG_PATH="$(dirname "$pc")"
cat > "$prefix/app.c" <<'C'
#include <stdio.h>
#include <petite/petite.h>
int main(int argc, char **argv) {
    petite_program *p = NULL;
    petite_method *m = NULL;
    if (petite_program_open_file(argv[1], &p) || petite_method_load(p, "forward", &m)) {
        printf("%s\n", petite_last_error());
        return 1;
    }
    float a[3] = {1, 2, 3}, b[3] = {10, 20, 30};
    int64_t shape[1] = {3};
    const void *y;
    size_t n;
    if (petite_method_set_input(m, 0, PETITE_FLOAT32, 1, shape, a, sizeof a, PETITE_COPY) ||
        petite_method_set_input(m, 1, PETITE_FLOAT32, 1, shape, b, sizeof b, PETITE_COPY) || petite_method_run(m) ||
        petite_method_output_data(m, 0, &y, &n) || ((const float *)y)[2] != 33.0f) {
        printf("%s\n", petite_last_error());
        return 1;
    }
    printf("petite %s: 3 + 30 = %g\n", petite_version(), ((const float *)y)[2]);
    petite_method_free(m);
    petite_program_close(p);
    return 0;
}
C
if ! command -v pkg-config >/dev/null; then echo "FAIL pkg-config missing"; exit 1; fi
cc -o "$prefix/app_shared" "$prefix/app.c" $(pkg-config --cflags --libs petite) -Wl,-rpath,"$(pkg-config --variable=libdir petite)"
cc -o "$prefix/app_static" "$prefix/app.c" $(pkg-config --cflags petite) "$(pkg-config --variable=libdir petite)/libpetite.a" \
  $(pkg-config --libs-only-l --static petite | sed 's/-lpetite//')
for app in app_shared app_static; do
  "$prefix/$app" "$add_file" >/dev/null || { echo "FAIL $app"; fail=1; }
done
echo "install: pkg-config builds a C program against $prefix (shared and static): both run"
# the vision library: `pkg-config --libs petite_vision` brings -lpetite_vision and (Requires) -lpetite
cat > "$prefix/vision_app.c" <<'C'
#include <stdio.h>
#include <petite/petite.h>
#include <petite/petite_vision.h>
int main(void) {
    float x[4] = {0.5f, 3.0f, 1.0f, -2.0f}, y[4];
    pv_class top[2];
    uint32_t n = 0;
    if (pv_softmax(x, 4, y) != PETITE_OK || pv_topk(y, 4, 2, top, &n) != PETITE_OK || n != 2 ||
        top[0].class_id != 1 || top[1].class_id != 2) {
        printf("vision: %s\n", pv_last_error());
        return 1;
    }
    printf("petite %s, vision: top class %d (p %.3f)\n", petite_version(), top[0].class_id, top[0].score);
    return 0;
}
C
vfail=0
cc -o "$prefix/vision_shared" "$prefix/vision_app.c" $(pkg-config --cflags --libs petite_vision) \
  -Wl,-rpath,"$(pkg-config --variable=libdir petite_vision)" || { echo "FAIL pkg-config petite_vision (shared)"; vfail=1; }
# static: the two archives, then what --static lists beyond them (-lm -lpthread)
vlibdir=$(pkg-config --variable=libdir petite_vision 2>/dev/null || echo /nonexistent)
cc -o "$prefix/vision_static" "$prefix/vision_app.c" $(pkg-config --cflags petite_vision) \
  "$vlibdir/libpetite_vision.a" "$vlibdir/libpetite.a" \
  $(pkg-config --libs-only-l --static petite_vision | tr ' ' '\n' | grep -v '^-lpetite' | tr '\n' ' ') ||
  { echo "FAIL pkg-config petite_vision (static)"; vfail=1; }
for app in vision_shared vision_static; do
  [ $vfail = 0 ] && { "$prefix/$app" >/dev/null || { echo "FAIL $app"; vfail=1; }; }
done
if [ $vfail = 0 ] && ldd "$prefix/vision_static" | grep -q libpetite; then echo "FAIL vision_static links a shared libpetite"; vfail=1; fi
[ $vfail = 0 ] && echo "install: pkg-config petite_vision builds a C program using pv_* and petite_* (shared and static): both run"
[ $vfail = 0 ] || fail=1
# the tokenizer library: `pkg-config --libs petite_text`, a tokenizer.json written here
cat > "$prefix/text_app.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <petite/petite_text.h>
int main(void) {
    static const char json[] = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "
                               "\"merges\": [\"a b\"]}}";
    ptk_tokenizer *t;
    int32_t *ids;
    size_t n;
    if (ptk_load_bytes(json, strlen(json), NULL, 0, &t) != PETITE_OK || ptk_encode(t, "abab", 4, 0, &ids, &n) != PETITE_OK ||
        n != 2 || ids[0] != 2 || ids[1] != 2) {
        printf("text: %s\n", ptk_last_error());
        return 1;
    }
    printf("text: \"abab\" -> %d %d\n", ids[0], ids[1]);
    ptk_free_buffer(ids);
    ptk_free(t);
    return 0;
}
C
tfail=0
cc -o "$prefix/text_shared" "$prefix/text_app.c" $(pkg-config --cflags --libs petite_text) \
  -Wl,-rpath,"$(pkg-config --variable=libdir petite_text)" || { echo "FAIL pkg-config petite_text (shared)"; tfail=1; }
cc -o "$prefix/text_static" "$prefix/text_app.c" $(pkg-config --cflags petite_text) \
  "$(pkg-config --variable=libdir petite_text)/libpetite_text.a" || { echo "FAIL petite_text (static)"; tfail=1; }
for app in text_shared text_static; do
  [ $tfail = 0 ] && { "$prefix/$app" >/dev/null || { echo "FAIL $app does not run"; tfail=1; }; }
done
[ $tfail = 0 ] && echo "install: pkg-config petite_text builds a C program using ptk_* (shared and static): both run"
[ $tfail = 0 ] || fail=1
pydir=$(find "$prefix" -type d -path '*/petite/python' | head -1)
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  (cd /tmp && PYTHONPATH="$pydir" /usr/bin/python3 - "$add_file" "$prefix" <<'PY'
import sys, numpy as np
import petite.runtime as rt
assert rt.__file__.startswith(sys.argv[2]), rt.__file__
lib = rt._find_library()
assert lib.startswith(sys.argv[2]), lib
y = rt.Program(sys.argv[1]).load_method().run(np.ones(3, np.float32), np.arange(3, dtype=np.float32))[0]
assert (y == [1, 2, 3]).all(), y
print("install: the Python binding imports from %s and runs on %s" % (rt.__file__.rsplit("/", 2)[0], lib))
PY
  ) || fail=1
fi
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  "$prefix/bin/petite-export" --help >/dev/null || { echo "FAIL installed petite-export"; fail=1; }
  (cd /tmp && PYTHONPATH="$pydir" /usr/bin/python3 -c "import petite.export.xnnpack as x; assert x.XN and x.__file__.startswith('$prefix')") ||
    { echo "FAIL the installed exporter does not find its node lists"; fail=1; }
  echo "install: $prefix/bin/petite-export --help runs; the installed exporter reads its node lists"
fi
exit $fail
