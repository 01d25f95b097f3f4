/* test_badinput.c — every corpus file, cut at many lengths and mutated with seeded single- and
 * multi-byte changes, through open + load (every method) + run: never a crash, hang or
 * sanitizer report; every failure a status with a message.
 *
 *   test_badinput [DIR] [MUTATIONS_PER_FILE] [EXTRA.pte ...]
 *   (defaults: the conformance dir, 2000; extra files, e.g. exported XNNPACK/int8 programs, are
 *   swept the same way; without the corpus only the extra files are, and with none the suite
 *   reports itself skipped) */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "corpus.h"
#include "exercise.h"
#include "petite/petite.h"

static const char *files[] = {
    "constant_methods.pte", "cortex_m_int8_keyword_spotting.pte", "custom_op_lstm.pte",
    "negative_not_a_pte.pte", "portable_add_apple.pte", "portable_add_constant.pte",
    "portable_double_input.pte", "portable_legacy_constant_buffer.pte", "portable_mixed_dtypes.pte",
    "portable_mul_cast.pte", "portable_softmax_wide.pte", "portable_two_methods.pte",
    "qnn_llama_unsupported_backend.pte", "xnnpack_add.pte", "xnnpack_clamp_unplanned.pte",
    "xnnpack_dynamic_shape.pte", "xnnpack_int8_linear.pte", "xnnpack_linear_planned.pte",
    "xnnpack_linear_unplanned.pte",
};

static exercise_stats st;

static void exercise(const uint8_t *data, size_t size) { exercise_bytes(data, size, 64u << 20, &st); }

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

int main(int argc, char **argv) {
    size_t nextra = argc > 3 ? (size_t)(argc - 3) : 0;
    const char *dir = nextra ? corpus_dir(argc > 1 ? argv[1] : NULL) : corpus_dir_or_skip("bad input", argc > 1 ? argv[1] : NULL);
    if (!dir) printf("bad input: no conformance corpus: the %zu files named only\n", nextra);
    long mutations = argc > 2 ? atol(argv[2]) : 2000;
    long cases = 0;
    size_t nfiles = dir ? sizeof files / sizeof files[0] : 0;
    for (size_t fi = 0; fi < nfiles + nextra; fi++) {
        char path[2048];
        if (fi < nfiles) snprintf(path, sizeof path, "%s/files/%s", dir, files[fi]);
        else snprintf(path, sizeof path, "%s", argv[3 + (fi - nfiles)]);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL, "open %s", path);
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        size_t size = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *orig = malloc(size), *buf = malloc(size);
        CHECK(orig && buf && fread(orig, 1, size, f) == size, "read %s", path);
        fclose(f);
        /* truncations: every length for small files, ~4000 evenly spaced (plus the header
         * area byte by byte) for large ones */
        size_t step = size > 4096 ? size / 4000 : 1;
        for (size_t len = 0; len < size; len += (len < 256 ? 1 : step), cases++) exercise(orig, len);
        /* seeded mutations: 1-8 random bytes, biased to the flatbuffer's first 4 KiB */
        size_t hot = size < 4096 ? size : 4096;
        long per_file = size > 100000 ? mutations / 10 : mutations;
        for (long k = 0; k < per_file; k++, cases++) {
            memcpy(buf, orig, size);
            int nbytes = 1 + (int)(next() % 8);
            for (int j = 0; j < nbytes; j++) {
                size_t pos = (next() & 1) ? next() % hot : next() % size;
                uint32_t r = next();
                buf[pos] = (r & 3) == 0 ? 0xff : (r & 3) == 1 ? 0 : (uint8_t)(r >> 8);
            }
            exercise(buf, size);
        }
        free(orig);
        free(buf);
    }
    printf("bad input: %ld cases; %ld opened, %ld methods loaded, %ld runs completed; "
           "%ld clean failures\n", cases, st.opened, st.loaded, st.ran, st.failed_with_message);
    CHECK(st.failed_silently == 0, "%ld failures without a message", st.failed_silently);
    CHECK(cases > (dir ? 10000 : 1000), "%ld cases", cases);
    return check_done("bad input");
}
