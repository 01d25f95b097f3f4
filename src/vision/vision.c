/* vision.c — libpetite_vision: pixels into a model's input, outputs into answers (petite_vision.h).
 * Beside the runtime: it includes the public headers only. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "petite/petite_vision.h"

/* ---- errors ---------------------------------------------------------------------------------- */

static _Thread_local char last_error[256];

const char *pv_last_error(void) { return last_error; }

static petite_status fail(petite_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}
#define BAD(...) fail(PETITE_ERR_INVALID_ARGUMENT, __VA_ARGS__)

/* ---- images ---------------------------------------------------------------------------------- */

#define MAX_SIDE 32768

void pv_image_init(pv_image *img) {
    if (!img) return;
    memset(img, 0, sizeof *img);
    img->struct_size = sizeof *img;
    img->format = PV_RGB8;
}

/* A checked view of an image: where each stored pixel's bytes are. */
typedef struct view {
    int32_t format, w, h, uw, uh, rot, mirror, range;
    const uint8_t *y, *u, *v;
    int64_t stride, uv_stride, uv_ps, bpp;
} view;

static int bytes_per_pixel(int32_t f) {
    switch (f) {
    case PV_RGB8: case PV_BGR8: return 3;
    case PV_RGBA8: case PV_BGRA8: return 4;
    case PV_GRAY8: return 1;
    default: return 0;
    }
}

static petite_status check_image(const pv_image *img, view *s, const char *fn) {
    if (!img) return BAD("%s: NULL image", fn);
    if (img->struct_size < offsetof(pv_image, size) || img->struct_size > 4096)
        return BAD("%s: pv_image.struct_size %u (call pv_image_init)", fn, img->struct_size);
    memset(s, 0, sizeof *s);
    s->format = img->format, s->w = img->width, s->h = img->height;
    if (img->format < PV_RGB8 || img->format > PV_YUV420) return BAD("%s: pv_image.format %d is unknown", fn, img->format);
    if (img->width < 1 || img->height < 1 || img->width > MAX_SIDE || img->height > MAX_SIDE)
        return BAD("%s: image size %d x %d (each side 1..%d)", fn, img->width, img->height, MAX_SIDE);
    if (!img->data) return BAD("%s: pv_image.data is NULL", fn);
    if (img->rotation != 0 && img->rotation != 90 && img->rotation != 180 && img->rotation != 270)
        return BAD("%s: pv_image.rotation %d (0, 90, 180 or 270)", fn, img->rotation);
    if (img->mirror != 0 && img->mirror != 1) return BAD("%s: pv_image.mirror %d (0 or 1)", fn, img->mirror);
    if (img->yuv_range != PV_YUV_FULL && img->yuv_range != PV_YUV_VIDEO)
        return BAD("%s: pv_image.yuv_range %d is unknown", fn, img->yuv_range);
    s->rot = img->rotation, s->mirror = img->mirror, s->range = img->yuv_range;
    s->uw = s->rot % 180 ? s->h : s->w, s->uh = s->rot % 180 ? s->w : s->h;
    const int64_t w = img->width, h = img->height, w2 = (w + 1) / 2, h2 = (h + 1) / 2;
    const uint64_t size = img->struct_size > offsetof(pv_image, size) ? img->size : 0;
    const uint64_t uv_size = img->struct_size > offsetof(pv_image, uv_size) ? img->uv_size : 0;
    s->y = img->data;
    s->bpp = bytes_per_pixel(img->format);
    const int64_t row = s->bpp ? w * s->bpp : w;
    s->stride = img->stride ? img->stride : row;
    if (s->stride < row)
        return BAD("%s: pv_image.stride %d is less than a row (%lld bytes)", fn, img->stride, (long long)row);
    int64_t need = s->stride * (h - 1) + row; /* the last row need not be padded */
    switch (img->format) {
    case PV_NV21: case PV_NV12: {
        /* the interleaved chroma plane: w2 pairs per row; its row stride the caller's, else the Y
         * stride when that holds a chroma row (a padded layout shares it), else 2 * w2 (packed rows of
         * an odd width: one byte longer than a Y row) */
        const int64_t crow = 2 * w2;
        s->uv_stride = img->uv_stride ? img->uv_stride : s->stride > crow ? s->stride : crow;
        if (s->uv_stride < crow)
            return BAD("%s: pv_image.uv_stride %d is less than a chroma row (%lld bytes: %lld pairs)", fn, img->uv_stride,
                       (long long)crow, (long long)w2);
        const uint8_t *c = img->data + s->stride * h;
        s->u = img->format == PV_NV12 ? c : c + 1, s->v = img->format == PV_NV12 ? c + 1 : c;
        s->uv_ps = 2;
        need = s->stride * h + s->uv_stride * (h2 - 1) + crow;
        break;
    }
    case PV_I420: {
        const int64_t cs = img->uv_stride ? img->uv_stride : (s->stride + 1) / 2;
        if (cs < w2)
            return BAD("%s: pv_image.uv_stride %d is less than a chroma row (%lld bytes)", fn, img->uv_stride,
                       (long long)w2);
        s->u = img->data + s->stride * h, s->v = s->u + cs * h2;
        s->uv_stride = cs, s->uv_ps = 1;
        need = s->stride * h + cs * h2 + cs * (h2 - 1) + w2;
        break;
    }
    case PV_YUV420: {
        if (!img->u || !img->v) return BAD("%s: PV_YUV420 needs pv_image.u and pv_image.v", fn);
        if (img->uv_pixel_stride != 1 && img->uv_pixel_stride != 2)
            return BAD("%s: pv_image.uv_pixel_stride %d (1 or 2)", fn, img->uv_pixel_stride);
        const int64_t crow = (w2 - 1) * img->uv_pixel_stride + 1;
        if (img->uv_stride < crow)
            return BAD("%s: pv_image.uv_stride %d is less than a chroma row (%lld bytes)", fn, img->uv_stride,
                       (long long)crow);
        s->u = img->u, s->v = img->v, s->uv_stride = img->uv_stride, s->uv_ps = img->uv_pixel_stride;
        if (uv_size && (uint64_t)(s->uv_stride * (h2 - 1) + crow) > uv_size)
            return BAD("%s: the chroma planes need %lld bytes, pv_image.uv_size is %llu", fn,
                       (long long)(s->uv_stride * (h2 - 1) + crow), (unsigned long long)uv_size);
        break;
    }
    default: break;
    }
    if (size && (uint64_t)need > size)
        return BAD("%s: a %d x %d image of this format and stride needs %lld bytes, pv_image.size is %llu", fn,
                   img->width, img->height, (long long)need, (unsigned long long)size);
    return PETITE_OK;
}

petite_status pv_image_upright_size(const pv_image *img, int32_t *width, int32_t *height) {
    view s;
    petite_status st = check_image(img, &s, "pv_image_upright_size");
    if (st) return st;
    if (width) *width = s.uw;
    if (height) *height = s.uh;
    return PETITE_OK;
}

static inline float clamp255(float v) { return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v; }

/* RGB (0..255) of upright pixel (x, y), both inside the image */
static void pixel(const view *s, int32_t x, int32_t y, float rgb[3]) {
    if (s->mirror) x = s->uw - 1 - x;
    int32_t xs, ys;
    switch (s->rot) {
    case 90: xs = y, ys = s->h - 1 - x; break;
    case 180: xs = s->w - 1 - x, ys = s->h - 1 - y; break;
    case 270: xs = s->w - 1 - y, ys = x; break;
    default: xs = x, ys = y; break;
    }
    const uint8_t *p = s->y + ys * s->stride + (s->bpp ? xs * s->bpp : xs);
    switch (s->format) {
    case PV_RGB8: case PV_RGBA8: rgb[0] = p[0], rgb[1] = p[1], rgb[2] = p[2]; return;
    case PV_BGR8: case PV_BGRA8: rgb[0] = p[2], rgb[1] = p[1], rgb[2] = p[0]; return;
    case PV_GRAY8: rgb[0] = rgb[1] = rgb[2] = p[0]; return;
    default: break;
    }
    const int64_t c = (ys / 2) * s->uv_stride + (xs / 2) * s->uv_ps;
    const float Y = p[0], U = (float)s->u[c] - 128.0f, V = (float)s->v[c] - 128.0f;
    if (s->range == PV_YUV_VIDEO) {
        const float L = 1.164383f * (Y - 16.0f);
        rgb[0] = clamp255(L + 1.596027f * V);
        rgb[1] = clamp255(L - 0.391762f * U - 0.812968f * V);
        rgb[2] = clamp255(L + 2.017232f * U);
    } else {
        rgb[0] = clamp255(Y + 1.402f * V);
        rgb[1] = clamp255(Y - 0.344136f * U - 0.714136f * V);
        rgb[2] = clamp255(Y + 1.772f * U);
    }
}

/* ---- preprocessing ---------------------------------------------------------------------------- */

void pv_preprocess_init(pv_preprocess *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->width = p->height = 224;
    p->fit = PV_FIT_CENTER_CROP;
    p->interp = PV_BILINEAR_AA;
    p->pad_value = 114.0f;
    p->layout = PV_NCHW;
    p->dtype = PETITE_FLOAT32;
    p->channels = 3;
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    memcpy(p->mean, mean, sizeof mean);
    memcpy(p->std, std, sizeof std);
    p->scale = 1.0f;
}

/* Python's round(): half to even */
static double round_even(double v) { return nearbyint(v); }

/* the resized upright image's size and its place in the output (offsets may be negative: a crop) */
typedef struct geometry {
    int64_t rw, rh, ox, oy;
} geometry;

static petite_status place(const view *s, const pv_preprocess *p, geometry *g) {
    const int64_t W = p->width, H = p->height, w = s->uw, h = s->uh;
    switch (p->fit) {
    case PV_FIT_STRETCH: g->rw = W, g->rh = H, g->ox = g->oy = 0; return PETITE_OK;
    case PV_FIT_CENTER_CROP: {
        int64_t sh = p->resize_short ? p->resize_short : (int64_t)((W < H ? W : H) * 256 / 224);
        if (sh < 1 || sh > MAX_SIDE) return BAD("pv_preprocess_image: resize_short %lld", (long long)sh);
        /* torchvision Resize(int): the shorter side to sh, the longer to int(sh * long / short) */
        if (w <= h) g->rw = sh, g->rh = (int64_t)((double)sh * (double)h / (double)w);
        else g->rh = sh, g->rw = (int64_t)((double)sh * (double)w / (double)h);
        if (g->rw < 1) g->rw = 1;
        if (g->rh < 1) g->rh = 1;
        /* CenterCrop: int(round((resized - crop) / 2)) */
        g->ox = -(int64_t)round_even((double)(g->rw - W) / 2.0), g->oy = -(int64_t)round_even((double)(g->rh - H) / 2.0);
        return PETITE_OK;
    }
    case PV_FIT_LETTERBOX: {
        /* Ultralytics LetterBox: r = min(H / h, W / w), new size int(round(side * r)), offsets round(pad / 2 - 0.1) */
        const double r = fmin((double)H / (double)h, (double)W / (double)w);
        g->rw = (int64_t)round_even((double)w * r), g->rh = (int64_t)round_even((double)h * r);
        if (g->rw < 1) g->rw = 1;
        if (g->rh < 1) g->rh = 1;
        g->ox = (int64_t)round_even((double)(W - g->rw) / 2.0 - 0.1);
        g->oy = (int64_t)round_even((double)(H - g->rh) / 2.0 - 0.1);
        return PETITE_OK;
    }
    default: return BAD("pv_preprocess_image: pv_preprocess.fit %d is unknown", p->fit);
    }
}

/* source coordinate of resized pixel i (PyTorch's bilinear: half-pixel centers, negative to 0) */
static void bilinear_src(int64_t i, float scale, int64_t in, int32_t *i0, int32_t *i1, float *l1) {
    float src = scale * ((float)i + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    int32_t a = (int32_t)src;
    if (a > in - 1) a = (int32_t)in - 1;
    *i0 = a;
    *i1 = a + (a < in - 1);
    *l1 = src - (float)a;
    if (*l1 < 0.0f) *l1 = 0.0f;
}

static void sample(const view *s, const pv_preprocess *p, const geometry *g, int64_t rx, int64_t ry, float rgb[3]) {
    if (p->interp == PV_AREA) {
        /* PyTorch "area" (adaptive average pooling): rows [floor(i * in / out), ceil((i + 1) * in / out)) */
        const int64_t x0 = rx * s->uw / g->rw, x1 = ((rx + 1) * s->uw + g->rw - 1) / g->rw;
        const int64_t y0 = ry * s->uh / g->rh, y1 = ((ry + 1) * s->uh + g->rh - 1) / g->rh;
        double acc[3] = {0, 0, 0};
        for (int64_t y = y0; y < y1; y++)
            for (int64_t x = x0; x < x1; x++) {
                float v[3];
                pixel(s, (int32_t)x, (int32_t)y, v);
                acc[0] += v[0], acc[1] += v[1], acc[2] += v[2];
            }
        const double n = (double)((x1 - x0) * (y1 - y0));
        for (int c = 0; c < 3; c++) rgb[c] = (float)(acc[c] / n);
        return;
    }
    int32_t x0, x1, y0, y1;
    float lx, ly;
    bilinear_src(rx, (float)s->uw / (float)g->rw, s->uw, &x0, &x1, &lx);
    bilinear_src(ry, (float)s->uh / (float)g->rh, s->uh, &y0, &y1, &ly);
    float a[3], b[3], c[3], d[3];
    pixel(s, x0, y0, a), pixel(s, x1, y0, b), pixel(s, x0, y1, c), pixel(s, x1, y1, d);
    for (int k = 0; k < 3; k++)
        rgb[k] = (1.0f - ly) * ((1.0f - lx) * a[k] + lx * b[k]) + ly * ((1.0f - lx) * c[k] + lx * d[k]);
}

/* ---- antialiased bilinear (PV_BILINEAR_AA) ----
 * One axis, resized index i of `out` over `in` source pixels: center c = (i + 0.5) * in / out, support
 * r = max(in / out, 1); the source pixels j in [floor(c - r + 0.5), floor(c + r + 0.5)) inside the image,
 * weight max(0, 1 - |j + 0.5 - c| / r), normalized to sum 1 (the triangle filter PIL's BILINEAR resize
 * describes). Separable: each resized row is the weighted sum of horizontally filtered source rows; one
 * row at a time, so the memory is O(source width + output width). */
typedef struct aa_axis {
    int64_t lo, hi, ksize; /* resized indices [lo, hi): those that land in the output */
    int32_t *start, *count;
    float *w;              /* ksize weights per index */
} aa_axis;

static void aa_axis_free(aa_axis *a) {
    free(a->start), free(a->count), free(a->w);
    a->start = a->count = NULL, a->w = NULL;
}

static bool aa_axis_make(aa_axis *a, int64_t in, int64_t out, int64_t lo, int64_t hi) {
    const double scale = (double)in / (double)out, r = scale > 1.0 ? scale : 1.0;
    const int64_t n = hi - lo;
    a->lo = lo, a->hi = hi, a->ksize = (int64_t)ceil(r) * 2 + 1;
    a->start = malloc((size_t)n * sizeof *a->start), a->count = malloc((size_t)n * sizeof *a->count);
    a->w = malloc((size_t)(n * a->ksize) * sizeof *a->w); /* n * ksize <= 2 in + 3 n: n <= out */
    if (!a->start || !a->count || !a->w) {
        aa_axis_free(a);
        return false;
    }
    for (int64_t i = lo; i < hi; i++) {
        const double c = ((double)i + 0.5) * scale;
        int64_t j0 = (int64_t)floor(c - r + 0.5), j1 = (int64_t)floor(c + r + 0.5);
        if (j0 < 0) j0 = 0;
        if (j1 > in) j1 = in;
        if (j1 - j0 > a->ksize) j1 = j0 + a->ksize; /* cannot happen (j1 - j0 <= 2 r + 1); kept in bounds */
        float *w = a->w + (i - lo) * a->ksize;
        double sum = 0.0;
        for (int64_t j = j0; j < j1; j++) {
            double t = 1.0 - fabs(((double)j + 0.5 - c) / r);
            t = t > 0.0 ? t : 0.0;
            w[j - j0] = (float)t, sum += t;
        }
        /* the pixel holding c is in the window with weight >= 1 / (2 r): sum > 0 */
        for (int64_t j = j0; j < j1; j++) w[j - j0] = (float)(w[j - j0] / sum);
        a->start[i - lo] = (int32_t)j0, a->count[i - lo] = (int32_t)(j1 - j0);
    }
    return true;
}

typedef struct aa_state {
    aa_axis x, y;
    int64_t sx0, sx1;  /* the source columns the kept resized columns read */
    float *src;        /* one source row's RGB over [sx0, sx1) */
    float *line;       /* the resized row's RGB over the kept columns [x.lo, x.hi) */
} aa_state;

static void aa_free(aa_state *a) {
    aa_axis_free(&a->x), aa_axis_free(&a->y);
    free(a->src), free(a->line);
    a->src = a->line = NULL;
}

static petite_status aa_init(aa_state *a, const view *s, const geometry *g, int64_t W, int64_t H) {
    memset(a, 0, sizeof *a);
    const int64_t xlo = g->ox < 0 ? -g->ox : 0, xhi = g->rw < W - g->ox ? g->rw : W - g->ox;
    const int64_t ylo = g->oy < 0 ? -g->oy : 0, yhi = g->rh < H - g->oy ? g->rh : H - g->oy;
    if (xhi <= xlo || yhi <= ylo) return PETITE_OK; /* nothing of the picture in the output */
    if (!aa_axis_make(&a->x, s->uw, g->rw, xlo, xhi) || !aa_axis_make(&a->y, s->uh, g->rh, ylo, yhi)) {
        aa_free(a);
        return fail(PETITE_ERR_MEMORY_ALLOCATION_FAILED, "pv_preprocess_image: no memory for the resize filter");
    }
    const int64_t last = xhi - xlo - 1;
    a->sx0 = a->x.start[0], a->sx1 = (int64_t)a->x.start[last] + a->x.count[last];
    a->src = malloc((size_t)(a->sx1 - a->sx0) * 3 * sizeof *a->src);
    a->line = malloc((size_t)(xhi - xlo) * 3 * sizeof *a->line);
    if (!a->src || !a->line) {
        aa_free(a);
        return fail(PETITE_ERR_MEMORY_ALLOCATION_FAILED, "pv_preprocess_image: no memory for the resize filter");
    }
    return PETITE_OK;
}

/* a->line = resized row ry (in [y.lo, y.hi)) over the kept columns */
static void aa_row(aa_state *a, const view *s, int64_t ry) {
    const int64_t ncols = a->x.hi - a->x.lo, yi = ry - a->y.lo;
    memset(a->line, 0, (size_t)ncols * 3 * sizeof *a->line);
    const float *wy = a->y.w + yi * a->y.ksize;
    for (int32_t k = 0; k < a->y.count[yi]; k++) {
        const int32_t sy = a->y.start[yi] + k;
        for (int64_t x = a->sx0; x < a->sx1; x++) pixel(s, (int32_t)x, sy, a->src + 3 * (x - a->sx0));
        for (int64_t c = 0; c < ncols; c++) {
            const float *wx = a->x.w + c * a->x.ksize, *px = a->src + 3 * (a->x.start[c] - a->sx0);
            float acc[3] = {0.0f, 0.0f, 0.0f};
            for (int32_t t = 0; t < a->x.count[c]; t++)
                acc[0] += wx[t] * px[3 * t], acc[1] += wx[t] * px[3 * t + 1], acc[2] += wx[t] * px[3 * t + 2];
            float *o = a->line + 3 * c;
            o[0] += wy[k] * acc[0], o[1] += wy[k] * acc[1], o[2] += wy[k] * acc[2];
        }
    }
}

petite_status pv_preprocess_image(const pv_image *img, const pv_preprocess *p, void *out, size_t out_bytes,
                                  pv_transform *tf) {
    view s;
    petite_status st = check_image(img, &s, "pv_preprocess_image");
    if (st) return st;
    if (!p || p->struct_size < sizeof *p || p->struct_size > 4096)
        return BAD("pv_preprocess_image: pv_preprocess %s (call pv_preprocess_init)", p ? "struct_size is wrong" : "is NULL");
    if (p->width < 1 || p->height < 1 || p->width > MAX_SIDE || p->height > MAX_SIDE)
        return BAD("pv_preprocess_image: output size %d x %d", p->width, p->height);
    if (p->channels != 1 && p->channels != 3) return BAD("pv_preprocess_image: channels %d (1 or 3)", p->channels);
    if (p->layout != PV_NCHW && p->layout != PV_NHWC) return BAD("pv_preprocess_image: layout %d is unknown", p->layout);
    if (p->interp != PV_BILINEAR && p->interp != PV_AREA && p->interp != PV_BILINEAR_AA)
        return BAD("pv_preprocess_image: interp %d is unknown (PV_BILINEAR, PV_AREA or PV_BILINEAR_AA)", p->interp);
    if (p->dtype != PETITE_FLOAT32 && p->dtype != PETITE_UINT8 && p->dtype != PETITE_INT8)
        return BAD("pv_preprocess_image: dtype %d (float32, uint8 or int8)", p->dtype);
    for (int c = 0; c < p->channels; c++) /* a subnormal std turns every value into inf (and NaN scores) */
        if (!isnormal(p->std[c]) || !isfinite(p->mean[c]))
            return BAD("pv_preprocess_image: mean[%d] %g, std[%d] %g (mean finite; std a normal number, not 0 or "
                       "subnormal)", c, (double)p->mean[c], c, (double)p->std[c]);
    if (!isfinite(p->pad_value))
        return BAD("pv_preprocess_image: pad_value %g (a finite pixel value)", (double)p->pad_value);
    if (p->dtype != PETITE_FLOAT32 && (!(p->scale > 0.0f) || !isfinite(p->scale)))
        return BAD("pv_preprocess_image: scale %g for an integer output (finite, > 0)", (double)p->scale);
    const int64_t W = p->width, H = p->height, C = p->channels;
    const size_t es = p->dtype == PETITE_FLOAT32 ? 4 : 1, need = (size_t)(W * H * C) * es;
    if (!out || out_bytes != need)
        return BAD("pv_preprocess_image: the output [1, %lld, %lld, %lld] of this dtype is %zu bytes, got %zu%s",
                   (long long)(p->layout == PV_NCHW ? C : H), (long long)(p->layout == PV_NCHW ? H : W),
                   (long long)(p->layout == PV_NCHW ? W : C), need, out_bytes, out ? "" : " (NULL)");
    geometry g = {0, 0, 0, 0};
    if ((st = place(&s, p, &g))) return st;
    const int qlo = p->dtype == PETITE_INT8 ? -128 : 0, qhi = p->dtype == PETITE_INT8 ? 127 : 255;
    aa_state aa;
    const bool use_aa = p->interp == PV_BILINEAR_AA;
    if (use_aa && (st = aa_init(&aa, &s, &g, W, H))) return st;
    for (int64_t i = 0; i < H; i++) {
        const int64_t ry = i - g.oy;
        if (use_aa && aa.line && ry >= aa.y.lo && ry < aa.y.hi) aa_row(&aa, &s, ry);
        for (int64_t j = 0; j < W; j++) {
            const int64_t rx = j - g.ox;
            float rgb[3];
            if (rx < 0 || ry < 0 || rx >= g.rw || ry >= g.rh) rgb[0] = rgb[1] = rgb[2] = p->pad_value;
            else if (use_aa) memcpy(rgb, aa.line + 3 * (rx - aa.x.lo), sizeof rgb);
            else sample(&s, p, &g, rx, ry, rgb);
            float ch[3];
            if (C == 1) ch[0] = s.format == PV_GRAY8 ? rgb[0] : 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
            else if (p->bgr) ch[0] = rgb[2], ch[1] = rgb[1], ch[2] = rgb[0];
            else ch[0] = rgb[0], ch[1] = rgb[1], ch[2] = rgb[2];
            for (int64_t c = 0; c < C; c++) {
                const float v = (ch[c] / 255.0f - p->mean[c]) / p->std[c];
                const int64_t at = p->layout == PV_NCHW ? (c * H + i) * W + j : (i * W + j) * C + c;
                if (p->dtype == PETITE_FLOAT32) {
                    ((float *)out)[at] = v;
                } else {
                    float q = nearbyintf(v / p->scale) + (float)p->zero_point;
                    q = q < (float)qlo ? (float)qlo : q > (float)qhi ? (float)qhi : q;
                    ((uint8_t *)out)[at] = (uint8_t)(int32_t)q;
                }
            }
        }
    }
    if (use_aa) aa_free(&aa);
    if (tf) {
        tf->struct_size = sizeof *tf;
        tf->scale_x = (float)g.rw / (float)s.uw, tf->scale_y = (float)g.rh / (float)s.uh;
        tf->offset_x = (float)g.ox, tf->offset_y = (float)g.oy;
        tf->upright_width = s.uw, tf->upright_height = s.uh;
    }
    return PETITE_OK;
}

/* ---- classification ---------------------------------------------------------------------------- */

/* the largest value that is not NaN (-inf if none), and whether any is NaN */
static float max_not_nan(const float *x, size_t n, bool *nan) {
    float mx = -INFINITY;
    *nan = false;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) *nan = true;
        else if (x[i] > mx) mx = x[i];
    }
    return mx;
}

petite_status pv_softmax(const float *x, size_t n, float *y) {
    if (!x || !y || n == 0) return BAD("pv_softmax: %s", n == 0 ? "no values" : "NULL x or y");
    bool nan;
    const float mx = max_not_nan(x, n, &nan);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += nan ? 0.0 : exp((double)x[i] - (double)mx);
    for (size_t i = 0; i < n; i++) y[i] = nan ? NAN : (float)(exp((double)x[i] - (double)mx) / sum);
    return PETITE_OK;
}

petite_status pv_classify(const float *x, size_t n, uint32_t k, pv_class *out, uint32_t *count) {
    if (!x || !out || !count) return BAD("pv_classify: NULL logits, out or count");
    if (n > INT32_MAX) return BAD("pv_classify: %zu logits (at most 2^31 - 1)", n);
    if (n == 0 || k == 0) return BAD("pv_classify: %s", n == 0 ? "no logits" : "k is 0");
    bool nan;
    const float mx = max_not_nan(x, n, &nan);
    double sum = 0.0;
    for (size_t i = 0; i < n && !nan; i++) sum += exp((double)x[i] - (double)mx);
    /* rank the logits themselves: their softmax in float can round distinct logits to one value */
    petite_status st = pv_topk(x, n, k, out, count);
    if (st) return st;
    for (uint32_t i = 0; i < *count; i++)
        out[i].score = nan ? NAN : (float)(exp((double)x[out[i].class_id] - (double)mx) / sum);
    return PETITE_OK;
}

/* a before b: higher score first, NaN last, then the lower index */
static bool ranks_before(float sa, uint32_t ia, float sb, uint32_t ib) {
    const bool na = isnan(sa), nb = isnan(sb);
    if (na != nb) return nb;
    if (!na && sa != sb) return sa > sb;
    return ia < ib;
}

petite_status pv_topk(const float *scores, size_t n, uint32_t k, pv_class *out, uint32_t *count) {
    if (!scores || !out || !count) return BAD("pv_topk: NULL scores, out or count");
    if (n > INT32_MAX) return BAD("pv_topk: %zu scores (at most 2^31 - 1)", n);
    if (n == 0 || k == 0) return BAD("pv_topk: %s", n == 0 ? "no scores" : "k is 0");
    const uint32_t m = (uint32_t)(k < n ? k : n);
    uint32_t have = 0;
    for (size_t i = 0; i < n; i++) { /* insertion into the kept m, best first */
        const float s = scores[i];
        if (have == m && !ranks_before(s, (uint32_t)i, out[m - 1].score, (uint32_t)out[m - 1].class_id)) continue;
        uint32_t at = have < m ? have++ : m - 1;
        while (at > 0 && ranks_before(s, (uint32_t)i, out[at - 1].score, (uint32_t)out[at - 1].class_id)) {
            out[at] = out[at - 1];
            at--;
        }
        out[at].class_id = (int32_t)i, out[at].score = s;
    }
    *count = m;
    return PETITE_OK;
}

struct pv_labels {
    uint32_t n;
    char **items;
    char *text;
};

petite_status pv_labels_parse(const char *text, size_t len, uint32_t expected, pv_labels **out) {
    if (!out) return BAD("pv_labels_parse: NULL out");
    *out = NULL;
    if (!text && len) return BAD("pv_labels_parse: NULL text");
    if (len > PV_LABELS_MAX_BYTES)
        return BAD("labels: %zu bytes (at most %u MiB)", len, (unsigned)(PV_LABELS_MAX_BYTES >> 20));
    /* count (and check the count) before allocating anything the count sizes */
    uint32_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    const uint32_t n_labels = lines + (len && text[len - 1] != '\n'); /* a last line without its newline counts */
    if (n_labels > PV_LABELS_MAX) return BAD("labels: %u lines (at most %u)", n_labels, (unsigned)PV_LABELS_MAX);
    if (expected && n_labels != expected) return BAD("labels: %u lines, the model has %u classes", n_labels, expected);
    pv_labels *l = calloc(1, sizeof *l);
    char *t = malloc(len + 1);
    char **items = calloc((size_t)lines + 1, sizeof *items);
    if (!l || !t || !items) {
        free(l), free(t), free(items);
        return fail(PETITE_ERR_MEMORY_ALLOCATION_FAILED, "pv_labels_parse: no memory for %zu bytes of labels", len);
    }
    if (len) memcpy(t, text, len);
    t[len] = 0;
    uint32_t n = 0;
    for (char *p = t; p < t + len;) {
        char *e = memchr(p, '\n', (size_t)(t + len - p));
        char *end = e ? e : t + len;
        if (end > p && end[-1] == '\r') end[-1] = 0;
        *end = 0;
        items[n++] = p;
        p = e ? e + 1 : t + len;
    }
    l->n = n, l->items = items, l->text = t;
    if (expected && n != expected) {
        pv_labels_free(l);
        return BAD("labels: %u lines, the model has %u classes", n, expected);
    }
    *out = l;
    return PETITE_OK;
}

petite_status pv_labels_load(const char *path, uint32_t expected, pv_labels **out) {
    if (!out) return BAD("pv_labels_load: NULL out");
    *out = NULL;
    if (!path) return BAD("pv_labels_load: NULL path");
    FILE *f = fopen(path, "rb");
    if (!f) return fail(PETITE_ERR_NOT_FOUND, "labels file %s cannot be opened", path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len > PV_LABELS_MAX_BYTES) { /* read one byte past the cap at most, never the whole file */
            fclose(f), free(buf);
            return BAD("labels file %s is larger than %u MiB", path, (unsigned)(PV_LABELS_MAX_BYTES >> 20));
        }
        if (cap - len < 4096) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > PV_LABELS_MAX_BYTES + 8192) ncap = PV_LABELS_MAX_BYTES + 8192;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                fclose(f), free(buf);
                return fail(PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for labels file %s", path);
            }
            buf = nb, cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    const bool err = ferror(f);
    fclose(f);
    if (err || len > PV_LABELS_MAX_BYTES) {
        free(buf);
        return err ? BAD("labels file %s: read error", path)
                   : BAD("labels file %s is larger than %u MiB", path, (unsigned)(PV_LABELS_MAX_BYTES >> 20));
    }
    petite_status s = pv_labels_parse(buf, len, expected, out);
    free(buf);
    if (s) {
        char why[sizeof last_error];
        memcpy(why, last_error, sizeof why);
        fail(s, "labels file %s: %s", path, why);
    }
    return s;
}

uint32_t pv_labels_count(const pv_labels *l) { return l ? l->n : 0; }
const char *pv_labels_get(const pv_labels *l, uint32_t i) { return l && i < l->n ? l->items[i] : NULL; }
void pv_labels_free(pv_labels *l) {
    if (!l) return;
    free(l->items), free(l->text), free(l);
}

/* ---- detection ---------------------------------------------------------------------------------- */

void pv_detect_params_init(pv_detect_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->format = PV_YOLOV8;
    p->conf = 0.25f, p->iou = 0.45f;
    p->max_detections = 300;
    p->logits = 1;
    p->variance[0] = p->variance[1] = 0.1f, p->variance[2] = p->variance[3] = 0.2f;
    p->background = 1;
}

typedef struct cand {
    float box[4], score;
    int32_t cls;
    uint32_t index;
} cand;

static int by_score(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* IoU > thr, computed as torchvision does (a zero union gives NaN: never suppressed) */
static bool overlaps(const float *a, const float *b, float thr) {
    const float iw = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), ih = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    const float inter = (iw > 0.0f ? iw : 0.0f) * (ih > 0.0f ? ih : 0.0f);
    const float ua = (a[2] - a[0]) * (a[3] - a[1]), ub = (b[2] - b[0]) * (b[3] - b[1]);
    return inter / (ua + ub - inter) > thr;
}

/* ---- NMS: greedy in score order, as torchvision; each candidate compared only with the kept boxes
 * near it ----
 *
 * The greedy rule: a candidate is dropped when a kept box before it (of its class, unless agnostic)
 * overlaps it with IoU > iou. Which kept box is compared first cannot change the answer, so it is
 * enough to compare a candidate with every kept box that could overlap it, found through grids:
 *  - classes are independent (class-aware NMS): each class is run alone in score order, and the kept
 *    ones are merged back in score order, the first `cap` of them the answer (as stopping at cap);
 *  - a box that is not "proper" (a coordinate not finite, width or height <= 0, area not finite) has
 *    IoU NaN or 0 with every box as overlaps() computes it: it is always kept and never suppresses;
 *  - a proper kept box of largest side in [2^(e-1), 2^e) is entered in the cells of side 2^e (level e)
 *    that its extent touches (floor(x / 2^e), at most 2 x 2 of them, 3 x 3 with rounding); a positive
 *    intersection, which IoU > iou >= 0 needs, means both extents share a cell of every level (floor
 *    is monotonic), so the candidate looks in the cells its own extent touches at each level that has
 *    boxes, or at that level's list when the list is shorter than those cells;
 *  - with iou > 0 a kept box of level e holds at most 4^e of area, and IoU <= its area / the
 *    candidate's: levels with 2 x 4^e < iou x the candidate's area are skipped;
 *  - iou >= 1: IoU as computed never exceeds 1 (inter <= each area, union >= inter): nothing is
 *    dropped.
 * Typical detector outputs cost O(n log n) (the sort); the cost grows with how many kept boxes of a
 * similar size crowd one cell (at most about 1 / (1 - iou)^2 of one class). */

#define NMS_LEVELS 300 /* exponents -160..139 (a float's largest side is 2^-149..2^128) */
#define NMS_FAR 1099511627776.0 /* 2^40: a proper box's cell index at its own level is within 2^26 */

typedef struct nms_slot {
    int64_t x, y;
    int32_t level; /* -1: empty */
    uint32_t head; /* first entry + 1 (0: none) */
} nms_slot;

typedef struct nms_entry {
    uint32_t pos, next; /* next: entry + 1 in the same cell (0: end) */
} nms_entry;

typedef struct nms_grid {
    nms_slot *slots;
    size_t nslots, used;
    nms_entry *cells;      /* entries of cells */
    size_t ncells, capcells;
    uint32_t *list, *list_next; /* per level: kept positions (list_next indexed by kept order) */
    uint32_t level_head[NMS_LEVELS], level_count[NMS_LEVELS];
    int32_t active[NMS_LEVELS];
    int nactive;
} nms_grid;

static uint64_t nms_hash(int32_t l, int64_t x, int64_t y) {
    uint64_t h = (uint64_t)l * 0x9E3779B97F4A7C15u ^ (uint64_t)x * 0xC2B2AE3D27D4EB4Fu ^ (uint64_t)y * 0x165667B19E3779F9u;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9u;
    return h ^ (h >> 32);
}

static nms_slot *nms_find(nms_grid *g, int32_t l, int64_t x, int64_t y) {
    size_t i = (size_t)nms_hash(l, x, y) & (g->nslots - 1);
    for (;; i = (i + 1) & (g->nslots - 1)) {
        nms_slot *s = &g->slots[i];
        if (s->level < 0 || (s->level == l && s->x == x && s->y == y)) return s;
    }
}

static bool nms_grow(nms_grid *g) {
    const size_t n = g->nslots * 2;
    nms_slot *ns = malloc(n * sizeof *ns), *old = g->slots;
    if (!ns) return false;
    for (size_t i = 0; i < n; i++) ns[i].level = -1, ns[i].head = 0;
    const size_t on = g->nslots;
    g->slots = ns, g->nslots = n;
    for (size_t i = 0; i < on; i++)
        if (old[i].level >= 0) *nms_find(g, old[i].level, old[i].x, old[i].y) = old[i];
    free(old);
    return true;
}

/* a proper box: finite corners, positive width and height, finite area (as overlaps() computes it) */
static bool nms_proper(const float *b) {
    if (!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3])) return false;
    const float w = b[2] - b[0], h = b[3] - b[1];
    return w > 0.0f && h > 0.0f && isfinite(w * h);
}

/* the plain loop over a class's candidates (positions pos[0..g), in score order) */
static void nms_plain(const cand *c, const uint32_t *pos, uint32_t g, float iou, uint8_t *kept) {
    uint32_t *k = malloc((g ? g : 1) * sizeof *k), nk = 0;
    for (uint32_t a = 0; a < g; a++) {
        const uint32_t i = pos[a];
        bool drop = false;
        if (k) {
            for (uint32_t q = 0; q < nk && !drop; q++) drop = overlaps(c[k[q]].box, c[i].box, iou);
        } else {
            for (uint32_t q = 0; q < a && !drop; q++) drop = kept[pos[q]] && overlaps(c[pos[q]].box, c[i].box, iou);
        }
        if (!drop) {
            kept[i] = 1;
            if (k) k[nk++] = i;
        }
    }
    free(k);
}

/* one class (positions pos[0..g) in score order) through the grids; false: no memory (nothing kept) */
static bool nms_class(const cand *c, const uint32_t *pos, uint32_t g, float iou, uint8_t *kept, nms_grid *G) {
    G->nslots = 64;
    while (G->nslots < (size_t)g * 4) G->nslots *= 2;
    G->slots = malloc(G->nslots * sizeof *G->slots);
    G->capcells = (size_t)g * 4 + 16;
    G->cells = malloc(G->capcells * sizeof *G->cells);
    G->list = malloc((size_t)g * sizeof *G->list);
    G->list_next = malloc((size_t)g * sizeof *G->list_next);
    G->ncells = G->used = 0, G->nactive = 0;
    memset(G->level_head, 0, sizeof G->level_head), memset(G->level_count, 0, sizeof G->level_count);
    bool ok = G->slots && G->cells && G->list && G->list_next;
    if (ok)
        for (size_t i = 0; i < G->nslots; i++) G->slots[i].level = -1, G->slots[i].head = 0;
    uint32_t nkept = 0;
    for (uint32_t a = 0; a < g && ok; a++) {
        const uint32_t i = pos[a];
        const float *b = c[i].box;
        if (!nms_proper(b)) {
            kept[i] = 1;
            continue;
        }
        const double area = (double)((b[2] - b[0]) * (b[3] - b[1]));
        bool drop = false;
        for (int q = 0; q < G->nactive && !drop; q++) {
            const int32_t l = G->active[q];
            const double cs = ldexp(1.0, l - 160);
            if (iou > 0.0f && 2.0 * cs * cs < (double)iou * area) continue;
            double x0 = floor((double)b[0] / cs), x1 = floor((double)b[2] / cs);
            double y0 = floor((double)b[1] / cs), y1 = floor((double)b[3] / cs);
            x0 = fmax(x0, -NMS_FAR), y0 = fmax(y0, -NMS_FAR), x1 = fmin(x1, NMS_FAR), y1 = fmin(y1, NMS_FAR);
            if (x1 < x0 || y1 < y0) continue; /* no box of this level is that far */
            const double cellsn = (x1 - x0 + 1.0) * (y1 - y0 + 1.0);
            if (cellsn <= (double)G->level_count[l]) {
                for (int64_t y = (int64_t)y0; y <= (int64_t)y1 && !drop; y++)
                    for (int64_t x = (int64_t)x0; x <= (int64_t)x1 && !drop; x++) {
                        const nms_slot *s = nms_find(G, l, x, y);
                        for (uint32_t e = s->level >= 0 ? s->head : 0; e && !drop; e = G->cells[e - 1].next)
                            drop = overlaps(c[G->cells[e - 1].pos].box, b, iou);
                    }
            } else {
                for (uint32_t e = G->level_head[l]; e && !drop; e = G->list_next[e - 1])
                    drop = overlaps(c[G->list[e - 1]].box, b, iou);
            }
        }
        if (drop) continue;
        kept[i] = 1;
        /* enter it at its level */
        const float side = fmaxf(b[2] - b[0], b[3] - b[1]);
        int e2;
        (void)frexp((double)side, &e2); /* side < 2^e2 */
        const int32_t l = e2 + 160;
        if (l < 0 || l >= NMS_LEVELS) return false; /* never (a float's exponent range) */
        const double cs = ldexp(1.0, e2);
        const double x0 = floor((double)b[0] / cs), x1 = floor((double)b[2] / cs);
        const double y0 = floor((double)b[1] / cs), y1 = floor((double)b[3] / cs);
        if (fabs(x0) > NMS_FAR || fabs(x1) > NMS_FAR || fabs(y0) > NMS_FAR || fabs(y1) > NMS_FAR || x1 - x0 > 3 ||
            y1 - y0 > 3)
            return false; /* never for a proper box; the caller falls back to the plain loop */
        if (!G->level_count[l]) G->active[G->nactive++] = l;
        G->list[nkept] = i, G->list_next[nkept] = G->level_head[l], G->level_head[l] = nkept + 1;
        G->level_count[l]++, nkept++;
        for (int64_t y = (int64_t)y0; y <= (int64_t)y1 && ok; y++)
            for (int64_t x = (int64_t)x0; x <= (int64_t)x1 && ok; x++) {
                if ((G->used + 1) * 2 > G->nslots && !(ok = nms_grow(G))) break;
                if (G->ncells == G->capcells) {
                    nms_entry *ne = realloc(G->cells, G->capcells * 2 * sizeof *ne);
                    if (!(ok = ne != NULL)) break;
                    G->cells = ne, G->capcells *= 2;
                }
                nms_slot *s = nms_find(G, l, x, y);
                if (s->level < 0) s->level = l, s->x = x, s->y = y, s->head = 0, G->used++;
                G->cells[G->ncells].pos = i, G->cells[G->ncells].next = s->head;
                s->head = (uint32_t)++G->ncells;
            }
    }
    return ok;
}

/* sorted candidates in place; kept ones first (in score order, at most cap); returns how many */
static uint32_t nms_sorted(cand *c, uint32_t n, float iou, bool agnostic, uint32_t cap) {
    if (iou >= 1.0f) return n < cap ? n : cap; /* IoU never exceeds 1: nothing is dropped */
    uint8_t *kept = calloc(n ? n : 1, 1);
    uint32_t *pos = malloc((n ? n : 1) * sizeof *pos), *tmp = agnostic ? NULL : malloc((n ? n : 1) * sizeof *tmp);
    if (!kept || !pos || (!agnostic && !tmp)) { /* no memory: the plain loop, kept ones moved to the front */
        free(kept), free(pos), free(tmp);
        uint32_t k = 0;
        for (uint32_t i = 0; i < n && k < cap; i++) {
            bool drop = false;
            for (uint32_t q = 0; q < k && !drop; q++) drop = (agnostic || c[q].cls == c[i].cls) && overlaps(c[q].box, c[i].box, iou);
            if (!drop) c[k++] = c[i];
        }
        return k;
    }
    for (uint32_t i = 0; i < n; i++) pos[i] = i;
    if (!agnostic) { /* each class's positions together, in score order: a merge sort (stable) */
        for (uint32_t w = 1; w < n; w = w > n / 2 ? n : 2 * w) {
            for (uint32_t lo = 0; lo < n; lo = n - lo > 2 * w ? lo + 2 * w : n) {
                const uint32_t mid = n - lo > w ? lo + w : n, hi = n - lo > 2 * w ? lo + 2 * w : n;
                uint32_t a = lo, b = mid, o = lo;
                while (a < mid && b < hi) tmp[o++] = c[pos[b]].cls < c[pos[a]].cls ? pos[b++] : pos[a++];
                while (a < mid) tmp[o++] = pos[a++];
                while (b < hi) tmp[o++] = pos[b++];
            }
            memcpy(pos, tmp, (size_t)n * sizeof *pos);
        }
        free(tmp);
    }
    nms_grid G;
    for (uint32_t g0 = 0; g0 < n;) {
        uint32_t g1 = g0 + 1;
        while (g1 < n && (agnostic || c[pos[g1]].cls == c[pos[g0]].cls)) g1++;
        memset(&G, 0, sizeof G);
        const bool done = g1 - g0 > 16 && nms_class(c, pos + g0, g1 - g0, iou, kept, &G);
        free(G.slots), free(G.cells), free(G.list), free(G.list_next);
        if (!done) {
            for (uint32_t a = g0; a < g1; a++) kept[pos[a]] = 0;
            nms_plain(c, pos + g0, g1 - g0, iou, kept);
        }
        g0 = g1;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n && k < cap; i++)
        if (kept[i]) c[k++] = c[i];
    free(kept), free(pos);
    return k;
}

petite_status pv_nms(const float *boxes, const float *scores, const int32_t *classes, uint32_t n, float iou,
                     uint32_t *keep, uint32_t cap, uint32_t *count) {
    if (!count || (n && (!boxes || !scores || !keep))) return BAD("pv_nms: NULL boxes, scores, keep or count");
    if (!(iou >= 0.0f) || iou > 1.0f) return BAD("pv_nms: iou %g (0..1)", (double)iou);
    cand *c = malloc((n ? n : 1) * sizeof *c);
    if (!c) return fail(PETITE_ERR_MEMORY_ALLOCATION_FAILED, "pv_nms: no memory for %u boxes", n);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (isnan(scores[i])) continue;
        memcpy(c[m].box, boxes + 4 * (size_t)i, sizeof c[m].box);
        c[m].score = scores[i], c[m].cls = classes ? classes[i] : 0, c[m].index = i;
        m++;
    }
    qsort(c, m, sizeof *c, by_score);
    uint32_t k = nms_sorted(c, m, iou, classes == NULL, cap);
    for (uint32_t i = 0; i < k; i++) keep[i] = c[i].index;
    *count = k;
    free(c);
    return PETITE_OK;
}

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* the dims of a [1, a, b] (or [a, b]) output */
static petite_status dims2(const int64_t *shape, int32_t rank, int64_t *a, int64_t *b, const char *what) {
    if (!shape || (rank != 2 && rank != 3) || (rank == 3 && shape[0] != 1))
        return BAD("pv_detect: %s must be [1, rows, columns] or [rows, columns]", what);
    *a = shape[rank - 2], *b = shape[rank - 1];
    if (*a < 1 || *b < 1 || *a > (1 << 24) || *b > (1 << 24)) return BAD("pv_detect: %s has an empty or huge shape", what);
    return PETITE_OK;
}

petite_status pv_detect(const float *const *outputs, const int64_t *const *shapes, const int32_t *ranks,
                        uint32_t noutputs, const float *anchors, uint32_t nanchors, const pv_detect_params *p,
                        const pv_transform *tf, pv_detection *out, uint32_t cap, uint32_t *count) {
    if (!p || p->struct_size < sizeof *p || p->struct_size > 4096)
        return BAD("pv_detect: pv_detect_params %s (call pv_detect_params_init)", p ? "struct_size is wrong" : "is NULL");
    if (!count || (cap && !out) || !outputs || !shapes || !ranks) return BAD("pv_detect: NULL outputs, shapes, ranks, out or count");
    if (!(p->iou >= 0.0f) || p->iou > 1.0f || !isfinite(p->conf)) return BAD("pv_detect: conf %g, iou %g", (double)p->conf, (double)p->iou);
    const uint32_t need_out = p->format == PV_SSD ? 2 : 1;
    if (p->format != PV_YOLOV5 && p->format != PV_YOLOV8 && p->format != PV_SSD)
        return BAD("pv_detect: format %d is unknown", p->format);
    if (noutputs != need_out)
        return BAD("pv_detect: %s takes %u output%s, got %u", p->format == PV_SSD ? "ssd" : p->format == PV_YOLOV5 ? "yolov5" : "yolov8",
                   need_out, need_out > 1 ? "s" : "", noutputs);
    for (uint32_t i = 0; i < noutputs; i++)
        if (!outputs[i]) return BAD("pv_detect: output %u is NULL", i);
    if (tf && (!(tf->scale_x > 0.0f) || !(tf->scale_y > 0.0f)))
        return BAD("pv_detect: the transform's scale is %g x %g", (double)tf->scale_x, (double)tf->scale_y);
    int64_t rows = 0, cols = 0, n = 0, ncls = 0;
    petite_status st;
    if ((st = dims2(shapes[0], ranks[0], &rows, &cols, "output 0"))) return st;
    /* the two YOLO layouts are each other's transpose: boxes outnumber the values per box */
    if (p->format == PV_YOLOV5) {
        if (cols < 6) return BAD("pv_detect: yolov5 output [1, %lld, %lld]: each row needs 5 + classes values", (long long)rows, (long long)cols);
        if (rows < cols)
            return BAD("pv_detect: output [1, %lld, %lld] has fewer rows than values per row: the yolov8 layout [1, 4 + C, N], "
                       "not yolov5 [1, N, 5 + C]", (long long)rows, (long long)cols);
        n = rows, ncls = cols - 5;
    } else if (p->format == PV_YOLOV8) {
        if (rows < 5) return BAD("pv_detect: yolov8 output [1, %lld, %lld]: needs 4 + classes rows", (long long)rows, (long long)cols);
        if (rows > cols)
            return BAD("pv_detect: output [1, %lld, %lld] has more rows than boxes: the yolov5 layout [1, N, 5 + C], not "
                       "yolov8 [1, 4 + C, N]", (long long)rows, (long long)cols);
        n = cols, ncls = rows - 4;
    } else {
        int64_t srows = 0, scols = 0;
        if ((st = dims2(shapes[1], ranks[1], &srows, &scols, "output 1 (scores)"))) return st;
        if (cols != 4 || srows != rows)
            return BAD("pv_detect: ssd box deltas [1, %lld, %lld] and scores [1, %lld, %lld] do not match ([1, N, 4], [1, N, C])",
                       (long long)rows, (long long)cols, (long long)srows, (long long)scols);
        if (!anchors || nanchors != (uint64_t)rows)
            return BAD("pv_detect: ssd needs %lld anchors, got %u", (long long)rows, anchors ? nanchors : 0);
        if (p->input_width < 1 || p->input_height < 1)
            return BAD("pv_detect: ssd needs the input size (input_width, input_height)");
        n = rows, ncls = scols;
    }
    cand *c = malloc((size_t)n * sizeof *c);
    if (!c) return fail(PETITE_ERR_MEMORY_ALLOCATION_FAILED, "pv_detect: no memory for %lld candidates", (long long)n);
    uint32_t m = 0;
    const float *o = outputs[0];
    for (int64_t i = 0; i < n; i++) {
        float cx, cy, w, h, best = -INFINITY;
        int32_t cls = -1;
        if (p->format == PV_YOLOV5) {
            const float *r = o + i * cols;
            cx = r[0], cy = r[1], w = r[2], h = r[3];
            for (int64_t k = 0; k < ncls; k++)
                if (r[5 + k] * r[4] > best) best = r[5 + k] * r[4], cls = (int32_t)k;
        } else if (p->format == PV_YOLOV8) {
            cx = o[i], cy = o[n + i], w = o[2 * n + i], h = o[3 * n + i];
            for (int64_t k = 0; k < ncls; k++)
                if (o[(4 + k) * n + i] > best) best = o[(4 + k) * n + i], cls = (int32_t)k;
        } else {
            const float *d = o + i * 4, *a = anchors + i * 4, *sc = outputs[1] + i * ncls;
            const int xy = p->xy_order != 0;
            const float dx = d[xy ? 0 : 1], dy = d[xy ? 1 : 0], dw = d[xy ? 2 : 3], dh = d[xy ? 3 : 2];
            const float acx = a[xy ? 0 : 1], acy = a[xy ? 1 : 0], aw = a[xy ? 2 : 3], ah = a[xy ? 3 : 2];
            cx = (acx + dx * p->variance[0] * aw) * (float)p->input_width;
            cy = (acy + dy * p->variance[1] * ah) * (float)p->input_height;
            w = aw * expf(dw * p->variance[2]) * (float)p->input_width;
            h = ah * expf(dh * p->variance[3]) * (float)p->input_height;
            float mx = -INFINITY, sum = 0.0f;
            if (p->logits == 2) {
                for (int64_t k = 0; k < ncls; k++) mx = fmaxf(mx, sc[k]);
                for (int64_t k = 0; k < ncls; k++) sum += expf(sc[k] - mx);
            }
            for (int64_t k = p->background ? 1 : 0; k < ncls; k++) {
                const float s = p->logits == 1 ? sigmoidf(sc[k]) : p->logits == 2 ? expf(sc[k] - mx) / sum : sc[k];
                if (s > best) best = s, cls = (int32_t)k;
            }
        }
        if (cls < 0 || !(best >= p->conf)) continue;
        c[m].box[0] = cx - w / 2, c[m].box[1] = cy - h / 2, c[m].box[2] = cx + w / 2, c[m].box[3] = cy + h / 2;
        c[m].score = best, c[m].cls = cls, c[m].index = (uint32_t)i;
        m++;
    }
    qsort(c, m, sizeof *c, by_score);
    const uint32_t limit = p->max_detections < cap ? p->max_detections : cap;
    const uint32_t k = nms_sorted(c, m, p->iou, p->agnostic != 0, limit);
    for (uint32_t i = 0; i < k; i++) {
        float b[4];
        memcpy(b, c[i].box, sizeof b);
        if (tf) {
            b[0] = (b[0] - tf->offset_x) / tf->scale_x, b[2] = (b[2] - tf->offset_x) / tf->scale_x;
            b[1] = (b[1] - tf->offset_y) / tf->scale_y, b[3] = (b[3] - tf->offset_y) / tf->scale_y;
            const float W = (float)tf->upright_width, H = (float)tf->upright_height;
            for (int j = 0; j < 4; j++) b[j] = fminf(fmaxf(b[j], 0.0f), j % 2 ? H : W);
        }
        out[i].x1 = b[0], out[i].y1 = b[1], out[i].x2 = b[2], out[i].y2 = b[3];
        out[i].score = c[i].score, out[i].class_id = c[i].cls;
    }
    *count = k;
    free(c);
    return PETITE_OK;
}
