# Bare-metal build for a Cortex-M55 (Debian's gcc-arm-none-eabi + libnewlib-arm-none-eabi): the
# runtime as a static library and examples/cortex_m (the official int8 keyword spotter from a byte
# array), run on QEMU's MPS3 AN547 board:
#   cmake -S . -B build-m55 -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi-cortex-m55.cmake
#   cmake --build build-m55
#   qemu-system-arm -M mps3-an547 -nographic -semihosting-config enable=on,target=native \
#     -kernel build-m55/examples/cortex_m/kws.elf
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m55)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections --specs=nano.specs")
