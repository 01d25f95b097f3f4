/* kws.c — the official int8 keyword spotter (DS-CNN, cortex_m operators) on a Cortex-M55 without an
 * OS: the .pte is a byte array in flash (opened in place, no copy), the ten spoken-keyword inputs of
 * ../shared/conformance are in the image too, and each run prints the keyword it picks over
 * semihosting. All of petite's memory is one array given with petite_set_heap: the C library's
 * malloc is never called (startup.c counts). Exit code 0 when all ten are right. */
#include <stdio.h>
#include <string.h>

#include "kws_data.h"
#include "petite/petite.h"
#include "startup.h"

/* all of petite's memory: program, method, planned arena, values */
static unsigned char heap[160u << 10] __attribute__((aligned(16)));

static const char *const labels[12] = {"silence", "unknown", "yes", "no", "up", "down",
                                       "left", "right", "on", "off", "stop", "go"};

static int fail(const char *what, const char *msg) {
    char line[640];
    snprintf(line, sizeof line, "kws: %s: %s\n", what, msg);
    sh_puts(line);
    return 1;
}

int main(void) {
    petite_program *p = NULL;
    petite_method *m = NULL;
    char line[160];
    if (petite_set_heap(heap, sizeof heap) != PETITE_OK) return fail("heap", petite_last_error());
    if (petite_program_open_buffer(kws_pte, sizeof kws_pte, PETITE_ZERO_COPY, &p) != PETITE_OK)
        return fail("open", petite_last_error());
    if (petite_method_load(p, "forward", &m) != PETITE_OK) return fail("load", petite_last_error());
    int right = 0;
    for (int r = 0; r < KWS_RUNS; r++) {
        const int64_t shape[4] = {1, 1, 49, 10};
        if (petite_method_set_input(m, 0, PETITE_FLOAT32, 4, shape, kws_inputs[r], sizeof kws_inputs[r], PETITE_COPY) !=
                PETITE_OK ||
            petite_method_run(m) != PETITE_OK)
            return fail("run", petite_method_errmsg(m));
        const void *data;
        size_t nbytes;
        if (petite_method_output_data(m, 0, &data, &nbytes) != PETITE_OK || nbytes < 12 * sizeof(float))
            return fail("output", petite_method_errmsg(m));
        float scores[12];
        memcpy(scores, data, sizeof scores);
        int best = 0;
        for (int k = 1; k < 12; k++)
            if (scores[k] > scores[best]) best = k;
        right += best == kws_expect[r];
        snprintf(line, sizeof line, "run %d: %-7s (expected %s)%s\n", r, labels[best], labels[kws_expect[r]],
                 best == kws_expect[r] ? "" : "  WRONG");
        sh_puts(line);
    }
    snprintf(line, sizeof line, "kws: %d of %d keywords right; petite's heap %u bytes, stack %u bytes, C library heap calls %u\n",
             right, KWS_RUNS, (unsigned)sizeof heap, (unsigned)stack_high_water(), libc_heap_calls());
    sh_puts(line);
    petite_method_free(m);
    petite_program_close(p);
    return right == KWS_RUNS && libc_heap_calls() == 0 ? 0 : 1;
}
