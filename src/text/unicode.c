/* unicode.c — UTF-8 decoding and encoding, general categories, JavaScript's \s, simple lowercase,
 * the four normalization forms (UAX #15) and extended grapheme clusters (UAX #29), over the tables
 * tools/gen_unicode.py generates from Unicode 15.0 (unicode_tables.h). No allocation except
 * ptu_normalize's output and scratch. */
#include "text/text.h"

#include <stdlib.h>
#include <string.h>

#include "text/unicode_tables.h"

// --- UTF-8 ---------------------------------------------------------------------------------------

uint32_t ptu_decode(const uint8_t *s, size_t n, size_t *len) {
    uint32_t b0 = s[0];
    if (b0 < 0x80) { *len = 1; return b0; }
    size_t need;       // continuation bytes after b0
    uint32_t lo = 0x80, hi = 0xBF, cp; // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; cp = b0 & 0x1F; }
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2; cp = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;        // overlong
        else if (b0 == 0xED) hi = 0x9F;   // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3; cp = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;        // overlong
        else if (b0 == 0xF4) hi = 0x8F;   // > U+10FFFF
    } else { *len = 1; return 0xFFFD; }   // 80..C1, F5..FF: never start a sequence
    // maximal subpart: stop before the first byte that cannot continue the sequence
    for (size_t i = 1; i <= need; i++) {
        if (i >= n) { *len = i; return 0xFFFD; }
        uint32_t b = s[i];
        if (b < lo || b > hi) { *len = i; return 0xFFFD; }
        cp = cp << 6 | (b & 0x3F);
        lo = 0x80; hi = 0xBF;
    }
    *len = need + 1;
    return cp;
}

size_t ptu_encode(uint32_t cp, uint8_t out[4]) {
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { out[0] = (uint8_t)(0xC0 | cp >> 6); out[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD; // contract says never; stay safe
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12); out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18); out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)); out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

// --- properties ----------------------------------------------------------------------------------

static uint32_t high_range_value(const uint32_t *r, size_t count, uint32_t cp) {
    size_t lo = 0, hi = count;   // r: (start, end, value) sorted
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[3 * mid]) hi = mid;
        else if (cp > r[3 * mid + 1]) lo = mid + 1;
        else return r[3 * mid + 2];
    }
    return 0;
}

ptu_category ptu_category_of(uint32_t cp) {
    if (cp < PTU_TABLE_LIMIT) {
        uint32_t blk = ptu_cat_stage1[cp >> PTU_CAT_SHIFT];
        return (ptu_category)ptu_cat_stage2[blk << PTU_CAT_SHIFT | (cp & ((1u << PTU_CAT_SHIFT) - 1))];
    }
    return (ptu_category)high_range_value(ptu_cat_high, PTU_CAT_HIGH_COUNT, cp);
}

static uint32_t ccc_of(uint32_t cp) {
    if (cp < 0x300) return 0;
    if (cp < PTU_TABLE_LIMIT) {
        uint32_t blk = ptu_ccc_stage1[cp >> PTU_CCC_SHIFT];
        return ptu_ccc_stage2[blk << PTU_CCC_SHIFT | (cp & ((1u << PTU_CCC_SHIFT) - 1))];
    }
    return high_range_value(ptu_ccc_high, PTU_CCC_HIGH_COUNT, cp);
}

bool ptu_is_letter(uint32_t cp) { ptu_category c = ptu_category_of(cp); return c >= PTU_Lu && c <= PTU_Lo; }
bool ptu_is_number(uint32_t cp) { ptu_category c = ptu_category_of(cp); return c >= PTU_Nd && c <= PTU_No; }
bool ptu_is_mark(uint32_t cp) { ptu_category c = ptu_category_of(cp); return c >= PTU_Mn && c <= PTU_Me; }
bool ptu_is_punctuation(uint32_t cp) { ptu_category c = ptu_category_of(cp); return c >= PTU_Pc && c <= PTU_Po; }

bool ptu_is_white_space(uint32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    size_t lo = 0, hi = PTU_JS_SPACE_COUNT;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < ptu_js_space[2 * mid]) hi = mid;
        else if (cp > ptu_js_space[2 * mid + 1]) lo = mid + 1;
        else return true;
    }
    return false;
}

// runs: (start, count, delta, stride) sorted by start
static uint32_t map_runs(const int32_t *runs, size_t count, uint32_t cp) {
    size_t lo = 0, hi = count;   // first run with start > cp
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uint32_t)runs[4 * mid] <= cp) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return cp;
    const int32_t *r = runs + 4 * (lo - 1);
    uint32_t off = cp - (uint32_t)r[0];
    if (off % (uint32_t)r[3] != 0 || off / (uint32_t)r[3] >= (uint32_t)r[1]) return cp;
    return (uint32_t)((int32_t)cp + r[2]);
}

uint32_t ptu_lower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    return map_runs(ptu_lower_runs, PTU_LOWER_COUNT, cp);
}

// --- normalization -------------------------------------------------------------------------------

enum { SBASE = 0xAC00, LBASE = 0x1100, VBASE = 0x1161, TBASE = 0x11A7, LCOUNT = 19, VCOUNT = 21,
       TCOUNT = 28, NCOUNT = VCOUNT * TCOUNT, SCOUNT = LCOUNT * NCOUNT };

typedef struct { uint32_t *v; size_t n, cap; } cpbuf;

static bool cpbuf_reserve(cpbuf *b, size_t extra) {
    if (b->cap - b->n >= extra) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->n < extra) {
        if (cap > SIZE_MAX / 2 / sizeof(uint32_t)) return false;
        cap *= 2;
    }
    uint32_t *v = realloc(b->v, cap * sizeof(uint32_t));
    if (!v) return false;
    b->v = v; b->cap = cap;
    return true;
}

// Appends the full decomposition of cp (canonical, or compatibility when compat).
static bool decompose_one(cpbuf *b, uint32_t cp, bool compat) {
    if (!cpbuf_reserve(b, 32)) return false;   // longest full decomposition is 18
    if (cp - SBASE < SCOUNT) {
        uint32_t s = cp - SBASE;
        b->v[b->n++] = LBASE + s / NCOUNT;
        b->v[b->n++] = VBASE + s % NCOUNT / TCOUNT;
        if (s % TCOUNT) b->v[b->n++] = TBASE + s % TCOUNT;
        return true;
    }
    if (cp >= 0xA0 && (ptu_decomp_blocks[cp >> 13] >> (cp >> 8 & 31) & 1)) {
        size_t lo = 0, hi = PTU_DECOMP_COUNT;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ptu_decomp_cp[mid] < cp) lo = mid + 1; else hi = mid;
        }
        if (lo < PTU_DECOMP_COUNT && ptu_decomp_cp[lo] == cp) {
            uint32_t e = compat && ptu_decomp_compat[lo] ? ptu_decomp_compat[lo] : ptu_decomp_canon[lo];
            if (e) {
                const uint32_t *p = ptu_decomp_pool + (e >> 5);
                for (uint32_t i = 0; i < (e & 31); i++) b->v[b->n++] = p[i];
                return true;
            }
        }
    }
    b->v[b->n++] = cp;
    return true;
}

// Canonical ordering: stable sort of each run of non-starters by combining class. Short runs by
// insertion, long ones (hostile input: thousands of marks) by a stable counting sort.
static bool canonical_order(cpbuf *b) {
    size_t i = 0;
    while (i < b->n) {
        if (ccc_of(b->v[i]) == 0) { i++; continue; }
        size_t j = i;
        while (j < b->n && ccc_of(b->v[j]) != 0) j++;
        size_t len = j - i;
        uint32_t *r = b->v + i;
        if (len <= 32) {
            for (size_t k = 1; k < len; k++) {
                uint32_t c = r[k], cc = ccc_of(c);
                size_t m = k;
                while (m > 0 && ccc_of(r[m - 1]) > cc) { r[m] = r[m - 1]; m--; }
                r[m] = c;
            }
        } else {
            uint32_t *tmp = malloc(len * sizeof(uint32_t));
            if (!tmp) return false;
            size_t count[257] = {0};
            for (size_t k = 0; k < len; k++) count[ccc_of(r[k]) + 1]++;
            for (size_t c = 1; c < 257; c++) count[c] += count[c - 1];
            for (size_t k = 0; k < len; k++) tmp[count[ccc_of(r[k])]++] = r[k];
            memcpy(r, tmp, len * sizeof(uint32_t));
            free(tmp);
        }
        i = j;
    }
    return true;
}

// The primary composite of (a, b), or 0.
static uint32_t compose_pair(uint32_t a, uint32_t b) {
    if (a - LBASE < LCOUNT && b - VBASE < VCOUNT) return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
    if (a - SBASE < SCOUNT && (a - SBASE) % TCOUNT == 0 && b - TBASE - 1 < TCOUNT - 1) return a + (b - TBASE);
    uint64_t key = (uint64_t)a << 21 | b;
    size_t lo = 0, hi = PTU_COMP_COUNT;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ptu_comp_key[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo < PTU_COMP_COUNT && ptu_comp_key[lo] == key ? ptu_comp_value[lo] : 0;
}

static void compose(cpbuf *b) {
    if (b->n == 0) return;
    size_t starter = 0, out = 1;
    uint32_t last = ccc_of(b->v[0]) ? 256 : 0; // a leading non-starter composes with nothing
    for (size_t i = 1; i < b->n; i++) {
        uint32_t c = b->v[i], cc = ccc_of(c);
        if (last != 256 && (last < cc || last == 0) &&   // not blocked from the last starter
            (ptu_second_blocks[c >> 13] >> (c >> 8 & 31) & 1)) {
            uint32_t comp = compose_pair(b->v[starter], c);
            if (comp) { b->v[starter] = comp; continue; }
        }
        if (cc == 0) { starter = out; last = 0; }
        else last = cc;
        b->v[out++] = c;
    }
    b->n = out;
}

bool ptu_normalize(const uint8_t *s, size_t n, ptu_form form, uint8_t **out, size_t *out_len) {
    *out = NULL; *out_len = 0;
    size_t ascii = 0;
    while (ascii < n && s[ascii] < 0x80) ascii++;
    if (ascii == n) {   // ASCII is invariant under every form
        uint8_t *o = malloc(n + 1);
        if (!o) return false;
        if (n) memcpy(o, s, n);
        o[n] = 0;
        *out = o; *out_len = n;
        return true;
    }
    bool compat = form == PTU_NFKC || form == PTU_NFKD;
    cpbuf b = {0};
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = ptu_decode(s + i, n - i, &len);
        i += len;
        if (!decompose_one(&b, cp, compat)) { free(b.v); return false; }
    }
    if (!canonical_order(&b)) { free(b.v); return false; }
    if (form == PTU_NFC || form == PTU_NFKC) compose(&b);
    if (b.n > (SIZE_MAX - 1) / 4) { free(b.v); return false; }
    uint8_t *o = malloc(b.n * 4 + 1);
    if (!o) { free(b.v); return false; }
    size_t k = 0;
    for (size_t i = 0; i < b.n; i++) k += ptu_encode(b.v[i], o + k);
    o[k] = 0;
    free(b.v);
    *out = o; *out_len = k;
    return true;
}

// --- extended grapheme clusters (UAX #29) --------------------------------------------------------

// Grapheme_Cluster_Break of cp (PTU_GCB_*; Extended_Pictographic as PTU_GCB_EXTPICT).
static unsigned gcb_of(uint32_t cp) {
    if (cp < 0x80) {
        if (cp >= 0x20 && cp < 0x7F) return PTU_GCB_OTHER;
        return cp == '\r' ? PTU_GCB_CR : cp == '\n' ? PTU_GCB_LF : PTU_GCB_CONTROL;
    }
    if (cp - SBASE < SCOUNT) return (cp - SBASE) % TCOUNT ? PTU_GCB_LVT : PTU_GCB_LV;
    size_t lo = 0, hi = PTU_GCB_COUNT;   // the last entry whose start is <= cp (entry 0 starts at 0)
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (ptu_gcb[mid] >> 8 <= cp) lo = mid; else hi = mid;
    }
    return ptu_gcb[lo] & 0xFF;
}

size_t ptu_grapheme_len(const uint8_t *s, size_t n) {
    if (n == 0) return 0;   // outside the contract; never read s
    // printable ASCII before any ASCII byte: a boundary (GB5 or GB999)
    if (s[0] >= 0x20 && s[0] < 0x7F && (n == 1 || s[1] < 0x80)) return 1;
    size_t len;
    uint32_t cp = ptu_decode(s, n, &len);
    // an invalid subpart (U+FFFD not spelled EF BF BD) is a cluster by itself
    if (cp == 0xFFFD && !(len == 3 && s[0] == 0xEF)) return len;
    unsigned prev = gcb_of(cp);
    size_t i = len;
    size_t ri = prev == PTU_GCB_RI;          // regional indicators in the run ending at prev
    bool pict = prev == PTU_GCB_EXTPICT;     // the text so far ends with ExtPict Extend*
    bool pict_zwj = false;                   // ... ends with ExtPict Extend* ZWJ
    while (i < n) {
        cp = ptu_decode(s + i, n - i, &len);
        if (cp == 0xFFFD && !(len == 3 && s[i] == 0xEF)) break;   // invalid: as GB5
        unsigned cur = gcb_of(cp);
        bool join;
        if (prev == PTU_GCB_CR && cur == PTU_GCB_LF) join = true;                              // GB3
        else if (prev == PTU_GCB_CR || prev == PTU_GCB_LF || prev == PTU_GCB_CONTROL) join = false; // GB4
        else if (cur == PTU_GCB_CR || cur == PTU_GCB_LF || cur == PTU_GCB_CONTROL) join = false;    // GB5
        else if (prev == PTU_GCB_L &&                                                           // GB6
                 (cur == PTU_GCB_L || cur == PTU_GCB_V || cur == PTU_GCB_LV || cur == PTU_GCB_LVT)) join = true;
        else if ((prev == PTU_GCB_LV || prev == PTU_GCB_V) && (cur == PTU_GCB_V || cur == PTU_GCB_T)) join = true; // GB7
        else if ((prev == PTU_GCB_LVT || prev == PTU_GCB_T) && cur == PTU_GCB_T) join = true;  // GB8
        else if (cur == PTU_GCB_EXTEND || cur == PTU_GCB_ZWJ || cur == PTU_GCB_SPACINGMARK) join = true; // GB9, GB9a
        else if (prev == PTU_GCB_PREPEND) join = true;                                          // GB9b
        else if (pict_zwj && cur == PTU_GCB_EXTPICT) join = true;                               // GB11
        else join = prev == PTU_GCB_RI && cur == PTU_GCB_RI && ri % 2 == 1;                     // GB12, GB13
        if (!join) break;                                                                       // GB999
        pict_zwj = cur == PTU_GCB_ZWJ && pict;
        pict = cur == PTU_GCB_EXTPICT || (cur == PTU_GCB_EXTEND && pict);
        ri = cur == PTU_GCB_RI ? ri + 1 : 0;
        prev = cur;
        i += len;
    }
    return i;
}
