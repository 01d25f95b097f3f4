/* fuzz_image.c — libFuzzer target on the CLI's image path: the bytes after an 8-byte header are an
 * image file, decoded as `petite classify / detect` decode it (tools/petite/image.c: magic bytes, PNG
 * chunk CRCs, JPEG end marker, header size limits, stb_image), then made into a model input by
 * pv_preprocess_image with the header's choices (fit, interpolation, layout, dtype, channels, output
 * size, rotation, mirroring, BGR, mean / std / pad / scale, some of them non-finite or zero, which must
 * be refused). Header byte 0 bit 7 repairs every PNG chunk's CRC first, so mutated PNGs reach stb's
 * decoder instead of stopping at the CRC check. A float output must hold finite values only.
 *   ./fuzz_image CORPUS -max_total_time=30 -rss_limit_mb=2048 -malloc_limit_mb=1024 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/petite/image.h"
#include "petite/petite_vision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void repair_png_crcs(uint8_t *d, size_t n) {
    if (n < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0) return;
    for (size_t at = 8; n - at >= 12;) {
        const uint32_t len = (uint32_t)d[at] << 24 | (uint32_t)d[at + 1] << 16 | (uint32_t)d[at + 2] << 8 | d[at + 3];
        if (len > n - at - 12) return;
        const uint32_t c = crc32_of(d + at + 4, (size_t)len + 4);
        uint8_t *q = d + at + 8 + len;
        q[0] = (uint8_t)(c >> 24), q[1] = (uint8_t)(c >> 16), q[2] = (uint8_t)(c >> 8), q[3] = (uint8_t)c;
        at += (size_t)len + 12;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8) return 0;
    const uint8_t *h = data;
    uint8_t *file = malloc(size - 8 + 1);
    if (!file) return 0;
    memcpy(file, data + 8, size - 8);
    if (h[0] & 0x80) repair_png_crcs(file, size - 8);
    int w = 0, ht = 0;
    char err[512];
    uint8_t *px = image_decode(file, size - 8, "fuzz", &w, &ht, err, sizeof err);
    free(file);
    if (!px) {
        if (!err[0]) abort(); /* a refusal always says why */
        return 0;
    }
    if (w < 1 || ht < 1 || (int64_t)w * ht > IMAGE_MAX_PIXELS) abort();
    pv_image img;
    pv_image_init(&img);
    img.width = w, img.height = ht, img.data = px, img.size = (uint64_t)w * (uint64_t)ht * 3;
    img.rotation = 90 * (h[1] & 3), img.mirror = (h[1] >> 2) & 1;
    if (h[1] & 0x08) img.format = PV_BGR8;
    if (h[1] & 0x10) img.stride = w * 3 + 1, img.height = ht > 1 ? ht - 1 : 1; /* a padded stride over the same bytes */
    else if (h[1] & 0x20) img.size = 0; /* trust the geometry (exact here) */
    pv_preprocess p;
    pv_preprocess_init(&p);
    p.width = 1 + h[2] % 96, p.height = 1 + h[3] % 96;
    p.fit = h[4] % 3, p.interp = ((h[7] >> 3) & 7) % 3, p.layout = (h[4] >> 3) & 1, p.bgr = (h[4] >> 4) & 1;
    p.channels = h[4] & 0x20 ? 1 : 3;
    p.dtype = h[5] % 3 == 0 ? PETITE_FLOAT32 : h[5] % 3 == 1 ? PETITE_UINT8 : PETITE_INT8;
    p.resize_short = (h[5] >> 2) & 1 ? 1 + h[6] % 128 : 0;
    int odd = 0; /* a parameter the library must refuse */
    switch (h[7] & 7) {
    case 1: p.pad_value = NAN, odd = 1; break;
    case 2: {
        const int c = h[7] >> 6 < 3 ? h[7] >> 6 : 0;
        p.std[c] = 1e-45f, odd = c < p.channels;
        break;
    }
    case 3: p.scale = h[6] & 1 ? 0.0f : INFINITY, odd = p.dtype != PETITE_FLOAT32; break;
    case 4: p.mean[0] = INFINITY, odd = 1; break;
    case 5: p.pad_value = -1e30f; break; /* finite: clamped for integer outputs */
    default: break;
    }
    const size_t es = p.dtype == PETITE_FLOAT32 ? 4 : 1;
    const size_t n = (size_t)p.width * (size_t)p.height * (size_t)p.channels, bytes = n * es;
    void *out = malloc(bytes);
    pv_transform tf;
    if (out) {
        const petite_status st = pv_preprocess_image(&img, &p, out, bytes, &tf);
        if (odd && st == PETITE_OK) abort(); /* a NaN / subnormal / infinite parameter went through */
        if (st == PETITE_OK && p.dtype == PETITE_FLOAT32)
            for (size_t i = 0; i < n; i++)
                if (!isfinite(((const float *)out)[i])) abort();
        if (st == PETITE_OK && !(tf.scale_x > 0.0f && tf.scale_y > 0.0f)) abort();
        free(out);
    }
    image_free(px);
    return 0;
}
