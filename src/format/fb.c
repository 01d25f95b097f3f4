#include "format/fb.h"

#include <string.h>

/* b->n >= pos + len, without overflow */
static bool in_bounds(const fb_buf *b, size_t pos, size_t len) {
    return pos <= b->n && len <= b->n - pos;
}

petite_status fb_table_at(const fb_buf *b, size_t pos, fb_table *out, pt_err *e,
                          const char *what) {
    memset(out, 0, sizeof *out);
    if (pos == 0 || !in_bounds(b, pos, 4))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: table offset %zu outside the %zu-byte buffer",
                       what, pos, b->n);
    int32_t soff = (int32_t)fb_rd_u32(b->p + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_bounds(b, (size_t)vt, 4))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: vtable of table at %zu is outside the buffer",
                       what, pos);
    uint16_t vtsize = fb_rd_u16(b->p + vt), tsize = fb_rd_u16(b->p + vt + 2);
    if (vtsize < 4 || (vtsize & 1) || !in_bounds(b, (size_t)vt, vtsize))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: bad vtable size %u at %lld", what,
                       (unsigned)vtsize, (long long)vt);
    if (tsize < 4 || !in_bounds(b, pos, tsize))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: table at %zu of size %u overruns the buffer",
                       what, pos, (unsigned)tsize);
    out->pos = pos;
    out->vt = (size_t)vt;
    out->vtsize = vtsize;
    out->tsize = tsize;
    return PETITE_OK;
}

petite_status fb_root(const fb_buf *b, fb_table *out, pt_err *e, const char *what) {
    if (b->n < 8)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: %zu bytes is too small for a flatbuffer",
                       what, b->n);
    uint32_t root = fb_rd_u32(b->p);
    if (root < 8 || root > b->n - 4)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: root offset %u outside [8, %zu]", what,
                       root, b->n - 4);
    return fb_table_at(b, root, out, e, what);
}

/* Position of field `id` with `size` inline bytes, 0 if absent; -1 (as SIZE_MAX) if bad. */
static size_t field_pos(const fb_buf *b, const fb_table *t, unsigned id, size_t size) {
    if (t->pos == 0) return 0;
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vtsize) return 0;
    uint16_t off = fb_rd_u16(b->p + t->vt + slot);
    if (off == 0) return 0;
    /* Like the official verifier, check the field against the buffer, not the vtable's table
     * size: writers emit tables whose last 8-byte field extends past that size. */
    if (off < 4 || !in_bounds(b, t->pos + off, size)) return SIZE_MAX;
    return t->pos + off;
}

bool fb_has(const fb_table *t, const fb_buf *b, unsigned id) {
    size_t p = field_pos(b, t, id, 1);
    return p != 0 && p != SIZE_MAX;
}

#define FB_SCALAR(fname, T, SZ, READ)                                                          \
    petite_status fname(const fb_buf *b, const fb_table *t, unsigned id, T def, T *out,       \
                        pt_err *e, const char *what) {                                         \
        *out = def;                                                                            \
        size_t p = field_pos(b, t, id, SZ);                                                    \
        if (p == SIZE_MAX)                                                                     \
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: field lies outside the buffer", \
                           what);                                                              \
        if (p == 0) return PETITE_OK;                                                          \
        READ;                                                                                  \
        return PETITE_OK;                                                                      \
    }

FB_SCALAR(fb_u8, uint8_t, 1, *out = b->p[p])
FB_SCALAR(fb_i8, int8_t, 1, *out = (int8_t)b->p[p])
FB_SCALAR(fb_u16, uint16_t, 2, *out = fb_rd_u16(b->p + p))
FB_SCALAR(fb_i32, int32_t, 4, *out = (int32_t)fb_rd_u32(b->p + p))
FB_SCALAR(fb_u32, uint32_t, 4, *out = fb_rd_u32(b->p + p))
FB_SCALAR(fb_i64, int64_t, 8, *out = (int64_t)fb_rd_u64(b->p + p))
FB_SCALAR(fb_u64, uint64_t, 8, *out = fb_rd_u64(b->p + p))
FB_SCALAR(fb_f32, float, 4, { uint32_t u = fb_rd_u32(b->p + p); memcpy(out, &u, 4); })
FB_SCALAR(fb_f64, double, 8, { uint64_t u = fb_rd_u64(b->p + p); memcpy(out, &u, 8); })

/* Target of the uoffset stored at absolute position p. */
static petite_status follow(const fb_buf *b, size_t p, size_t *target, pt_err *e,
                            const char *what) {
    uint32_t rel = fb_rd_u32(b->p + p);
    if (rel == 0 || !in_bounds(b, p, rel) || p + rel >= b->n)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: offset %u at %zu points outside the buffer",
                       what, rel, p);
    *target = p + rel;
    return PETITE_OK;
}

static petite_status offset_field(const fb_buf *b, const fb_table *t, unsigned id, size_t *target,
                                  pt_err *e, const char *what) {
    *target = 0;
    size_t p = field_pos(b, t, id, 4);
    if (p == SIZE_MAX)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: field lies outside the buffer", what);
    if (p == 0) return PETITE_OK;
    return follow(b, p, target, e, what);
}

petite_status fb_table_field(const fb_buf *b, const fb_table *t, unsigned id, fb_table *out,
                             pt_err *e, const char *what) {
    memset(out, 0, sizeof *out);
    size_t target = 0;
    petite_status s = offset_field(b, t, id, &target, e, what);
    if (s != PETITE_OK || target == 0) return s;
    return fb_table_at(b, target, out, e, what);
}

static petite_status vec_at(const fb_buf *b, size_t target, size_t elem_size, fb_vec *out,
                            pt_err *e, const char *what) {
    if (!in_bounds(b, target, 4))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: vector header outside the buffer", what);
    uint32_t len = fb_rd_u32(b->p + target);
    if ((size_t)len > (b->n - target - 4) / (elem_size ? elem_size : 1))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "%s: vector of %u elements of %zu bytes overruns the buffer", what, len,
                       elem_size);
    out->pos = target + 4;
    out->len = len;
    return PETITE_OK;
}

petite_status fb_vec_field(const fb_buf *b, const fb_table *t, unsigned id, size_t elem_size,
                           fb_vec *out, pt_err *e, const char *what) {
    out->pos = 0;
    out->len = 0;
    size_t target = 0;
    petite_status s = offset_field(b, t, id, &target, e, what);
    if (s != PETITE_OK || target == 0) return s;
    return vec_at(b, target, elem_size, out, e, what);
}

static petite_status string_at(const fb_buf *b, size_t target, const char **s, uint32_t *len,
                               pt_err *e, const char *what) {
    fb_vec v;
    petite_status st = vec_at(b, target, 1, &v, e, what);
    if (st != PETITE_OK) return st;
    if (v.pos + v.len >= b->n || b->p[v.pos + v.len] != 0)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: string is not NUL-terminated", what);
    *s = (const char *)b->p + v.pos;
    *len = v.len;
    return PETITE_OK;
}

petite_status fb_string_field(const fb_buf *b, const fb_table *t, unsigned id, const char **s,
                              uint32_t *len, pt_err *e, const char *what) {
    *s = NULL;
    *len = 0;
    size_t target = 0;
    petite_status st = offset_field(b, t, id, &target, e, what);
    if (st != PETITE_OK || target == 0) return st;
    return string_at(b, target, s, len, e, what);
}

petite_status fb_vec_table(const fb_buf *b, const fb_vec *v, uint32_t i, fb_table *out,
                           pt_err *e, const char *what) {
    memset(out, 0, sizeof *out);
    if (i >= v->len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: index %u past %u elements", what, i,
                       v->len);
    size_t target = 0;
    petite_status s = follow(b, v->pos + (size_t)i * 4, &target, e, what);
    if (s != PETITE_OK) return s;
    return fb_table_at(b, target, out, e, what);
}

petite_status fb_vec_string(const fb_buf *b, const fb_vec *v, uint32_t i, const char **s,
                            uint32_t *len, pt_err *e, const char *what) {
    *s = NULL;
    *len = 0;
    if (i >= v->len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: index %u past %u elements", what, i,
                       v->len);
    size_t target = 0;
    petite_status st = follow(b, v->pos + (size_t)i * 4, &target, e, what);
    if (st != PETITE_OK) return st;
    return string_at(b, target, s, len, e, what);
}

petite_status fb_union_field(const fb_buf *b, const fb_table *t, unsigned type_id,
                             uint8_t *type, fb_table *out, pt_err *e, const char *what) {
    memset(out, 0, sizeof *out);
    petite_status s = fb_u8(b, t, type_id, 0, type, e, what);
    if (s != PETITE_OK) return s;
    if (*type == 0) return PETITE_OK;
    s = fb_table_field(b, t, type_id + 1, out, e, what);
    if (s != PETITE_OK) return s;
    if (out->pos == 0)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s: union of type %u has no value", what,
                       (unsigned)*type);
    return PETITE_OK;
}
