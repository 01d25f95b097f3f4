/* petite_vision.h — what the apps around a model need: camera and image pixels into a model's input
 * tensor, and a model's outputs into answers (top-K classes with labels, detection boxes in the
 * original image's pixels). A library beside the runtime (libpetite_vision), not inside it: it does
 * not decode image files (the CLI does) and does not need a loaded model.
 *
 * Shaped for FFI like petite.h: plain structs of fixed-width fields passed by pointer (set
 * struct_size, or call the *_init function), a petite_status from every call, the message of the
 * last failure on this thread from pv_last_error(). A refused call writes nothing.
 *
 * Coordinates: an image is made upright first (rotation, then mirroring); everything after that
 * (crops, letterbox, boxes) is in upright pixels, x to the right, y down, pixel centers at +0.5. */
#ifndef PETITE_VISION_H
#define PETITE_VISION_H

#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(PETITE_SHARED)
#  ifdef PETITE_VISION_BUILDING
#    define PV_API __declspec(dllexport)
#  else
#    define PV_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define PV_API __attribute__((visibility("default")))
#else
#  define PV_API
#endif

/* The message of this thread's last failed call ("" if none). */
PV_API const char *pv_last_error(void);

/* ---- images ---------------------------------------------------------------------------------- */

typedef enum pv_format {
    PV_RGB8 = 1,   /* 3 bytes per pixel, R G B */
    PV_RGBA8 = 2,  /* 4 bytes, R G B A (alpha ignored) */
    PV_BGRA8 = 3,  /* 4 bytes, B G R A (iOS camera frames) */
    PV_BGR8 = 4,   /* 3 bytes, B G R */
    PV_GRAY8 = 5,  /* 1 byte */
    PV_NV21 = 6,   /* YUV 4:2:0: Y plane, then V U interleaved (Android camera) */
    PV_NV12 = 7,   /* YUV 4:2:0: Y plane, then U V interleaved */
    PV_I420 = 8,   /* YUV 4:2:0: Y, U, V planes */
    PV_YUV420 = 9  /* YUV 4:2:0 as three planes with their own row and pixel strides (Android
                      YUV_420_888: u and v given, uv_pixel_stride 1 or 2) */
} pv_format;

typedef enum pv_yuv_range {
    PV_YUV_FULL = 0,  /* BT.601 full range (JPEG / JFIF, Android camera frames) */
    PV_YUV_VIDEO = 1  /* BT.601 limited range (Y 16..235, chroma 16..240) */
} pv_yuv_range;

typedef struct pv_image {
    uint32_t struct_size;
    int32_t format;          /* pv_format */
    int32_t width, height;   /* as stored, before rotation; YUV: even or odd (chroma rounds up: a chroma
                                plane is (width + 1) / 2 x (height + 1) / 2 samples) */
    const uint8_t *data;     /* the first row (YUV: the Y plane; NV21 / NV12 / I420: the whole buffer,
                                chroma right after height rows of Y) */
    int32_t stride;          /* bytes from one row to the next (Y plane for YUV); 0: packed rows */
    const uint8_t *u, *v;    /* PV_YUV420 only: the chroma planes */
    int32_t uv_stride;       /* bytes from one chroma row to the next.
                                PV_YUV420: required, at least (w2 - 1) * uv_pixel_stride + 1.
                                PV_NV21 / PV_NV12: the interleaved V U / U V plane's rows; 0: the larger of
                                the Y row stride and (width + 1) / 2 * 2 (packed rows, stride 0: the
                                plane is (width + 1) / 2 * 2 bytes wide, also for an odd width; a padded
                                Y stride is shared by the chroma plane, as V4L2 lays it out).
                                PV_I420: the U and V planes' rows; 0: (Y row stride + 1) / 2; V starts
                                (height + 1) / 2 chroma rows after U.
                                Given explicitly it must hold a chroma row (w2 * 2, or w2 for I420). */
    int32_t uv_pixel_stride; /* PV_YUV420: bytes between chroma samples of a row (1 or 2) */
    int32_t yuv_range;       /* pv_yuv_range */
    int32_t rotation;        /* clockwise degrees that make the image upright: 0, 90, 180, 270 */
    int32_t mirror;          /* 1: flip left-right after rotating (front cameras) */
    uint64_t size;           /* bytes readable from data (0: trust width, height and strides); the
                                planes of PV_YUV420 are checked against uv_size. With w2 = (width + 1) / 2,
                                h2 = (height + 1) / 2 and the strides above, NV21 / NV12 need
                                stride * height + uv_stride * (h2 - 1) + 2 * w2 bytes, I420
                                stride * height + uv_stride * (2 * h2 - 1) + w2 (the last row unpadded) */
    uint64_t uv_size;        /* PV_YUV420: bytes readable from u and from v (0: trust) */
} pv_image;
PV_API void pv_image_init(pv_image *img);

/* Upright size (after rotation). */
PV_API petite_status pv_image_upright_size(const pv_image *img, int32_t *width, int32_t *height);

/* ---- into a model's input -------------------------------------------------------------------- */

typedef enum pv_fit {
    PV_FIT_STRETCH = 0,     /* resize to the output size, aspect not kept */
    PV_FIT_CENTER_CROP = 1, /* resize the shorter side to resize_short (aspect kept), crop the center */
    PV_FIT_LETTERBOX = 2    /* scale to fit inside (aspect kept), center, pad with pad_value */
} pv_fit;

typedef enum pv_interp {
    PV_BILINEAR = 0,    /* half-pixel centers, edge-clamped, no antialiasing: torchvision Resize on a
                           tensor with antialias=False, F.interpolate(mode="bilinear"), OpenCV's
                           INTER_LINEAR (Ultralytics' letterbox). Shrinking by more than 2 skips pixels */
    PV_AREA = 1,        /* the mean of each output pixel's source cells (PyTorch's "area"; for shrinking) */
    PV_BILINEAR_AA = 2  /* antialiased bilinear (the default): a triangle filter whose support is widened
                           by the shrink factor (support max(in / out, 1) source pixels each side of the
                           output pixel's center (i + 0.5) * in / out, weights 1 - |d| / support,
                           normalized over the pixels inside the image). PIL's Image.resize(BILINEAR),
                           so torchvision's Resize on a PIL image (the usual training recipe), and
                           Resize(antialias=True) on a tensor. PIL rounds to uint8 after each of its two
                           passes: against it values differ by at most about 1 / 255 of the pixel range.
                           Enlarging: the same numbers as PV_BILINEAR. It reads every source pixel
                           under the crop about twice (224 x 224 from a 12 MP photo: 0.14 s RGB8,
                           0.7 s NV21 on one x86-64 core, against 8 ms for PV_BILINEAR): a live
                           camera preview may prefer PV_BILINEAR or a smaller frame */
} pv_interp;

typedef enum pv_layout { PV_NCHW = 0, PV_NHWC = 1 } pv_layout;

typedef struct pv_preprocess {
    uint32_t struct_size;
    int32_t width, height;   /* the model input's spatial size */
    int32_t fit;             /* pv_fit */
    int32_t resize_short;    /* PV_FIT_CENTER_CROP: the shorter side's size before cropping (0: the
                                crop's shorter side x 256 / 224, torchvision's classification recipe) */
    int32_t interp;          /* pv_interp (PV_BILINEAR_AA by default) */
    float pad_value;         /* PV_FIT_LETTERBOX: the padding's pixel value (0..255), 114 by default;
                                finite */
    int32_t layout;          /* pv_layout */
    int32_t dtype;           /* PETITE_FLOAT32, PETITE_UINT8 or PETITE_INT8 */
    int32_t channels;        /* 3 (color) or 1 (gray: 0.299 R + 0.587 G + 0.114 B) */
    int32_t bgr;             /* 1: channel order B, G, R */
    float mean[3], std[3];   /* per channel on pixel / 255: v = (pixel / 255 - mean) / std; mean finite,
                                std a normal float (not 0, subnormal, inf or NaN) */
    float scale;             /* integer outputs: q = clamp(round(v / scale) + zero_point) (ties to even) */
    int32_t zero_point;
} pv_preprocess;
/* RGB, NCHW, float32, center crop 224 x 224 after a 256 resize, antialiased bilinear, ImageNet mean and
 * std: torchvision's Compose([Resize(256), CenterCrop(224), ToTensor(), Normalize(mean, std)]) on a PIL
 * image. YOLO letterboxing (Ultralytics resizes with OpenCV): set interp = PV_BILINEAR, fit =
 * PV_FIT_LETTERBOX, mean 0, std 1, and the model's size. */
PV_API void pv_preprocess_init(pv_preprocess *p);

/* Where the model input came from, to map points back: upright_x = (input_x - offset_x) / scale_x. */
typedef struct pv_transform {
    uint32_t struct_size;
    float scale_x, scale_y;
    float offset_x, offset_y;
    int32_t upright_width, upright_height; /* the original image after rotation */
} pv_transform;

/* Write one image as a [1, C, H, W] or [1, H, W, C] tensor of p->dtype into out (out_bytes must be
 * exactly its size); tf (may be NULL) receives the mapping back to the upright image. To skip a copy,
 * write into a buffer the app keeps and hand it to petite_method_set_input with PETITE_ZERO_COPY
 * (an input without planned memory), or preprocess straight into the buffer set earlier that way. */
PV_API petite_status pv_preprocess_image(const pv_image *img, const pv_preprocess *p, void *out, size_t out_bytes,
                                         pv_transform *tf);

/* ---- classification -------------------------------------------------------------------------- */

/* y = softmax(x) over n values (x == y allowed); NaN inputs give NaN. */
PV_API petite_status pv_softmax(const float *x, size_t n, float *y);

typedef struct pv_class {
    int32_t class_id;
    float score;
} pv_class;
/* A classifier's answer: the k classes of highest logit x, best first (ranked on x itself, so logits
 * that softmax would round to equal float probabilities still rank in their order; equal logits: the
 * lower class first; NaN last), each with its softmax probability (computed in double, rounded to
 * float: it may be 0 for a class ranked by its logit). *count receives min(k, n); k = 0 or n = 0 is
 * refused. Integer (quantized) outputs: rank the raw values with pv_topk (the same order as the
 * dequantized values for a positive scale), or dequantize and call this. */
PV_API petite_status pv_classify(const float *logits, size_t n, uint32_t k, pv_class *out, uint32_t *count);

/* The k highest scores, best first (equal scores: the lower class first; NaN ranks last). *count
 * receives min(k, n); k = 0 or n = 0 is refused. */
PV_API petite_status pv_topk(const float *scores, size_t n, uint32_t k, pv_class *out, uint32_t *count);

/* A labels file: one label per line (the imagenet_classes.txt form); trailing "\r" and an empty last
 * line are dropped. expected > 0: refuse a file with another count. At most PV_LABELS_MAX_BYTES bytes
 * and PV_LABELS_MAX lines, both checked before anything is allocated for the labels (a file is read
 * no further than one byte past the limit). */
#define PV_LABELS_MAX_BYTES ((size_t)16 << 20)
#define PV_LABELS_MAX (1u << 20)
typedef struct pv_labels pv_labels;
PV_API petite_status pv_labels_load(const char *path, uint32_t expected, pv_labels **out);
PV_API petite_status pv_labels_parse(const char *text, size_t len, uint32_t expected, pv_labels **out);
PV_API uint32_t pv_labels_count(const pv_labels *l);
/* NULL when i is out of range */
PV_API const char *pv_labels_get(const pv_labels *l, uint32_t i);
PV_API void pv_labels_free(pv_labels *l);

/* ---- detection -------------------------------------------------------------------------------- */

typedef enum pv_det_format {
    PV_YOLOV5 = 1, /* one output [1, N, 5 + C]: cx, cy, w, h (input pixels), objectness, C class scores */
    PV_YOLOV8 = 2, /* one output [1, 4 + C, N]: cx, cy, w, h (input pixels), C class scores (also YOLO11);
                      the two YOLO layouts are told apart by N > 5 + C (the other layout is refused) */
    PV_SSD = 3     /* box deltas [1, N, 4] (dy, dx, dh, dw per anchor, or dx, dy, dw, dh with xy_order),
                      scores [1, N, C] (class 0: background), anchors [N, 4] (cy, cx, h, w normalized,
                      or cx, cy, w, h with xy_order) */
} pv_det_format;

typedef struct pv_detect_params {
    uint32_t struct_size;
    int32_t format;            /* pv_det_format */
    float conf;                /* keep scores >= conf (0.25) */
    float iou;                 /* NMS: drop a box whose IoU with a kept one is > iou (0.45) */
    uint32_t max_detections;   /* after NMS (300) */
    int32_t agnostic;          /* 1: one NMS over all classes (else per class) */
    int32_t input_width, input_height; /* the model input's size (SSD decodes to it) */
    /* SSD */
    int32_t logits;            /* 1: scores are logits (sigmoid applied), 0: probabilities */
    int32_t xy_order;          /* 1: deltas and anchors are x-first */
    float variance[4];         /* center, center, size, size: 0.1, 0.1, 0.2, 0.2 */
    int32_t background;        /* SSD: 1 if class 0 is background (skipped) */
} pv_detect_params;
PV_API void pv_detect_params_init(pv_detect_params *p);

typedef struct pv_detection {
    float x1, y1, x2, y2;      /* upright original image pixels (input pixels when tf is NULL) */
    float score;
    int32_t class_id;
} pv_detection;

/* Decode, threshold, NMS, map back through tf (may be NULL) and clip to the image. outputs[i] and
 * shapes[i] / ranks[i] describe the model's float32 outputs in the order the format lists them.
 * Up to cap detections, best first, into out; *count receives how many. */
PV_API petite_status pv_detect(const float *const *outputs, const int64_t *const *shapes, const int32_t *ranks,
                               uint32_t noutputs, const float *anchors, uint32_t nanchors,
                               const pv_detect_params *p, const pv_transform *tf, pv_detection *out, uint32_t cap,
                               uint32_t *count);

/* Non-maximum suppression alone (torchvision.ops.nms / batched_nms semantics): boxes [n][4] as x1, y1,
 * x2, y2; classes NULL for one class. keep receives the kept indices by descending score (equal
 * scores: the lower index first); *count how many (at most cap). */
PV_API petite_status pv_nms(const float *boxes, const float *scores, const int32_t *classes, uint32_t n, float iou,
                            uint32_t *keep, uint32_t cap, uint32_t *count);

#ifdef __cplusplus
}
#endif
#endif
