/* petite run — run one method on .npy inputs (or deterministic fill) and print the outputs. */
#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <direct.h>
#define MKDIR(d) _mkdir(d)
#else
#define MKDIR(d) mkdir(d, 0777)
#endif

#include "cli.h"
#include "npy.h"
#include "petite/petite.h"
#include "util.h"

#define MAX_INPUTS 64

static void print_tensor(size_t i, const petite_io_info *info, const void *data) {
    char shape[200];
    int64_t numel = 1;
    for (int32_t d = 0; d < info->rank; d++) numel *= info->sizes[d];
    printf("output %zu: %s %s", i, petite_dtype_name(info->dtype),
           util_shape(info->sizes, info->rank, shape, sizeof shape));
    printf(" =");
    int64_t show = numel < 8 ? numel : 8;
    for (int64_t k = 0; k < show; k++) {
        if (util_is_float(info->dtype)) printf(" %.6g", util_load(data, info->dtype, k));
        else printf(" %lld", (long long)util_load(data, info->dtype, k));
    }
    if (numel > show) printf(" ... (%lld values)", (long long)numel);
    if (numel > 1 && util_is_number(info->dtype)) {
        int64_t best = 0;
        for (int64_t k = 1; k < numel; k++)
            if (util_load(data, info->dtype, k) > util_load(data, info->dtype, best)) best = k;
        printf("  [argmax %lld]", (long long)best);
    }
    printf("\n");
}

static int set_scalar(petite_method *m, size_t i, const char *spec, int32_t kind) {
    petite_status s;
    if (!spec) { /* the traced value */
        int64_t iv = 0;
        double dv = 0;
        petite_method_input_scalar(m, i, &iv, &dv);
        switch (kind) {
        case PETITE_KIND_INT: s = petite_method_set_input_int(m, i, iv); break;
        case PETITE_KIND_DOUBLE: s = petite_method_set_input_double(m, i, dv); break;
        case PETITE_KIND_BOOL: s = petite_method_set_input_bool(m, i, (int32_t)iv); break;
        default: return 0;
        }
    } else if (strncmp(spec, "int:", 4) == 0) {
        long long v;
        if (util_parse_int("run", "--input int:", spec + 4, INT64_MIN, INT64_MAX, &v)) return -1;
        s = petite_method_set_input_int(m, i, v);
    } else if (strncmp(spec, "double:", 7) == 0) {
        double v;
        if (util_parse_double("run", "--input double:", spec + 7, -DBL_MAX, DBL_MAX, &v)) return -1;
        s = petite_method_set_input_double(m, i, v);
    } else if (strncmp(spec, "bool:", 5) == 0) {
        long long v;
        if (util_parse_int("run", "--input bool:", spec + 5, 0, 1, &v)) return -1;
        s = petite_method_set_input_bool(m, i, (int32_t)v);
    } else {
        fprintf(stderr, "petite run: input %zu is a scalar: give int:N, double:X or bool:B\n", i);
        return -1;
    }
    if (s != PETITE_OK) {
        fprintf(stderr, "petite run: %s\n", petite_method_errmsg(m));
        return -1;
    }
    return 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p DIR: each missing component made in turn; 0, or -1 with a message naming the one at fault */
static int make_dirs(const char *dir) {
    char path[1024];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        fprintf(stderr, "petite run: --output-dir: %s\n", n ? "the path is too long" : "empty path");
        return -1;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        int sep = path[i] == '/' || path[i] == 0, empty = path[i - 1] == '/';
#ifdef _WIN32
        sep = sep || path[i] == '\\';
        empty = empty || path[i - 1] == '\\' || path[i - 1] == ':'; /* "C:" is a drive */
#endif
        if (!sep || empty) continue; /* "a//b": the empty component is no directory */
        char c = path[i];
        path[i] = 0;
        if (!is_dir(path) && MKDIR(path) != 0) {
            int e = errno;
            if (!is_dir(path)) { /* (made meanwhile by another process: fine) */
                if (e == EEXIST) fprintf(stderr, "petite run: --output-dir %s: '%s' exists and is not a directory\n", dir, path);
                else fprintf(stderr, "petite run: --output-dir %s: cannot create '%s': %s\n", dir, path, strerror(e));
                return -1;
            }
        }
        path[i] = c;
    }
    return 0;
}

int cmd_run(int argc, char **argv) {
    const char *path = NULL, *method = NULL, *outdir = NULL, *inputs[MAX_INPUTS], *datafiles[8];
    int ninputs = 0, ndata = 0;
    petite_load_options opt;
    petite_load_options_init(&opt);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--method") == 0 && more) method = argv[++i];
        else if (strcmp(a, "--threads") == 0 && more) {
            if (util_parse_i("run", "--threads", argv[++i], 0, 64, &opt.num_threads)) return 2;
        }
        else if (strcmp(a, "--input") == 0 && more) {
            /* --input takes every following non-option word */
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 && ninputs < MAX_INPUTS)
                inputs[ninputs++] = argv[++i];
        } else if (strcmp(a, "--output-dir") == 0 && more) outdir = argv[++i];
        else if (strcmp(a, "--data") == 0 && more && ndata < 8) datafiles[ndata++] = argv[++i];
        else if (strcmp(a, "--kernel-lib") == 0 && more) {
            if (util_load_kernel_lib("run", argv[++i])) return 1;
        } else if (!path && a[0] != '-') path = a;
        else {
            fprintf(stderr, "petite run: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "petite run: give a .pte file\n");
        return 2;
    }
    petite_program *p = NULL;
    petite_method *m = NULL;
    int rc = 1;
    if (petite_program_open_file(path, &p) != PETITE_OK) {
        fprintf(stderr, "petite run: %s\n", petite_last_error());
        return 1;
    }
    for (int i = 0; i < ndata; i++)
        if (petite_program_attach_data_file(p, datafiles[i]) != PETITE_OK) {
            fprintf(stderr, "petite run: %s\n", petite_program_errmsg(p));
            goto done;
        }
    if (!method) method = cli_default_method(p);
    petite_status ls = petite_method_load_ex(p, method, &opt, &m);
    if (ls != PETITE_OK) {
        fprintf(stderr, "petite run: %s\n", petite_last_error());
        if (ls == PETITE_ERR_OPERATOR_MISSING)
            fprintf(stderr, "petite run: a custom operator's kernel can come from a kernel library: --kernel-lib LIB.so "
                            "(examples/custom_op)\n");
        goto done;
    }
    size_t nin, nout;
    petite_method_io_count(m, PETITE_INPUT, &nin);
    petite_method_io_count(m, PETITE_OUTPUT, &nout);
    if (ninputs && (size_t)ninputs != nin) {
        fprintf(stderr, "petite run: method '%s' takes %zu inputs, %d given\n", method, nin, ninputs);
        goto done;
    }
    if (outdir && make_dirs(outdir)) goto done; /* before the run: a long run's outputs have a place */
    int filled = 0;
    void *fills[MAX_INPUTS] = {0};
    for (size_t i = 0; i < nin && i < MAX_INPUTS; i++) {
        petite_io_info info;
        petite_method_io_info(m, PETITE_INPUT, i, &info);
        if (info.kind != PETITE_KIND_TENSOR) {
            if (set_scalar(m, i, ninputs ? inputs[i] : NULL, info.kind)) goto done;
            continue;
        }
        petite_status s;
        if (ninputs) {
            npy_array a;
            char err[256];
            if (npy_read(inputs[i], &a, err, sizeof err)) {
                fprintf(stderr, "petite run: %s\n", err);
                goto done;
            }
            s = petite_method_set_input(m, i, a.dtype, a.rank, a.shape, a.data, a.nbytes, PETITE_COPY);
            npy_free(&a);
        } else {
            size_t nbytes = (size_t)info.nbytes;
            fills[i] = calloc(1, nbytes ? nbytes : 1);
            if (!fills[i]) goto done;
            util_fill(fills[i], info.dtype, (int64_t)(nbytes / petite_dtype_size(info.dtype)), (uint32_t)i);
            s = petite_method_set_input(m, i, info.dtype, info.rank, info.sizes, fills[i], nbytes,
                                        PETITE_COPY);
            free(fills[i]);
            filled = 1;
        }
        if (s != PETITE_OK) {
            fprintf(stderr, "petite run: %s\n", petite_method_errmsg(m));
            goto done;
        }
    }
    if (filled)
        printf("note: no --input given: tensor inputs filled deterministically (LCG, floats in "
               "[-1, 1), integers in [0, 10))\n");
    if (petite_method_run(m) != PETITE_OK) {
        fprintf(stderr, "petite run: %s\n", petite_method_errmsg(m));
        goto done;
    }
    printf("method '%s': %zu output%s\n", method, nout, nout == 1 ? "" : "s");
    for (size_t i = 0; i < nout; i++) {
        petite_io_info info;
        petite_method_io_info(m, PETITE_OUTPUT, i, &info);
        if (info.kind == PETITE_KIND_TENSOR) {
            const void *data;
            size_t nbytes;
            petite_method_output_data(m, i, &data, &nbytes);
            print_tensor(i, &info, data);
            if (outdir) {
                char file[1024], err[256];
                snprintf(file, sizeof file, "%s/output_%zu.npy", outdir, i);
                if (npy_write(file, info.dtype, info.rank, info.sizes, data, nbytes, err, sizeof err)) {
                    fprintf(stderr, "petite run: %s\n", err);
                    goto done;
                }
            }
        } else if (info.kind == PETITE_KIND_INT) {
            int64_t v;
            petite_method_output_int(m, i, &v);
            printf("output %zu: int %lld\n", i, (long long)v);
        } else if (info.kind == PETITE_KIND_DOUBLE) {
            double v;
            petite_method_output_double(m, i, &v);
            printf("output %zu: double %.17g\n", i, v);
        } else if (info.kind == PETITE_KIND_BOOL) {
            int32_t v;
            petite_method_output_bool(m, i, &v);
            printf("output %zu: bool %s\n", i, v ? "true" : "false");
        } else if (info.kind == PETITE_KIND_STRING) {
            const char *str;
            size_t len;
            petite_method_output_string(m, i, &str, &len);
            printf("output %zu: string \"%.*s\"\n", i, (int)len, str);
        } else {
            printf("output %zu: %s\n", i, info.kind == PETITE_KIND_NONE ? "None" : "(list)");
        }
    }
    if (outdir) printf("outputs saved to %s/output_N.npy\n", outdir);
    rc = 0;
done:
    petite_method_free(m);
    petite_program_close(p);
    return rc;
}
