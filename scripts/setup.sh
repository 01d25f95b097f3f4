#!/usr/bin/env bash
# Install what petite needs on Debian 12 (idempotent; installs only what is missing).
#   build: gcc, make, cmake; fuzzing and sanitizers: clang + its runtime (libFuzzer).
set -euo pipefail
need=()
command -v gcc   >/dev/null 2>&1 || need+=(build-essential)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v clang >/dev/null 2>&1 || need+=(clang)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
  || [ "$(uname -m)" != x86_64 ] || need+=(libclang-rt-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup: ok ($(gcc --version | head -1); $(cmake --version | head -1))"
