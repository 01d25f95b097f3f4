/* json.h — a strict JSON reader (RFC 8259) into one allocation-light tree, for tokenizer.json and
 * tokenizer_config.json. Hostile input is expected: depth, sizes and escapes are checked, numbers
 * are parsed without locale, strings are unescaped to UTF-8 (\u escapes with surrogate pairs; a
 * lone surrogate becomes U+FFFD, as JavaScript's JSON.parse keeps it and its UTF-8 encoders
 * replace it). */
#ifndef PETITE_TEXT_JSON_H
#define PETITE_TEXT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PJ_NULL, PJ_FALSE, PJ_TRUE, PJ_NUMBER, PJ_STRING, PJ_ARRAY, PJ_OBJECT } pj_kind;

typedef struct pj_value {
    pj_kind kind;
    uint32_t n;            /* string: bytes; array / object: items */
    union {
        double num;
        const char *str;   /* NUL-terminated (may hold NUL bytes: use n) */
        struct pj_value *items; /* array: n values; object: 2n values, key then value */
    } u;
} pj_value;

typedef struct pj_doc pj_doc;

/* Parse text[0..n). NULL on failure with a message (byte offset and what was expected) in err. */
pj_doc *pj_parse(const char *text, size_t n, char *err, size_t errlen);
const pj_value *pj_root(const pj_doc *d);
void pj_free(pj_doc *d);

/* Lookups (NULL / defaults when absent or of another kind). */
const pj_value *pj_get(const pj_value *obj, const char *key);
const char *pj_str(const pj_value *v);                   /* NULL unless a string */
bool pj_is(const pj_value *v, pj_kind k);
bool pj_bool(const pj_value *v, bool dflt);
/* an integer in [lo, hi] (a number with no fraction); false otherwise */
bool pj_int(const pj_value *v, int64_t lo, int64_t hi, int64_t *out);

#endif
