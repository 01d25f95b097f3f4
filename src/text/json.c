/* json.c — see json.h. Recursive descent bounded by PJ_MAX_DEPTH; children are gathered on one
 * scratch stack and copied into chunks when their container closes; strings are unescaped into one
 * buffer as large as the input (an unescaped string is never longer than its JSON form). */
#include "text/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PJ_MAX_DEPTH 256

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    pj_value v[];
} chunk;

struct pj_doc {
    pj_value root;
    char *strings;
    chunk *chunks;
};

typedef struct {
    const char *s;
    size_t n, i;
    pj_doc *d;
    size_t str_used;
    pj_value *stack;
    size_t sp, scap;
    char *err;
    size_t errlen;
    bool failed;
    pj_member_hook hook;
    void *ctx;
} parser;

struct pj_stream {
    parser p;
};

static bool fail(parser *p, const char *fmt, ...) {
    if (p->failed) return false;
    p->failed = true;
    if (p->err && p->errlen) {
        int k = snprintf(p->err, p->errlen, "JSON at byte %zu: ", p->i);
        if (k >= 0 && (size_t)k < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

static void skip_ws(parser *p) {
    /* indentation: eight spaces at a time */
    while (p->n - p->i >= 8) {
        uint64_t w;
        memcpy(&w, p->s + p->i, 8);
        if (w != 0x2020202020202020ull) break;
        p->i += 8;
    }
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static bool push(parser *p, const pj_value *v) {
    if (p->sp == p->scap) {
        size_t cap = p->scap ? p->scap * 2 : 256;
        pj_value *s = realloc(p->stack, cap * sizeof *s);
        if (!s) return fail(p, "out of memory");
        p->stack = s, p->scap = cap;
    }
    p->stack[p->sp++] = *v;
    return true;
}

/* a block of k values copied from the top of the stack */
static pj_value *take(parser *p, size_t k) {
    if (!k) return NULL;
    chunk *c = p->d->chunks;
    if (!c || c->cap - c->used < k) {
        size_t cap = k > 4096 ? k : 4096;
        chunk *nc = malloc(sizeof *nc + cap * sizeof(pj_value));
        if (!nc) {
            fail(p, "out of memory");
            return NULL;
        }
        nc->next = p->d->chunks, nc->used = 0, nc->cap = cap;
        p->d->chunks = c = nc;
    }
    pj_value *dst = c->v + c->used;
    c->used += k;
    memcpy(dst, p->stack + p->sp - k, k * sizeof *dst);
    p->sp -= k;
    return dst;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool hex4(parser *p, uint32_t *out) {
    if (p->n - p->i < 4) return fail(p, "a \\u escape needs four hex digits");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->i + (size_t)k]);
        if (h < 0) return fail(p, "a \\u escape needs four hex digits");
        v = v << 4 | (uint32_t)h;
    }
    p->i += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* the first byte at or after i that ends a string's plain run: '"', '\\' or a control character
 * (eight bytes at a time, then one by one) */
static size_t plain_run(const char *s, size_t i, size_t n) {
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t w, q, b;
        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        if (((q - ones) & ~q & high) | ((b - ones) & ~b & high) | ((w - ones * 0x20) & ~w & high)) break;
        i += 8;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20) break;
        i++;
    }
    return i;
}

static bool parse_string(parser *p, pj_value *v) {
    p->i++; /* the opening quote */
    char *o = p->d->strings + p->str_used, *start = o;
    /* the run without escapes, copied at once */
    size_t b = p->i;
    p->i = plain_run(p->s, p->i, p->n);
    memcpy(o, p->s + b, p->i - b);
    o += p->i - b;
    for (;;) {
        if (p->i >= p->n) return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20) return fail(p, "control character 0x%02x in a string", c);
        if (c != '\\') {
            *o++ = (char)c;
            p->i++;
            continue;
        }
        if (++p->i >= p->n) return fail(p, "unterminated escape");
        char e = p->s[p->i++];
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!hex4(p, &cp)) return false;
            if (cp >= 0xD800 && cp < 0xDC00 && p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                uint32_t lo;
                p->i += 2;
                if (!hex4(p, &lo)) return false;
                if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else p->i = save; /* not a pair: the high one alone */
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD; /* a lone surrogate */
            o += put_utf8(o, cp);
            break;
        }
        default: return fail(p, "bad escape \\%c", e);
        }
    }
    *o++ = 0;
    v->kind = PJ_STRING;
    v->n = (uint32_t)(o - start - 1);
    v->u.str = start;
    p->str_used += (size_t)(o - start);
    return true;
}

static bool parse_number(parser *p, pj_value *v) {
    size_t b = p->i;
    if (p->s[p->i] == '-') p->i++;
    if (p->i >= p->n) return fail(p, "bad number");
    if (p->s[p->i] == '0') p->i++;
    else if (p->s[p->i] >= '1' && p->s[p->i] <= '9')
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    else return fail(p, "bad number");
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return fail(p, "bad number: digits after '.'");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return fail(p, "bad number: exponent digits");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    char buf[64];
    size_t len = p->i - b;
    if (len >= sizeof buf) { /* long numbers: only the magnitude matters here */
        v->kind = PJ_NUMBER, v->n = 0, v->u.num = p->s[b] == '-' ? -1e308 : 1e308;
        return true;
    }
    memcpy(buf, p->s + b, len);
    buf[len] = 0;
    /* strtod is locale-dependent only in the radix character; the C locale is what a library sees
     * unless its host changed it: parse the integer part by hand where there is no fraction */
    bool plain = !memchr(buf, '.', len) && !memchr(buf, 'e', len) && !memchr(buf, 'E', len);
    if (plain && len < 17) {
        int64_t x = 0;
        size_t k = buf[0] == '-';
        for (; k < len; k++) x = x * 10 + (buf[k] - '0');
        v->u.num = (double)(buf[0] == '-' ? -x : x);
    } else {
        v->u.num = strtod(buf, NULL);
    }
    v->kind = PJ_NUMBER, v->n = 0;
    return true;
}

static bool parse_value(parser *p, pj_value *v, int depth, const char *key);

static bool parse_container(parser *p, pj_value *v, int depth, bool obj, const char *key) {
    if (depth >= PJ_MAX_DEPTH) return fail(p, "nested deeper than %d", PJ_MAX_DEPTH);
    p->i++;
    size_t base = p->sp, count = 0;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
        p->i++;
    } else {
        for (;;) {
            pj_value item;
            skip_ws(p);
            if (obj) {
                if (p->i >= p->n || p->s[p->i] != '"') return fail(p, "expected a key string");
                if (!parse_string(p, &item) || !push(p, &item)) return false;
                skip_ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return fail(p, "expected ':'");
                p->i++;
                skip_ws(p);
            }
            int h = obj && depth == 1 && p->hook ? p->hook(p->ctx, key, p->stack[p->sp - 1].u.str, (pj_stream *)p) : PJ_HOOK_TREE;
            if (h == PJ_HOOK_FAIL) return p->failed = true, false;
            if (h == PJ_HOOK_TAKEN) item.kind = PJ_NULL, item.n = 0;
            else if (!parse_value(p, &item, depth + 1, obj ? p->stack[p->sp - 1].u.str : NULL)) return false;
            if (!push(p, &item)) return false;
            count++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
                p->i++;
                break;
            }
            return fail(p, "expected ',' or '%c'", obj ? '}' : ']');
        }
    }
    if (count > UINT32_MAX / 2) return fail(p, "too many items");
    v->kind = obj ? PJ_OBJECT : PJ_ARRAY;
    v->n = (uint32_t)count;
    v->u.items = take(p, p->sp - base);
    return !p->failed;
}

static bool parse_value(parser *p, pj_value *v, int depth, const char *key) {
    skip_ws(p);
    if (p->i >= p->n) return fail(p, "unexpected end");
    char c = p->s[p->i];
    if (c == '{' || c == '[') return parse_container(p, v, depth, c == '{', key);
    if (c == '"') return parse_string(p, v);
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
    static const struct { const char *w; pj_kind k; } lits[] = {{"null", PJ_NULL}, {"true", PJ_TRUE}, {"false", PJ_FALSE}};
    for (int k = 0; k < 3; k++) {
        size_t L = strlen(lits[k].w);
        if (p->n - p->i >= L && !memcmp(p->s + p->i, lits[k].w, L)) {
            p->i += L;
            v->kind = lits[k].k, v->n = 0;
            return true;
        }
    }
    return fail(p, "unexpected character 0x%02x", (unsigned char)c);
}

void pj_free(pj_doc *d) {
    if (!d) return;
    for (chunk *c = d->chunks, *nx; c; c = nx) nx = c->next, free(c);
    free(d->strings);
    free(d);
}

pj_doc *pj_parse(const char *text, size_t n, char *err, size_t errlen) { return pj_parse_hooked(text, n, NULL, NULL, err, errlen); }

pj_doc *pj_parse_hooked(const char *text, size_t n, pj_member_hook member, void *ctx, char *err, size_t errlen) {
    parser p = {text, n, 0, NULL, 0, NULL, 0, 0, err, errlen, false, member, ctx};
    if (err && errlen) err[0] = 0;
    bool too_big = false;
#if SIZE_MAX > 0xFFFFFFFFu
    too_big = n > ((size_t)1 << 32); /* item and byte counts are 32-bit */
#endif
    if (!text || too_big) {
        if (err && errlen) snprintf(err, errlen, "JSON: no text, or larger than 4 GiB");
        return NULL;
    }
    p.d = calloc(1, sizeof *p.d);
    if (!p.d || !(p.d->strings = malloc(n + 1))) {
        if (err && errlen) snprintf(err, errlen, "JSON: out of memory");
        if (p.d) free(p.d);
        return NULL;
    }
    bool ok = parse_value(&p, &p.d->root, 0, NULL);
    if (ok) {
        skip_ws(&p);
        if (p.i != n) ok = fail(&p, "text after the value");
    }
    free(p.stack);
    if (!ok) {
        pj_free(p.d);
        return NULL;
    }
    return p.d;
}

const pj_value *pj_root(const pj_doc *d) { return d ? &d->root : NULL; }

const pj_value *pj_get(const pj_value *obj, const char *key) {
    if (!obj || obj->kind != PJ_OBJECT) return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < obj->n; i++) {
        const pj_value *k = &obj->u.items[2 * i];
        if (k->n == kl && !memcmp(k->u.str, key, kl)) return &obj->u.items[2 * i + 1];
    }
    return NULL;
}

const char *pj_str(const pj_value *v) { return v && v->kind == PJ_STRING ? v->u.str : NULL; }

bool pj_is(const pj_value *v, pj_kind k) { return v && v->kind == k; }

bool pj_bool(const pj_value *v, bool dflt) {
    if (!v) return dflt;
    if (v->kind == PJ_TRUE) return true;
    if (v->kind == PJ_FALSE) return false;
    return dflt;
}

bool pj_int(const pj_value *v, int64_t lo, int64_t hi, int64_t *out) {
    if (!v || v->kind != PJ_NUMBER) return false;
    double x = v->u.num;
    if (!(x >= (double)lo && x <= (double)hi) || x != (double)(int64_t)x) return false;
    *out = (int64_t)x;
    return true;
}

/* ---- streaming (see json.h) ---- */

char pj_s_peek(pj_stream *s) {
    parser *p = &s->p;
    skip_ws(p);
    return p->i < p->n ? p->s[p->i] : 0;
}

bool pj_s_fail(pj_stream *s, const char *what) { return fail(&s->p, "%s", what); }

size_t pj_s_offset(const pj_stream *s) { return s->p.i; }

size_t pj_s_left(const pj_stream *s) { return s->p.n - s->p.i; }

bool pj_s_open(pj_stream *s, char c) {
    if (pj_s_peek(s) != c) return fail(&s->p, "expected '%c'", c);
    s->p.i++;
    return true;
}

int pj_s_next(pj_stream *s, char close, bool first) {
    char c = pj_s_peek(s);
    if (c == close) return s->p.i++, 0;
    if (first) return 1;
    if (c != ',') return fail(&s->p, "expected ',' or '%c'", close), -1;
    s->p.i++;
    if (pj_s_peek(s) == close) return fail(&s->p, "a value after ','"), -1;
    return 1;
}

bool pj_s_colon(pj_stream *s) {
    if (pj_s_peek(s) != ':') return fail(&s->p, "expected ':'");
    s->p.i++;
    return true;
}

bool pj_s_string(pj_stream *s, const char **str, size_t *n) {
    parser *p = &s->p;
    if (pj_s_peek(s) != '"') return fail(p, "expected a string");
    size_t b = p->i + 1, i = plain_run(p->s, b, p->n);
    if (i < p->n && p->s[i] == '"') { /* no escapes: the text itself */
        *str = p->s + b, *n = i - b;
        p->i = i + 1;
        return true;
    }
    pj_value v;
    if (!parse_string(p, &v)) return false;
    *str = v.u.str, *n = v.n;
    return true;
}

bool pj_s_int(pj_stream *s, int64_t lo, int64_t hi, int64_t *out) {
    parser *p = &s->p;
    char c = pj_s_peek(s);
    if (c != '-' && (c < '0' || c > '9')) return fail(p, "expected a number");
    size_t b = p->i;
    /* plain digits (an id): read here */
    if (c != '-' && !(c == '0' && p->n - p->i > 1 && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')) {
        size_t i = p->i;
        int64_t x = 0;
        while (i < p->n && i - b < 18 && p->s[i] >= '0' && p->s[i] <= '9') x = x * 10 + (p->s[i++] - '0');
        char e = i < p->n ? p->s[i] : 0;
        if (i - b < 18 && e != '.' && e != 'e' && e != 'E' && !(e >= '0' && e <= '9')) {
            if (x < lo || x > hi) return fail(p, "not an integer in range");
            p->i = i, *out = x;
            return true;
        }
    }
    pj_value v;
    if (!parse_number(p, &v)) return false;
    if (!pj_int(&v, lo, hi, out)) {
        p->i = b;
        return fail(p, "not an integer in range");
    }
    return true;
}

/* the members' loops, here so the scanning inlines (a vocabulary is 262k members, a merge list
 * half a million items) */
bool pj_s_object_ints(pj_stream *s, int64_t lo, int64_t hi, pj_int_member fn, void *ctx) {
    parser *p = &s->p;
    if (!pj_s_open(s, '{')) return false;
    for (bool first = true;; first = false) {
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == '}') {
            if (!first) return fail(p, "a member after ','");
            p->i++;
            return true;
        }
        const char *key;
        size_t kn;
        int64_t v = 0;
        if (!pj_s_string(s, &key, &kn)) return false;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') return fail(p, "expected ':'");
        p->i++;
        bool ok = pj_s_int(s, lo, hi, &v);
        if (!ok) p->failed = false; /* the caller names the member */
        if (!fn(ctx, key, kn, v, ok)) return p->failed = true, false;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == '}') return fail(p, "a member after ','");
            continue;
        }
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            return true;
        }
        return fail(p, "expected ',' or '}'");
    }
}

bool pj_s_array_pairs(pj_stream *s, pj_pair_item fn, void *ctx) {
    parser *p = &s->p;
    if (!pj_s_open(s, '[')) return false;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') return p->i++, true;
    for (uint32_t k = 0;; k++) {
        const char *l = NULL, *r = NULL;
        size_t ln = 0, rn = 0;
        skip_ws(p);
        char c = p->i < p->n ? p->s[p->i] : 0;
        if (c == '"') {
            if (!pj_s_string(s, &l, &ln)) return false;
        } else if (c == '[') {
            p->i++;
            skip_ws(p);
            bool two = p->i < p->n && p->s[p->i] == '"' && pj_s_string(s, &l, &ln);
            if (two) skip_ws(p);
            two = two && p->i < p->n && p->s[p->i] == ',';
            if (two) p->i++, skip_ws(p);
            two = two && p->i < p->n && p->s[p->i] == '"' && pj_s_string(s, &r, &rn);
            if (two) skip_ws(p);
            two = two && p->i < p->n && p->s[p->i] == ']';
            if (p->failed) return false;
            if (!two) l = NULL, r = NULL; /* not a pair of strings: the caller names the item */
            else p->i++;
        }
        if (!fn(ctx, k, l, ln, r, rn)) return p->failed = true, false;
        if (!l) return p->failed = true, false;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ']') return fail(p, "an item after ','");
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ']') return p->i++, true;
        return fail(p, "expected ',' or ']'");
    }
}
