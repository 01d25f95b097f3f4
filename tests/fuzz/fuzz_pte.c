/* fuzz_pte.c — libFuzzer target: open + inspect + load every method + run on any bytes.
 *   cmake -DPETITE_FUZZ=ON -DCMAKE_C_COMPILER=clang ...; ./fuzz_pte corpus/ -max_total_time=60 */
#include "../exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    exercise_stats st = {0, 0, 0, 0, 0};
    exercise_bytes(data, size, 16u << 20, &st);
    return 0;
}
