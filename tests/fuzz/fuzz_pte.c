/* fuzz_pte.c — libFuzzer target: open + inspect + load every method + run on any bytes.
 *   cmake -DPETITE_FUZZ=ON -DCMAKE_C_COMPILER=clang ...; ./fuzz_pte corpus/ -max_total_time=60 */
#include <stdlib.h>
#include <string.h>

#include "runtime/method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    petite_program *p = NULL;
    if (petite_program_open_buffer(data, size, PETITE_COPY, &p) != PETITE_OK) return 0;
    for (uint32_t i = 0; i < p->nplans && i < 8; i++) {
        pt_err e;
        petite_method *m = NULL;
        pt_load_options inspect = {1, 0};
        if (pt_method_build(p, i, &inspect, &m, &e) == PETITE_OK) petite_method_free(m);
        pt_load_options run = {0, 16u << 20};
        m = NULL;
        if (pt_method_build(p, i, &run, &m, &e) != PETITE_OK) continue;
        for (uint32_t k = 0; k < m->ninputs; k++) {
            petite_io_info info;
            if (petite_method_io_info(m, PETITE_INPUT, k, &info) || info.kind != PETITE_KIND_TENSOR) continue;
            size_t nb = (size_t)info.nbytes;
            void *buf = calloc(1, nb ? nb : 1);
            if (buf) petite_method_set_input(m, k, info.dtype, info.rank, info.sizes, buf, nb, PETITE_COPY);
            free(buf);
        }
        petite_method_run(m);
        petite_method_free(m);
    }
    petite_program_close(p);
    return 0;
}
