#include "exercise.h"

#include <stdlib.h>

#include "runtime/method.h"

static void note_failure(exercise_stats *st, const char *msg) {
    if (msg && msg[0]) st->failed_with_message++;
    else st->failed_silently++;
}

void exercise_bytes(const uint8_t *data, size_t size, uint64_t memory_cap, exercise_stats *st) {
    petite_program *p = NULL;
    if (petite_program_open_buffer(data, size, PETITE_COPY, &p) != PETITE_OK) {
        note_failure(st, petite_last_error());
        return;
    }
    st->opened++;
    for (uint32_t i = 0; i < p->nplans && i < 8; i++) {
        pt_err e;
        pt_err_clear(&e);
        petite_method *m = NULL;
        pt_load_options inspect = {1, 0};
        if (pt_method_build(p, i, &inspect, &m, &e) == PETITE_OK) petite_method_free(m);
        else note_failure(st, e.msg);
        pt_load_options run = {0, memory_cap};
        m = NULL;
        if (pt_method_build(p, i, &run, &m, &e) != PETITE_OK) {
            note_failure(st, e.msg);
            continue;
        }
        st->loaded++;
        for (uint32_t k = 0; k < m->ninputs; k++) {
            petite_io_info info;
            if (petite_method_io_info(m, PETITE_INPUT, k, &info) || info.kind != PETITE_KIND_TENSOR) continue;
            size_t nb = (size_t)info.nbytes;
            void *buf = calloc(1, nb ? nb : 1);
            if (buf) petite_method_set_input(m, k, info.dtype, info.rank, info.sizes, buf, nb, PETITE_COPY);
            free(buf);
        }
        if (petite_method_run(m) == PETITE_OK) st->ran++;
        else note_failure(st, petite_method_errmsg(m));
        petite_method_free(m);
    }
    petite_program_close(p);
}
