/* fb.h — a bounds-checked reader for FlatBuffers binary data.
 *
 * Nothing is trusted: every offset, vtable, vector length and string is checked against the
 * buffer before it is used, with overflow-safe arithmetic, and values are read byte-wise (no
 * alignment assumptions, little-endian on any host). A failed check fills a pt_err naming the
 * schema field (`what`) and returns non-OK; absent fields give their schema default.
 *
 * Layout reminders: a table starts with an int32 soffset to its vtable (vtable = table - soffset);
 * a vtable is [u16 vtable_size, u16 table_size, u16 field_offset...]; an offset field holds a
 * u32 relative to its own position; a vector is [u32 length, elements...]; a string is a byte
 * vector followed by a NUL; a union is a u8 type field (id n) plus an offset field (id n+1).
 */
#ifndef PETITE_FORMAT_FB_H
#define PETITE_FORMAT_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

typedef struct fb_buf {
    const uint8_t *p;
    size_t n;
} fb_buf;

typedef struct fb_table {
    size_t pos;      /* 0: absent */
    size_t vt;       /* vtable position */
    uint16_t vtsize; /* vtable size in bytes */
    uint16_t tsize;  /* table inline size in bytes */
} fb_table;

typedef struct fb_vec {
    size_t pos;   /* first element; 0 if the vector is absent */
    uint32_t len; /* element count */
} fb_vec;

static inline uint16_t fb_rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t fb_rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline uint64_t fb_rd_u64(const uint8_t *p) {
    return (uint64_t)fb_rd_u32(p) | ((uint64_t)fb_rd_u32(p + 4) << 32);
}

/* Root table of a buffer whose root uoffset is at byte 0. */
petite_status fb_root(const fb_buf *b, fb_table *out, pt_err *e, const char *what);
/* Table at absolute position pos (checks its vtable). */
petite_status fb_table_at(const fb_buf *b, size_t pos, fb_table *out, pt_err *e,
                          const char *what);

bool fb_has(const fb_table *t, const fb_buf *b, unsigned id);

/* Scalars. On a bad field they record the error and return the default. */
petite_status fb_u8(const fb_buf *b, const fb_table *t, unsigned id, uint8_t def, uint8_t *out,
                    pt_err *e, const char *what);
petite_status fb_i8(const fb_buf *b, const fb_table *t, unsigned id, int8_t def, int8_t *out,
                    pt_err *e, const char *what);
petite_status fb_u16(const fb_buf *b, const fb_table *t, unsigned id, uint16_t def,
                     uint16_t *out, pt_err *e, const char *what);
petite_status fb_i32(const fb_buf *b, const fb_table *t, unsigned id, int32_t def, int32_t *out,
                     pt_err *e, const char *what);
petite_status fb_u32(const fb_buf *b, const fb_table *t, unsigned id, uint32_t def,
                     uint32_t *out, pt_err *e, const char *what);
petite_status fb_i64(const fb_buf *b, const fb_table *t, unsigned id, int64_t def, int64_t *out,
                     pt_err *e, const char *what);
petite_status fb_u64(const fb_buf *b, const fb_table *t, unsigned id, uint64_t def,
                     uint64_t *out, pt_err *e, const char *what);
petite_status fb_f32(const fb_buf *b, const fb_table *t, unsigned id, float def, float *out,
                     pt_err *e, const char *what);
petite_status fb_f64(const fb_buf *b, const fb_table *t, unsigned id, double def, double *out,
                     pt_err *e, const char *what);

/* Sub-table (absent: out->pos == 0). */
petite_status fb_table_field(const fb_buf *b, const fb_table *t, unsigned id, fb_table *out,
                             pt_err *e, const char *what);
/* Vector of fixed-size elements (absent: pos 0, len 0). */
petite_status fb_vec_field(const fb_buf *b, const fb_table *t, unsigned id, size_t elem_size,
                           fb_vec *out, pt_err *e, const char *what);
/* String (absent: *s = NULL, *len = 0). The bytes are NUL-terminated in the buffer. */
petite_status fb_string_field(const fb_buf *b, const fb_table *t, unsigned id, const char **s,
                              uint32_t *len, pt_err *e, const char *what);
/* Element i (< v->len, checked) of a vector of tables. */
petite_status fb_vec_table(const fb_buf *b, const fb_vec *v, uint32_t i, fb_table *out,
                           pt_err *e, const char *what);
/* Element i of a vector of strings. */
petite_status fb_vec_string(const fb_buf *b, const fb_vec *v, uint32_t i, const char **s,
                            uint32_t *len, pt_err *e, const char *what);
/* Union: its type (u8 field `type_id`) and value table (field type_id + 1). */
petite_status fb_union_field(const fb_buf *b, const fb_table *t, unsigned type_id,
                             uint8_t *type, fb_table *out, pt_err *e, const char *what);

/* Elements of validated scalar vectors (i < len is the caller's contract). */
static inline int32_t fb_vec_i32(const fb_buf *b, const fb_vec *v, uint32_t i) {
    return (int32_t)fb_rd_u32(b->p + v->pos + (size_t)i * 4);
}
static inline uint32_t fb_vec_u32(const fb_buf *b, const fb_vec *v, uint32_t i) {
    return fb_rd_u32(b->p + v->pos + (size_t)i * 4);
}
static inline int64_t fb_vec_i64(const fb_buf *b, const fb_vec *v, uint32_t i) {
    return (int64_t)fb_rd_u64(b->p + v->pos + (size_t)i * 8);
}
static inline uint64_t fb_vec_u64(const fb_buf *b, const fb_vec *v, uint32_t i) {
    return fb_rd_u64(b->p + v->pos + (size_t)i * 8);
}
static inline uint8_t fb_vec_u8(const fb_buf *b, const fb_vec *v, uint32_t i) {
    return b->p[v->pos + i];
}
static inline double fb_vec_f64(const fb_buf *b, const fb_vec *v, uint32_t i) {
    uint64_t u = fb_rd_u64(b->p + v->pos + (size_t)i * 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}
static inline float fb_vec_f32(const fb_buf *b, const fb_vec *v, uint32_t i) {
    uint32_t u = fb_rd_u32(b->p + v->pos + (size_t)i * 4);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

#endif
