/* spm.c — SentencePiece: the .model file (a ModelProto, read field by field with every length
 * checked), its normalizer (the precompiled character map: a double-array trie of input prefixes
 * and their replacements, longest match first; then the whitespace rules) and its decoding rules.
 * The same character map serves tokenizer.json's "Precompiled" normalizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/tk.h"

#define BAD(...) (tk_set_error(__VA_ARGS__), PETITE_ERR_INVALID_PROGRAM)
#define OOM() (tk_set_error("out of memory"), PETITE_ERR_MEMORY_ALLOCATION_FAILED)

/* ---- the precompiled character map ---- */

bool charsmap_init(charsmap *m, const uint8_t *blob, size_t n) {
    memset(m, 0, sizeof *m);
    if (n < 4) return false;
    uint32_t trie = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 24;
    if (trie % 4 || trie > n - 4) return false;
    m->units = trie / 4;
    m->unit = malloc(trie ? trie : 4);
    m->norm_len = n - 4 - trie;
    m->norm = malloc(m->norm_len + 1);
    if (!m->unit || !m->norm) return false;
    for (uint32_t i = 0; i < m->units; i++) {
        const uint8_t *p = blob + 4 + 4 * (size_t)i;
        m->unit[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
    memcpy(m->norm, blob + 4 + trie, m->norm_len);
    m->norm[m->norm_len] = 0;
    return true;
}

void charsmap_free(charsmap *m) {
    free(m->unit), free(m->norm);
    memset(m, 0, sizeof *m);
}

/* the longest prefix of s[0..n) the trie holds: its length and its replacement's offset (0: none) */
static size_t longest(const charsmap *m, const uint8_t *s, size_t n, uint32_t *value) {
    if (!m->units) return 0;
    uint32_t pos = 0, unit = m->unit[0];
    size_t best = 0;
#define OFFSET(u) (((u) >> 10) << (((u) & (1u << 9)) >> 6))
#define LABEL(u) ((u) & ((1u << 31) | 0xFFu))
#define HAS_LEAF(u) (((u) >> 8) & 1u)
    pos ^= OFFSET(unit);
    for (size_t i = 0; i < n; i++) {
        pos ^= s[i];
        if (pos >= m->units) break;
        unit = m->unit[pos];
        if (LABEL(unit) != s[i]) break;
        pos ^= OFFSET(unit);
        if (pos >= m->units) break;
        if (HAS_LEAF(unit)) {
            uint32_t v = m->unit[pos] & ((1u << 31) - 1);
            if (v < m->norm_len) *value = v, best = i + 1;
        }
    }
#undef OFFSET
#undef LABEL
#undef HAS_LEAF
    return best;
}

/* s through the map: each position's longest match replaced, other characters kept (invalid bytes:
 * U+FFFD, one byte at a time, as SentencePiece reads them) */
bool charsmap_apply(const charsmap *m, const uint8_t *s, size_t n, tbuf *o) {
    for (size_t i = 0; i < n;) {
        uint32_t v = 0;
        size_t L = longest(m, s + i, n - i, &v);
        if (L) {
            tb_put(o, m->norm + v, strlen(m->norm + v));
            i += L;
            continue;
        }
        uint32_t c = ptu_decode(s + i, n - i, &L);
        if (c == 0xFFFD && !(L == 3 && s[i] == 0xEF)) tb_cp(o, 0xFFFD), L = 1;
        else tb_put(o, s + i, L);
        i += L;
    }
    return !o->oom;
}

/* the first (shortest) prefix of s[0..n) the trie holds: its replacement's offset; false if none */
static bool shortest(const charsmap *m, const uint8_t *s, size_t n, uint32_t *value) {
    if (!m->units) return false;
    uint32_t pos = m->unit[0], unit;
    pos = ((pos >> 10) << ((pos & (1u << 9)) >> 6));
    for (size_t i = 0; i < n; i++) {
        pos ^= s[i];
        if (pos >= m->units) return false;
        unit = m->unit[pos];
        if ((unit & ((1u << 31) | 0xFFu)) != s[i]) return false;
        pos ^= ((unit >> 10) << ((unit & (1u << 9)) >> 6));
        if (pos >= m->units) return false;
        if ((unit >> 8) & 1u) {
            uint32_t v = m->unit[pos] & ((1u << 31) - 1);
            if (v < m->norm_len) {
                *value = v;
                return true;
            }
        }
    }
    return false;
}

/* The map as Hugging Face's tokenizers apply a tokenizer.json "Precompiled" normalizer: per extended
 * grapheme cluster, a cluster shorter than 6 bytes with a prefix in the map becomes that prefix's
 * replacement (the first, shortest one: the whole cluster is replaced); otherwise each character
 * with a prefix in the map becomes its replacement. (SentencePiece itself takes the longest match
 * over the bytes: charsmap_apply.) */
bool charsmap_apply_graphemes(const charsmap *m, const uint8_t *s, size_t n, tbuf *o) {
    for (size_t i = 0; i < n;) {
        size_t g = ptu_grapheme_len(s + i, n - i);
        uint32_t v;
        if (g < 6 && shortest(m, s + i, g, &v)) {
            tb_put(o, m->norm + v, strlen(m->norm + v));
            i += g;
            continue;
        }
        for (size_t j = i; j < i + g;) {
            size_t L;
            uint32_t c = ptu_decode(s + j, i + g - j, &L);
            if (shortest(m, s + j, L, &v)) tb_put(o, m->norm + v, strlen(m->norm + v));
            else if (c == 0xFFFD && !(L == 3 && s[j] == 0xEF)) tb_cp(o, 0xFFFD);
            else tb_put(o, s + j, L);
            j += L;
        }
        i += g;
    }
    return !o->oom;
}

/* SentencePiece's normalizer: the map, then whitespace: leading and trailing spaces removed and runs
 * made one (remove_extra_whitespaces), a space put first (add_dummy_prefix), spaces written as U+2581
 * (escape_whitespaces) */
bool spm_normalize(const norm_step *st, const uint8_t *s, size_t n, tbuf *o) {
    tbuf a = {0};
    if (st->map.units) {
        if (!charsmap_apply(&st->map, s, n, &a)) {
            free(a.p);
            return false;
        }
    } else if (!tb_put(&a, s, n)) {
        return false;
    }
    const uint8_t *p = a.p ? a.p : (const uint8_t *)"";
    size_t b = 0, e = a.n;
    if (st->left) { /* remove_extra_whitespaces */
        while (b < e && p[b] == ' ') b++;
        while (e > b && p[e - 1] == ' ') e--;
    }
    if (b < e && st->chinese /* add_dummy_prefix */) st->right ? tb_cp(o, 0x2581) : tb_putc(o, ' ');
    bool prev_space = false;
    for (size_t i = b; i < e; i++) {
        bool sp = p[i] == ' ';
        if (sp && prev_space && st->left) continue;
        prev_space = sp;
        if (sp && st->right /* escape_whitespaces */) tb_cp(o, 0x2581);
        else tb_putc(o, p[i]);
    }
    free(a.p);
    return !o->oom;
}

/* ---- the .model file ---- */

typedef struct {
    const uint8_t *p, *end;
    bool bad;
} pb;

static uint64_t varint(pb *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) break;
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}

/* the next field: its number, wire type, and for length-delimited ones the bytes */
static bool field(pb *r, uint32_t *num, uint32_t *wt, pb *sub, uint64_t *val) {
    if (r->p >= r->end || r->bad) return false;
    uint64_t key = varint(r);
    *num = (uint32_t)(key >> 3), *wt = (uint32_t)(key & 7);
    switch (*wt) {
    case 0: *val = varint(r); break;
    case 1:
        if (r->end - r->p < 8) return !(r->bad = true);
        memcpy(val, r->p, 8), r->p += 8;
        break;
    case 5: {
        if (r->end - r->p < 4) return !(r->bad = true);
        uint32_t x;
        memcpy(&x, r->p, 4), r->p += 4, *val = x;
        break;
    }
    case 2: {
        uint64_t len = varint(r);
        if (r->bad || len > (uint64_t)(r->end - r->p)) return !(r->bad = true);
        sub->p = r->p, sub->end = r->p + len, sub->bad = false;
        r->p += len;
        break;
    }
    default: return !(r->bad = true);
    }
    return !r->bad;
}

enum { SP_NORMAL = 1, SP_UNKNOWN = 2, SP_CONTROL = 3, SP_USER = 4, SP_UNUSED = 5, SP_BYTE = 6 };

petite_status tk_load_spm(tokenizer *t, const uint8_t *data, size_t n) {
    memset(t, 0, sizeof *t);
    t->bos = t->eos = t->pad = -1;
    pb r = {data, data + n, false}, sub;
    uint32_t num, wt, count = 0;
    uint64_t val;
    int64_t model_type = 1, unk = 0, bos = 1, eos = 2, pad = -1;
    bool byte_fallback = false, dummy = true, extra = true, escape = true;
    pb norm = {0}, map = {0};
    /* pass 1: count pieces, read the specs */
    while (field(&r, &num, &wt, &sub, &val)) {
        if (num == 1 && wt == 2) count++;
        else if (num == 2 && wt == 2) {
            pb s = sub, x;
            while (field(&s, &num, &wt, &x, &val)) {
                if (wt != 0) continue;
                if (num == 3) model_type = (int64_t)val;
                else if (num == 35) byte_fallback = val != 0;
                else if (num == 40) unk = (int32_t)val;
                else if (num == 41) bos = (int32_t)val;
                else if (num == 42) eos = (int32_t)val;
                else if (num == 43) pad = (int32_t)val;
            }
            if (s.bad) return BAD("SentencePiece model: trainer_spec is damaged");
        } else if (num == 3 && wt == 2) {
            norm = sub;
        }
    }
    if (r.bad || !count) return BAD("SentencePiece model: %s", r.bad ? "not a ModelProto (a field runs past the end)" : "no pieces");
    if (model_type != 1 && model_type != 2)
        return BAD("SentencePiece model: trainer_spec.model_type %d is not supported (1 UNIGRAM and 2 BPE are)", (int)model_type);
    if (norm.p) {
        pb s = norm, x;
        while (field(&s, &num, &wt, &x, &val)) {
            if (num == 2 && wt == 2) map = x;
            else if (num == 3 && wt == 0) dummy = val != 0;
            else if (num == 4 && wt == 0) extra = val != 0;
            else if (num == 5 && wt == 0) escape = val != 0;
        }
        if (s.bad) return BAD("SentencePiece model: normalizer_spec is damaged");
    }
    bpe_model *b = &t->bpe;
    b->kind = model_type == 1 ? TK_MODEL_UNIGRAM : TK_MODEL_SPM_BPE;
    b->byte_fallback = byte_fallback;
    t->vocab_size = (int32_t)count;
    if (!vocab_init(&b->v, count) || !(b->score = calloc(count, sizeof *b->score)) ||
        !(t->ptype = calloc(count, 1)) || !(b->rank = calloc(count, sizeof *b->rank)))
        return OOM();
    /* pass 2: the pieces */
    r.p = data, r.bad = false;
    uint32_t id = 0;
    while (field(&r, &num, &wt, &sub, &val)) {
        if (!(num == 1 && wt == 2)) continue;
        pb s = sub, x;
        const uint8_t *piece = NULL;
        size_t plen = 0;
        float score = 0.0f;
        uint32_t type = SP_NORMAL;
        while (field(&s, &num, &wt, &x, &val)) {
            if (num == 1 && wt == 2) piece = x.p, plen = (size_t)(x.end - x.p);
            else if (num == 2 && wt == 5) {
                uint32_t bits = (uint32_t)val;
                memcpy(&score, &bits, 4);
            } else if (num == 3 && wt == 0) type = (uint32_t)val;
        }
        if (s.bad || !piece) return BAD("SentencePiece model: pieces[%u] is damaged", id);
        if (!vocab_set(&b->v, id, (const char *)piece, plen)) return OOM();
        b->score[id] = score, t->ptype[id] = (uint8_t)type;
        uint32_t chars = 0;
        for (size_t i = 0; i < plen; i++) chars += (piece[i] & 0xC0) != 0x80;
        if (chars > b->max_chars) b->max_chars = chars;
        if ((type == SP_NORMAL || type == SP_USER) && (id == 0 || score < b->min_score)) b->min_score = score;
        id++;
    }
    /* BPE merges the pair whose joined piece scores highest: ranks by score, ties by id */
    { /* a shell sort: by score, highest first */
        uint32_t *ord = malloc(count * sizeof *ord);
        if (!ord) return OOM();
        for (uint32_t i = 0; i < count; i++) ord[i] = i;
        for (uint32_t gap = count / 2; gap; gap /= 2)
            for (uint32_t i = gap; i < count; i++)
                for (uint32_t j = i; j >= gap; j -= gap) {
                    uint32_t a = ord[j - gap], c = ord[j];
                    if (b->score[a] > b->score[c] || (b->score[a] == b->score[c] && a < c)) break;
                    ord[j - gap] = c, ord[j] = a;
                }
        for (uint32_t i = 0; i < count; i++) b->rank[ord[i]] = i;
        free(ord);
    }
    b->unk = unk >= 0 && unk < count ? (int32_t)unk : -1;
    b->fuse_unk = true;
    for (int k = 0; k < 256; k++) {
        char h[8];
        snprintf(h, sizeof h, "<0x%02X>", k);
        int32_t bid = vocab_find(&b->v, h, 6);
        b->byte_id[k] = bid >= 0 && t->ptype[bid] == SP_BYTE ? bid : -1;
    }
    /* only normal and user-defined pieces match text: control, unknown, unused and byte pieces are
     * never read from it */
    for (uint32_t i = 0; i < count; i++)
        if (t->ptype[i] != SP_NORMAL && t->ptype[i] != SP_USER) vocab_unmap(&b->v, i);
    /* user-defined pieces match in the raw text like added tokens */
    size_t nuser = 0;
    for (uint32_t i = 0; i < count; i++) nuser += t->ptype[i] == SP_USER;
    if (nuser && !(t->added = calloc(nuser, sizeof *t->added))) return OOM();
    for (uint32_t i = 0; i < count; i++) {
        if (t->ptype[i] != SP_USER) continue;
        added_token *a = &t->added[t->nadded++];
        a->id = (int32_t)i, a->len = b->v.ent[i].len, a->normalized = false;
        if (!(a->content = malloc(a->len + 1))) return OOM();
        memcpy(a->content, b->v.ent[i].p, a->len + 1);
    }
    if (!tk_index_added(t)) return OOM();
    /* the normalizer, one step */
    norm_step *st = &t->norm[t->nnorm++];
    st->type = TK_N_SPM, st->left = extra, st->chinese = dummy, st->right = escape;
    if (map.p && (map.end > map.p) && !charsmap_init(&st->map, map.p, (size_t)(map.end - map.p)))
        return BAD("SentencePiece model: normalizer_spec.precompiled_charsmap is damaged");
    t->bos = bos >= 0 && bos < count ? (int32_t)bos : -1;
    t->eos = eos >= 0 && eos < count ? (int32_t)eos : -1;
    t->pad = pad >= 0 && pad < count ? (int32_t)pad : -1;
    if (!(t->tmpl = malloc(3 * sizeof *t->tmpl))) return OOM();
    if (t->bos >= 0) t->tmpl[t->ntmpl++] = t->bos;
    t->tmpl[t->ntmpl++] = -1;
    if (t->eos >= 0) t->tmpl[t->ntmpl++] = t->eos;
    t->spm = true, t->spm_dummy = dummy;
    t->dec[t->ndec++].type = TK_D_SPM;
    for (int k = 0; k < 324; k++) t->char_byte[k] = -1;
    return PETITE_OK;
}
