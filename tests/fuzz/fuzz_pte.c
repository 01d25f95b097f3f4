/* fuzz_pte.c — libFuzzer target: open + inspect + load every method + run on any bytes.
 *   cmake -DPETITE_FUZZ=ON -DCMAKE_C_COMPILER=clang ...; ./fuzz_pte corpus/ -max_total_time=60 */
#include "../exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    exercise_stats st = {0, 0, 0, 0, 0};
    /* odd sizes: the public default (petite_load_options zeroed: PETITE_DEFAULT_MAX_MEMORY), even
     * sizes: a 16 MiB cap */
    exercise_bytes(data, size, (size & 1) ? 0 : 16u << 20, &st);
    return 0;
}
