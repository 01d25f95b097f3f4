/* image.c — stb_image / stb_image_write (libstb-dev) and box drawing with stb_easy_font. Compiled
 * without the project's warnings (third-party headers). */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PETITE_HAVE_STB
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO_WRITE
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>

int image_available(void) { return 1; }

uint8_t *image_load(const char *path, int *width, int *height, char *err, size_t errcap) {
    int n = 0;
    uint8_t *p = stbi_load(path, width, height, &n, 3);
    if (!p) snprintf(err, errcap, "%s: %s", path, stbi_failure_reason() ? stbi_failure_reason() : "cannot be read");
    return p;
}

void image_free(uint8_t *pixels) { stbi_image_free(pixels); }

int image_write_png(const char *path, const uint8_t *rgb, int width, int height) {
    return stbi_write_png(path, width, height, 3, rgb, width * 3) ? 0 : -1;
}
#else
int image_available(void) { return 0; }
uint8_t *image_load(const char *path, int *width, int *height, char *err, size_t errcap) {
    (void)width, (void)height;
    snprintf(err, errcap, "%s: this petite was built without image files (install libstb-dev and rebuild)", path);
    return NULL;
}
void image_free(uint8_t *pixels) { free(pixels); }
int image_write_png(const char *path, const uint8_t *rgb, int width, int height) {
    (void)path, (void)rgb, (void)width, (void)height;
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
