/* npy.c — read and write .npy (the format NumPy's np.save writes). */
#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *descr; int32_t dtype; } descrs[] = {
    {"<f4", PETITE_FLOAT32}, {"<f8", PETITE_FLOAT64}, {"<f2", PETITE_FLOAT16},
    {"<i8", PETITE_INT64},   {"<i4", PETITE_INT32},   {"<i2", PETITE_INT16},
    {"|i1", PETITE_INT8},    {"|u1", PETITE_UINT8},   {"|b1", PETITE_BOOL},
    {"<u2", PETITE_UINT16},  {"<u4", PETITE_UINT32},  {"<u8", PETITE_UINT64},
};

static int fail(char *err, size_t cap, const char *path, const char *what) {
    snprintf(err, cap, "%s: %s", path, what);
    return -1;
}

int npy_read(const char *path, npy_array *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errcap, path, "cannot open");
    unsigned char head[12];
    if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) {
        fclose(f);
        return fail(err, errcap, path, "not a .npy file");
    }
    size_t hlen;
    if (head[6] == 1) {
        hlen = (size_t)head[8] | ((size_t)head[9] << 8);
    } else if (head[6] == 2 || head[6] == 3) {
        if (fread(head + 10, 1, 2, f) != 2) {
            fclose(f);
            return fail(err, errcap, path, "truncated header");
        }
        hlen = (size_t)head[8] | ((size_t)head[9] << 8) | ((size_t)head[10] << 16) |
               ((size_t)head[11] << 24);
    } else {
        fclose(f);
        return fail(err, errcap, path, "unsupported .npy version");
    }
    if (hlen > 1 << 20) {
        fclose(f);
        return fail(err, errcap, path, "header too large");
    }
    char *h = calloc(1, hlen + 1);
    if (!h || fread(h, 1, hlen, f) != hlen) {
        free(h);
        fclose(f);
        return fail(err, errcap, path, "truncated header");
    }
    int rc = -1;
    const char *d = strstr(h, "'descr'"), *fo = strstr(h, "'fortran_order'"), *sh = strstr(h, "'shape'");
    if (!d || !fo || !sh) {
        fail(err, errcap, path, "header lacks descr, fortran_order or shape");
        goto done;
    }
    d = strchr(d + 7, '\'');
    out->dtype = -1;
    for (size_t i = 0; d && i < sizeof descrs / sizeof descrs[0]; i++)
        if (strncmp(d + 1, descrs[i].descr, 3) == 0 && d[4] == '\'') out->dtype = descrs[i].dtype;
    if (out->dtype < 0) {
        fail(err, errcap, path, "unsupported dtype (little-endian bool/int/uint/float only)");
        goto done;
    }
    fo += strlen("'fortran_order'");
    while (*fo == ' ' || *fo == ':') fo++;
    if (strncmp(fo, "True", 4) == 0) {
        fail(err, errcap, path, "Fortran-ordered arrays are not supported");
        goto done;
    }
    const char *p = strchr(sh, '(');
    if (!p) {
        fail(err, errcap, path, "bad shape");
        goto done;
    }
    p++;
    int64_t numel = 1;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || out->rank >= PETITE_MAX_RANK) {
            fail(err, errcap, path, "bad shape");
            goto done;
        }
        out->shape[out->rank++] = v;
        if (v && numel > INT64_MAX / v) {
            fail(err, errcap, path, "shape too large");
            goto done;
        }
        numel *= v;
        p = end;
    }
    /* the data the shape claims must be in the file before anything is allocated for it */
    const size_t es = petite_dtype_size(out->dtype);
    const long here = ftell(f);
    long total = -1;
    if (here >= 0 && fseek(f, 0, SEEK_END) == 0) total = ftell(f);
    if (total < 0 || fseek(f, here, SEEK_SET) != 0) {
        fail(err, errcap, path, "cannot find the file's size");
        goto done;
    }
    const uint64_t avail = (uint64_t)(total - here);
    if ((uint64_t)numel > avail / (es ? es : 1)) {
        char why[160];
        snprintf(why, sizeof why, "the shape needs %llu values of %zu bytes, the file has %llu bytes of data",
                 (unsigned long long)numel, es, (unsigned long long)avail);
        fail(err, errcap, path, why);
        goto done;
    }
    out->nbytes = (size_t)numel * es;
    out->data = malloc(out->nbytes ? out->nbytes : 1);
    if (!out->data || fread(out->data, 1, out->nbytes, f) != out->nbytes) {
        fail(err, errcap, path, "data shorter than its shape");
        goto done;
    }
    rc = 0;
done:
    free(h);
    fclose(f);
    if (rc) npy_free(out);
    return rc;
}

int npy_write(const char *path, int32_t dtype, int32_t rank, const int64_t *shape,
              const void *data, size_t nbytes, char *err, size_t errcap) {
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof descrs / sizeof descrs[0]; i++)
        if (descrs[i].dtype == dtype) descr = descrs[i].descr;
    if (!descr) return fail(err, errcap, path, "dtype has no .npy equivalent");
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int32_t d = 0; d < rank; d++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld%s", (long long)shape[d],
                      rank == 1 ? "," : (d + 1 < rank ? ", " : ""));
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f) return fail(err, errcap, path, "cannot create");
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : fail(err, errcap, path, "write failed");
}

void npy_free(npy_array *a) {
    free(a->data);
    a->data = NULL;
}
