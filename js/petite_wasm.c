/* petite_wasm.c — what the ES module wrapper (js/petite.mjs) asks of the compiled C: the layout of
 * petite_io_info in this build (offsets are read, never assumed). */
#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"

void petite_wasm_io_layout(int32_t *out);

void petite_wasm_io_layout(int32_t *out) {
    out[0] = (int32_t)offsetof(petite_io_info, kind);
    out[1] = (int32_t)offsetof(petite_io_info, dtype);
    out[2] = (int32_t)offsetof(petite_io_info, rank);
    out[3] = (int32_t)offsetof(petite_io_info, sizes);
    out[4] = (int32_t)offsetof(petite_io_info, nbytes);
    out[5] = (int32_t)sizeof(petite_io_info);
}
