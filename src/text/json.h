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

/* Streaming, for members too large to hold as a tree (a vocabulary, a merge list): pj_parse_hooked
 * calls `member` for every member of an object that is itself a member of the root object (e.g.
 * model.vocab), with the stream positioned at the value. The hook returns PJ_HOOK_TREE to have the
 * value parsed into the tree as usual, PJ_HOOK_TAKEN after it read the whole value with the pj_s_*
 * calls below (the tree then holds null there), or PJ_HOOK_FAIL (parsing stops: the hook keeps its
 * own message, or the stream's syntax error is in err). */
typedef struct pj_stream pj_stream;
enum { PJ_HOOK_TREE, PJ_HOOK_TAKEN, PJ_HOOK_FAIL };
typedef int (*pj_member_hook)(void *ctx, const char *parent, const char *key, pj_stream *s);
pj_doc *pj_parse_hooked(const char *text, size_t n, pj_member_hook member, void *ctx, char *err, size_t errlen);

char pj_s_peek(pj_stream *s);                          /* the next non-space byte (0 at the end) */
bool pj_s_open(pj_stream *s, char c);                  /* '[' or '{' */
/* 1: an item follows (its ',' read), 0: the container closed, -1: a syntax error. */
int pj_s_next(pj_stream *s, char close, bool first);
/* a string: *str points into the text when it has no escapes, else into the document's own buffer
 * (both stay valid as long as the text and the document do); not NUL-terminated */
bool pj_s_string(pj_stream *s, const char **str, size_t *n);
bool pj_s_colon(pj_stream *s);
bool pj_s_int(pj_stream *s, int64_t lo, int64_t hi, int64_t *out); /* an integer in [lo, hi] */
bool pj_s_fail(pj_stream *s, const char *what);        /* a syntax error at the current byte */
size_t pj_s_offset(const pj_stream *s);                 /* bytes read so far */
size_t pj_s_left(const pj_stream *s);                   /* bytes not read yet */
/* An object of integers, fn called for each member in order (ok: the value is an integer in [lo,
 * hi]; otherwise v is 0 and fn names the member); fn returns false to stop (its own error). */
typedef bool (*pj_int_member)(void *ctx, const char *key, size_t n, int64_t v, bool ok);
bool pj_s_object_ints(pj_stream *s, int64_t lo, int64_t hi, pj_int_member fn, void *ctx);
/* An array whose items are strings or pairs of strings: fn(k, l, ln, r, rn) for item k, with r NULL
 * for a string, l NULL for anything else (fn names the item and returns false). */
typedef bool (*pj_pair_item)(void *ctx, uint32_t k, const char *l, size_t ln, const char *r, size_t rn);
bool pj_s_array_pairs(pj_stream *s, pj_pair_item fn, void *ctx);
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
