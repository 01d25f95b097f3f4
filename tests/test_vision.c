/* test_vision.c — petite_vision.h against loops written here: pixel formats and camera YUV (every
 * layout of the same picture gives the same tensor; one pixel against the BT.601 formula), rotation
 * and mirroring, crops and letterbox geometry, normalization and integer outputs, softmax, top-K,
 * labels, NMS and the three detection layouts; bad arguments refused with a message. (Resizing and
 * NMS against PyTorch/torchvision: tests/python/test_vision.py.) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "petite/petite_vision.h"

/* a W x H picture with distinct colors per pixel */
static void picture(int W, int H, uint8_t *rgb) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = rgb + 3 * (y * W + x);
            p[0] = (uint8_t)(10 + 40 * x + 3 * y), p[1] = (uint8_t)(200 - 20 * y + x), p[2] = (uint8_t)(7 * x * y + 5);
        }
}

/* upright size, float NCHW, no normalization beyond / 255, stretched to its own size (exact) */
static petite_status identity(const pv_image *img, int W, int H, float *out) {
    pv_preprocess p;
    pv_preprocess_init(&p);
    p.width = W, p.height = H, p.fit = PV_FIT_STRETCH;
    for (int c = 0; c < 3; c++) p.mean[c] = 0.0f, p.std[c] = 1.0f;
    return pv_preprocess_image(img, &p, out, (size_t)(3 * W * H) * sizeof(float), NULL);
}

static void test_formats_and_rotation(void) {
    enum { W = 5, H = 3 };
    uint8_t rgb[W * H * 3], rgba[W * H * 4], bgra[W * H * 4], bgr[W * H * 3];
    picture(W, H, rgb);
    for (int i = 0; i < W * H; i++) {
        memcpy(rgba + 4 * i, rgb + 3 * i, 3), rgba[4 * i + 3] = 9;
        bgra[4 * i] = rgb[3 * i + 2], bgra[4 * i + 1] = rgb[3 * i + 1], bgra[4 * i + 2] = rgb[3 * i], bgra[4 * i + 3] = 0;
        bgr[3 * i] = rgb[3 * i + 2], bgr[3 * i + 1] = rgb[3 * i + 1], bgr[3 * i + 2] = rgb[3 * i];
    }
    float ref[3 * W * H], got[3 * W * H];
    pv_image img;
    pv_image_init(&img);
    img.width = W, img.height = H, img.data = rgb;
    CHECK(identity(&img, W, H, ref) == PETITE_OK, "rgb: %s", pv_last_error());
    int bad = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < W * H; i++) bad += ref[c * W * H + i] != rgb[3 * i + c] / 255.0f;
    CHECK(bad == 0, "rgb8 identity: %d wrong values", bad);
    const struct { int fmt; const uint8_t *d; } alt[] = {{PV_RGBA8, rgba}, {PV_BGRA8, bgra}, {PV_BGR8, bgr}};
    for (int k = 0; k < 3; k++) {
        img.format = alt[k].fmt, img.data = alt[k].d;
        CHECK(identity(&img, W, H, got) == PETITE_OK && memcmp(got, ref, sizeof ref) == 0, "format %d differs from RGB8",
              alt[k].fmt);
    }
    /* rotation: upright(x, y) of a 90-degree image is stored(y, H_stored - 1 - x), and so on */
    img.format = PV_RGB8, img.data = rgb;
    for (int rot = 0; rot < 360; rot += 90)
        for (int mirror = 0; mirror < 2; mirror++) {
            img.rotation = rot, img.mirror = mirror;
            const int uw = rot % 180 ? H : W, uh = rot % 180 ? W : H;
            int32_t w, h;
            CHECK(pv_image_upright_size(&img, &w, &h) == PETITE_OK && w == uw && h == uh, "upright size at %d", rot);
            CHECK(identity(&img, uw, uh, got) == PETITE_OK, "rotation %d: %s", rot, pv_last_error());
            bad = 0;
            for (int y = 0; y < uh; y++)
                for (int x0 = 0; x0 < uw; x0++) {
                    const int x = mirror ? uw - 1 - x0 : x0;
                    int xs = x, ys = y;
                    if (rot == 90) xs = y, ys = H - 1 - x;
                    if (rot == 180) xs = W - 1 - x, ys = H - 1 - y;
                    if (rot == 270) xs = W - 1 - y, ys = x;
                    for (int c = 0; c < 3; c++) bad += got[(c * uh + y) * uw + x0] != rgb[3 * (ys * W + xs) + c] / 255.0f;
                }
            CHECK(bad == 0, "rotation %d mirror %d: %d wrong values", rot, mirror, bad);
        }
    img.rotation = 0, img.mirror = 0;
    /* a padded stride reads the same picture */
    uint8_t padded[H * 20];
    memset(padded, 0xEE, sizeof padded);
    for (int y = 0; y < H; y++) memcpy(padded + y * 20, rgb + y * W * 3, W * 3);
    img.data = padded, img.stride = 20, img.size = sizeof padded;
    CHECK(identity(&img, W, H, got) == PETITE_OK && memcmp(got, ref, sizeof ref) == 0, "stride 20 differs");
    /* gray: one channel equal to the byte */
    uint8_t gray[W * H];
    for (int i = 0; i < W * H; i++) gray[i] = (uint8_t)(i * 17);
    pv_image gi;
    pv_image_init(&gi);
    gi.format = PV_GRAY8, gi.width = W, gi.height = H, gi.data = gray;
    pv_preprocess p;
    pv_preprocess_init(&p);
    p.width = W, p.height = H, p.fit = PV_FIT_STRETCH, p.channels = 1, p.mean[0] = 0.0f, p.std[0] = 1.0f;
    p.dtype = PETITE_UINT8, p.scale = 1.0f / 255.0f, p.zero_point = 0; /* q = pixel */
    uint8_t q[W * H];
    CHECK(pv_preprocess_image(&gi, &p, q, sizeof q, NULL) == PETITE_OK && memcmp(q, gray, sizeof q) == 0,
          "gray8 -> uint8 [1, 1, H, W] is the bytes themselves");
}

/* BT.601 full range, written out here */
static void yuv_ref(int Y, int U, int V, float out[3]) {
    float r = Y + 1.402f * (V - 128), g = Y - 0.344136f * (U - 128) - 0.714136f * (V - 128), b = Y + 1.772f * (U - 128);
    out[0] = r < 0 ? 0 : r > 255 ? 255 : r, out[1] = g < 0 ? 0 : g > 255 ? 255 : g, out[2] = b < 0 ? 0 : b > 255 ? 255 : b;
}

static void test_yuv(void) {
    enum { W = 7, H = 5, W2 = 4, H2 = 3, S = 8 }; /* odd sizes: chroma rounds up; Y stride 8 */
    uint8_t Y[S * H], U[W2 * H2], V[W2 * H2];
    for (int i = 0; i < S * H; i++) Y[i] = (uint8_t)(i * 37 + 11);
    for (int i = 0; i < W2 * H2; i++) U[i] = (uint8_t)(i * 53 + 90), V[i] = (uint8_t)(250 - i * 41);
    uint8_t nv21[S * H + S * H2], nv12[S * H + S * H2], i420[S * H + 2 * (S / 2) * H2], vu[S * H2];
    memset(nv21, 0, sizeof nv21), memset(nv12, 0, sizeof nv12), memset(i420, 0, sizeof i420);
    memcpy(nv21, Y, sizeof Y), memcpy(nv12, Y, sizeof Y), memcpy(i420, Y, sizeof Y);
    for (int y = 0; y < H2; y++)
        for (int x = 0; x < W2; x++) {
            nv21[S * H + y * S + 2 * x] = V[y * W2 + x], nv21[S * H + y * S + 2 * x + 1] = U[y * W2 + x];
            nv12[S * H + y * S + 2 * x] = U[y * W2 + x], nv12[S * H + y * S + 2 * x + 1] = V[y * W2 + x];
            i420[S * H + y * (S / 2) + x] = U[y * W2 + x];
            i420[S * H + (S / 2) * H2 + y * (S / 2) + x] = V[y * W2 + x];
        }
    memcpy(vu, nv21 + S * H, sizeof vu);
    float ref[3 * W * H], got[3 * W * H];
    pv_image img;
    pv_image_init(&img);
    img.width = W, img.height = H, img.stride = S;
    img.format = PV_NV21, img.data = nv21, img.size = sizeof nv21;
    CHECK(identity(&img, W, H, ref) == PETITE_OK, "nv21: %s", pv_last_error());
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float want[3];
            yuv_ref(Y[y * S + x], U[(y / 2) * W2 + x / 2], V[(y / 2) * W2 + x / 2], want);
            for (int c = 0; c < 3; c++) bad += fabsf(ref[(c * H + y) * W + x] * 255.0f - want[c]) > 1e-3f;
        }
    CHECK(bad == 0, "nv21 against the BT.601 formula: %d wrong", bad);
    img.format = PV_NV12, img.data = nv12, img.size = sizeof nv12;
    CHECK(identity(&img, W, H, got) == PETITE_OK && memcmp(got, ref, sizeof ref) == 0, "nv12 differs from nv21");
    img.format = PV_I420, img.data = i420, img.size = sizeof i420;
    CHECK(identity(&img, W, H, got) == PETITE_OK && memcmp(got, ref, sizeof ref) == 0, "i420 differs from nv21");
    /* YUV_420_888 with pixel stride 2 (the NV21 planes, as Android hands them) */
    img.format = PV_YUV420, img.data = Y, img.size = sizeof Y, img.u = vu + 1, img.v = vu, img.uv_stride = S,
    img.uv_pixel_stride = 2, img.uv_size = sizeof vu - 1;
    CHECK(identity(&img, W, H, got) == PETITE_OK && memcmp(got, ref, sizeof ref) == 0, "yuv420 planes differ: %s",
          pv_last_error());
    /* too short a buffer is refused by name */
    img.format = PV_NV21, img.data = nv21, img.size = sizeof nv21 - 1;
    CHECK(identity(&img, W, H, got) == PETITE_ERR_INVALID_ARGUMENT && strstr(pv_last_error(), "pv_image.size"),
          "short nv21 buffer: %s", pv_last_error());
}

/* issue 19: every camera format at odd and even widths and heights, packed (stride 0) and with padded
 * rows, against yuv_ref per pixel. NV21 / NV12 of an odd width were read with the Y stride as their
 * chroma row stride (one byte short per row: off by up to 2.6 after normalization). */
static int yuv_case(const pv_image *img, int W, int H, const uint8_t *Y, const uint8_t *U, const uint8_t *V, float *got,
                    const char *what) {
    if (identity(img, W, H, got) != PETITE_OK) {
        fprintf(stderr, "  %s %dx%d: %s\n", what, W, H, pv_last_error());
        return 1;
    }
    const int W2 = (W + 1) / 2;
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float want[3];
            yuv_ref(Y[y * W + x], U[(y / 2) * W2 + x / 2], V[(y / 2) * W2 + x / 2], want);
            for (int c = 0; c < 3; c++) bad += fabsf(got[(c * H + y) * W + x] * 255.0f - want[c]) > 1e-3f;
        }
    if (bad) fprintf(stderr, "  %s %dx%d: %d values wrong\n", what, W, H, bad);
    return bad != 0;
}

static void test_yuv_odd_sizes(void) {
    static const int sizes[][2] = {{7, 5}, {7, 6}, {8, 5}, {1, 1}, {13, 3}, {6, 4}, {3, 7}};
    enum { MAXW = 13, MAXH = 7, PAD = 3 };
    uint8_t Y[MAXW * MAXH], U[MAXW * MAXH], V[MAXW * MAXH];
    uint8_t buf[4 * (MAXW + PAD) * (MAXH + PAD)], up[(MAXW + PAD) * MAXH], vp[(MAXW + PAD) * MAXH];
    float got[3 * MAXW * MAXH];
    uint32_t seed = 7;
    int failures = 0, cases = 0;
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        const int W = sizes[t][0], H = sizes[t][1], W2 = (W + 1) / 2, H2 = (H + 1) / 2;
        for (int i = 0; i < W * H; i++) Y[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
        for (int i = 0; i < W2 * H2; i++) {
            U[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
            V[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
        }
        for (int pad = 0; pad <= PAD; pad += PAD) {
            const int ys = W + pad, cs = 2 * W2 + pad, is = W2 + pad; /* Y, interleaved chroma, I420 chroma rows */
            for (int f = 0; f < 3; f++) { /* NV21, NV12, I420 in one buffer */
                memset(buf, 0xEE, sizeof buf);
                for (int y = 0; y < H; y++) memcpy(buf + y * ys, Y + y * W, (size_t)W);
                uint8_t *c = buf + ys * H;
                for (int y = 0; y < H2; y++)
                    for (int x = 0; x < W2; x++) {
                        const uint8_t u = U[y * W2 + x], v = V[y * W2 + x];
                        if (f == 0) c[y * cs + 2 * x] = v, c[y * cs + 2 * x + 1] = u;
                        else if (f == 1) c[y * cs + 2 * x] = u, c[y * cs + 2 * x + 1] = v;
                        else c[y * is + x] = u, c[is * H2 + y * is + x] = v;
                    }
                pv_image img;
                pv_image_init(&img);
                img.format = f == 0 ? PV_NV21 : f == 1 ? PV_NV12 : PV_I420;
                img.width = W, img.height = H, img.data = buf;
                const int crow = f < 2 ? cs : is;
                /* exactly the bytes the layout needs: the last chroma row unpadded */
                img.size = (uint64_t)(ys * H + (f < 2 ? cs * (H2 - 1) + 2 * W2 : is * H2 + is * (H2 - 1) + W2));
                if (pad) img.stride = ys, img.uv_stride = crow;
                char what[64];
                snprintf(what, sizeof what, "%s%s", f == 0 ? "nv21" : f == 1 ? "nv12" : "i420", pad ? " padded" : " packed");
                failures += yuv_case(&img, W, H, Y, U, V, got, what), cases++;
                img.size--; /* one byte short: refused by name */
                if (identity(&img, W, H, got) != PETITE_ERR_INVALID_ARGUMENT || !strstr(pv_last_error(), "pv_image.size"))
                    fprintf(stderr, "  %s %dx%d: a buffer one byte short: %s\n", what, W, H, pv_last_error()), failures++;
                if (f < 2) { /* YUV_420_888 with pixel stride 2 over the same interleaved plane (Android) */
                    pv_image p2 = img;
                    p2.format = PV_YUV420, p2.size = (uint64_t)(ys * (H - 1) + W), p2.stride = ys;
                    p2.u = f == 0 ? c + 1 : c, p2.v = f == 0 ? c : c + 1;
                    p2.uv_stride = cs, p2.uv_pixel_stride = 2, p2.uv_size = (uint64_t)(cs * (H2 - 1) + 2 * W2 - 1);
                    snprintf(what, sizeof what, "yuv420 pixel stride 2%s", pad ? " padded" : "");
                    failures += yuv_case(&p2, W, H, Y, U, V, got, what), cases++;
                }
            }
            /* YUV_420_888 with pixel stride 1: three separate planes */
            memset(up, 0xEE, sizeof up), memset(vp, 0xEE, sizeof vp);
            for (int y = 0; y < H2; y++) memcpy(up + y * is, U + y * W2, (size_t)W2), memcpy(vp + y * is, V + y * W2, (size_t)W2);
            pv_image p1;
            pv_image_init(&p1);
            p1.format = PV_YUV420, p1.width = W, p1.height = H, p1.data = Y, p1.size = (uint64_t)(W * H);
            p1.u = up, p1.v = vp, p1.uv_stride = is, p1.uv_pixel_stride = 1, p1.uv_size = (uint64_t)(is * (H2 - 1) + W2);
            failures += yuv_case(&p1, W, H, Y, U, V, got, pad ? "yuv420 pixel stride 1 padded" : "yuv420 pixel stride 1"),
                cases++;
        }
    }
    CHECK(failures == 0, "camera formats at odd sizes against BT.601 here: %d of %d cases wrong", failures, cases);
    /* an explicit chroma stride shorter than a chroma row is refused by name */
    pv_image img;
    pv_image_init(&img);
    img.format = PV_NV12, img.width = 7, img.height = 5, img.data = buf, img.uv_stride = 7;
    CHECK(identity(&img, 7, 5, got) == PETITE_ERR_INVALID_ARGUMENT && strstr(pv_last_error(), "uv_stride"),
          "nv12 uv_stride 7 for width 7 (8 needed): %s", pv_last_error());
    img.format = PV_I420, img.uv_stride = 3;
    CHECK(identity(&img, 7, 5, got) == PETITE_ERR_INVALID_ARGUMENT && strstr(pv_last_error(), "uv_stride"),
          "i420 uv_stride 3 for width 7 (4 needed): %s", pv_last_error());
}

static void test_geometry_and_errors(void) {
    enum { W = 40, H = 30 };
    uint8_t rgb[W * H * 3];
    for (int i = 0; i < W * H * 3; i++) rgb[i] = (uint8_t)(i * 7);
    pv_image img;
    pv_image_init(&img);
    img.width = W, img.height = H, img.data = rgb, img.size = sizeof rgb;
    pv_preprocess p;
    pv_preprocess_init(&p);
    p.width = p.height = 16;
    pv_transform tf;
    float out[3 * 16 * 16];
    /* center crop: shorter side 30 -> 18 (16 * 256 / 224), longer int(18 * 40 / 30) = 24; crop
     * offsets round((24 - 16) / 2) = 4 and round((18 - 16) / 2) = 1 */
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, &tf) == PETITE_OK, "crop: %s", pv_last_error());
    CHECK(fabsf(tf.scale_x - 24.0f / 40) < 1e-6f && fabsf(tf.scale_y - 18.0f / 30) < 1e-6f && tf.offset_x == -4 &&
              tf.offset_y == -1, "center crop transform %g %g %g %g", (double)tf.scale_x, (double)tf.scale_y,
          (double)tf.offset_x, (double)tf.offset_y);
    /* letterbox 40 x 30 into 16 x 16: r = 0.4, 16 x 12, offsets 0 and round(2 - 0.1) = 2; pad rows 114 */
    p.fit = PV_FIT_LETTERBOX;
    for (int c = 0; c < 3; c++) p.mean[c] = 0.0f, p.std[c] = 1.0f;
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, &tf) == PETITE_OK, "letterbox: %s", pv_last_error());
    CHECK(tf.scale_x == 0.4f && tf.scale_y == 0.4f && tf.offset_x == 0 && tf.offset_y == 2, "letterbox transform");
    CHECK(out[0] == 114.0f / 255.0f && out[14 * 16 + 3] == 114.0f / 255.0f && out[13 * 16 + 3] != 114.0f / 255.0f && out[2 * 16] != 114.0f / 255.0f,
          "letterbox padding rows 0-1 and 14-15");
    /* int8 output: q = round(v / scale) + zero point, clamped */
    p.fit = PV_FIT_STRETCH, p.dtype = PETITE_INT8, p.scale = 1.0f / 255.0f, p.zero_point = -128;
    int8_t q[3 * 16 * 16];
    CHECK(pv_preprocess_image(&img, &p, q, sizeof q, NULL) == PETITE_OK, "int8 out: %s", pv_last_error());
    p.dtype = PETITE_FLOAT32;
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, NULL) == PETITE_OK, "float out");
    int bad = 0;
    for (int i = 0; i < 3 * 256; i++) {
        float want = nearbyintf(out[i] * 255.0f) - 128.0f;
        want = want < -128 ? -128 : want > 127 ? 127 : want;
        bad += q[i] != (int8_t)want;
    }
    CHECK(bad == 0, "int8 output vs the float output quantized here: %d wrong", bad);
    /* NHWC is NCHW transposed */
    float nhwc[3 * 16 * 16];
    p.layout = PV_NHWC;
    CHECK(pv_preprocess_image(&img, &p, nhwc, sizeof nhwc, NULL) == PETITE_OK, "nhwc");
    bad = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 256; i++) bad += nhwc[i * 3 + c] != out[c * 256 + i];
    CHECK(bad == 0, "NHWC != NCHW transposed: %d", bad);
    /* refusals, each naming the field, nothing written */
    float keep = out[0];
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out - 4, NULL) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "bytes") && out[0] == keep, "wrong out_bytes: %s", pv_last_error());
    img.stride = 10;
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, NULL) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "stride"), "stride < row: %s", pv_last_error());
    img.stride = 0, img.rotation = 45;
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, NULL) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "rotation"), "rotation 45: %s", pv_last_error());
    img.rotation = 0, img.width = 0;
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, NULL) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "size"), "width 0: %s", pv_last_error());
    img.width = W, p.std[1] = 0.0f;
    CHECK(pv_preprocess_image(&img, &p, out, sizeof out, NULL) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "std"), "std 0: %s", pv_last_error());
    CHECK(pv_preprocess_image(NULL, &p, out, sizeof out, NULL) == PETITE_ERR_INVALID_ARGUMENT, "NULL image");
}

static void test_classify(void) {
    const float x[6] = {1.0f, 3.0f, 3.0f, -2.0f, NAN, 0.5f};
    pv_class top[6];
    uint32_t n = 0;
    CHECK(pv_topk(x, 6, 4, top, &n) == PETITE_OK && n == 4, "topk count");
    CHECK(top[0].class_id == 1 && top[1].class_id == 2 && top[2].class_id == 0 && top[3].class_id == 5,
          "topk order (ties: lower class first; NaN last): %d %d %d %d", top[0].class_id, top[1].class_id,
          top[2].class_id, top[3].class_id);
    CHECK(pv_topk(x, 6, 10, top, &n) == PETITE_OK && n == 6 && top[5].class_id == 4, "k > n: all, NaN last");
    /* issue 19: ranked on the logits, not on their float softmax (0 for all but the top one here, and
     * 100 / 100.001 one subnormal apart at most): the top 5 were 900, 0, 1, 2, 3 */
    static float logits[1000];
    logits[900] = 200.0f, logits[700] = 100.001f, logits[600] = 100.0f, logits[500] = 90.0f, logits[400] = 80.0f;
    pv_class cls[5];
    CHECK(pv_classify(logits, 1000, 5, cls, &n) == PETITE_OK && n == 5, "classify: %s", pv_last_error());
    CHECK(cls[0].class_id == 900 && cls[1].class_id == 700 && cls[2].class_id == 600 && cls[3].class_id == 500 &&
              cls[4].class_id == 400, "classify ranks on the logits: %d %d %d %d %d", cls[0].class_id, cls[1].class_id,
          cls[2].class_id, cls[3].class_id, cls[4].class_id);
    CHECK(cls[0].score == 1.0f && cls[1].score < 1e-40f && cls[4].score == 0.0f, "classify probabilities %g %g", (double)cls[0].score,
          (double)cls[1].score);
    const float l3[3] = {1.0f, 2.0f, 3.0f};
    CHECK(pv_classify(l3, 3, 3, cls, &n) == PETITE_OK && n == 3 && cls[0].class_id == 2 &&
              fabs(cls[0].score - 1.0 / (exp(-2.0) + exp(-1.0) + 1.0)) < 1e-7 &&
              fabs(cls[2].score - exp(-2.0) / (exp(-2.0) + exp(-1.0) + 1.0)) < 1e-7, "classify softmax values");
    n = 99;
    CHECK(pv_classify(l3, 3, 0, cls, &n) == PETITE_ERR_INVALID_ARGUMENT && n == 99 && strstr(pv_last_error(), "k is 0"),
          "classify k = 0: %s", pv_last_error());
    const float l[3] = {1.0f, 2.0f, 3.0f};
    float y[3];
    CHECK(pv_softmax(l, 3, y) == PETITE_OK, "softmax");
    const double e1 = exp(-2.0), e2 = exp(-1.0), s = e1 + e2 + 1.0;
    CHECK(fabs(y[0] - e1 / s) < 1e-7 && fabs(y[1] - e2 / s) < 1e-7 && fabs(y[2] - 1.0 / s) < 1e-7, "softmax values");
    pv_labels *lab = NULL;
    const char *text = "cat\r\ndog\nbird\n";
    CHECK(pv_labels_parse(text, strlen(text), 3, &lab) == PETITE_OK && pv_labels_count(lab) == 3 &&
              strcmp(pv_labels_get(lab, 0), "cat") == 0 && strcmp(pv_labels_get(lab, 2), "bird") == 0 &&
              pv_labels_get(lab, 3) == NULL, "labels: %s", pv_last_error());
    pv_labels_free(lab);
    lab = (pv_labels *)1;
    CHECK(pv_labels_parse(text, strlen(text), 1000, &lab) == PETITE_ERR_INVALID_ARGUMENT && lab == NULL &&
              strstr(pv_last_error(), "3 lines") && strstr(pv_last_error(), "1000"), "labels count: %s", pv_last_error());
    CHECK(pv_labels_load("/nonexistent/labels.txt", 0, &lab) == PETITE_ERR_NOT_FOUND, "missing labels file");
}

static void test_detect(void) {
    /* YOLOv8 [1, 4 + 2, 8]: boxes 0 and 1 overlap (class 0), box 2 overlaps 0 but is class 1, box 3 is
     * under the threshold, boxes 4-7 score 0 */
    const int N = 8;
    float v8[6 * 8] = {
        50, 52, 150, 20, 1, 1, 1, 1,             /* cx */
        50, 51, 50, 10, 1, 1, 1, 1,              /* cy */
        40, 40, 40, 8, 1, 1, 1, 1,               /* w */
        40, 40, 40, 8, 1, 1, 1, 1,               /* h */
        0.9f, 0.8f, 0.1f, 0.1f, 0, 0, 0, 0,      /* class 0 */
        0.1f, 0.1f, 0.7f, 0.2f, 0, 0, 0, 0,      /* class 1 */
    };
    const int64_t shape[3] = {1, 6, 8};
    const float *outs[1] = {v8};
    const int64_t *shapes[1] = {shape};
    const int32_t ranks[1] = {3};
    pv_detect_params p;
    pv_detect_params_init(&p);
    pv_detection d[8];
    uint32_t n = 0;
    CHECK(pv_detect(outs, shapes, ranks, 1, NULL, 0, &p, NULL, d, 8, &n) == PETITE_OK, "yolov8: %s", pv_last_error());
    CHECK(n == 2 && d[0].class_id == 0 && fabsf(d[0].score - 0.9f) < 1e-6f && d[0].x1 == 30 && d[0].y1 == 30 &&
              d[0].x2 == 70 && d[0].y2 == 70 && d[1].class_id == 1 && d[1].x1 == 130,
          "yolov8 decode + class-aware NMS: %u detections", n);
    /* a transform maps back: letterbox scale 0.5, offset (0, 10) */
    pv_transform tf = {sizeof tf, 0.5f, 0.5f, 0.0f, 10.0f, 400, 300};
    CHECK(pv_detect(outs, shapes, ranks, 1, NULL, 0, &p, &tf, d, 8, &n) == PETITE_OK && n == 2 && d[0].x1 == 60 &&
              d[0].y1 == 40 && d[0].x2 == 140 && d[0].y2 == 120, "mapped back through the transform");
    /* YOLOv5 [1, 8, 5 + 2]: the same boxes, objectness 1 (0 for the empty ones) */
    float v5[8 * 7];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 4; k++) v5[i * 7 + k] = v8[k * N + i];
        v5[i * 7 + 4] = i < 4 ? 1.0f : 0.0f, v5[i * 7 + 5] = v8[4 * N + i], v5[i * 7 + 6] = v8[5 * N + i];
    }
    const int64_t shape5[3] = {1, 8, 7};
    const float *outs5[1] = {v5};
    const int64_t *shapes5[1] = {shape5};
    p.format = PV_YOLOV5;
    CHECK(pv_detect(outs5, shapes5, ranks, 1, NULL, 0, &p, NULL, d, 8, &n) == PETITE_OK && n == 2 && d[0].x1 == 30 &&
              d[1].class_id == 1, "yolov5: %u", n);
    p.agnostic = 1; /* class-agnostic: box 2 (x 130..170) does not overlap box 0 either: still 2 */
    CHECK(pv_detect(outs5, shapes5, ranks, 1, NULL, 0, &p, NULL, d, 8, &n) == PETITE_OK && n == 2, "agnostic");
    p.agnostic = 0;
    /* shape errors name the mismatch: read as yolov5, [1, 6, 8] would be 6 boxes of 8 values (fewer boxes
     * than values per box: refused),
     * and a yolov5 output [1, 8, 7] (more boxes than values) is no yolov8 one */
    CHECK(pv_detect(outs, shapes, ranks, 1, NULL, 0, &p, NULL, d, 8, &n) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "yolov5"), "a [1, 6, 8] output as yolov5: %s", pv_last_error());
    p.format = PV_YOLOV8;
    CHECK(pv_detect(outs5, shapes5, ranks, 1, NULL, 0, &p, NULL, d, 8, &n) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "yolov8"), "a [1, 8, 7] output as yolov8: %s", pv_last_error());
    p.format = PV_YOLOV5;
    /* SSD: one anchor (cy, cx, h, w) = (0.5, 0.5, 0.2, 0.4), zero deltas, scores as logits */
    const float deltas[4] = {0, 0, 0, 0}, logits[3] = {5.0f, -1.0f, 2.0f}, anchors[4] = {0.5f, 0.5f, 0.2f, 0.4f};
    const int64_t sd[3] = {1, 1, 4}, ss[3] = {1, 1, 3};
    const float *so[2] = {deltas, logits};
    const int64_t *ssh[2] = {sd, ss};
    const int32_t sr[2] = {3, 3};
    p.format = PV_SSD, p.input_width = 300, p.input_height = 300;
    CHECK(pv_detect(so, ssh, sr, 2, anchors, 1, &p, NULL, d, 8, &n) == PETITE_OK && n == 1 && d[0].class_id == 2 &&
              fabsf(d[0].x1 - 90) < 1e-3f && fabsf(d[0].x2 - 210) < 1e-3f && fabsf(d[0].y1 - 120) < 1e-3f &&
              fabsf(d[0].score - 1.0f / (1.0f + expf(-2.0f))) < 1e-6f,
          "ssd: background skipped, class 2, box from the anchor: %s", pv_last_error());
    CHECK(pv_detect(so, ssh, sr, 2, anchors, 0, &p, NULL, d, 8, &n) == PETITE_ERR_INVALID_ARGUMENT &&
              strstr(pv_last_error(), "anchors"), "ssd without anchors: %s", pv_last_error());
    /* NMS alone: ties keep the lower index; a zero-area box is never suppressed */
    const float boxes[4 * 4] = {0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 11, 11, 5, 5, 5, 5};
    const float scores[4] = {0.5f, 0.5f, 0.9f, 0.95f};
    uint32_t keep[4], k = 0;
    CHECK(pv_nms(boxes, scores, NULL, 4, 0.5f, keep, 4, &k) == PETITE_OK && k == 2 && keep[0] == 3 && keep[1] == 2,
          "nms: %u kept", k);
    const float scores2[4] = {0.5f, 0.5f, 0.1f, 0.0f};
    CHECK(pv_nms(boxes, scores2, NULL, 4, 0.5f, keep, 4, &k) == PETITE_OK && k == 2 && keep[0] == 0 && keep[1] == 3,
          "nms ties: the lower index first (%u: %u %u)", k, keep[0], keep[1]);
}

/* issue 19: k = 0 read out[UINT32_MAX]; labels files sized by a cap enforced at the cap stated; a NaN
 * pad_value (undefined float -> int conversion) and a subnormal std (every value inf, NaN scores) */
static void test_refusals(void) {
    const float x[3] = {0.1f, 0.7f, 0.2f};
    pv_class top[1] = {{-7, -7.0f}};
    uint32_t n = 99;
    CHECK(pv_topk(x, 3, 0, top, &n) == PETITE_ERR_INVALID_ARGUMENT && strstr(pv_last_error(), "k is 0") && n == 99 &&
              top[0].class_id == -7, "topk k = 0 refused, nothing written: %s", pv_last_error());
    CHECK(pv_topk(x, 0, 1, top, &n) == PETITE_ERR_INVALID_ARGUMENT && n == 99, "topk of no scores refused");
    /* labels: PV_LABELS_MAX lines + 1 refused before the line table is allocated; the byte cap is the one the
     * message states: a file of exactly PV_LABELS_MAX_BYTES loads, one byte more does not */
    const size_t big = PV_LABELS_MAX_BYTES + 1;
    char *text = malloc(big);
    pv_labels *lab = NULL;
    if (text) {
        memset(text, '\n', (size_t)PV_LABELS_MAX + 1);
        CHECK(pv_labels_parse(text, (size_t)PV_LABELS_MAX + 1, 0, &lab) == PETITE_ERR_INVALID_ARGUMENT && !lab &&
                  strstr(pv_last_error(), "at most"), "more lines than PV_LABELS_MAX: %s", pv_last_error());
        for (size_t i = 0; i < big; i++) text[i] = i % 32 == 31 ? '\n' : 'a'; /* 32-byte lines: under the line cap */
        char path[] = "/tmp/petite_labels_XXXXXX";
        FILE *f = NULL;
        const int fd = mkstemp(path);
        if (fd >= 0) f = fdopen(fd, "wb");
        CHECK(f && fwrite(text, 1, PV_LABELS_MAX_BYTES, f) == PV_LABELS_MAX_BYTES && fclose(f) == 0, "write %s", path);
        CHECK(pv_labels_load(path, 0, &lab) == PETITE_OK && pv_labels_count(lab) == PV_LABELS_MAX_BYTES / 32,
              "a labels file of exactly the cap: %s", pv_last_error());
        pv_labels_free(lab), lab = NULL;
        f = fopen(path, "ab");
        CHECK(f && fputc('a', f) == 'a' && fclose(f) == 0, "append");
        char cap_text[32];
        snprintf(cap_text, sizeof cap_text, "%u MiB", (unsigned)(PV_LABELS_MAX_BYTES >> 20));
        CHECK(pv_labels_load(path, 0, &lab) == PETITE_ERR_INVALID_ARGUMENT && !lab && strstr(pv_last_error(), cap_text),
              "one byte over the cap refused, the cap named (%s): %s", cap_text, pv_last_error());
        remove(path);
        free(text);
    }
    /* preprocessing: NaN / inf pad_value, subnormal / zero std refused, the output untouched */
    uint8_t rgb[4 * 2 * 3];
    memset(rgb, 100, sizeof rgb);
    pv_image img;
    pv_image_init(&img);
    img.width = 4, img.height = 2, img.data = rgb;
    pv_preprocess p;
    pv_preprocess_init(&p);
    p.width = p.height = 4, p.fit = PV_FIT_LETTERBOX, p.dtype = PETITE_UINT8, p.scale = 1.0f / 255.0f;
    uint8_t q[3 * 4 * 4];
    const float bad_pad[2] = {NAN, INFINITY};
    for (int k = 0; k < 2; k++) {
        memset(q, 0xAB, sizeof q);
        p.pad_value = bad_pad[k];
        CHECK(pv_preprocess_image(&img, &p, q, sizeof q, NULL) == PETITE_ERR_INVALID_ARGUMENT &&
                  strstr(pv_last_error(), "pad_value") && q[0] == 0xAB, "pad_value %g: %s", (double)bad_pad[k], pv_last_error());
    }
    pv_preprocess_init(&p);
    p.width = p.height = 4;
    float fo[3 * 4 * 4];
    p.std[1] = 1e-45f; /* subnormal */
    CHECK(pv_preprocess_image(&img, &p, fo, sizeof fo, NULL) == PETITE_ERR_INVALID_ARGUMENT && strstr(pv_last_error(), "std[1]"),
          "subnormal std: %s", pv_last_error());
    p.std[1] = 0.2f;
    CHECK(pv_preprocess_image(&img, &p, fo, sizeof fo, NULL) == PETITE_OK, "normal std: %s", pv_last_error());
}

/* the NMS as it was (every candidate against every kept box before it): the reference for the grids */
static int ref_overlaps(const float *a, const float *b, float thr) {
    const float iw = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), ih = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    const float inter = (iw > 0.0f ? iw : 0.0f) * (ih > 0.0f ? ih : 0.0f);
    const float ua = (a[2] - a[0]) * (a[3] - a[1]), ub = (b[2] - b[0]) * (b[3] - b[1]);
    return inter / (ua + ub - inter) > thr;
}

static int by_score_desc(const void *a, const void *b, const float *scores) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (scores[x] != scores[y]) return scores[x] > scores[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}
static const float *sort_scores;
static int by_score_q(const void *a, const void *b) { return by_score_desc(a, b, sort_scores); }

static uint32_t ref_nms(const float *boxes, const float *scores, const int32_t *cls, uint32_t n, float iou, uint32_t *keep,
                        uint32_t cap) {
    uint32_t *o = malloc(n * sizeof *o), m = 0, k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(scores[i])) o[m++] = i;
    sort_scores = scores;
    qsort(o, m, sizeof *o, by_score_q);
    for (uint32_t a = 0; a < m && k < cap; a++) {
        int drop = 0;
        for (uint32_t q = 0; q < k && !drop; q++)
            drop = (!cls || cls[keep[q]] == cls[o[a]]) && ref_overlaps(boxes + 4 * keep[q], boxes + 4 * o[a], iou);
        if (!drop) keep[k++] = o[a];
    }
    free(o);
    return k;
}

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }
static float unif(uint32_t *s) { return (float)(lcg(s) >> 8) / 16777216.0f; }

/* issue 19: pv_nms was O(n x kept) (1e5 disjoint boxes: 269 s). The grids must give the plain loop's
 * answer exactly: boxes of every size (1e-3 .. 1e5), clusters, duplicates, NaN / inf / empty /
 * inverted boxes, huge coordinates, 1 to 50 classes, iou 0 .. 1, small caps. */
static void test_nms_fast(void) {
    uint32_t seed = 12345;
    const float ious[6] = {0.0f, 0.3f, 0.45f, 0.7f, 0.95f, 1.0f};
    int bad = 0, runs = 0;
    for (int round = 0; round < 36; round++) {
        const uint32_t n = 50 + lcg(&seed) % 3000;
        float *b = malloc((size_t)n * 4 * sizeof *b), *sc = malloc(n * sizeof *sc);
        int32_t *cl = malloc(n * sizeof *cl);
        uint32_t *k1 = malloc(n * sizeof *k1), *k2 = malloc(n * sizeof *k2);
        const int ncls = 1 + (int)(lcg(&seed) % 50);
        for (uint32_t i = 0; i < n; i++) {
            const float scale = powf(10.0f, -3.0f + 8.0f * unif(&seed)), range = round % 3 == 0 ? 100.0f : 5000.0f;
            float x = range * unif(&seed), y = range * unif(&seed), w = scale * unif(&seed), h = scale * (0.2f + unif(&seed));
            if (i > 0 && lcg(&seed) % 4 == 0) { /* a near copy of an earlier box */
                const uint32_t j = lcg(&seed) % i;
                x = b[4 * j] + 0.1f * unif(&seed), y = b[4 * j + 1], w = b[4 * j + 2] - b[4 * j], h = b[4 * j + 3] - b[4 * j + 1];
            }
            b[4 * i] = x, b[4 * i + 1] = y, b[4 * i + 2] = x + w, b[4 * i + 3] = y + h;
            switch (lcg(&seed) % 64) { /* odd boxes */
            case 0: b[4 * i + 2] = NAN; break;
            case 1: b[4 * i] = -INFINITY; break;
            case 2: b[4 * i + 2] = b[4 * i]; break;                          /* empty */
            case 3: b[4 * i + 2] = b[4 * i] - 5.0f; break;                   /* inverted */
            case 4: for (int c = 0; c < 4; c++) b[4 * i + c] = 3e38f * (c < 2 ? -1.0f : 1.0f); break; /* area inf */
            case 5: for (int c = 0; c < 4; c++) b[4 * i + c] += 1e30f; break;                          /* far away */
            default: break;
            }
            sc[i] = lcg(&seed) % 16 == 0 ? 0.5f : unif(&seed); /* ties too */
            if (lcg(&seed) % 97 == 0) sc[i] = NAN;
            cl[i] = (int32_t)(lcg(&seed) % (uint32_t)ncls);
        }
        for (int t = 0; t < 6; t++)
            for (int agn = 0; agn < 2; agn++) {
                const uint32_t cap = round % 4 == 1 ? 1 + n / 10 : n;
                uint32_t c1 = 0;
                const uint32_t c2 = ref_nms(b, sc, agn ? NULL : cl, n, ious[t], k2, cap);
                const petite_status st = pv_nms(b, sc, agn ? NULL : cl, n, ious[t], k1, cap, &c1);
                runs++;
                if (st != PETITE_OK || c1 != c2 || memcmp(k1, k2, c1 * sizeof *k1) != 0) {
                    if (bad++ < 3)
                        printf("nms round %d n %u iou %g agnostic %d: %u kept, the plain loop %u\n", round, n,
                               (double)ious[t], agn, c1, c2);
                }
            }
        free(b), free(sc), free(cl), free(k1), free(k2);
    }
    CHECK(bad == 0, "nms through the grids equals the plain loop: %d of %d runs differ", bad, runs);
    /* 1e5 disjoint boxes (all kept): 269 s before; now well under a second (checked against 5 s) */
    const uint32_t n = 100000;
    float *b = malloc((size_t)n * 4 * sizeof *b), *sc = malloc(n * sizeof *sc);
    uint32_t *keep = malloc(n * sizeof *keep), cnt = 0;
    for (uint32_t i = 0; i < n; i++) {
        const float x = (float)(i % 316) * 10.0f, y = (float)(i / 316) * 10.0f;
        b[4 * i] = x, b[4 * i + 1] = y, b[4 * i + 2] = x + 8.0f, b[4 * i + 3] = y + 8.0f;
        sc[i] = (float)((i * 7919u) % n) / (float)n;
    }
    const clock_t t0 = clock();
    const petite_status st = pv_nms(b, sc, NULL, n, 0.45f, keep, n, &cnt);
    const double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("nms: 1e5 disjoint boxes in %.3f s\n", secs);
    CHECK(st == PETITE_OK && cnt == n && secs < 5.0, "1e5 disjoint boxes: %u kept in %.1f s", cnt, secs);
    free(b), free(sc), free(keep);
}

int main(void) {
    test_formats_and_rotation();
    test_yuv();
    test_yuv_odd_sizes();
    test_geometry_and_errors();
    test_classify();
    test_detect();
    test_refusals();
    test_nms_fast();
    return check_done("vision");
}
