/* emit.h — one code path for structured output: JSON, or the same tree as YAML-style text. */
#ifndef PETITE_TOOLS_EMIT_H
#define PETITE_TOOLS_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EMIT_MAX_DEPTH 32

typedef struct emit {
    FILE *f;
    int json;
    int depth;
    int first[EMIT_MAX_DEPTH];    /* nothing written yet in this container */
    int is_array[EMIT_MAX_DEPTH];
    int dash;                     /* text: next field opens an array element ("- ") */
} emit;

void emit_init(emit *e, FILE *f, int json);
void emit_obj(emit *e, const char *key);   /* key NULL: inside an array, or the root */
void emit_arr(emit *e, const char *key);
void emit_end(emit *e);
void emit_str(emit *e, const char *key, const char *v);
void emit_strn(emit *e, const char *key, const char *v, size_t n);
void emit_int(emit *e, const char *key, long long v);
void emit_num(emit *e, const char *key, double v);           /* every digit (%.17g): data values */
/* a measured quantity: at least `sig` significant digits, at least `decimals` decimals, at most 9 decimals,
 * never an exponent (times in ms: emit_fixed(e, key, ms, 3, 3) -> "12.346", "0.0412", "0.000123") */
void emit_fixed(emit *e, const char *key, double v, int decimals, int sig);
/* the same text into buf ("nan" for NaN / infinity) */
const char *emit_fmt_fixed(char *buf, size_t cap, double v, int decimals, int sig);
void emit_bool(emit *e, const char *key, int v);
void emit_ints(emit *e, const char *key, const int64_t *v, int n);

#endif
