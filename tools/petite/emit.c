#include "emit.h"

#include <string.h>

void emit_init(emit *e, FILE *f, int json) {
    memset(e, 0, sizeof *e);
    e->f = f;
    e->json = json;
    e->first[0] = 1;
}

/* the code point of the UTF-8 sequence at s[0..n) and its length; 0xFFFD and 1 for a byte that
 * does not start a valid sequence (overlong, surrogate, past U+10FFFF, truncated) */
static unsigned long utf8_at(const unsigned char *s, size_t n, size_t *len) {
    unsigned long cp;
    size_t k;
    *len = 1;
    if (s[0] < 0x80) return s[0];
    if (s[0] >= 0xC2 && s[0] <= 0xDF) cp = s[0] & 0x1Fu, k = 1;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) cp = s[0] & 0x0Fu, k = 2;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) cp = s[0] & 0x07u, k = 3;
    else return 0xFFFD;
    if (k >= n) return 0xFFFD;
    for (size_t i = 1; i <= k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0xFFFD;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp < 0xE000))
        return 0xFFFD;
    *len = k + 1;
    return cp;
}

/* a JSON string in ASCII: UTF-8 text as \u escapes (surrogate pairs above U+FFFF), invalid bytes as U+FFFD */
static void json_string(FILE *f, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        size_t len;
        unsigned long c = utf8_at(u + i, n - i, &len);
        i += len;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", (int)c);
        else if (c == '\n') fputs("\\n", f);
        else if (c >= 0x20 && c < 0x7f) fputc((int)c, f);
        else if (c < 0x10000) fprintf(f, "\\u%04lx", c);
        else fprintf(f, "\\u%04lx\\u%04lx", 0xD800 + ((c - 0x10000) >> 10), 0xDC00 + ((c - 0x10000) & 0x3FF));
    }
    fputc('"', f);
}

/* Start an entry (key may be NULL in arrays). */
static void key_prefix(emit *e, const char *key) {
    if (e->json) {
        if (!e->first[e->depth]) fputc(',', e->f);
        e->first[e->depth] = 0;
        if (key) {
            json_string(e->f, key, strlen(key));
            fputc(':', e->f);
        }
        return;
    }
    int indent = 2 * (e->depth - 1);
    if (indent < 0) indent = 0;
    if (e->dash) {
        fprintf(e->f, "%*s- ", indent - 2 > 0 ? indent - 2 : 0, "");
        e->dash = 0;
    } else if (!key && e->is_array[e->depth]) {
        fprintf(e->f, "%*s- ", indent, "");
    } else {
        fprintf(e->f, "%*s", indent, "");
    }
    if (key) fprintf(e->f, "%s: ", key);
}

static void open_container(emit *e, const char *key, int array) {
    if (e->depth == 0 && !key && !array) { /* the root object */
        if (e->json) fputc('{', e->f);
        e->depth = 1;
        e->first[1] = 1;
        e->is_array[1] = 0;
        return;
    }
    int in_array = e->is_array[e->depth];
    if (e->json) {
        key_prefix(e, key);
        fputc(array ? '[' : '{', e->f);
    } else if (in_array && !array) {
        /* an object element of an array: its first field gets the dash */
        e->dash = 1;
    } else {
        key_prefix(e, NULL);
        if (key) fprintf(e->f, "%s:", key);
        fputc('\n', e->f);
    }
    if (e->depth + 1 < EMIT_MAX_DEPTH) e->depth++;
    e->first[e->depth] = 1;
    e->is_array[e->depth] = array;
}

void emit_obj(emit *e, const char *key) { open_container(e, key, 0); }
void emit_arr(emit *e, const char *key) { open_container(e, key, 1); }

void emit_end(emit *e) {
    if (e->json) fputc(e->is_array[e->depth] ? ']' : '}', e->f);
    else if (e->is_array[e->depth] && e->first[e->depth]) {
        /* an empty array in text mode shows nothing below its key */
    }
    e->dash = 0;
    if (e->depth > 0) e->depth--;
    if (e->depth == 0 && e->json) fputc('\n', e->f);
}

static void scalar_done(emit *e) {
    if (!e->json) fputc('\n', e->f);
    e->first[e->depth] = 0;
}

void emit_strn(emit *e, const char *key, const char *v, size_t n) {
    key_prefix(e, key);
    if (e->json) json_string(e->f, v, n);
    else fprintf(e->f, "%.*s", (int)n, v);
    scalar_done(e);
}

void emit_str(emit *e, const char *key, const char *v) { emit_strn(e, key, v, strlen(v)); }

void emit_int(emit *e, const char *key, long long v) {
    key_prefix(e, key);
    fprintf(e->f, "%lld", v);
    scalar_done(e);
}

void emit_num(emit *e, const char *key, double v) {
    key_prefix(e, key);
    fprintf(e->f, "%.17g", v);
    scalar_done(e);
}

const char *emit_fmt_fixed(char *buf, size_t cap, double v, int decimals, int sig) {
    if (v != v || v - v != 0) { /* NaN or infinity */
        snprintf(buf, cap, "nan");
        return buf;
    }
    double t = v < 0 ? -v : v, thr = 1;
    int d = decimals;
    /* d decimals show sig significant digits of t when t >= 10^(sig - 1 - d) */
    for (int k = 0; k < sig - 1 - decimals; k++) thr *= 10;
    for (int k = 0; k > sig - 1 - decimals; k--) thr /= 10;
    while (t > 0 && t < thr && d < 9) t *= 10, d++;
    snprintf(buf, cap, "%.*f", d, v);
    return buf;
}

void emit_fixed(emit *e, const char *key, double v, int decimals, int sig) {
    char buf[64];
    key_prefix(e, key);
    emit_fmt_fixed(buf, sizeof buf, v, decimals, sig);
    fputs(e->json && strcmp(buf, "nan") == 0 ? "null" : buf, e->f); /* NaN is no JSON number */
    scalar_done(e);
}

void emit_bool(emit *e, const char *key, int v) {
    key_prefix(e, key);
    fputs(v ? "true" : "false", e->f);
    scalar_done(e);
}

void emit_ints(emit *e, const char *key, const int64_t *v, int n) {
    key_prefix(e, key);
    fputc('[', e->f);
    for (int i = 0; i < n; i++) fprintf(e->f, i ? ", %lld" : "%lld", (long long)v[i]);
    fputc(']', e->f);
    scalar_done(e);
}
