/* fbb.h — a minimal forward FlatBuffers writer for tests: tables get one 8-byte slot per field,
 * children are written after their parents (offsets always point forward). Not for production. */
#ifndef PETITE_TESTS_FBB_H
#define PETITE_TESTS_FBB_H

#include <stdint.h>
#include <string.h>

typedef struct fbb {
    uint8_t b[1 << 16];
    size_t n;
} fbb;

static void fbb_pad(fbb *f, size_t align, size_t phase) {
    while (f->n % align != phase) f->b[f->n++] = 0;
}
static void fbb_w32(fbb *f, size_t at, uint32_t v) { memcpy(f->b + at, &v, 4); }
static uint32_t fbb_r32(const fbb *f, size_t at) { uint32_t v; memcpy(&v, f->b + at, 4); return v; }

/* Start a buffer: root offset placeholder + 4-byte identifier (NULL: none), then `hdr` zero bytes. */
static void fbb_init(fbb *f, const char *ident, size_t hdr) {
    memset(f, 0, sizeof *f);
    if (ident) memcpy(f->b + 4, ident, 4);
    f->n = 8 + hdr;
}
static size_t fbb_table(fbb *f, int nfields) {
    fbb_pad(f, 2, 0);
    size_t vt = f->n;
    uint16_t vsize = (uint16_t)(4 + 2 * nfields), tsize = (uint16_t)(4 + 8 * nfields);
    memcpy(f->b + vt, &vsize, 2);
    memcpy(f->b + vt + 2, &tsize, 2);
    memset(f->b + vt + 4, 0, (size_t)(2 * nfields));
    f->n += vsize;
    fbb_pad(f, 8, 4);
    size_t t = f->n;
    fbb_w32(f, t, (uint32_t)(t - vt));
    memset(f->b + t + 4, 0, (size_t)(tsize - 4));
    f->n += tsize;
    return t;
}
static void fbb_field(fbb *f, size_t t, int i, const void *v, size_t size) {
    size_t vt = t - fbb_r32(f, t);
    uint16_t off = (uint16_t)(4 + 8 * i);
    memcpy(f->b + vt + 4 + 2 * i, &off, 2);
    memcpy(f->b + t + off, v, size);
}
static void fbb_u8(fbb *f, size_t t, int i, uint8_t v) { fbb_field(f, t, i, &v, 1); }
static void fbb_u32(fbb *f, size_t t, int i, uint32_t v) { fbb_field(f, t, i, &v, 4); }
static void fbb_i64(fbb *f, size_t t, int i, int64_t v) { fbb_field(f, t, i, &v, 8); }
static void fbb_ref(fbb *f, size_t t, int i, size_t target) {
    uint32_t rel = (uint32_t)(target - (t + 4 + 8 * (size_t)i));
    fbb_field(f, t, i, &rel, 4);
}
static size_t fbb_vec(fbb *f, const void *elems, uint32_t n, size_t es) {
    fbb_pad(f, 8, 4); /* elements 8-aligned */
    size_t pos = f->n;
    fbb_w32(f, pos, n);
    if (n) memcpy(f->b + pos + 4, elems, n * es);
    f->n += 4 + n * es;
    return pos;
}
static size_t fbb_str(fbb *f, const char *s) {
    size_t pos = fbb_vec(f, s, (uint32_t)strlen(s), 1);
    f->b[f->n++] = 0;
    return pos;
}
/* Vector of n offsets, filled later with fbb_vec_ref. */
static size_t fbb_refs(fbb *f, uint32_t n) {
    fbb_pad(f, 4, 0);
    size_t pos = f->n;
    fbb_w32(f, pos, n);
    memset(f->b + pos + 4, 0, 4 * (size_t)n);
    f->n += 4 + 4 * (size_t)n;
    return pos;
}
static void fbb_vec_ref(fbb *f, size_t vec, uint32_t i, size_t target) {
    fbb_w32(f, vec + 4 + 4 * (size_t)i, (uint32_t)(target - (vec + 4 + 4 * (size_t)i)));
}
static void fbb_finish(fbb *f, size_t root) { fbb_w32(f, 0, (uint32_t)root); }

#endif
