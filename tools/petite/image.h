/* image.h — image files for the CLI (stb_image / stb_image_write from Debian's libstb-dev) and
 * drawing detections: boxes and labels onto an RGB8 picture.
 *
 * Only PNG and JPEG are read (stb is built with STBI_ONLY_PNG / STBI_ONLY_JPEG), told apart by their
 * magic bytes. Before anything is decoded the file is checked: at most IMAGE_MAX_FILE_BYTES; a PNG's
 * chunks complete and their CRCs right (stb_image does not check them); a JPEG ends with its
 * end-of-image marker; the header's size within IMAGE_MAX_SIDE per side and IMAGE_MAX_PIXELS in all
 * (a small file claiming a huge picture is refused before any pixel memory is taken). */
#ifndef PETITE_TOOLS_IMAGE_H
#define PETITE_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_FILE_BYTES ((size_t)256 << 20) /* 256 MiB */
#define IMAGE_MAX_SIDE 32768                     /* petite_vision's largest side (STBI_MAX_DIMENSIONS) */
#define IMAGE_MAX_PIXELS ((int64_t)1 << 26)      /* 64 Mi pixels (8192 x 8192): decoding a progressive
                                                    JPEG this size takes about 13 bytes per pixel */

/* RGB8 pixels of a PNG or JPEG file (free with image_free), or NULL with a message in err naming the
 * file, the format and what is wrong. */
uint8_t *image_load(const char *path, int *width, int *height, char *err, size_t errcap);
/* the same on bytes in memory; name is used in messages */
uint8_t *image_decode(const uint8_t *data, size_t size, const char *name, int *width, int *height, char *err,
                      size_t errcap);
void image_free(uint8_t *pixels);
/* 0 on success; else -1 and the reason in err */
int image_write_png(const char *path, const uint8_t *rgb, int width, int height, char *err, size_t errcap);
/* a rectangle outline (thickness t) and a label in a filled box above its top-left corner */
void image_draw_box(uint8_t *rgb, int width, int height, float x1, float y1, float x2, float y2, const uint8_t color[3],
                    int t, const char *label);
/* 1 when the build has image files (libstb-dev) */
int image_available(void);

#endif
