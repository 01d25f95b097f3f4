#!/usr/bin/env bash
# The layers, bottom up, and what each may include (project headers only):
#   core      -> core
#   format    -> core, format
#   compute   -> core, compute
#   kernels   -> core, compute, kernels
#   backends  -> core, format, compute, backends
#   runtime   -> everything below
#   tools/petite (the CLI) -> the public header petite/petite.h and its own files
# Any other include of a project header is an arrow back up: this prints it and fails. The build
# enforces the same (CMakeLists.txt: each source sees only its layers' include folders); this script
# also catches relative paths (#include "../runtime/x.h"), which a compiler resolves from the file.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed() {
  case "$1" in
    core) echo "core" ;;
    format) echo "core format" ;;
    compute) echo "core compute" ;;
    kernels) echo "core compute kernels" ;;
    backends) echo "core format compute backends" ;;
    runtime) echo "core format compute kernels backends runtime" ;;
  esac
}
bad=0
for layer in core format compute kernels backends runtime; do
  ok=$(allowed "$layer")
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/^[^:]*:[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$line")
    while [ "${inc#../}" != "$inc" ] || [ "${inc#./}" != "$inc" ]; do inc=${inc#../}; inc=${inc#./}; done
    top=${inc%%/*}
    [ "$inc" = "$top" ] && continue          # same-directory include ("xnn.h") or a system header
    case "$top" in core|format|compute|kernels|backends|runtime|vision|petite) ;; *) continue ;; esac
    [ "$top" = petite ] && continue          # the public header
    if ! grep -qw "$top" <<<"$ok"; then
      echo "layering: $file includes \"$inc\" ($layer may include: $ok)"
      bad=1
    fi
  done < <(grep -rHnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "src/$layer" || true)
done
# every folder under src/ is a layer (or the vision library beside them)
for d in src/*/; do
  d=${d%/}; d=${d#src/}
  case "$d" in core|format|compute|kernels|backends|runtime|vision|text|llm) ;;
    *) echo "layering: src/$d is not a layer (add it to this script, CMakeLists.txt and docs/ARCHITECTURE.md)"; bad=1 ;;
  esac
done
# the CLI: petite.h and its own headers only
while IFS= read -r line; do
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  case "$inc" in petite/petite.h|*/*) ;; *) continue ;; esac
  case "$inc" in petite/petite.h|petite/petite_vision.h|petite/petite_text.h|petite/petite_llm.h) continue ;; esac
  echo "layering: ${line%%:*} includes \"$inc\" (the CLI may include only the public headers)"
  bad=1
done < <(grep -rHn '#include "' tools/petite || true)
# the vision library sits beside the runtime: the public headers only
while IFS= read -r line; do
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  case "$inc" in petite/petite.h|petite/petite_vision.h) continue ;; esac
  echo "layering: ${line%%:*} includes \"$inc\" (the vision library may include only the public headers)"
  bad=1
done < <(grep -rHn '#include "' src/vision || true)
# the tokenizer library sits beside the runtime: the public headers and its own folder only
while IFS= read -r line; do
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  case "$inc" in petite/petite.h|petite/petite_text.h|text/*) continue ;; esac
  echo "layering: ${line%%:*} includes \"$inc\" (the tokenizer library may include only the public headers and text/)"
  bad=1
done < <(grep -rHn '#include "' src/text || true)
# the text-generation runner sits beside the runtime: the public headers only
while IFS= read -r line; do
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  case "$inc" in petite/petite.h|petite/petite_text.h|petite/petite_llm.h) continue ;; esac
  echo "layering: ${line%%:*} includes \"$inc\" (the runner may include only the public headers)"
  bad=1
done < <(grep -rHn '#include "' src/llm || true)
# the WebAssembly glue: the public headers only (the runtime's, the tokenizer's, the runner's)
while IFS= read -r line; do
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  case "$inc" in petite/petite.h|petite/petite_text.h|petite/petite_llm.h) continue ;; esac
  echo "layering: ${line%%:*} includes \"$inc\" (js/ may include only the public headers)"
  bad=1
done < <(grep -rHn '#include "' js || true)
[ $bad -eq 0 ] && echo "layering: ok (core <- format, compute <- kernels, backends <- runtime; CLI, vision, text, llm and js on the public headers)"
exit $bad
