#include "exercise.h"

#include <stdlib.h>

#include "petite/petite.h"

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
    size_t nmethods = 0;
    petite_program_method_count(p, &nmethods);
    for (size_t i = 0; i < nmethods && i < 8; i++) {
        const char *name = NULL;
        if (petite_program_method_name(p, i, &name) != PETITE_OK) continue;
        petite_method *m = NULL;
        petite_load_options o;
        petite_load_options_init(&o);
        o.flags = PETITE_LOAD_INSPECT;
        if (petite_method_load_ex(p, name, &o, &m) == PETITE_OK) {
            petite_method_info info = {.struct_size = sizeof info};
            petite_method_describe(m, &info);
            for (uint32_t k = 0; k < info.num_operators; k++) {
                petite_operator_info op = {.struct_size = sizeof op};
                petite_method_operator(m, k, &op);
            }
            petite_method_free(m);
        } else {
            note_failure(st, petite_last_error());
        }
        o.flags = 0;
        o.max_memory_bytes = memory_cap;
        m = NULL;
        if (petite_method_load_ex(p, name, &o, &m) != PETITE_OK) {
            note_failure(st, petite_last_error());
            continue;
        }
        st->loaded++;
        size_t nin = 0;
        petite_method_io_count(m, PETITE_INPUT, &nin);
        for (size_t k = 0; k < nin; k++) {
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
