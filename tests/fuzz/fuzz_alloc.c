/* fuzz_alloc.c — libFuzzer target: on any bytes, a load through the public API with NO memory cap
 * (petite_load_options.max_memory_bytes = UINT64_MAX) must not allocate more than the method
 * declares plus a bounded margin. The heap is counted through the linker's --wrap of malloc,
 * calloc, realloc, aligned_alloc, posix_memalign and free:
 *   - a successful load and a run may have at most
 *       planned + unplanned + backend + packed + scratch bytes (petite_method_describe)
 *       + ALLOC_MARGIN_FIXED + ALLOC_MARGIN_PER_FILE_BYTE * file size
 *     live at their peak (the bookkeeping a file's size can justify: values, instructions, blobs'
 *     parsed graphs); more is a finding (abort);
 *   - planned and unplanned bytes of the real load equal what an inspect-only load declared;
 *   - the heap acts like a small device: a request that would take the live total past
 *     ALLOC_BUDGET fails (NULL), and petite must answer that with a clean status.
 *   ./fuzz_alloc corpus/ -max_total_time=60 -rss_limit_mb=2560 -malloc_limit_mb=2048 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "petite/petite.h"

#define ALLOC_BUDGET (1536ull << 20)
#ifndef ALLOC_MARGIN_FIXED
#define ALLOC_MARGIN_FIXED (2ull << 20)
#endif
#define ALLOC_MARGIN_PER_FILE_BYTE 16ull

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void __wrap_free(void *p);

static uint64_t live, peak;

static int over(size_t n) { return n > ALLOC_BUDGET || live > ALLOC_BUDGET - n; }
static void *took(void *p) {
    if (p) {
        live += malloc_usable_size(p);
        if (live > peak) peak = live;
    }
    return p;
}
void *__wrap_malloc(size_t n) { return over(n) ? NULL : took(__real_malloc(n)); }
void *__wrap_calloc(size_t n, size_t m) {
    return (m && n > SIZE_MAX / m) || over(n * m) ? NULL : took(__real_calloc(n, m));
}
void *__wrap_aligned_alloc(size_t a, size_t n) { return over(n) ? NULL : took(__real_aligned_alloc(a, n)); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
    if (over(n)) return 12; /* ENOMEM */
    int r = __real_posix_memalign(p, a, n);
    if (r == 0) took(*p);
    return r;
}
void __wrap_free(void *p) {
    if (p) live -= malloc_usable_size(p);
    __real_free(p);
}
void *__wrap_realloc(void *p, size_t n) {
    size_t old = p ? malloc_usable_size(p) : 0;
    if (n > old && over(n - old)) return NULL;
    void *q = __real_realloc(p, n);
    if (q || n == 0) {
        live -= old;
        took(q);
    }
    return q;
}

static void check(const char *what, const char *method, uint64_t base, uint64_t allowed) {
    if (peak - base <= allowed) return;
    fprintf(stderr, "fuzz_alloc: %s of method '%s' allocated %llu bytes at its peak; it accounts for %llu "
            "(with the margin)\n", what, method, (unsigned long long)(peak - base), (unsigned long long)allowed);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static unsigned char zeros[1 << 20];
    petite_program *p = NULL;
    if (petite_program_open_buffer(data, size, PETITE_ZERO_COPY, &p) != PETITE_OK) return 0;
    size_t nmethods = 0;
    petite_program_method_count(p, &nmethods);
    uint64_t margin = ALLOC_MARGIN_FIXED + ALLOC_MARGIN_PER_FILE_BYTE * size;
    for (size_t i = 0; i < nmethods && i < 4; i++) {
        const char *name = NULL;
        if (petite_program_method_name(p, i, &name) != PETITE_OK) continue;
        petite_load_options o;
        petite_load_options_init(&o);
        o.flags = PETITE_LOAD_INSPECT;
        o.max_memory_bytes = UINT64_MAX;
        petite_method *m = NULL;
        petite_method_info declared = {.struct_size = sizeof declared};
        int inspected = petite_method_load_ex(p, name, &o, &m) == PETITE_OK;
        if (inspected) petite_method_describe(m, &declared);
        petite_method_free(m);
        m = NULL;

        o.flags = 0;
        uint64_t base = live;
        peak = live;
        if (petite_method_load_ex(p, name, &o, &m) != PETITE_OK) continue;
        if (!inspected) {
            fprintf(stderr, "fuzz_alloc: method '%s' loads but does not load for inspection\n", name);
            abort();
        }
        petite_method_info info = {.struct_size = sizeof info};
        petite_method_describe(m, &info);
        if (info.planned_bytes != declared.planned_bytes || info.unplanned_bytes != declared.unplanned_bytes) {
            fprintf(stderr, "fuzz_alloc: method '%s' declares %llu planned + %llu unplanned bytes, loads %llu + %llu\n",
                    name, (unsigned long long)declared.planned_bytes, (unsigned long long)declared.unplanned_bytes,
                    (unsigned long long)info.planned_bytes, (unsigned long long)info.unplanned_bytes);
            abort();
        }
        uint64_t accounted = info.planned_bytes + info.unplanned_bytes + info.backend_bytes + info.packed_bytes +
                             info.scratch_bytes;
        check("the load", name, base, accounted + margin);
        size_t nin = 0;
        petite_method_io_count(m, PETITE_INPUT, &nin);
        for (size_t k = 0; k < nin; k++) {
            petite_io_info io;
            if (petite_method_io_info(m, PETITE_INPUT, k, &io) || io.kind != PETITE_KIND_TENSOR ||
                (uint64_t)io.nbytes > sizeof zeros)
                continue;
            petite_method_set_input(m, k, io.dtype, io.rank, io.sizes, zeros, (size_t)io.nbytes, PETITE_COPY);
        }
        petite_method_run(m);
        check("the load and a run", name, base, accounted + margin);
        petite_method_free(m);
    }
    petite_program_close(p);
    return 0;
}
