/* test_faults.c — allocation-failure injection, SQLite style: for each file, fail the Nth
 * allocation (malloc, calloc, realloc, aligned_alloc: the test binary is linked with --wrap) for
 * every N until a whole open + load + set inputs + run + read outputs + free goes through without
 * reaching N. Every failure must be a clean status with a message; nothing may crash, and under
 * the sanitizer build nothing may leak.
 *
 *   test_faults CONFORMANCE_DIR [more .pte files] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "petite/petite.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

static long fail_at = -1, seen;

static int fault(void) { return fail_at >= 0 && seen++ == fail_at; }
void *__wrap_malloc(size_t n) { return fault() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fault() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fault() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return fault() ? NULL : __real_aligned_alloc(a, n); }

static int failures;


/* one pass; returns the status of the first step that failed (PETITE_OK if none) */
static petite_status pass(const char *path, int threads) {
    petite_program *p = NULL;
    petite_method *m = NULL;
    petite_status s = petite_program_open_file(path, &p);
    if (s) return s;
    const char *name = NULL;
    size_t nm = 0;
    petite_program_method_count(p, &nm);
    if (nm == 0 || petite_program_method_name(p, 0, &name)) {
        petite_program_close(p);
        return PETITE_ERR_INVALID_PROGRAM;
    }
    petite_load_options o;
    petite_load_options_init(&o);
    o.num_threads = threads;
    s = petite_method_load_ex(p, name, &o, &m);
    size_t nin = 0;
    if (!s) petite_method_io_count(m, PETITE_INPUT, &nin);
    for (size_t k = 0; !s && k < nin; k++) {
        petite_io_info info;
        if (petite_method_io_info(m, PETITE_INPUT, k, &info) || info.kind != PETITE_KIND_TENSOR) continue;
        static unsigned char zeros[1 << 20];
        if ((size_t)info.nbytes > sizeof zeros) continue;
        s = petite_method_set_input(m, k, info.dtype, info.rank, info.sizes, zeros, (size_t)info.nbytes, PETITE_COPY);
    }
    if (!s) s = petite_method_run(m);
    size_t nout = 0;
    if (!s) petite_method_io_count(m, PETITE_OUTPUT, &nout);
    for (size_t k = 0; !s && k < nout; k++) {
        petite_io_info info;
        const void *y;
        size_t nb;
        if (!petite_method_io_info(m, PETITE_OUTPUT, k, &info) && info.kind == PETITE_KIND_TENSOR)
            s = petite_method_output_data(m, k, &y, &nb);
    }
    petite_method_free(m);
    petite_program_close(p);
    return s;
}

static void sweep(const char *path, int threads) {
    fail_at = -1;
    petite_status clean = pass(path, threads);
    if (clean != PETITE_OK) {
        printf("FAIL %s: does not run without faults: %s\n", path, petite_last_error());
        failures++;
        return;
    }
    long n = 0, refused = 0, survived = 0;
    for (;; n++) {
        fail_at = n, seen = 0;
        petite_last_error(); /* (the message of this pass is checked below) */
        petite_status s = pass(path, threads);
        long reached = seen;
        fail_at = -1;
        if (reached <= n) break; /* the whole pass made fewer than n + 1 allocations */
        if (s != PETITE_OK) {
            refused++;
            if (!petite_last_error()[0]) {
                printf("FAIL %s: allocation %ld failed: status %s without a message\n", path, n, petite_status_name(s));
                failures++;
            }
        } else {
            survived++; /* a failure the library could do without (e.g. no thread pool: one thread) */
        }
    }
    printf("faults: %-48s %d thread(s): %ld allocations, each failed once: %ld clean refusals, %ld absorbed\n",
           strrchr(path, '/') ? strrchr(path, '/') + 1 : path, threads, n, refused, survived);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* without the corpus: the files named only (none: skipped) */
    const char *dir = argc > 2 ? corpus_dir(argv[1]) : corpus_dir_or_skip("faults", argc > 1 ? argv[1] : NULL);
    const char *files[] = {"xnnpack_add.pte", "xnnpack_linear_planned.pte", "xnnpack_int8_linear.pte",
                           "xnnpack_dynamic_shape.pte", "xnnpack_clamp_unplanned.pte", "constant_methods.pte",
                           "portable_mixed_dtypes.pte", "portable_softmax_wide.pte", "portable_legacy_constant_buffer.pte",
                           "portable_two_methods.pte", "cortex_m_int8_keyword_spotting.pte"};
    char path[2048];
    for (size_t i = 0; dir && i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/files/%s", dir, files[i]);
        sweep(path, 1);
    }
    if (dir) {
        snprintf(path, sizeof path, "%s/files/%s", dir, files[1]);
        sweep(path, 2);
    }
    for (int i = 2; i < argc; i++) sweep(argv[i], 1);
    printf("faults: %d failed\n", failures);
    return failures != 0;
}
