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
} parser;

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

static bool parse_string(parser *p, pj_value *v) {
    p->i++; /* the opening quote */
    char *o = p->d->strings + p->str_used, *start = o;
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

static bool parse_value(parser *p, pj_value *v, int depth);

static bool parse_container(parser *p, pj_value *v, int depth, bool obj) {
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
            if (!parse_value(p, &item, depth + 1) || !push(p, &item)) return false;
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

static bool parse_value(parser *p, pj_value *v, int depth) {
    skip_ws(p);
    if (p->i >= p->n) return fail(p, "unexpected end");
    char c = p->s[p->i];
    if (c == '{' || c == '[') return parse_container(p, v, depth, c == '{');
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

pj_doc *pj_parse(const char *text, size_t n, char *err, size_t errlen) {
    parser p = {text, n, 0, NULL, 0, NULL, 0, 0, err, errlen, false};
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
    bool ok = parse_value(&p, &p.d->root, 0);
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
