/* petite classify / petite detect — image files through a model: decode (stb_image), preprocess and
 * decode the outputs with petite_vision.h, print the answer (or one JSON object), draw boxes into a
 * PNG. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image.h"
#include "npy.h"
#include "petite/petite.h"
#include "petite/petite_vision.h"
#include "util.h"

#define MAX_IMAGES 256
#define MAX_TOP (1 << 20)   /* --top */
#define MAX_DET 100000      /* --max-det */
#define MAX_SIDE 32768      /* --size, --resize: petite_vision's largest side */

typedef struct opts {
    const char *model, *labels, *out, *anchors, *format, *interp;
    const char *images[MAX_IMAGES];
    int nimages, top, json, agnostic, xy_order, threads, resize, max_det, size;
    float conf, iou, scale, out_scale;
    int32_t zero_point, have_scale, out_zero_point, have_out_scale;
    float mean[3], std[3];
    int have_mean, have_std;
} opts;

/* --mean / --std: the numbers that follow (1 or 3), each finite and within [lo, hi] */
static int parse_floats(const char *cmd, const char *opt, int argc, char **argv, int *i, float *v, double lo, double hi) {
    int n = 0;
    while (*i + 1 < argc && n < 3) {
        char *end;
        const char *w = argv[*i + 1];
        (void)strtod(w, &end);
        if (end == w || *end) break; /* not a number: the next option or an image */
        double d;
        if (util_parse_double(cmd, opt, w, lo, hi, &d)) return -1;
        v[n++] = (float)d, (*i)++;
    }
    if (n != 1 && n != 3) {
        fprintf(stderr, "petite %s: %s takes 1 or 3 numbers, got %d\n", cmd, opt, n);
        return -1;
    }
    if (n == 1) v[1] = v[2] = v[0];
    return n;
}

/* a numeric option's value: the checked parsers of util.c, the option named in the message */
#define OPT_INT(name, field, lo, hi)                                                                           \
    else if (strcmp(a, name) == 0 && more) {                                                                   \
        if (util_parse_i(cmd, name, argv[++i], lo, hi, &o->field)) return 2;                                   \
    }
#define OPT_FLOAT(name, field, lo, hi)                                                                         \
    else if (strcmp(a, name) == 0 && more) {                                                                   \
        double d_;                                                                                             \
        if (util_parse_double(cmd, name, argv[++i], lo, hi, &d_)) return 2;                                    \
        o->field = (float)d_;                                                                                  \
    }

static int parse(const char *cmd, int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->top = 5, o->conf = 0.25f, o->iou = 0.45f, o->format = "yolov8", o->max_det = 300;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const int more = i + 1 < argc;
        if (strcmp(a, "--labels") == 0 && more) o->labels = argv[++i];
        OPT_INT("--top", top, 1, MAX_TOP)
        else if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--out") == 0 && more) o->out = argv[++i];
        OPT_FLOAT("--conf", conf, 0.0, 1.0)
        OPT_FLOAT("--iou", iou, 0.0, 1.0)
        else if (strcmp(a, "--format") == 0 && more) o->format = argv[++i];
        else if (strcmp(a, "--agnostic") == 0) o->agnostic = 1;
        OPT_INT("--max-det", max_det, 1, MAX_DET)
        else if (strcmp(a, "--anchors") == 0 && more) o->anchors = argv[++i];
        else if (strcmp(a, "--xy-order") == 0) o->xy_order = 1;
        OPT_INT("--threads", threads, 0, 64)
        OPT_INT("--resize", resize, 1, MAX_SIDE)
        OPT_INT("--size", size, 1, MAX_SIDE)
        else if (strcmp(a, "--scale") == 0 && more) {
            double d;
            if (util_parse_double(cmd, "--scale", argv[++i], FLT_MIN, FLT_MAX, &d)) return 2;
            o->scale = (float)d, o->have_scale = 1;
        }
        else if (strcmp(a, "--interp") == 0 && more) o->interp = argv[++i];
        else if (strcmp(a, "--output-scale") == 0 && more) {
            double d;
            if (util_parse_double(cmd, "--output-scale", argv[++i], FLT_MIN, FLT_MAX, &d)) return 2;
            o->out_scale = (float)d, o->have_out_scale = 1;
        }
        else if (strcmp(a, "--output-zero-point") == 0 && more) {
            int z;
            if (util_parse_i(cmd, "--output-zero-point", argv[++i], -128, 255, &z)) return 2;
            o->out_zero_point = z;
        }
        else if (strcmp(a, "--zero-point") == 0 && more) {
            int z;
            if (util_parse_i(cmd, "--zero-point", argv[++i], -128, 255, &z)) return 2;
            o->zero_point = z;
        }
        else if (strcmp(a, "--mean") == 0) {
            if ((o->have_mean = parse_floats(cmd, "--mean", argc, argv, &i, o->mean, -FLT_MAX, FLT_MAX)) < 0) return 2;
        } else if (strcmp(a, "--std") == 0) { /* a normal positive number: a subnormal one turns every value into inf */
            if ((o->have_std = parse_floats(cmd, "--std", argc, argv, &i, o->std, FLT_MIN, FLT_MAX)) < 0) return 2;
        }
        else if (a[0] != '-' && !o->model) o->model = a;
        else if (a[0] != '-' && o->nimages < MAX_IMAGES) o->images[o->nimages++] = a;
        else {
            fprintf(stderr, "petite %s: unexpected argument '%s'\n", cmd, a);
            return 2;
        }
    }
    if (o->interp && strcmp(o->interp, "bilinear_aa") != 0 && strcmp(o->interp, "bilinear") != 0 &&
        strcmp(o->interp, "area") != 0) {
        fprintf(stderr, "petite %s: --interp %s (bilinear_aa, bilinear or area)\n", cmd, o->interp);
        return 2;
    }
    if (!o->model || o->nimages == 0) {
        fprintf(stderr, "petite %s: give a model and at least one image\n", cmd);
        return 2;
    }
    if (!image_available()) {
        fprintf(stderr, "petite %s: this petite was built without image files (install libstb-dev and rebuild)\n", cmd);
        return 1;
    }
    return 0;
}

/* "preprocessing": {"mean": [..], "std": [..]} from the sidecar JSON petite-export writes beside the
 * model (MODEL.json): 1 or 3 numbers read into v (0: no sidecar or no such key); a list of another
 * length, or a number out of [lo, hi], is refused (-1, message on stderr) rather than half applied */
static int sidecar_floats(const char *cmd, const char *model, const char *key, float *v, double lo, double hi) {
    char path[1024];
    const char *dot = strrchr(model, '.');
    snprintf(path, sizeof path, "%.*s.json", dot ? (int)(dot - model) : (int)strlen(model), model);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *pre = strstr(buf, "\"preprocessing\"");
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *at = pre ? strstr(pre, pat) : NULL;
    if (!at) return 0;
    const char *lb = at + strlen(pat);
    while (*lb == ' ' || *lb == ':' || *lb == '\n' || *lb == '\r' || *lb == '\t') lb++;
    if (*lb != '[') {
        fprintf(stderr, "petite %s: %s: preprocessing.%s is not a list of numbers\n", cmd, path, key);
        return -1;
    }
    float got[3];
    int k = 0;
    const char *p = lb + 1;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\r' || *p == '\t') p++;
        if (*p == ']') break;
        char *end;
        const double x = strtod(p, &end);
        if (end == p || k == 3 || !isfinite(x) || !(x >= lo && x <= hi)) {
            fprintf(stderr, "petite %s: %s: preprocessing.%s must be 1 or 3 finite numbers in [%g, %g]\n", cmd, path, key,
                    lo, hi);
            return -1;
        }
        got[k++] = (float)x;
        p = end;
    }
    if (k != 1 && k != 3) {
        fprintf(stderr, "petite %s: %s: preprocessing.%s has %d numbers (1 or 3)\n", cmd, path, key, k);
        return -1;
    }
    for (int c = 0; c < 3; c++) v[c] = got[k == 1 ? 0 : c];
    return k;
}

/* the loaded model and its image input */
typedef struct model {
    petite_program *p;
    petite_method *m;
    petite_io_info in;
    int nchw;
    int64_t H, W, C;
} model;

static void close_model(model *md) {
    petite_method_free(md->m);
    petite_program_close(md->p);
}

static int open_model(const char *cmd, const opts *o, model *md) {
    memset(md, 0, sizeof *md);
    petite_load_options lo;
    petite_load_options_init(&lo);
    lo.num_threads = o->threads;
    size_t nin = 0;
    if (petite_program_open_file(o->model, &md->p) || petite_method_load_ex(md->p, cli_default_method(md->p), &lo, &md->m) ||
        petite_method_io_count(md->m, PETITE_INPUT, &nin) || petite_method_io_info(md->m, PETITE_INPUT, 0, &md->in)) {
        fprintf(stderr, "petite %s: %s\n", cmd, petite_last_error());
        close_model(md);
        return 1;
    }
    const petite_io_info *in = &md->in;
    if (nin != 1 || in->kind != PETITE_KIND_TENSOR || in->rank != 4 || in->sizes[0] != 1 ||
        (in->dtype != PETITE_FLOAT32 && in->dtype != PETITE_UINT8 && in->dtype != PETITE_INT8)) {
        fprintf(stderr, "petite %s: %s needs one image input [1, C, H, W] or [1, H, W, C] of float32, uint8 or int8\n",
                cmd, o->model);
        close_model(md);
        return 1;
    }
    /* channels first unless the last dim is the one that looks like channels */
    md->nchw = !((in->sizes[3] == 1 || in->sizes[3] == 3) && in->sizes[1] != 1 && in->sizes[1] != 3);
    md->C = md->nchw ? in->sizes[1] : in->sizes[3];
    md->H = md->nchw ? in->sizes[2] : in->sizes[1];
    md->W = md->nchw ? in->sizes[3] : in->sizes[2];
    if (o->size && (o->size != md->H || o->size != md->W)) { /* a fixed-size input: --size must agree */
        fprintf(stderr, "petite %s: --size %d, but %s takes %lld x %lld pictures\n", cmd, o->size, o->model,
                (long long)md->W, (long long)md->H);
        close_model(md);
        return 1;
    }
    if (md->C != 1 && md->C != 3) {
        fprintf(stderr, "petite %s: the input has %lld channels (1 or 3)\n", cmd, (long long)md->C);
        close_model(md);
        return 1;
    }
    return 0;
}

/* decode, preprocess, set the input, run; tf receives the mapping back */
static int run_image(const char *cmd, const opts *o, model *md, const char *path, int fit, const float *mean,
                     const float *std, uint8_t **pixels, int *w, int *h, pv_transform *tf) {
    char err[512];
    *pixels = image_load(path, w, h, err, sizeof err);
    if (!*pixels) {
        fprintf(stderr, "petite %s: %s\n", cmd, err);
        return 1;
    }
    pv_image img;
    pv_image_init(&img);
    img.width = *w, img.height = *h, img.data = *pixels, img.size = (uint64_t)*w * (uint64_t)*h * 3;
    pv_preprocess p;
    pv_preprocess_init(&p);
    p.width = (int32_t)md->W, p.height = (int32_t)md->H, p.fit = fit, p.resize_short = o->resize;
    /* classify: antialiased (torchvision's Resize on a PIL image, the usual training recipe); detect:
     * plain bilinear (Ultralytics letterboxes with OpenCV's INTER_LINEAR); --interp overrides */
    p.interp = !o->interp ? (fit == PV_FIT_LETTERBOX ? PV_BILINEAR : PV_BILINEAR_AA)
             : strcmp(o->interp, "bilinear") == 0 ? PV_BILINEAR : strcmp(o->interp, "area") == 0 ? PV_AREA
             : PV_BILINEAR_AA;
    p.layout = md->nchw ? PV_NCHW : PV_NHWC, p.dtype = md->in.dtype, p.channels = (int32_t)md->C;
    memcpy(p.mean, mean, sizeof p.mean), memcpy(p.std, std, sizeof p.std);
    /* integer inputs: the raw pixel for uint8 (scale 1/255), shifted by 128 for int8, unless given */
    p.scale = o->have_scale ? o->scale : 1.0f / 255.0f;
    p.zero_point = o->have_scale ? o->zero_point : md->in.dtype == PETITE_INT8 ? -128 : 0;
    const size_t bytes = (size_t)md->in.nbytes;
    void *buf = malloc(bytes);
    if (!buf || pv_preprocess_image(&img, &p, buf, bytes, tf)) {
        fprintf(stderr, "petite %s: %s: %s\n", cmd, path, buf ? pv_last_error() : "no memory");
        free(buf);
        return 1;
    }
    petite_status s = petite_method_set_input(md->m, 0, md->in.dtype, md->in.rank, md->in.sizes, buf, bytes, PETITE_COPY);
    free(buf);
    if (s || petite_method_run(md->m)) {
        fprintf(stderr, "petite %s: %s\n", cmd, petite_method_errmsg(md->m));
        return 1;
    }
    return 0;
}

static void json_string(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

/* output i: a float32 tensor (int8 / uint8 too when allow_int: a quantized classifier's scores) */
static int float_output(const char *cmd, petite_method *m, size_t i, const float **data, petite_io_info *info,
                        int allow_int) {
    size_t nbytes = 0;
    const void *d = NULL;
    if (petite_method_io_info(m, PETITE_OUTPUT, i, info) || petite_method_output_data(m, i, &d, &nbytes)) {
        fprintf(stderr, "petite %s: %s\n", cmd, petite_method_errmsg(m));
        return 1;
    }
    const int ok_int = allow_int && (info->dtype == PETITE_INT8 || info->dtype == PETITE_UINT8);
    if (info->kind != PETITE_KIND_TENSOR || (info->dtype != PETITE_FLOAT32 && !ok_int)) {
        fprintf(stderr, "petite %s: output %zu is not a float32%s tensor\n", cmd, i, allow_int ? ", int8 or uint8" : "");
        return 1;
    }
    int64_t numel = 1;
    for (int32_t k = 0; k < info->rank; k++) numel *= info->sizes[k];
    if (numel < 0 || (uint64_t)numel * petite_dtype_size(info->dtype) > nbytes) {
        fprintf(stderr, "petite %s: output %zu holds %zu bytes, fewer than its shape needs\n", cmd, i, nbytes);
        return 1;
    }
    *data = d;
    return 0;
}

int cmd_classify(int argc, char **argv) {
    opts o;
    int rc = parse("classify", argc, argv, &o);
    if (rc) return rc;
    /* the flags, else the sidecar's preprocessing, else ImageNet's */
    float in_mean[3] = {0.485f, 0.456f, 0.406f}, in_std[3] = {0.229f, 0.224f, 0.225f};
    if ((!o.have_mean && sidecar_floats("classify", o.model, "mean", in_mean, -FLT_MAX, FLT_MAX) < 0) ||
        (!o.have_std && sidecar_floats("classify", o.model, "std", in_std, FLT_MIN, FLT_MAX) < 0))
        return 1;
    const float *mean = o.have_mean ? o.mean : in_mean, *std = o.have_std ? o.std : in_std;
    model md;
    if (open_model("classify", &o, &md)) return 1;
    pv_labels *labels = NULL;
    if (o.json) printf(o.nimages > 1 ? "{\"results\": [" : "");
    for (int k = 0; k < o.nimages && rc == 0; k++) {
        uint8_t *px = NULL;
        int w, h;
        pv_transform tf;
        const float *out;
        petite_io_info info;
        if (run_image("classify", &o, &md, o.images[k], PV_FIT_CENTER_CROP, mean, std, &px, &w, &h, &tf) ||
            float_output("classify", md.m, 0, &out, &info, 1)) {
            image_free(px);
            rc = 1;
            break;
        }
        image_free(px);
        int64_t n = 1;
        for (int32_t d = 0; d < info.rank; d++) n *= info.sizes[d];
        if (n < 1 || n > INT32_MAX) {
            fprintf(stderr, "petite classify: output 0 holds %lld values\n", (long long)n);
            rc = 1;
            break;
        }
        if (o.labels && !labels && pv_labels_load(o.labels, (uint32_t)n, &labels)) {
            fprintf(stderr, "petite classify: %s\n", pv_last_error());
            rc = 1;
            break;
        }
        const int integer = info.dtype != PETITE_FLOAT32;
        float *vals = malloc((size_t)n * sizeof *vals), *p = malloc((size_t)n * sizeof *p);
        pv_class *top = malloc((size_t)o.top * sizeof *top); /* --top is 1..MAX_TOP */
        uint32_t cnt = 0;
        if (!vals || !p || !top) {
            fprintf(stderr, "petite classify: no memory for %lld scores\n", (long long)n);
            free(vals), free(p), free(top);
            rc = 1;
            break;
        }
        /* integer outputs: the raw values (exact in float), ranked as they are (the dequantized values'
         * order for a positive scale); probabilities only with --output-scale */
        for (int64_t i = 0; i < n; i++)
            vals[i] = info.dtype == PETITE_FLOAT32 ? out[i] : info.dtype == PETITE_INT8 ? (float)((const int8_t *)out)[i]
                                                                                       : (float)((const uint8_t *)out)[i];
        /* probabilities already (all in [0, 1], summing to 1)? else ranked on the logits (their float
         * softmax can round distinct logits to equal probabilities), then the softmax of the ranked */
        double sum = 0;
        int probs = !integer;
        for (int64_t i = 0; i < n && probs; i++) {
            sum += vals[i];
            probs = vals[i] >= 0.0f && vals[i] <= 1.0f;
        }
        probs = probs && fabs(sum - 1.0) < 1e-3;
        const int have_probs = !integer || o.have_out_scale;
        if (probs) {
            pv_topk(vals, (size_t)n, (uint32_t)o.top, top, &cnt);
        } else if (!integer) {
            pv_classify(vals, (size_t)n, (uint32_t)o.top, top, &cnt);
        } else {
            pv_topk(vals, (size_t)n, (uint32_t)o.top, top, &cnt);
            if (o.have_out_scale) {
                for (int64_t i = 0; i < n; i++) p[i] = (vals[i] - (float)o.out_zero_point) * o.out_scale;
                pv_softmax(p, (size_t)n, p);
            }
        }
        if (o.json) {
            if (o.nimages > 1) printf("%s{\"image\": ", k ? ", " : ""), json_string(o.images[k]), printf(", ");
            else printf("{");
            printf("\"top\": [");
            for (uint32_t i = 0; i < cnt; i++) {
                const int32_t c = top[i].class_id;
                printf("%s{\"class\": %d, \"label\": ", i ? ", " : "", c);
                json_string(labels ? pv_labels_get(labels, (uint32_t)c) : "");
                if (have_probs) printf(", \"score\": %.6g", (double)(integer ? p[c] : top[i].score));
                else printf(", \"score\": null");
                if (integer) printf(", \"raw\": %d", (int)vals[c]);
                else if (!probs) printf(", \"logit\": %.9g", (double)vals[c]);
                printf("}");
            }
            printf("]}");
        } else {
            printf("%s\n", o.images[k]);
            for (uint32_t i = 0; i < cnt; i++) {
                const int32_t c = top[i].class_id;
                printf("  %u. ", i + 1);
                if (labels) printf("%s (class %d)", pv_labels_get(labels, (uint32_t)c), c);
                else printf("class %d", c);
                if (have_probs) printf("  %.2f%%", 100.0 * (integer ? p[c] : top[i].score));
                if (integer) printf("  raw %d", (int)vals[c]);
                printf("\n");
            }
        }
        free(vals), free(p), free(top);
    }
    if (o.json && rc == 0) printf(o.nimages > 1 ? "]}\n" : "\n");
    pv_labels_free(labels);
    close_model(&md);
    return rc;
}

/* the label of class c; without one (no labels file, or c past its end): "class c", or none_text if given */
static const char *label_of(const pv_labels *labels, int32_t c, char *buf, size_t cap, const char *none_text) {
    const char *l = labels && c >= 0 ? pv_labels_get(labels, (uint32_t)c) : NULL;
    if (l) return l;
    if (none_text && !labels) return none_text;
    snprintf(buf, cap, labels ? "class %d" : "%d", (int)c);
    return buf;
}

static const uint8_t palette[8][3] = {{230, 25, 75}, {60, 180, 75}, {0, 130, 200}, {245, 130, 48},
                                      {145, 30, 180}, {70, 160, 160}, {240, 50, 230}, {128, 128, 0}};

int cmd_detect(int argc, char **argv) {
    opts o;
    int rc = parse("detect", argc, argv, &o);
    if (rc) return rc;
    pv_detect_params dp;
    pv_detect_params_init(&dp);
    dp.format = strcmp(o.format, "yolov5") == 0 ? PV_YOLOV5 : strcmp(o.format, "yolov8") == 0 ? PV_YOLOV8
              : strcmp(o.format, "ssd") == 0 ? PV_SSD : 0;
    if (!dp.format) {
        fprintf(stderr, "petite detect: --format %s (yolov5, yolov8 or ssd)\n", o.format);
        return 2;
    }
    dp.conf = o.conf, dp.iou = o.iou, dp.agnostic = o.agnostic, dp.max_detections = (uint32_t)o.max_det;
    dp.xy_order = o.xy_order;
    /* Ultralytics: pixels / 255, no mean */
    float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
    if ((!o.have_mean && sidecar_floats("detect", o.model, "mean", zero, -FLT_MAX, FLT_MAX) < 0) ||
        (!o.have_std && sidecar_floats("detect", o.model, "std", one, FLT_MIN, FLT_MAX) < 0))
        return 1;
    const float *mean = o.have_mean ? o.mean : zero, *std = o.have_std ? o.std : one;
    model md;
    if (open_model("detect", &o, &md)) return 1;
    dp.input_width = (int32_t)md.W, dp.input_height = (int32_t)md.H;
    npy_array anchors = {0};
    char err[512];
    if (o.anchors && npy_read(o.anchors, &anchors, err, sizeof err)) {
        fprintf(stderr, "petite detect: %s\n", err);
        close_model(&md);
        return 1;
    }
    if (o.anchors && (anchors.dtype != PETITE_FLOAT32 || anchors.rank != 2 || anchors.shape[1] != 4 ||
                      anchors.shape[0] > (1 << 24))) {
        fprintf(stderr, "petite detect: %s must be float32 [N, 4] (N <= 2^24)\n", o.anchors);
        npy_free(&anchors), close_model(&md);
        return 1;
    }
    pv_labels *labels = NULL;
    if (o.labels && pv_labels_load(o.labels, 0, &labels)) {
        fprintf(stderr, "petite detect: %s\n", pv_last_error());
        npy_free(&anchors), close_model(&md);
        return 1;
    }
    pv_detection *dets = malloc((size_t)o.max_det * sizeof *dets); /* --max-det is 1..MAX_DET */
    if (!dets) {
        fprintf(stderr, "petite detect: no memory for %d detections\n", o.max_det);
        pv_labels_free(labels), npy_free(&anchors), close_model(&md);
        return 1;
    }
    int warned = 0;
    if (o.json) printf(o.nimages > 1 ? "{\"results\": [" : "");
    for (int k = 0; k < o.nimages && rc == 0; k++) {
        uint8_t *px = NULL;
        int w, h;
        pv_transform tf;
        if (run_image("detect", &o, &md, o.images[k], PV_FIT_LETTERBOX, mean, std, &px, &w, &h, &tf)) {
            image_free(px);
            rc = 1;
            break;
        }
        const uint32_t nout = dp.format == PV_SSD ? 2 : 1;
        const float *outs[2];
        petite_io_info infos[2];
        const int64_t *shapes[2];
        int32_t ranks[2];
        for (uint32_t i = 0; i < nout && rc == 0; i++) {
            rc = float_output("detect", md.m, i, &outs[i], &infos[i], 0);
            shapes[i] = infos[i].sizes, ranks[i] = infos[i].rank;
        }
        uint32_t n = 0;
        if (rc == 0 && pv_detect(outs, shapes, ranks, nout, anchors.data, anchors.data ? (uint32_t)anchors.shape[0] : 0,
                                 &dp, &tf, dets, (uint32_t)o.max_det, &n)) {
            fprintf(stderr, "petite detect: %s\n", pv_last_error());
            rc = 1;
        }
        if (rc) {
            image_free(px);
            break;
        }
        /* a class past the labels file is printed as its index (with one warning) */
        for (uint32_t i = 0; i < n && labels && !warned; i++)
            if (!pv_labels_get(labels, (uint32_t)dets[i].class_id)) {
                fprintf(stderr, "petite detect: warning: class %d has no label in %s (%u labels): shown as \"class %d\"\n",
                        dets[i].class_id, o.labels, pv_labels_count(labels), dets[i].class_id);
                warned = 1;
            }
        if (o.json) {
            if (o.nimages > 1) printf("%s{\"image\": ", k ? ", " : ""), json_string(o.images[k]), printf(", ");
            else printf("{");
            printf("\"detections\": [");
            for (uint32_t i = 0; i < n; i++) {
                printf("%s{\"box\": [%.2f, %.2f, %.2f, %.2f], \"class\": %d, \"label\": ", i ? ", " : "",
                       (double)dets[i].x1, (double)dets[i].y1, (double)dets[i].x2, (double)dets[i].y2, dets[i].class_id);
                char name[32];
                json_string(label_of(labels, dets[i].class_id, name, sizeof name, ""));
                printf(", \"score\": %.4f}", (double)dets[i].score);
            }
            printf("]}");
        } else {
            printf("%s: %u detection%s\n", o.images[k], n, n == 1 ? "" : "s");
            for (uint32_t i = 0; i < n; i++) {
                char name[32];
                printf("  %-12s %5.1f%%  [%.1f, %.1f, %.1f, %.1f]\n", label_of(labels, dets[i].class_id, name, sizeof name, NULL),
                       100.0 * dets[i].score, (double)dets[i].x1, (double)dets[i].y1, (double)dets[i].x2, (double)dets[i].y2);
            }
        }
        if (o.out && rc == 0) {
            char path[4096];
            int len;
            if (o.nimages > 1) { /* out.png -> out_0.png, out_1.png, ... (a dot in a directory name is not a suffix) */
                const char *dot = strrchr(o.out, '.'), *slash = strrchr(o.out, '/');
                if (dot && slash && dot < slash) dot = NULL;
                int stem = dot ? (int)(dot - o.out) : (int)strlen(o.out);
                len = snprintf(path, sizeof path, "%.*s_%d%s", stem, o.out, k, dot ? dot : ".png");
            } else {
                len = snprintf(path, sizeof path, "%s", o.out);
            }
            if (len < 0 || (size_t)len >= sizeof path) { /* never write to a truncated name */
                fprintf(stderr, "petite detect: --out: the path is longer than %zu bytes\n", sizeof path - 1);
                image_free(px);
                rc = 1;
                break;
            }
            /* small pictures are drawn enlarged (nearest neighbor) so the labels can be read */
            const int mn = w < h ? w : h;
            int k2 = mn < 256 ? (256 + mn - 1) / mn > 8 ? 8 : (256 + mn - 1) / mn : 1;
            if ((double)w * k2 * (double)h * k2 > (double)IMAGE_MAX_PIXELS) k2 = 1; /* a long thin picture: as it is */
            uint8_t *big = k2 > 1 ? malloc((size_t)w * k2 * (size_t)h * k2 * 3) : px;
            if (!big) big = px;
            const int bw = big == px ? w : w * k2, bh = big == px ? h : h * k2, f = bw / w;
            if (big != px)
                for (int y = 0; y < bh; y++)
                    for (int x = 0; x < bw; x++) memcpy(big + 3 * ((size_t)y * bw + x), px + 3 * ((size_t)(y / f) * w + x / f), 3);
            const int t = bw + bh >= 600 ? 3 : bw + bh >= 200 ? 2 : 1;
            for (uint32_t i = n; i-- > 0;) {
                char label[96], name[32];
                snprintf(label, sizeof label, "%s %.0f%%", label_of(labels, dets[i].class_id, name, sizeof name, NULL),
                         100.0 * dets[i].score);
                image_draw_box(big, bw, bh, dets[i].x1 * f, dets[i].y1 * f, dets[i].x2 * f, dets[i].y2 * f,
                               palette[dets[i].class_id & 7], t, label);
            }
            char werr[512];
            const int wrc = image_write_png(path, big, bw, bh, werr, sizeof werr);
            if (big != px) free(big);
            if (wrc) {
                fprintf(stderr, "petite detect: --out: %s\n", werr);
                rc = 1;
            } else if (!o.json) {
                printf("  wrote %s\n", path);
            }
        }
        image_free(px);
    }
    if (o.json && rc == 0) printf(o.nimages > 1 ? "]}\n" : "\n");
    free(dets);
    pv_labels_free(labels);
    npy_free(&anchors);
    close_model(&md);
    return rc;
}
