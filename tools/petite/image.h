/* image.h — image files for the CLI (stb_image / stb_image_write from Debian's libstb-dev) and
 * drawing detections: boxes and labels onto an RGB8 picture. */
#ifndef PETITE_TOOLS_IMAGE_H
#define PETITE_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* RGB8 pixels of a PNG / JPEG / BMP / ... file (free with image_free), or NULL with a message in err. */
uint8_t *image_load(const char *path, int *width, int *height, char *err, size_t errcap);
void image_free(uint8_t *pixels);
/* 0 on success */
int image_write_png(const char *path, const uint8_t *rgb, int width, int height);
/* a rectangle outline (thickness t) and a label in a filled box above its top-left corner */
void image_draw_box(uint8_t *rgb, int width, int height, float x1, float y1, float x2, float y2, const uint8_t color[3],
                    int t, const char *label);
/* 1 when the build has image files (libstb-dev) */
int image_available(void);

#endif
