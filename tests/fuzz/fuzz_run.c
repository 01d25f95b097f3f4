/* fuzz_run.c — libFuzzer target on the run path: real programs (every .pte in
 * $PETITE_FUZZ_PROGRAMS, default the conformance files and any zoo files listed there), with inputs
 * the fuzzer chooses: which program and method, each input's dtype (usually the right one), its shape
 * (within, at and past the bounds), and its bytes (so NaN, Inf, denormals and extreme integers
 * come up), set with and without zero-copy, then run, read every output, run again.
 *   ./fuzz_run -max_total_time=60 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "petite/petite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PROGRAMS 64
static petite_program *programs[MAX_PROGRAMS];
static size_t nprograms;

static void load_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && nprograms < MAX_PROGRAMS) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pte") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fclose(f);
        if (len <= 0 || len > (8l << 20)) continue; /* small programs: many runs per second */
        petite_program *p = NULL;
        if (petite_program_open_file(path, &p) == PETITE_OK) programs[nprograms++] = p;
    }
    closedir(d);
}

static void init(void) {
    const char *dirs = getenv("PETITE_FUZZ_PROGRAMS");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dirs ? dirs : PETITE_FUZZ_DEFAULT_PROGRAMS);
    for (char *tok = strtok(buf, ":"); tok; tok = strtok(NULL, ":")) load_dir(tok);
}

typedef struct {
    const uint8_t *p;
    size_t n;
} stream;

static uint32_t take(stream *s, uint32_t bound) {
    uint32_t v = 0;
    for (int i = 0; i < 4 && s->n; i++, s->p++, s->n--) v = v << 8 | *s->p;
    return bound ? v % bound : v;
}

static const int32_t dtypes[] = {PETITE_FLOAT32, PETITE_INT64, PETITE_INT32, PETITE_UINT8, PETITE_INT8,
                                 PETITE_FLOAT16, PETITE_BOOL, PETITE_FLOAT64};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!nprograms) init();
    if (!nprograms) return 0;
    stream s = {data, size};
    petite_program *p = programs[take(&s, (uint32_t)nprograms)];
    size_t nmethods = 0;
    petite_program_method_count(p, &nmethods);
    const char *name = NULL;
    if (!nmethods || petite_program_method_name(p, take(&s, (uint32_t)nmethods), &name)) return 0;
    petite_method *m = NULL;
    petite_load_options o;
    petite_load_options_init(&o);
    o.num_threads = 1 + (int)take(&s, 2);
    if (petite_method_load_ex(p, name, &o, &m) != PETITE_OK) return 0;
    size_t nin = 0;
    petite_method_io_count(m, PETITE_INPUT, &nin);
    void *keep[16] = {0}; /* zero-copy inputs must outlive the runs */
    for (size_t k = 0; k < nin && k < 16; k++) {
        petite_io_info info;
        if (petite_method_io_info(m, PETITE_INPUT, k, &info)) continue;
        if (info.kind == PETITE_KIND_INT) {
            petite_method_set_input_int(m, k, (int64_t)take(&s, 0) - (1ll << 31));
            continue;
        }
        if (info.kind != PETITE_KIND_TENSOR) continue;
        uint32_t how = take(&s, 16);
        int32_t dtype = how < 13 ? info.dtype : dtypes[take(&s, 8)];
        int64_t sizes[PETITE_MAX_RANK];
        int32_t rank = info.rank;
        uint64_t numel = 1;
        for (int32_t d = 0; d < rank; d++) {
            int64_t hi = info.max_sizes[d];
            uint32_t pick = take(&s, 8);
            sizes[d] = pick < 5 ? info.sizes[d] : pick == 5 ? hi : pick == 6 ? hi + 1 : (int64_t)take(&s, (uint32_t)hi + 2);
            numel *= (uint64_t)(sizes[d] > 0 ? sizes[d] : 0);
        }
        if (how == 15 && rank > 0) rank--; /* a wrong rank */
        size_t esize = dtype == PETITE_FLOAT64 || dtype == PETITE_INT64 ? 8 : dtype == PETITE_FLOAT32 || dtype == PETITE_INT32 ? 4
                       : dtype == PETITE_FLOAT16 ? 2 : 1;
        if (numel > (1u << 22)) continue;
        size_t nb = (size_t)numel * esize;
        if (take(&s, 8) == 0 && nb) nb--; /* a wrong byte count */
        uint8_t *buf = malloc(nb ? nb : 1);
        if (!buf) continue;
        for (size_t i = 0; i < nb; i++) buf[i] = s.n ? s.p[i % s.n] : (uint8_t)i;
        uint32_t flags = take(&s, 4) == 0 ? PETITE_ZERO_COPY : PETITE_COPY;
        petite_method_set_input(m, k, dtype, rank, sizes, buf, nb, flags);
        if (flags == PETITE_ZERO_COPY) keep[k] = buf;
        else free(buf);
    }
    for (int r = 0; r < 2; r++) {
        if (petite_method_run(m) != PETITE_OK) break;
        size_t nout = 0;
        petite_method_io_count(m, PETITE_OUTPUT, &nout);
        for (size_t k = 0; k < nout; k++) {
            const void *y;
            size_t nb;
            volatile uint8_t sink = 0;
            if (petite_method_output_data(m, k, &y, &nb) == PETITE_OK && nb) sink ^= ((const uint8_t *)y)[nb - 1];
            (void)sink;
        }
    }
    petite_method_free(m);
    for (int k = 0; k < 16; k++) free(keep[k]);
    return 0;
}
