/* image.c — stb_image / stb_image_write (libstb-dev) and box drawing with stb_easy_font. Compiled
 * without the project's warnings (third-party headers). */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#ifdef PETITE_HAVE_STB
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS IMAGE_MAX_SIDE
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>

int image_available(void) { return 1; }

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    static int ready;
    if (!ready) { /* written once; every thread computes the same values */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static const char *chunk_name(const uint8_t *t, char *buf) {
    for (int i = 0; i < 4; i++) buf[i] = t[i] >= 0x20 && t[i] < 0x7F ? (char)t[i] : '?';
    buf[4] = 0;
    return buf;
}

/* every chunk inside the file, its CRC right, up to IEND; 0 or -1 with a message */
static int png_chunks(const uint8_t *d, size_t n, char *why, size_t cap) {
    size_t at = 8;
    char name[5];
    for (;;) {
        if (n - at < 12) {
            snprintf(why, cap, "truncated: %s", at == n ? "no IEND chunk" : "a chunk is cut off");
            return -1;
        }
        const uint32_t len = be32(d + at);
        if (len > 0x7FFFFFFFu || len > n - at - 12) {
            snprintf(why, cap, "truncated: chunk %s at byte %zu claims %u bytes, the file has %zu after it",
                     chunk_name(d + at + 4, name), at, len, n - at - 12);
            return -1;
        }
        const uint32_t want = be32(d + at + 8 + len), got = crc32_of(d + at + 4, (size_t)len + 4);
        if (want != got) {
            snprintf(why, cap, "chunk %s at byte %zu: CRC %08x, the data's is %08x (corrupt file)",
                     chunk_name(d + at + 4, name), at, want, got);
            return -1;
        }
        if (memcmp(d + at + 4, "IEND", 4) == 0) return 0;
        at += (size_t)len + 12;
    }
}

/* every marker segment up to the end-of-image marker: a file without one is cut short; each Huffman
 * table (DHT) holds at most 256 codes (stb_image 2.27 writes past its 257-entry size list otherwise:
 * found by tests/fuzz/fuzz_image.c). Entropy-coded data is skipped to the next marker (an FF there is
 * followed by 00 or a restart marker D0..D7). 0 or -1 with a message. */
static int jpeg_complete(const uint8_t *d, size_t n, char *why, size_t cap) {
    size_t at = 2;
    int progressive = 0;
    unsigned defined = 0; /* bit tc * 4 + th: the Huffman tables seen so far */
    for (;;) {
        while (at + 1 < n && d[at] == 0xFF && d[at + 1] == 0xFF) at++; /* fill bytes */
        if (at + 2 > n) break;
        if (d[at] != 0xFF) { /* not a marker where one belongs: stb skips to the next FF, and so do we */
            at++;
            continue;
        }
        const uint8_t m = d[at + 1];
        if (m == 0xD9) return 0;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            at += 2;
            continue;
        }
        if (at + 4 > n) break;
        const size_t len = (size_t)d[at + 2] << 8 | d[at + 3], end = at + 2 + len;
        if (len < 2 || end > n) break;
        if (m == 0xC4) /* DHT: tables of 1 + 16 count bytes, then the codes */
            for (size_t t = at + 4; t < end;) {
                if (end - t < 17) { /* stb would read the counts past the segment */
                    snprintf(why, cap, "Huffman table at byte %zu: cut off by its segment's end", t);
                    return -1;
                }
                size_t codes = 0;
                for (int i = 1; i <= 16; i++) codes += d[t + i];
                if (codes > 256 || codes > end - t - 17) {
                    snprintf(why, cap, "Huffman table at byte %zu: %zu codes (at most 256, %zu bytes left in its segment)",
                             t, codes, end - t - 17);
                    return -1;
                }
                if (d[t] >> 4 <= 1 && (d[t] & 15) <= 3) defined |= 1u << ((d[t] >> 4) * 4 + (d[t] & 15));
                t += 17 + codes;
            }
        if (m == 0xC2) progressive = 1;
        if (m == 0xDA && len >= 3) { /* a scan may only use tables defined before it (stb reads others uninitialized) */
            const size_t ns = d[at + 4];
            if (len >= 6 + 2 * ns && ns >= 1) {
                const uint8_t ss = d[at + 5 + 2 * ns], ah = d[at + 7 + 2 * ns] >> 4;
                const int need_dc = !progressive || (ss == 0 && ah == 0), need_ac = !progressive || ss != 0;
                for (size_t c = 0; c < ns; c++) {
                    const uint8_t td = d[at + 6 + 2 * c] >> 4, ta = d[at + 6 + 2 * c] & 15;
                    if ((need_dc && td <= 3 && !(defined >> td & 1)) || (need_ac && ta <= 3 && !(defined >> (4 + ta) & 1))) {
                        snprintf(why, cap, "the scan at byte %zu uses a Huffman table that was never defined", at);
                        return -1;
                    }
                }
            }
        }
        at = end;
        if (m == 0xDA) /* the scan's entropy-coded data: to the next marker */
            while (at + 1 < n && !(d[at] == 0xFF && d[at + 1] != 0x00 && (d[at + 1] < 0xD0 || d[at + 1] > 0xD7))) at++;
    }
    snprintf(why, cap, "truncated: no end-of-image marker (%zu bytes)", n);
    return -1;
}

uint8_t *image_decode(const uint8_t *data, size_t size, const char *name, int *width, int *height, char *err,
                      size_t errcap) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    *width = *height = 0;
    const int png = size >= 8 && memcmp(data, png_sig, 8) == 0;
    const int jpeg = size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
    if (!png && !jpeg) {
        snprintf(err, errcap, "%s: not a PNG or JPEG file (the image formats petite reads)", name);
        return NULL;
    }
    const char *fmt = png ? "PNG" : "JPEG";
    if (size > IMAGE_MAX_FILE_BYTES) {
        snprintf(err, errcap, "%s: a %zu-byte %s file (at most %zu)", name, size, fmt, IMAGE_MAX_FILE_BYTES);
        return NULL;
    }
    char why[200];
    if (png ? png_chunks(data, size, why, sizeof why) : jpeg_complete(data, size, why, sizeof why)) {
        snprintf(err, errcap, "%s: %s: %s", name, fmt, why);
        return NULL;
    }
    /* a PNG's size is in IHDR: refused before stb's header check says only "too large" */
    if (png && size >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        const uint32_t pw = be32(data + 16), ph = be32(data + 20);
        if (pw > IMAGE_MAX_SIDE || ph > IMAGE_MAX_SIDE || (uint64_t)pw * ph > (uint64_t)IMAGE_MAX_PIXELS) {
            snprintf(err, errcap, "%s: a %u x %u PNG: more than petite's %d pixels a side or %lld pixels (%d megapixels)",
                     name, pw, ph, IMAGE_MAX_SIDE, (long long)IMAGE_MAX_PIXELS, (int)(IMAGE_MAX_PIXELS >> 20));
            return NULL;
        }
    }
    /* the header of the format the magic bytes name: its size before any pixel memory */
    stbi__context s;
    stbi__start_mem(&s, data, (int)size);
    int w = 0, h = 0, comp = 0;
    stbi__g_failure_reason = NULL;
    if (!(png ? stbi__png_info(&s, &w, &h, &comp) : stbi__jpeg_info(&s, &w, &h, &comp))) {
        const char *why = stbi_failure_reason() ? stbi_failure_reason() : "unreadable";
        snprintf(err, errcap, "%s: %s header: %s%s", name, fmt, why,
                 strcmp(why, "too large") == 0 ? " (petite reads at most 32768 pixels a side)" : "");
        return NULL;
    }
    if (w < 1 || h < 1 || (int64_t)w * h > IMAGE_MAX_PIXELS) {
        snprintf(err, errcap, "%s: a %d x %d %s: more than petite's %d pixels a side or %lld pixels (%d megapixels)",
                 name, w, h, fmt, IMAGE_MAX_SIDE, (long long)IMAGE_MAX_PIXELS, (int)(IMAGE_MAX_PIXELS >> 20));
        return NULL;
    }
    int n = 0;
    stbi__g_failure_reason = NULL;
    uint8_t *p = stbi_load_from_memory(data, (int)size, width, height, &n, 3);
    if (!p) {
        snprintf(err, errcap, "%s: %s: %s", name, fmt, stbi_failure_reason() ? stbi_failure_reason() : "cannot be decoded");
        return NULL;
    }
    if (*width != w || *height != h) { /* never: the same header read twice */
        stbi_image_free(p);
        snprintf(err, errcap, "%s: %s: the size changed while decoding", name, fmt);
        return NULL;
    }
    return p;
}

uint8_t *image_load(const char *path, int *width, int *height, char *err, size_t errcap) {
    *width = *height = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: cannot be opened: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int too_big = 0;
    for (;;) {
        if (len == cap) {
            if (cap > IMAGE_MAX_FILE_BYTES) {
                too_big = 1;
                break;
            }
            const size_t ncap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) break;
            buf = nb, cap = ncap;
        }
        const size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    const int bad = ferror(f) || (len == cap && !too_big && !feof(f));
    fclose(f);
    uint8_t *p = NULL;
    if (too_big) snprintf(err, errcap, "%s: larger than %zu bytes (not a picture petite reads)", path, IMAGE_MAX_FILE_BYTES);
    else if (bad || !buf) snprintf(err, errcap, "%s: cannot be read%s", path, buf ? "" : " (no memory)");
    else p = image_decode(buf, len, path, width, height, err, errcap);
    free(buf);
    return p;
}

void image_free(uint8_t *pixels) { stbi_image_free(pixels); }

int image_write_png(const char *path, const uint8_t *rgb, int width, int height, char *err, size_t errcap) {
    errno = 0;
    if (stbi_write_png(path, width, height, 3, rgb, width * 3)) return 0;
    snprintf(err, errcap, "cannot write %s%s%s", path, errno ? ": " : "", errno ? strerror(errno) : "");
    return -1;
}
#else
int image_available(void) { return 0; }
uint8_t *image_decode(const uint8_t *data, size_t size, const char *name, int *width, int *height, char *err,
                      size_t errcap) {
    (void)data, (void)size, (void)width, (void)height;
    snprintf(err, errcap, "%s: this petite was built without image files (install libstb-dev and rebuild)", name);
    return NULL;
}
uint8_t *image_load(const char *path, int *width, int *height, char *err, size_t errcap) {
    return image_decode(NULL, 0, path, width, height, err, errcap);
}
void image_free(uint8_t *pixels) { free(pixels); }
int image_write_png(const char *path, const uint8_t *rgb, int width, int height, char *err, size_t errcap) {
    (void)rgb, (void)width, (void)height;
    snprintf(err, errcap, "cannot write %s: this petite was built without image files", path);
    return -1;
}
#endif

static void fill(uint8_t *rgb, int W, int H, int x0, int y0, int x1, int y1, const uint8_t c[3]) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > W) x1 = W;
    if (y1 > H) y1 = H;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) memcpy(rgb + 3 * ((size_t)y * W + x), c, 3);
}

void image_draw_box(uint8_t *rgb, int W, int H, float fx1, float fy1, float fx2, float fy2, const uint8_t color[3], int t,
                    const char *label) {
    const int x1 = (int)fx1, y1 = (int)fy1, x2 = (int)fx2, y2 = (int)fy2;
    fill(rgb, W, H, x1, y1, x2 + 1, y1 + t, color);
    fill(rgb, W, H, x1, y2 - t + 1, x2 + 1, y2 + 1, color);
    fill(rgb, W, H, x1, y1, x1 + t, y2 + 1, color);
    fill(rgb, W, H, x2 - t + 1, y1, x2 + 1, y2 + 1, color);
#ifdef PETITE_HAVE_STB
    if (!label || !label[0]) return;
    /* stb_easy_font: axis-aligned quads of a small bitmap font; drawn at 2x in white on the box color */
    static char buf[64 * 1024];
    char text[128];
    snprintf(text, sizeof text, "%s", label);
    const int scale = H >= 200 ? 2 : 1, tw = stb_easy_font_width(text) * scale, th = 9 * scale;
    int lx = x1;
    if (lx + tw + 4 > W) lx = W - tw - 4 > 0 ? W - tw - 4 : 0; /* keep the label inside the picture */
    const int ly = y1 - th - 2 >= 0 ? y1 - th - 2 : y1 + t;
    fill(rgb, W, H, lx, ly, lx + tw + 4, ly + th + 2, color);
    const int q = stb_easy_font_print(0, 0, text, NULL, buf, sizeof buf);
    const uint8_t white[3] = {255, 255, 255};
    for (int i = 0; i < q; i++) {
        const float *v = (const float *)(buf + (size_t)i * 64); /* 4 vertices of x, y, z, color */
        const int qx0 = (int)v[0] * scale, qy0 = (int)v[1] * scale, qx1 = (int)v[8] * scale, qy1 = (int)v[9] * scale;
        fill(rgb, W, H, lx + 2 + qx0, ly + 1 + qy0, lx + 2 + qx1, ly + 1 + qy1, white);
    }
#else
    (void)label;
#endif
}
