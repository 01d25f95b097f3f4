/* tokenizer.c — the encode / decode pipeline of a Hugging Face tokenizer.json, as its library runs it:
 *
 *   encode: split the text on added tokens that match the raw text (leftmost, longest; lstrip /
 *   rstrip take the whitespace beside them), normalize each other piece, split again on added
 *   tokens that match normalized text, pre-tokenize each piece into words, run the model on each
 *   word, and (with PTK_ADD_SPECIAL) put the post-processor's special tokens around the result;
 *   decode: ids -> token strings (added tokens' content, the model's pieces) -> the decoder chain
 *   -> text (then clean_up_tokenization_spaces when the config asks for it).
 *
 * Loading (the JSON fields, every one checked) is in load.c. */
#if !defined(_WIN32) && !defined(__EMSCRIPTEN__)
#define _DEFAULT_SOURCE /* mmap, MAP_POPULATE */
#define PTK_MMAP 1
#endif
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if PTK_MMAP
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "text/tk.h"

static _Thread_local char g_err[512];

const char *ptk_last_error(void) { return g_err; }

void tk_set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
}

static petite_status oom(void) {
    tk_set_error("out of memory");
    return PETITE_ERR_MEMORY_ALLOCATION_FAILED;
}

/* ---- lists of pieces: one buffer, (offset, length) per piece ---- */

bool pl_add(plist *l, const void *s, size_t n) {
    if (l->oom) return false;
    if (l->count == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 16;
        size_t *o = realloc(l->off, c * sizeof *o), *L = o ? realloc(l->len, c * sizeof *L) : NULL;
        if (o) l->off = o;
        if (!o || !L) return !(l->oom = true);
        l->len = L, l->cap = c;
    }
    l->off[l->count] = l->b.n, l->len[l->count] = n;
    if (!tb_put(&l->b, s, n)) return !(l->oom = true);
    l->count++;
    return true;
}

void pl_clear(plist *l) { l->count = 0, l->b.n = 0, l->oom = false; }

void pl_free(plist *l) {
    free(l->off), free(l->len), free(l->b.p);
    memset(l, 0, sizeof *l);
}

/* ---- splitting by ranges (the Split pre-tokenizer's behaviours) ---- */

/* s[0..n) with its matches (ms[k], me[k]) in order: the pieces behaviour b makes of it (the
 * segments are the gaps and the matches, flipped by invert, folded as the Split pre-tokenizer
 * folds them; empty pieces dropped) */
static bool split_ranges(const uint8_t *s, size_t n, const size_t *ms, const size_t *me, size_t nm, int behavior,
                         bool invert, plist *out) {
    size_t cap = 2 * nm + 1, ns = 0;
    size_t *a = malloc(cap * sizeof *a), *e = malloc(cap * sizeof *e);
    bool *m = malloc(cap * sizeof *m), ok = a && e && m;
    for (size_t k = 0, prev = 0; ok && k <= nm; k++) {
        size_t x = k < nm ? ms[k] : n;
        if (x > prev) a[ns] = prev, e[ns] = x, m[ns++] = invert;
        if (k < nm) a[ns] = ms[k], e[ns] = me[k], m[ns++] = !invert, prev = me[k];
    }
    /* fold: keep[i] says the segment starts a piece, ext[] its end */
    size_t np = 0;
    size_t *pa = ok ? malloc(cap * sizeof *pa) : NULL, *pe = ok ? malloc(cap * sizeof *pe) : NULL;
    ok = ok && pa && pe;
    bool prev_match = false;
    if (ok && behavior == TK_MERGED_NEXT) {
        for (size_t i = ns; i-- > 0;) {
            if (m[i] && !prev_match && np) pa[np - 1] = a[i];
            else pa[np] = a[i], pe[np++] = e[i];
            prev_match = m[i];
        }
        for (size_t i = 0; i < np / 2; i++) { /* back to text order */
            size_t t0 = pa[i], t1 = pe[i];
            pa[i] = pa[np - 1 - i], pe[i] = pe[np - 1 - i], pa[np - 1 - i] = t0, pe[np - 1 - i] = t1;
        }
    } else if (ok) {
        for (size_t i = 0; i < ns; i++) {
            bool join = (behavior == TK_MERGED_PREV && m[i] && !prev_match) ||
                        (behavior == TK_CONTIGUOUS && m[i] == prev_match);
            if (behavior == TK_REMOVED && m[i]) {
                prev_match = m[i];
                continue;
            }
            if (join && np) pe[np - 1] = e[i];
            else pa[np] = a[i], pe[np++] = e[i];
            prev_match = m[i];
        }
    }
    for (size_t i = 0; ok && i < np; i++)
        if (pe[i] > pa[i]) ok = pl_add(out, s + pa[i], pe[i] - pa[i]);
    free(a), free(e), free(m), free(pa), free(pe);
    return ok;
}

/* every match of a regex or a literal in s[0..n), in order (empty matches skipped) */
static bool find_all(const pre_step *p, const uint8_t *s, size_t n, size_t **ms, size_t **me, size_t *nm, size_t *cap) {
    *nm = 0;
    size_t at = 0;
    while (at < n) {
        size_t a, e;
        if (p->re) {
            bool over = false;
            if (!ptx_regex_search(p->re, s, n, at, &a, &e, &over)) {
                if (over) tk_set_error("the split pattern needs too many steps on this text");
                return !over;
            }
        } else {
            const uint8_t *hit = NULL;
            size_t L = p->lit_len;
            for (size_t i = at; L && i + L <= n; i++)
                if (s[i] == (uint8_t)p->lit[0] && !memcmp(s + i, p->lit, L)) {
                    hit = s + i;
                    break;
                }
            if (!hit) break;
            a = (size_t)(hit - s), e = a + L;
        }
        if (e == a) { /* an empty match: step one character */
            size_t L;
            ptu_decode(s + a, n - a, &L);
            at = a + L;
            continue;
        }
        if (*nm == *cap) {
            size_t c = *cap ? *cap * 2 : 64;
            size_t *x = realloc(*ms, c * sizeof *x), *y = x ? realloc(*me, c * sizeof *y) : NULL;
            if (x) *ms = x;
            if (!x || !y) return false;
            *me = y, *cap = c;
        }
        (*ms)[*nm] = a, (*me)[*nm] = e, (*nm)++;
        at = e;
    }
    return true;
}

/* ---- pre-tokenizers ---- */


static bool byte_level(const tokenizer *t, const uint8_t *s, size_t n, plist *out) {
    tbuf b = {0};
    for (size_t i = 0; i < n; i++) tb_cp(&b, t->byte_char[s[i]]);
    bool ok = !b.oom && pl_add(out, b.p ? b.p : (const uint8_t *)"", b.n);
    free(b.p);
    return ok;
}

static bool is_bert_punct(uint32_t c) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
           ptu_is_punctuation(c);
}

/* one pre-tokenizer step over every piece of in, into out; first: in's first piece starts the text */
static bool pre_step_run(const tokenizer *t, const pre_step *p, const plist *in, bool first, plist *out) {
    size_t *ms = NULL, *me = NULL, nm = 0, cap = 0;
    bool ok = true;
    for (size_t k = 0; k < in->count && ok; k++) {
        const uint8_t *s = in->b.p + in->off[k];
        size_t n = in->len[k];
        switch (p->type) {
        case TK_PRE_BYTELEVEL: {
            tbuf tmp = {0};
            if (p->add_prefix_space && (n == 0 || s[0] != ' ') && k == 0 && first) {
                tb_putc(&tmp, ' ');
                tb_put(&tmp, s, n);
                if (tmp.oom) {
                    ok = false;
                    break;
                }
                s = tmp.p, n = tmp.n;
            }
            if (p->use_regex) {
                plist words = {0};
                ok = find_all(&t->gpt2_split, s, n, &ms, &me, &nm, &cap) &&
                     split_ranges(s, n, ms, me, nm, TK_ISOLATED, false, &words);
                for (size_t w = 0; ok && w < words.count; w++) ok = byte_level(t, words.b.p + words.off[w], words.len[w], out);
                pl_free(&words);
            } else {
                ok = byte_level(t, s, n, out);
            }
            free(tmp.p);
            break;
        }
        case TK_PRE_SPLIT:
        case TK_PRE_WHITESPACE:
            ok = find_all(p, s, n, &ms, &me, &nm, &cap) && split_ranges(s, n, ms, me, nm, p->behavior, p->invert, out);
            break;
        case TK_PRE_METASPACE: {
            tbuf b = {0};
            uint32_t rep = p->replacement;
            size_t L;
            bool starts = n && (s[0] == ' ' || ptu_decode(s, n, &L) == rep); /* after spaces become rep */
            if (!starts && (p->prepend == TK_PREPEND_ALWAYS || (p->prepend == TK_PREPEND_FIRST && first && k == 0)))
                tb_cp(&b, rep);
            for (size_t i = 0; i < n; i++) s[i] == ' ' ? tb_cp(&b, rep) : tb_putc(&b, s[i]);
            if (b.oom) {
                ok = false;
            } else if (p->split) { /* each piece starts at a replacement character */
                uint8_t r[4];
                size_t rl = ptu_encode(rep, r), start = 0;
                for (size_t i = 1; i + rl <= b.n && ok; i++)
                    if (!memcmp(b.p + i, r, rl)) ok = pl_add(out, b.p + start, i - start), start = i;
                if (ok && b.n > start) ok = pl_add(out, b.p + start, b.n - start);
            } else {
                ok = pl_add(out, b.p ? b.p : (const uint8_t *)"", b.n);
            }
            free(b.p);
            break;
        }
        case TK_PRE_WHITESPACE_SPLIT:
        case TK_PRE_BERT:
        case TK_PRE_DIGITS:
        case TK_PRE_PUNCT: {
            /* character classes: whitespace removed; punctuation / digits isolated (or runs) */
            size_t i = 0, start = 0;
            int run = 0; /* 0 none, 1 word, 2 digit run */
            while (i <= n && ok) {
                size_t L = 1;
                uint32_t c = i < n ? ptu_decode(s + i, n - i, &L) : ' ';
                bool end = i == n;
                bool ws = p->type != TK_PRE_DIGITS && p->type != TK_PRE_PUNCT && ptu_is_white_space(c);
                bool iso = (p->type == TK_PRE_BERT || p->type == TK_PRE_PUNCT) ? is_bert_punct(c)
                         : p->type == TK_PRE_DIGITS ? (c >= '0' && c <= '9') : false;
                if (end || ws || iso) {
                    if (i > start && ok) ok = pl_add(out, s + start, i - start);
                    if (!end && iso) {
                        if (p->type == TK_PRE_DIGITS && !p->individual) { /* a run of digits */
                            size_t j = i + L;
                            while (j < n && s[j] >= '0' && s[j] <= '9') j++;
                            ok = ok && pl_add(out, s + i, j - i);
                            start = i = j;
                            continue;
                        }
                        ok = ok && pl_add(out, s + i, L);
                    }
                    start = i + L;
                }
                (void)run;
                i += L;
            }
            break;
        }
        default: ok = pl_add(out, s, n); break;
        }
    }
    free(ms), free(me);
    return ok;
}

/* ---- normalizers ---- */

static bool is_cjk(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* s -> *out (a new buffer); false on out of memory */
static bool norm_step_run(const norm_step *st, const uint8_t *s, size_t n, tbuf *o) {
    switch (st->type) {
    case TK_N_NFC: case TK_N_NFD: case TK_N_NFKC: case TK_N_NFKD: {
        uint8_t *r;
        size_t rl;
        ptu_form f = st->type == TK_N_NFC ? PTU_NFC : st->type == TK_N_NFD ? PTU_NFD : st->type == TK_N_NFKC ? PTU_NFKC : PTU_NFKD;
        if (!ptu_normalize(s, n, f, &r, &rl)) return false;
        bool ok = tb_put(o, r, rl);
        free(r);
        return ok;
    }
    case TK_N_LOWER:
        for (size_t i = 0; i < n;) {
            size_t L;
            uint32_t c = ptu_decode(s + i, n - i, &L);
            tb_cp(o, ptu_lower(c));
            i += L;
        }
        return !o->oom;
    case TK_N_STRIP: {
        size_t a = 0, e = n;
        while (st->left && a < e) {
            size_t L;
            if (!ptu_is_white_space(ptu_decode(s + a, e - a, &L))) break;
            a += L;
        }
        while (st->right && e > a) {
            size_t b = e - 1, L;
            while (b > a && (s[b] & 0xC0) == 0x80) b--;
            if (!ptu_is_white_space(ptu_decode(s + b, e - b, &L))) break;
            e = b;
        }
        return tb_put(o, s + a, e - a);
    }
    case TK_N_STRIP_ACCENTS:
        for (size_t i = 0; i < n;) {
            size_t L;
            uint32_t c = ptu_decode(s + i, n - i, &L);
            if (ptu_category_of(c) != PTU_Mn) tb_put(o, s + i, L);
            i += L;
        }
        return !o->oom;
    case TK_N_REPLACE:
    case TK_N_PREPEND:
        if (st->type == TK_N_PREPEND) return (n == 0 || tb_put(o, st->b, st->b_len)) && tb_put(o, s, n);
        if (st->re) {
            size_t at = 0;
            while (at <= n) {
                size_t a, e;
                bool over = false;
                if (!ptx_regex_search(st->re, s, n, at, &a, &e, &over) || e == a) {
                    if (over) return false;
                    break;
                }
                tb_put(o, s + at, a - at);
                tb_put(o, st->b, st->b_len);
                at = e;
            }
            return tb_put(o, s + at, n - at);
        }
        for (size_t i = 0; i < n;) {
            if (st->a_len && i + st->a_len <= n && !memcmp(s + i, st->a, st->a_len)) {
                tb_put(o, st->b, st->b_len);
                i += st->a_len;
            } else {
                tb_putc(o, s[i++]);
            }
        }
        return !o->oom;
    case TK_N_BERT: {
        tbuf t1 = {0};
        const uint8_t *src = s;
        size_t sn = n;
        if (st->strip_accents) { /* NFD, then marks removed (below) */
            uint8_t *r;
            size_t rl;
            if (!ptu_normalize(s, n, PTU_NFD, &r, &rl)) return false;
            t1.p = r, t1.n = rl, t1.cap = rl + 1;
            src = r, sn = rl;
        }
        for (size_t i = 0; i < sn;) {
            size_t L;
            uint32_t c = ptu_decode(src + i, sn - i, &L);
            i += L;
            ptu_category cat = ptu_category_of(c);
            if (st->clean_text) {
                if (c == 0 || c == 0xFFFD) continue;
                bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || cat == PTU_Zs;
                if (!ws && (cat == PTU_Cc || cat == PTU_Cf || cat == PTU_Co || cat == PTU_Cs)) continue;
                if (ws) c = ' ';
            }
            if (st->strip_accents && cat == PTU_Mn) continue;
            if (st->lowercase) c = ptu_lower(c);
            if (st->chinese && is_cjk(c)) {
                tb_putc(o, ' '), tb_cp(o, c), tb_putc(o, ' ');
            } else {
                tb_cp(o, c);
            }
        }
        free(t1.p);
        return !o->oom;
    }
    case TK_N_PRECOMPILED: return charsmap_apply_graphemes(&st->map, s, n, o);
    case TK_N_SPM: return spm_normalize(st, s, n, o);
    default: return tb_put(o, s, n);
    }
}

bool tk_normalize(const tokenizer *t, const uint8_t *s, size_t n, tbuf *out) {
    out->n = 0;
    if (!t->nnorm) return tb_put(out, s, n);
    tbuf a = {0}, b = {0};
    bool ok = tb_put(&a, s, n);
    for (size_t k = 0; k < t->nnorm && ok; k++) {
        b.n = 0;
        ok = tb_put(&b, "", 0) && norm_step_run(&t->norm[k], a.p, a.n, &b) && !b.oom;
        tbuf x = a;
        a = b, b = x;
    }
    ok = ok && tb_put(out, a.p, a.n);
    free(a.p), free(b.p);
    return ok;
}

/* ---- added tokens ---- */

static bool is_word_char(uint32_t c) { return c == '_' || ptu_is_letter(c) || ptu_is_number(c); }

/* the code point before s[i] (0 at the start) */
static uint32_t cp_before(const uint8_t *s, size_t i) {
    if (!i) return 0;
    size_t b = i - 1, L;
    while (b > 0 && (s[b] & 0xC0) == 0x80 && i - b < 4) b--;
    return ptu_decode(s + b, i - b, &L);
}

/* The leftmost-longest added token of the set (normalized or not) in s[from..n): its id and the
 * range it takes (with the whitespace lstrip / rstrip take). false: none. */
static bool find_added(const tokenizer *t, bool normalized, const uint8_t *s, size_t n, size_t from, size_t *ms,
                       size_t *me, int32_t *id) {
    for (size_t i = from; i < n; i++) {
        for (size_t k = t->added_at[s[i]]; k < t->added_at[s[i] + 1]; k++) {
            const added_token *a = &t->added[k];
            if (a->normalized != normalized || a->len > n - i || memcmp(s + i, a->content, a->len)) continue;
            size_t L;
            if (a->single_word && ((i && is_word_char(cp_before(s, i))) ||
                                   (i + a->len < n && is_word_char(ptu_decode(s + i + a->len, n - i - a->len, &L)))))
                continue;
            size_t st = i, en = i + a->len;
            while (a->lstrip && st > from) {
                size_t b = st - 1;
                while (b > from && (s[b] & 0xC0) == 0x80) b--;
                if (!ptu_is_white_space(ptu_decode(s + b, st - b, &L))) break;
                st = b;
            }
            while (a->rstrip && en < n && ptu_is_white_space(ptu_decode(s + en, n - en, &L))) en += L;
            *ms = st, *me = en, *id = a->id;
            return true;
        }
    }
    return false;
}

/* words seen in this call and their ids: text repeats its words, and the model is the costly step */
typedef struct {
    uint32_t *slot;  /* 1 + entry index, 0 empty */
    uint32_t cap;
    struct wentry { uint32_t hash, key_off, key_len, ids_off, ids_n; } *e;
    uint32_t n, ecap;
    tbuf keys;
    ilist ids;
} wcache;

#define WCACHE_MAX_WORD 64
#define WCACHE_MAX_ENTRIES (1u << 16)

static uint32_t whash(const uint8_t *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

/* the word's ids from the cache, or from the model (then remembered while there is room) */
static bool encode_word(const tokenizer *t, wcache *c, const uint8_t *w, size_t n, ilist *out) {
    if (n > WCACHE_MAX_WORD || !c) return model_encode(&t->bpe, w, n, out);
    if (!c->slot) {
        c->cap = 2 * WCACHE_MAX_ENTRIES;
        if (!(c->slot = calloc(c->cap, sizeof *c->slot))) return model_encode(&t->bpe, w, n, out);
    }
    uint32_t h = whash(w, n), i = h & (c->cap - 1);
    for (; c->slot[i]; i = (i + 1) & (c->cap - 1)) {
        const struct wentry *e = &c->e[c->slot[i] - 1];
        if (e->hash == h && e->key_len == n && !memcmp(c->keys.p + e->key_off, w, n)) {
            for (uint32_t k = 0; k < e->ids_n; k++)
                if (!il_push(out, c->ids.p[e->ids_off + k])) return false;
            return true;
        }
    }
    size_t before = out->n;
    if (!model_encode(&t->bpe, w, n, out)) return false;
    if (c->n == WCACHE_MAX_ENTRIES) return true; /* full: no more remembering */
    if (c->n == c->ecap) {
        uint32_t ec = c->ecap ? c->ecap * 2 : 1024;
        struct wentry *ne = realloc(c->e, ec * sizeof *ne);
        if (!ne) return true;
        c->e = ne, c->ecap = ec;
    }
    struct wentry e = {h, (uint32_t)c->keys.n, (uint32_t)n, (uint32_t)c->ids.n, (uint32_t)(out->n - before)};
    if (!tb_put(&c->keys, w, n)) return true;
    for (size_t k = before; k < out->n; k++)
        if (!il_push(&c->ids, out->p[k])) return true;
    c->e[c->n++] = e;
    c->slot[i] = c->n;
    return true;
}

static void wcache_free(wcache *c) { free(c->slot), free(c->e), free(c->keys.p), free(c->ids.p); }

/* pre-tokenize and run the model on one normalized piece */
static bool encode_piece(const tokenizer *t, wcache *wc, const uint8_t *s, size_t n, bool first, ilist *ids) {
    plist a = {0}, b = {0};
    bool ok = pl_add(&a, s, n);
    for (size_t k = 0; k < t->npre && ok; k++) {
        pl_clear(&b);
        ok = pre_step_run(t, &t->pre[k], &a, first, &b) && !b.oom;
        plist x = a;
        a = b, b = x;
    }
    for (size_t w = 0; ok && w < a.count; w++) ok = encode_word(t, wc, a.b.p + a.off[w], a.len[w], ids);
    pl_free(&a), pl_free(&b);
    return ok;
}

/* the normalized-token pass over one raw piece */
static bool encode_raw_piece(const tokenizer *t, wcache *wc, const uint8_t *s, size_t n, bool first, ilist *ids) {
    tbuf nb = {0};
    bool ok = tk_normalize(t, s, n, &nb);
    const uint8_t *p = nb.p ? nb.p : (const uint8_t *)"";
    size_t at = 0, ms, me;
    int32_t id;
    while (ok && find_added(t, true, p, nb.n, at, &ms, &me, &id)) {
        if (ms > at) ok = encode_piece(t, wc, p + at, ms - at, first && at == 0, ids);
        ok = ok && il_push(ids, id);
        at = me;
    }
    if (ok && at < nb.n) ok = encode_piece(t, wc, p + at, nb.n - at, first && at == 0, ids);
    free(nb.p);
    return ok;
}

/* ---- the API ---- */

struct ptk_tokenizer {
    tokenizer t;
};

petite_status ptk_encode(const ptk_tokenizer *tk, const char *text, size_t len, uint32_t flags, int32_t **out,
                         size_t *count) {
    if (!tk || (!text && len) || !out || !count) {
        tk_set_error("ptk_encode: %s is NULL", !tk ? "the tokenizer" : !out ? "ids" : !count ? "count" : "text");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    const tokenizer *t = &tk->t;
    /* invalid UTF-8 is read as U+FFFD first: every later step sees valid text */
    tbuf clean = {0};
    const uint8_t *s = (const uint8_t *)text;
    for (size_t i = 0; i < len;) {
        size_t L;
        uint32_t c = ptu_decode(s + i, len - i, &L);
        if (c == 0xFFFD && !(L == 3 && s[i] == 0xEF && s[i + 1] == 0xBF && s[i + 2] == 0xBD)) tb_cp(&clean, 0xFFFD);
        else tb_put(&clean, s + i, L);
        i += L;
    }
    if (clean.oom) return oom();
    s = clean.p ? clean.p : (const uint8_t *)"";
    size_t n = clean.n, at = 0, ms, me;
    ilist ids = {0};
    wcache wc = {0};
    int32_t id;
    bool ok = true;
    if (flags & PTK_ADD_SPECIAL)
        for (size_t k = 0; k < t->ntmpl && t->tmpl[k] >= 0 && ok; k++) ok = il_push(&ids, t->tmpl[k]);
    const bool specials = !t->specials_on_request || (flags & PTK_ADD_SPECIAL);
    while (ok && specials && find_added(t, false, s, n, at, &ms, &me, &id)) {
        if (ms > at) ok = encode_raw_piece(t, &wc, s + at, ms - at, at == 0, &ids);
        ok = ok && il_push(&ids, id);
        at = me;
    }
    if (ok && at < n) ok = encode_raw_piece(t, &wc, s + at, n - at, at == 0, &ids);
    if (flags & PTK_ADD_SPECIAL) {
        size_t k = 0;
        while (k < t->ntmpl && t->tmpl[k] >= 0) k++;
        for (k = k < t->ntmpl ? k + 1 : k; k < t->ntmpl && ok; k++) ok = il_push(&ids, t->tmpl[k]);
    }
    free(clean.p);
    wcache_free(&wc);
    if (!ok || ids.oom) {
        free(ids.p);
        if (g_err[0] && !ids.oom) return PETITE_ERR_INVALID_ARGUMENT; /* the split pattern's budget */
        return oom();
    }
    *out = ids.p, *count = ids.n;
    return PETITE_OK;
}

static const added_token *added_of(const tokenizer *t, int32_t id) {
    size_t lo = 0, hi = t->nadded;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int32_t x = t->added[t->added_by_id[mid]].id;
        if (x == id) return &t->added[t->added_by_id[mid]];
        if (x < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const char *ptk_token_to_piece(const ptk_tokenizer *tk, int32_t id, size_t *len) {
    if (!tk || id < 0) return NULL;
    const added_token *a = added_of(&tk->t, id);
    if (a) {
        if (len) *len = a->len;
        return a->content;
    }
    const vocab *v = &tk->t.bpe.v;
    if ((uint32_t)id >= v->size || !v->ent[id].p) return NULL;
    if (len) *len = v->ent[id].len;
    return v->ent[id].p;
}

int32_t ptk_piece_to_id(const ptk_tokenizer *tk, const char *piece, size_t len) {
    if (!tk || (!piece && len)) return -1;
    for (size_t k = 0; k < tk->t.nadded; k++)
        if (tk->t.added[k].len == len && !memcmp(tk->t.added[k].content, piece, len)) return tk->t.added[k].id;
    int32_t id = vocab_find(&tk->t.bpe.v, piece ? piece : "", len);
    const vocab *v = &tk->t.bpe.v;
    for (uint32_t k = 0; id < 0 && tk->t.spm && k < v->size; k++) /* SentencePiece pieces text never matches */
        if (v->ent[k].p && v->ent[k].len == len && !memcmp(v->ent[k].p, piece, len)) id = (int32_t)k;
    return id;
}

int32_t ptk_vocab_size(const ptk_tokenizer *tk) { return tk ? tk->t.vocab_size : 0; }
int32_t ptk_bos_id(const ptk_tokenizer *tk) { return tk ? tk->t.bos : -1; }
int32_t ptk_eos_id(const ptk_tokenizer *tk) { return tk ? tk->t.eos : -1; }
int32_t ptk_pad_id(const ptk_tokenizer *tk) { return tk ? tk->t.pad : -1; }
int ptk_is_special(const ptk_tokenizer *tk, int32_t id) {
    const added_token *a = tk ? added_of(&tk->t, id) : NULL;
    return a && a->special;
}

void ptk_free_buffer(void *p) { free(p); }

/* ---- decode ---- */

static int hexdig(uint8_t c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "<0xAB>" -> 0xAB; -1 otherwise */
static int byte_token(const uint8_t *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>' || hexdig(s[3]) < 0 || hexdig(s[4]) < 0) return -1;
    return hexdig(s[3]) * 16 + hexdig(s[4]);
}

/* bytes -> text the lossy way (each maximal invalid subpart one U+FFFD) */
static bool lossy(tbuf *o, const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t L;
        uint32_t c = ptu_decode(s + i, n - i, &L);
        if (c == 0xFFFD) tb_cp(o, c);
        else tb_put(o, s + i, L);
        i += L;
    }
    return !o->oom;
}

static bool dec_step_run(const tokenizer *t, const dec_step *d, const plist *in, plist *out) {
    bool ok = true;
    tbuf acc = {0};
    switch (d->type) {
    case TK_D_BYTELEVEL: { /* all tokens joined, characters back to bytes */
        tbuf raw = {0};
        for (size_t k = 0; k < in->count; k++) {
            const uint8_t *s = in->b.p + in->off[k];
            for (size_t i = 0, n = in->len[k]; i < n;) {
                size_t L;
                uint32_t c = ptu_decode(s + i, n - i, &L);
                if (c < 324 && t->char_byte[c] >= 0) tb_putc(&raw, (uint8_t)t->char_byte[c]);
                else tb_put(&raw, s + i, L);
                i += L;
            }
        }
        ok = !raw.oom && lossy(&acc, raw.p ? raw.p : (const uint8_t *)"", raw.n) && pl_add(out, acc.p ? acc.p : (const uint8_t *)"", acc.n);
        free(raw.p);
        break;
    }
    case TK_D_BYTES: {
        tbuf raw = {0};
        for (size_t k = 0; k < in->count; k++) tb_put(&raw, in->b.p + in->off[k], in->len[k]);
        ok = !raw.oom && lossy(&acc, raw.p ? raw.p : (const uint8_t *)"", raw.n) &&
             pl_add(out, acc.p ? acc.p : (const uint8_t *)"", acc.n);
        free(raw.p);
        break;
    }
    case TK_D_SPM: { /* byte pieces to text (one U+FFFD per byte of an invalid run), U+2581 to a space,
                       * the first piece's space dropped when the model added one */
        plist a = {0};
        dec_step fb = {.type = TK_D_BYTEFALLBACK};
        ok = dec_step_run(t, &fb, in, &a);
        for (size_t k = 0; ok && k < a.count; k++) tb_put(&acc, a.b.p + a.off[k], a.len[k]);
        pl_free(&a);
        tbuf sp = {0};
        for (size_t i = 0; ok && i < acc.n;) {
            if (i + 3 <= acc.n && !memcmp(acc.p + i, "\xE2\x96\x81", 3)) tb_putc(&sp, ' '), i += 3;
            else tb_putc(&sp, acc.p[i++]);
        }
        size_t skip = t->spm_dummy && sp.n && sp.p[0] == ' ';
        ok = ok && !sp.oom && !acc.oom && pl_add(out, sp.p ? sp.p + skip : (const uint8_t *)"", sp.n - skip);
        free(sp.p);
        break;
    }
    case TK_D_FUSE:
        for (size_t k = 0; k < in->count; k++) tb_put(&acc, in->b.p + in->off[k], in->len[k]);
        ok = !acc.oom && pl_add(out, acc.p ? acc.p : (const uint8_t *)"", acc.n);
        break;
    case TK_D_BYTEFALLBACK: { /* runs of <0xXX> tokens -> their text, or one U+FFFD per byte if invalid */
        tbuf run = {0};
        for (size_t k = 0; k <= in->count && ok; k++) {
            int b = k < in->count ? byte_token(in->b.p + in->off[k], in->len[k]) : -1;
            if (b >= 0) {
                tb_putc(&run, (uint8_t)b);
                continue;
            }
            if (run.n) {
                bool valid = true;
                for (size_t i = 0; i < run.n && valid;) {
                    size_t L;
                    uint32_t c = ptu_decode(run.p + i, run.n - i, &L);
                    valid = !(c == 0xFFFD && !(L == 3 && run.p[i] == 0xEF));
                    i += L;
                }
                if (valid) ok = pl_add(out, run.p, run.n);
                else
                    for (size_t i = 0; i < run.n && ok; i++) ok = pl_add(out, "\xEF\xBF\xBD", 3);
                run.n = 0;
            }
            if (k < in->count && ok) ok = pl_add(out, in->b.p + in->off[k], in->len[k]);
        }
        ok = ok && !run.oom;
        free(run.p);
        break;
    }
    case TK_D_REPLACE:
    case TK_D_METASPACE:
    case TK_D_STRIP:
    case TK_D_WORDPIECE:
    case TK_D_BPE:
        for (size_t k = 0; k < in->count && ok; k++) {
            const uint8_t *s = in->b.p + in->off[k];
            size_t n = in->len[k];
            acc.n = 0;
            if (d->type == TK_D_REPLACE) {
                for (size_t i = 0; i < n;)
                    if (d->a_len && i + d->a_len <= n && !memcmp(s + i, d->a, d->a_len)) tb_put(&acc, d->b, d->b_len), i += d->a_len;
                    else tb_putc(&acc, s[i++]);
            } else if (d->type == TK_D_METASPACE) {
                for (size_t i = 0; i < n;) {
                    size_t L;
                    uint32_t c = ptu_decode(s + i, n - i, &L);
                    if (c == d->ch) {
                        if (!(i == 0 && k == 0 && d->prepend != TK_PREPEND_NEVER)) tb_putc(&acc, ' ');
                    } else {
                        tb_put(&acc, s + i, L);
                    }
                    i += L;
                }
            } else if (d->type == TK_D_STRIP) {
                size_t a = 0, e = n, L;
                for (uint32_t j = 0; j < d->start && a < e && ptu_decode(s + a, e - a, &L) == d->ch; j++) a += L;
                for (uint32_t j = 0; j < d->stop && e > a; j++) {
                    size_t b = e - 1;
                    while (b > a && (s[b] & 0xC0) == 0x80) b--;
                    if (ptu_decode(s + b, e - b, &L) != d->ch) break;
                    e = b;
                }
                tb_put(&acc, s + a, e - a);
            } else if (d->type == TK_D_WORDPIECE) {
                if (d->a_len && n >= d->a_len && !memcmp(s, d->a, d->a_len)) tb_put(&acc, s + d->a_len, n - d->a_len);
                else {
                    if (k) tb_putc(&acc, ' ');
                    tb_put(&acc, s, n);
                }
            } else { /* BPEDecoder: the suffix becomes a space (none after the last token) */
                if (d->a_len && n >= d->a_len && !memcmp(s + n - d->a_len, d->a, d->a_len)) {
                    tb_put(&acc, s, n - d->a_len);
                    if (k + 1 < in->count) tb_putc(&acc, ' ');
                } else {
                    tb_put(&acc, s, n);
                }
            }
            ok = !acc.oom && pl_add(out, acc.p ? acc.p : (const uint8_t *)"", acc.n);
        }
        break;
    default: break;
    }
    free(acc.p);
    return ok && !out->oom;
}

/* the tokens' strings through the decoder chain, joined */
static bool decode_tokens(const tokenizer *t, plist *toks, bool raw, tbuf *out) {
    plist b = {0};
    bool ok = true;
    for (size_t k = 0; k < t->ndec && ok; k++) {
        pl_clear(&b);
        ok = dec_step_run(t, &t->dec[k], toks, &b);
        plist x = *toks;
        *toks = b, b = x;
    }
    for (size_t k = 0; ok && k < toks->count; k++) ok = tb_put(out, toks->b.p + toks->off[k], toks->len[k]);
    pl_free(&b);
    if (ok && ((t->cleanup_spaces && !raw) || t->dec_cleanup)) { /* transformers' clean_up_tokenization */
        static const char *const from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's", " 've", " 're"};
        static const char *const to[] = {".", "?", "!", ",", "'", "n't", "'m", "'s", "'ve", "'re"};
        for (size_t r = 0; r < sizeof from / sizeof *from && ok; r++) {
            size_t fl = strlen(from[r]), tl = strlen(to[r]), w = 0;
            for (size_t i = 0; i < out->n;) {
                if (i + fl <= out->n && !memcmp(out->p + i, from[r], fl)) memmove(out->p + w, to[r], tl), w += tl, i += fl;
                else out->p[w++] = out->p[i++];
            }
            out->n = w;
            if (out->p) out->p[w] = 0;
        }
    }
    return ok && !out->oom;
}

petite_status ptk_decode(const ptk_tokenizer *tk, const int32_t *ids, size_t count, uint32_t flags, char **text,
                         size_t *len) {
    if (!tk || (!ids && count) || !text) {
        tk_set_error("ptk_decode: %s is NULL", !tk ? "the tokenizer" : !text ? "text" : "ids");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    plist toks = {0};
    for (size_t k = 0; k < count; k++) {
        size_t L;
        const char *p = ptk_token_to_piece(tk, ids[k], &L);
        if (!p) {
            pl_free(&toks);
            tk_set_error("ptk_decode: id %d (ids[%zu]) is not in the vocabulary (size %d)", (int)ids[k], k,
                         (int)tk->t.vocab_size);
            return PETITE_ERR_INVALID_ARGUMENT;
        }
        if ((flags & PTK_SKIP_SPECIAL) && ptk_is_special(tk, ids[k])) continue;
        if (tk->t.spm && tk->t.ptype[ids[k]] == 3) continue;                /* a control piece: no text */
        if (tk->t.spm && ids[k] == tk->t.bpe.unk) p = " \xE2\x81\x87 ", L = 5; /* the unknown piece: " ⁇ " */
        pl_add(&toks, p, L);
    }
    tbuf out = {0};
    bool ok = !toks.oom && decode_tokens(&tk->t, &toks, flags & PTK_RAW, &out) && tb_put(&out, "", 0);
    pl_free(&toks);
    if (!ok) {
        free(out.p);
        return oom();
    }
    *text = (char *)out.p;
    if (len) *len = out.n;
    return PETITE_OK;
}

/* ---- streaming: decode a window of ids and emit what is new once it ends in a whole character
 * (the window's start moves on once text was emitted, so each push costs the window only) ---- */

struct ptk_stream {
    const ptk_tokenizer *tk;
    uint32_t flags;
    ilist ids;
    size_t prefix, read; /* ids[prefix..read) gave the text emitted so far (prefix_text) */
    tbuf prev, cur, piece;
};

petite_status ptk_stream_new(const ptk_tokenizer *tk, uint32_t flags, ptk_stream **out) {
    if (!tk || !out) {
        tk_set_error("ptk_stream_new: %s is NULL", !tk ? "the tokenizer" : "out");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    ptk_stream *s = calloc(1, sizeof *s);
    if (!s) return oom();
    s->tk = tk, s->flags = flags | PTK_RAW;
    *out = s;
    return PETITE_OK;
}

static petite_status window(ptk_stream *s, size_t a, size_t b, tbuf *o) {
    char *txt;
    size_t n;
    petite_status st = ptk_decode(s->tk, s->ids.p ? s->ids.p + a : NULL, b - a, s->flags, &txt, &n);
    if (st) return st;
    o->n = 0;
    bool ok = tb_put(o, txt, n);
    free(txt);
    return ok ? PETITE_OK : oom();
}

static petite_status stream_emit(ptk_stream *s, bool final, const char **piece, size_t *len) {
    petite_status st;
    s->piece.n = 0;
    if ((st = window(s, s->prefix, s->read, &s->prev)) || (st = window(s, s->prefix, s->ids.n, &s->cur))) return st;
    /* new text: what cur has beyond prev, unless it ends in a replacement character (an
     * incomplete character, decoded lossily) that more tokens may complete */
    bool incomplete = s->cur.n >= 3 && !memcmp(s->cur.p + s->cur.n - 3, "\xEF\xBF\xBD", 3);
    if (s->cur.n > s->prev.n && (final || !incomplete) && !memcmp(s->cur.p, s->prev.p, s->prev.n)) {
        if (!tb_put(&s->piece, s->cur.p + s->prev.n, s->cur.n - s->prev.n)) return oom();
        s->prefix = s->read, s->read = s->ids.n;
    } else if (final && s->cur.n > s->prev.n) {
        if (!tb_put(&s->piece, s->cur.p + s->prev.n, s->cur.n - s->prev.n)) return oom();
    }
    *piece = s->piece.p ? (const char *)s->piece.p : "";
    if (len) *len = s->piece.n;
    return PETITE_OK;
}

petite_status ptk_stream_push(ptk_stream *s, int32_t id, const char **piece, size_t *len) {
    if (!s || !piece) {
        tk_set_error("ptk_stream_push: %s is NULL", !s ? "the stream" : "piece");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    if (!ptk_token_to_piece(s->tk, id, NULL)) {
        tk_set_error("ptk_stream_push: id %d is not in the vocabulary (size %d)", (int)id, (int)s->tk->t.vocab_size);
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    if (!il_push(&s->ids, id)) {
        s->ids.oom = false;
        return oom();
    }
    petite_status st = stream_emit(s, false, piece, len);
    if (st) s->ids.n--; /* refused: as before */
    return st;
}

petite_status ptk_stream_finish(ptk_stream *s, const char **piece, size_t *len) {
    if (!s || !piece) {
        tk_set_error("ptk_stream_finish: %s is NULL", !s ? "the stream" : "piece");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    return stream_emit(s, true, piece, len);
}

void ptk_stream_free(ptk_stream *s) {
    if (!s) return;
    free(s->ids.p), free(s->prev.p), free(s->cur.p), free(s->piece.p);
    free(s);
}

/* ---- loading ---- */

static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    /* the size first (one read of a regular file); then whatever more there is */
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz > 0) cap = (size_t)sz + 1;
        rewind(f);
    }
    for (;;) {
        if (len + 1 >= cap || !buf) {
            size_t c = cap > len + 1 ? cap : (cap ? cap * 2 : 1 << 16);
            char *b = realloc(buf, c + 1);
            if (!b) {
                free(buf), fclose(f);
                return NULL;
            }
            buf = b, cap = c;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    *n = len;
    return buf;
}

petite_status ptk_load_bytes(const void *json, size_t size, const void *config, size_t config_size, ptk_tokenizer **out) {
    g_err[0] = 0;
    if (!json || !out) {
        tk_set_error("ptk_load_bytes: %s is NULL", !json ? "json" : "out");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    ptk_tokenizer *tk = calloc(1, sizeof *tk);
    if (!tk) return oom();
    petite_status st = tk_load(&tk->t, json, size, config, config ? config_size : 0);
    if (st) {
        tk_free(&tk->t);
        free(tk);
        return st;
    }
    *out = tk;
    return PETITE_OK;
}

/* A file's bytes: mapped read-only where the OS can (a 33 MB tokenizer.json is read without copying
 * it into fresh pages), else read. */
typedef struct {
    char *data;
    size_t n;
    bool mapped;
} filebuf;

static bool file_open(const char *path, filebuf *f) {
    memset(f, 0, sizeof *f);
#if PTK_MMAP
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX / 2) {
            int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
            flags |= MAP_POPULATE;
#endif
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
            if (m != MAP_FAILED) {
                close(fd);
                f->data = m, f->n = (size_t)st.st_size, f->mapped = true;
                return true;
            }
        }
        close(fd);
    }
#endif
    f->data = read_all(path, &f->n);
    return f->data != NULL;
}

static void file_close(filebuf *f) {
#if PTK_MMAP
    if (f->mapped) {
        munmap(f->data, f->n);
        memset(f, 0, sizeof *f);
        return;
    }
#endif
    free(f->data);
    memset(f, 0, sizeof *f);
}

petite_status ptk_load_tiktoken(const char *path, const char *encoding, ptk_tokenizer **out) {
    if (!path || !out) {
        tk_set_error("ptk_load_tiktoken: %s is NULL", !path ? "path" : "out");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    filebuf ranks;
    if (!file_open(path, &ranks)) {
        tk_set_error("cannot read %s", path);
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    ptk_tokenizer *tk = calloc(1, sizeof *tk);
    petite_status st = tk ? tk_load_tiktoken(&tk->t, ranks.data, ranks.n, encoding) : oom();
    file_close(&ranks);
    if (st) {
        char msg[sizeof g_err];
        snprintf(msg, sizeof msg, "%s", g_err);
        tk_set_error("%s: %s", path, msg);
        if (tk) tk_free(&tk->t);
        free(tk);
        return st;
    }
    *out = tk;
    return PETITE_OK;
}

petite_status ptk_load_file(const char *path, ptk_tokenizer **out) {
    if (!path || !out) {
        tk_set_error("ptk_load_file: %s is NULL", !path ? "path" : "out");
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    size_t pl = strlen(path), n = 0, cn = 0;
    if (pl > 6 && !strcmp(path + pl - 6, ".model")) { /* a SentencePiece model */
        filebuf data;
        if (!file_open(path, &data)) {
            tk_set_error("cannot read %s", path);
            return PETITE_ERR_INVALID_ARGUMENT;
        }
        ptk_tokenizer *tk = calloc(1, sizeof *tk);
        /* Meta's Llama 3 tokenizer.model is a tiktoken rank file ("BASE64 RANK" lines), not a
         * SentencePiece protobuf: the llama3 encoding (its pattern and 256 special tokens) */
        const char *d = data.data;
        size_t i = 0;
        while (i < data.n && i < 1024 && (isalnum((unsigned char)d[i]) || d[i] == '+' || d[i] == '/' || d[i] == '=')) i++;
        bool rank_file = i > 0 && i < data.n && d[i] == ' ' && i + 1 < data.n && d[i + 1] >= '0' && d[i + 1] <= '9';
        petite_status st = !tk                ? oom()
                           : rank_file ? tk_load_tiktoken(&tk->t, d, data.n, "llama3")
                                       : tk_load_spm(&tk->t, (const uint8_t *)data.data, data.n);
        file_close(&data);
        if (st) {
            char msg[sizeof g_err];
            snprintf(msg, sizeof msg, "%s", g_err);
            tk_set_error("%s: %s", path, msg);
            if (tk) tk_free(&tk->t);
            free(tk);
            return st;
        }
        *out = tk;
        return PETITE_OK;
    }
    if (pl > 9 && !strcmp(path + pl - 9, ".tiktoken")) { /* the encoding named by the file: o200k_base.tiktoken */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(base) - 9), base);
        return ptk_load_tiktoken(path, name, out);
    }
    char *jpath = malloc(pl + 32), *cpath = malloc(pl + 32);
    if (!jpath || !cpath) {
        free(jpath), free(cpath);
        return oom();
    }
    /* a directory: its tokenizer.json; a file: that file. tokenizer_config.json beside either */
    snprintf(jpath, pl + 32, "%s/tokenizer.json", path);
    FILE *probe = fopen(jpath, "rb");
    if (probe) fclose(probe);
    else snprintf(jpath, pl + 32, "%s", path);
    const char *slash = strrchr(jpath, '/');
    size_t dl = slash ? (size_t)(slash - jpath) + 1 : 0;
    snprintf(cpath, pl + 32, "%.*stokenizer_config.json", (int)dl, jpath);
    filebuf json;
    if (!file_open(jpath, &json)) {
        tk_set_error("cannot read %s", jpath);
        free(jpath), free(cpath);
        return PETITE_ERR_INVALID_ARGUMENT;
    }
    n = json.n;
    char *config = read_all(cpath, &cn);
    petite_status st = ptk_load_bytes(json.data, n, config, cn, out);
    if (st) {
        char msg[sizeof g_err];
        snprintf(msg, sizeof msg, "%s", g_err);
        tk_set_error("%s: %s", jpath, msg);
    }
    file_close(&json);
    free(config), free(jpath), free(cpath);
    return st;
}

void ptk_free(ptk_tokenizer *tk) {
    if (!tk) return;
    tk_free(&tk->t);
    free(tk);
}
