/* regex.c — the split patterns of tokenizer files: a backtracking regex engine over code points
 * with JavaScript's leftmost-first semantics (RegExp with the "u" flag) for the subset text.h lists.
 *
 *   compile   pattern (UTF-8) -> tree (parse, bounded nesting) -> program of small instructions;
 *             every instruction gets the set of code points that can start a match from it
 *             ("first set": an exact ASCII bitmap, a category mask for the rest, and whether it
 *             can match at the end of the subject), so alternatives and loop exits that cannot
 *             match the next code point are never tried.
 *   search    for each start position (skipping those the first set rejects) run the program with
 *             an explicit stack of backtrack frames. A greedy quantifier over one code point
 *             (\p{L}+, \s*, \p{N}{1,3}, ' ?') is one instruction that consumes in a tight loop
 *             and leaves one frame that gives code points back one at a time.
 *
 * A compiled ptx_regex is never written after ptx_regex_compile: threads may search with one at once
 * (each search keeps its state on the caller's stack, or on the heap past 64 backtrack frames).
 *
 * Semantics follow ECMAScript's RegExp with the "u" flag: an iteration of a quantified group that
 * matches empty beyond the minimum fails; lookaheads are atomic; '.' excludes line terminators;
 * \s is WhiteSpace + LineTerminator; (?i:...) compares simple case foldings (CaseFolding.txt C+S),
 * a class matching when any code point of the subject's fold orbit is a member (and \w including
 * U+017F and U+212A, which fold into it, as JavaScript's WordCharacters).
 *
 * Limits (all reported, never crashed on): nesting depth 200, program size 65536 instructions,
 * 65536 class items in all (a class test that walks its items is charged a step per 8 items),
 * a step budget per search of 10^7 + 64 per remaining subject byte (linear in the subject, so a
 * hostile pattern cannot hang; the tokenizer patterns need a few steps per byte), and 2^22
 * backtrack frames. */
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/unicode_tables.h"

enum { MAX_DEPTH = 200, MAX_PROG = 65536, MAX_ITEMS = 65536, MAX_FRAMES = 1 << 22, FSET_MAX_PROG = 4096 };
#define BUDGET_BASE 10000000u
#define BUDGET_PER_BYTE 64u
#define CAT_ALL ((1u << PTU_CATEGORY_COUNT) - 1)
#define INF_COUNT UINT32_MAX

// --- character classes ---------------------------------------------------------------------------

enum { IT_RANGE, IT_CATS, IT_SPACE, IT_DIGIT, IT_WORD };
typedef struct { uint8_t kind; bool neg; uint32_t lo, hi; } citem;   // IT_CATS: mask in lo

typedef struct {
    uint32_t ascii[4];      // exact membership of 0..127
    uint32_t always, maybe; // categories of which every / some code point >= 128 is a member
    uint32_t first, count;  // items[first .. first + count)
    bool neg, icase;
} cclass;

static uint32_t simple_fold(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    size_t lo = 0, hi = PTU_FOLD_COUNT;   // first run starting after cp
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uint32_t)ptu_fold_runs[4 * mid] <= cp) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return cp;
    const int32_t *r = ptu_fold_runs + 4 * (lo - 1);
    uint32_t off = cp - (uint32_t)r[0];
    if (off % (uint32_t)r[3] != 0 || off / (uint32_t)r[3] >= (uint32_t)r[1]) return cp;
    return (uint32_t)((int32_t)cp + r[2]);
}

static bool item_has(const citem *it, uint32_t c, bool icase) {
    bool r;
    switch (it->kind) {
    case IT_RANGE: r = c >= it->lo && c <= it->hi; break;
    case IT_CATS: r = (it->lo >> ptu_category_of(c)) & 1; break;
    case IT_SPACE: r = ptu_is_white_space(c); break;
    case IT_DIGIT: r = c >= '0' && c <= '9'; break;
    default:   // \w; case-insensitive, also what folds into it (JavaScript's WordCharacters)
        r = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
            (icase && (c == 0x17F || c == 0x212A));
        break;
    }
    return r != it->neg;
}

static bool items_have(const citem *items, const cclass *k, uint32_t c) {
    for (uint32_t i = 0; i < k->count; i++)
        if (item_has(&items[k->first + i], c, k->icase)) return true;
    return false;
}

/* Membership by the items alone (compile time, and the rare slow path at run time). Case-insensitive
 * (JavaScript's Canonicalize with "iu"): some member folds as c does, so the items are tried on c's
 * whole orbit: c, its folding f, and every code point that folds to f. */
static bool class_slow(const citem *items, const cclass *k, uint32_t c) {
    bool r = items_have(items, k, c);
    if (!r && k->icase) {
        uint32_t f = simple_fold(c);
        r = f != c && items_have(items, k, f);
        size_t lo = 0, hi = PTU_FOLD_INVERSE_COUNT;   // first pair folding to f
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ptu_fold_inverse[2 * mid] < f) lo = mid + 1; else hi = mid;
        }
        for (; !r && lo < PTU_FOLD_INVERSE_COUNT && ptu_fold_inverse[2 * lo] == f; lo++) {
            uint32_t y = ptu_fold_inverse[2 * lo + 1];
            r = y != c && items_have(items, k, y);
        }
    }
    return r != k->neg;
}

// steps: the search's step count, charged for the items a slow test walks (a huge class is slow)
static inline bool class_has(const citem *items, const cclass *k, uint32_t c, uint32_t catbit, size_t *steps) {
    if (c < 128) return (k->ascii[c >> 5] >> (c & 31)) & 1;
    if (k->always & catbit) return true;
    if (!(k->maybe & catbit)) return false;
    *steps += k->count >> 3;   // about one step per 8 items
    return class_slow(items, k, c);
}

// --- program -------------------------------------------------------------------------------------

enum { OP_CHAR, OP_CHARI, OP_ANY, OP_CLASS, OP_REPEAT, OP_SPLIT, OP_JMP, OP_MARK, OP_PROGRESS, OP_BOL,
       OP_EOL, OP_LOOK, OP_LOOKEND, OP_MATCH };

typedef struct {
    uint8_t op;
    uint8_t atom;      // OP_REPEAT: the one-code-point matcher (OP_CHAR, OP_CHARI, OP_ANY, OP_CLASS)
    bool neg;          // OP_LOOK: negative lookahead; OP_REPEAT: a match follows (no giving back)
    uint32_t arg;      // code point (folded for OP_CHARI), class index, or register
    uint32_t x, y;     // OP_SPLIT: preferred, other; OP_JMP: x; OP_LOOK: x = pc after OP_LOOKEND
    uint32_t min, max; // OP_REPEAT (max INF_COUNT: unbounded)
} inst;

typedef struct {
    uint32_t ascii[4]; // ASCII code points that can start a match from here
    uint32_t cats;     // categories of code points >= 128 that can
    bool at_end;       // can match (something) at the end of the subject
} fset;

struct ptx_regex {
    inst *prog;        // [nprog]
    uint32_t nprog;
    cclass *classes;   // [nclasses]
    uint32_t nclasses;
    citem *items;      // [nitems]
    uint32_t nitems;
    fset *first;       // [nprog] first set from each pc, or NULL (program too large to analyse)
    uint32_t nregs;    // loop-start registers (empty-iteration checks)
};

// --- parser: pattern -> tree ---------------------------------------------------------------------

enum { N_EMPTY, N_CHAR, N_ANY, N_CLASS, N_CAT, N_ALT, N_REPEAT, N_LOOK, N_BOL, N_EOL };

typedef struct {
    uint8_t type;
    uint8_t memo;      // nullable(): 0 not yet known, 1 no, 2 yes
    bool flag;         // N_CHAR: case-insensitive; N_REPEAT: greedy; N_LOOK: negative
    uint32_t arg;      // N_CHAR: code point; N_CLASS: class index
    uint32_t min, max; // N_REPEAT
    int32_t child;     // first child (N_CAT, N_ALT, N_REPEAT, N_LOOK)
    int32_t next;      // next sibling
} node;

typedef struct {
    const uint8_t *p;
    size_t n, i;
    node *nodes;
    uint32_t nnodes, capnodes;
    cclass *classes;
    uint32_t nclasses, capclasses;
    citem *items;
    uint32_t nitems, capitems;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static void fail_at(parser *ps, size_t at, const char *what) {
    if (ps->failed) return;
    ps->failed = true;
    if (ps->err && ps->errlen) snprintf(ps->err, ps->errlen, "regex: %s at byte %zu", what, at);
}

static bool grow(void **arr, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return true;
    uint32_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > (1u << 30)) return false;
        c *= 2;
    }
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return false;
    *arr = p; *cap = c;
    return true;
}

static int32_t new_node(parser *ps, uint8_t type) {
    if (ps->failed) return -1;
    if (ps->nnodes >= 1u << 24 || !grow((void **)&ps->nodes, &ps->capnodes, ps->nnodes + 1, sizeof(node))) {
        fail_at(ps, ps->i, "out of memory or pattern too large");
        return -1;
    }
    node *nd = &ps->nodes[ps->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->type = type; nd->child = -1; nd->next = -1;
    return (int32_t)ps->nnodes++;
}

// Next code point of the pattern (strict UTF-8: invalid bytes are a compile error).
static uint32_t pat_next(parser *ps) {
    size_t len;
    uint32_t c = ptu_decode(ps->p + ps->i, ps->n - ps->i, &len);
    if (c == 0xFFFD && !(len == 3 && ps->p[ps->i] == 0xEF)) { fail_at(ps, ps->i, "invalid UTF-8"); return 0; }
    ps->i += len;
    return c;
}

static bool pat_eat(parser *ps, uint8_t ch) {
    if (ps->i < ps->n && ps->p[ps->i] == ch) { ps->i++; return true; }
    return false;
}

static bool add_item(parser *ps, uint8_t kind, bool neg, uint32_t lo, uint32_t hi) {
    if (ps->nitems >= MAX_ITEMS || !grow((void **)&ps->items, &ps->capitems, ps->nitems + 1, sizeof(citem))) {
        fail_at(ps, ps->i, "out of memory or classes too large (over 65536 items)");
        return false;
    }
    ps->items[ps->nitems++] = (citem){kind, neg, lo, hi};
    return true;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 32) >= 'a' && (c | 32) <= 'f') return (c | 32) - 'a' + 10;
    return -1;
}

// Category mask of a \p{...} name, 0 if unknown.
static uint32_t property_mask(const char *name) {
    static const char *const cats[PTU_CATEGORY_COUNT] = {
        "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
        "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
    static const char *const longs[PTU_CATEGORY_COUNT] = {
        "Unassigned", "Uppercase_Letter", "Lowercase_Letter", "Titlecase_Letter", "Modifier_Letter",
        "Other_Letter", "Nonspacing_Mark", "Spacing_Mark", "Enclosing_Mark", "Decimal_Number",
        "Letter_Number", "Other_Number", "Connector_Punctuation", "Dash_Punctuation", "Open_Punctuation",
        "Close_Punctuation", "Initial_Punctuation", "Final_Punctuation", "Other_Punctuation",
        "Math_Symbol", "Currency_Symbol", "Modifier_Symbol", "Other_Symbol", "Space_Separator",
        "Line_Separator", "Paragraph_Separator", "Control", "Format", "Surrogate", "Private_Use"};
    static const struct { const char *s, *l; uint32_t m; } groups[] = {
        {"L", "Letter", 0x3Eu}, {"LC", "Cased_Letter", 0xEu}, {"M", "Mark", 0x1C0u},
        {"N", "Number", 0xE00u}, {"P", "Punctuation", 0x7F000u}, {"S", "Symbol", 0x780000u},
        {"Z", "Separator", 0x3800000u}, {"C", "Other", 0x3C000001u}};
    if (!strncmp(name, "General_Category=", 17)) name += 17;
    else if (!strncmp(name, "gc=", 3)) name += 3;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (!strcmp(name, groups[i].s) || !strcmp(name, groups[i].l)) return groups[i].m;
    for (uint32_t i = 0; i < PTU_CATEGORY_COUNT; i++)
        if (!strcmp(name, cats[i]) || !strcmp(name, longs[i])) return 1u << i;
    if (!strcmp(name, "digit")) return 1u << PTU_Nd;
    return 0;
}

/* An escape after '\'. Either a single code point (*cp, returns 1) or a class item appended to
 * the items (returns 2); 0 on error. in_class: \b is backspace and \- is allowed. */
static int parse_escape(parser *ps, bool in_class, uint32_t *cp) {
    size_t at = ps->i - 1;
    if (ps->i >= ps->n) { fail_at(ps, at, "trailing backslash"); return 0; }
    uint8_t c = ps->p[ps->i++];
    switch (c) {
    case 'n': *cp = '\n'; return 1;
    case 'r': *cp = '\r'; return 1;
    case 't': *cp = '\t'; return 1;
    case 'f': *cp = '\f'; return 1;
    case 'v': *cp = '\v'; return 1;
    case '0':
        if (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') break;
        *cp = 0; return 1;
    case 'b': if (!in_class) break; *cp = 8; return 1;
    case 'd': case 'D': return add_item(ps, IT_DIGIT, c == 'D', 0, 0) ? 2 : 0;
    case 's': case 'S': return add_item(ps, IT_SPACE, c == 'S', 0, 0) ? 2 : 0;
    case 'w': case 'W': return add_item(ps, IT_WORD, c == 'W', 0, 0) ? 2 : 0;
    case 'p': case 'P': {
        char name[40];
        size_t k = 0;
        if (!pat_eat(ps, '{')) break;
        while (ps->i < ps->n && ps->p[ps->i] != '}' && k + 1 < sizeof name) name[k++] = (char)ps->p[ps->i++];
        name[k] = 0;
        if (!pat_eat(ps, '}')) { fail_at(ps, at, "unterminated or too long \\p{...}"); return 0; }
        uint32_t m = property_mask(name);
        if (!m) { fail_at(ps, at, "unknown property in \\p{...}"); return 0; }
        return add_item(ps, IT_CATS, c == 'P', m, 0) ? 2 : 0;
    }
    case 'u': case 'x': {
        uint32_t v = 0;
        if (pat_eat(ps, '{')) {
            size_t digits = 0;
            int h;
            while (ps->i < ps->n && (h = hexval(ps->p[ps->i])) >= 0) {
                v = v << 4 | (uint32_t)h;
                ps->i++;
                if (++digits > 8 || v > 0x10FFFF) { fail_at(ps, at, "code point escape out of range"); return 0; }
            }
            if (!digits || !pat_eat(ps, '}')) { fail_at(ps, at, "malformed code point escape"); return 0; }
        } else {
            size_t want = c == 'u' ? 4 : 2;
            for (size_t k = 0; k < want; k++) {
                int h = ps->i < ps->n ? hexval(ps->p[ps->i]) : -1;
                if (h < 0) { fail_at(ps, at, "malformed hex escape"); return 0; }
                v = v << 4 | (uint32_t)h;
                ps->i++;
            }
            // a surrogate pair written as two \u escapes is one code point (as JavaScript's "u" mode)
            if (c == 'u' && v >= 0xD800 && v <= 0xDBFF && ps->i + 6 <= ps->n && ps->p[ps->i] == '\\' &&
                ps->p[ps->i + 1] == 'u') {
                uint32_t lo = 0;
                bool ok = true;
                for (size_t k = 0; k < 4; k++) {
                    int h = hexval(ps->p[ps->i + 2 + k]);
                    if (h < 0) { ok = false; break; }
                    lo = lo << 4 | (uint32_t)h;
                }
                if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    ps->i += 6;
                }
            }
        }
        *cp = v;
        return 1;
    }
    default:
        // escaped ASCII punctuation stands for itself (JavaScript allows only the syntax characters
        // and '/', and '-' in a class; Python and Rust patterns escape more)
        if (c < 0x80 && c > 0x20 && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9')) {
            *cp = c;
            return 1;
        }
        break;
    }
    fail_at(ps, at, "unsupported escape");
    return 0;
}

static void class_finish(parser *ps, cclass *k) {
    // exact ASCII bitmap; category masks for the rest (see class_has)
    memset(k->ascii, 0, sizeof k->ascii);
    for (uint32_t c = 0; c < 128; c++)
        if (class_slow(ps->items, k, c)) k->ascii[c >> 5] |= 1u << (c & 31);
    uint32_t always = 0, maybe = 0;
    for (uint32_t i = 0; i < k->count; i++) {
        const citem *it = &ps->items[k->first + i];
        uint32_t a, m;
        switch (it->kind) {
        case IT_RANGE: a = 0; m = it->hi >= 128 ? CAT_ALL : 0; break;
        case IT_CATS: a = m = it->lo; break;
        case IT_SPACE:
            a = 1u << PTU_Zs | 1u << PTU_Zl | 1u << PTU_Zp;
            m = a | 1u << PTU_Cf;   // U+FEFF
            break;
        default: a = m = 0; break;  // \d \w: ASCII only
        }
        if (it->neg) { uint32_t t = a; a = CAT_ALL & ~m; m = CAT_ALL & ~t; }
        always |= a; maybe |= m;
    }
    if (k->icase) { always = 0; maybe = CAT_ALL; }   // every non-ASCII code point by the slow path
    else if (k->neg) { uint32_t t = always; always = CAT_ALL & ~maybe; maybe = CAT_ALL & ~t; }
    k->always = always; k->maybe = maybe;
}

static int32_t class_node(parser *ps, uint32_t first, bool neg, bool icase) {
    if (ps->failed) return -1;
    if (ps->nclasses >= 1u << 24 || !grow((void **)&ps->classes, &ps->capclasses, ps->nclasses + 1, sizeof(cclass))) {
        fail_at(ps, ps->i, "out of memory");
        return -1;
    }
    cclass *k = &ps->classes[ps->nclasses];
    memset(k, 0, sizeof *k);
    k->first = first; k->count = ps->nitems - first; k->neg = neg; k->icase = icase;
    class_finish(ps, k);
    int32_t nd = new_node(ps, N_CLASS);
    if (nd < 0) return -1;
    ps->nodes[nd].arg = ps->nclasses++;
    return nd;
}

// '[' already eaten.
static int32_t parse_class(parser *ps, bool icase) {
    size_t at = ps->i - 1;
    bool neg = pat_eat(ps, '^');
    uint32_t first = ps->nitems;
    for (;;) {
        if (ps->i >= ps->n) { fail_at(ps, at, "unterminated character class"); return -1; }
        if (pat_eat(ps, ']')) break;
        uint32_t lo = 0, hi;
        int kind = 1;
        if (pat_eat(ps, '\\')) kind = parse_escape(ps, true, &lo);
        else lo = pat_next(ps);
        if (!kind || ps->failed) return -1;
        if (ps->i + 1 < ps->n && ps->p[ps->i] == '-' && ps->p[ps->i + 1] != ']') {
            ps->i++;
            if (kind == 2) { fail_at(ps, ps->i, "class escape in a range"); return -1; }
            int k2 = 1;
            if (pat_eat(ps, '\\')) k2 = parse_escape(ps, true, &hi);
            else hi = pat_next(ps);
            if (!k2 || ps->failed) return -1;
            if (k2 == 2) { fail_at(ps, ps->i, "class escape in a range"); return -1; }
            if (hi < lo) { fail_at(ps, ps->i, "range out of order in class"); return -1; }
            if (!add_item(ps, IT_RANGE, false, lo, hi)) return -1;
        } else if (kind == 1) {
            if (!add_item(ps, IT_RANGE, false, lo, lo)) return -1;
        }
    }
    return class_node(ps, first, neg, icase);
}

static int32_t parse_alt(parser *ps, int depth, bool icase);

static bool parse_number(parser *ps, uint32_t *v) {
    size_t start = ps->i;
    uint64_t x = 0;
    while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') {
        x = x * 10 + (ps->p[ps->i++] - '0');
        if (x > 0x7FFFFFFF) x = 0x7FFFFFFF;   // saturate (too large for any program anyway)
    }
    *v = (uint32_t)x;
    return ps->i > start;
}

static int32_t parse_atom(parser *ps, int depth, bool icase) {
    size_t at = ps->i;
    uint8_t c = ps->p[ps->i];
    switch (c) {
    case '(': {
        ps->i++;
        if (depth >= MAX_DEPTH) { fail_at(ps, at, "groups nested too deeply"); return -1; }
        int look = 0;   // 1 positive, 2 negative
        bool ic = icase;
        if (pat_eat(ps, '?')) {
            if (pat_eat(ps, ':')) {}
            else if (pat_eat(ps, '=')) look = 1;
            else if (pat_eat(ps, '!')) look = 2;
            else if (ps->i + 1 < ps->n && ps->p[ps->i] == 'i' && ps->p[ps->i + 1] == ':') { ps->i += 2; ic = true; }
            else { fail_at(ps, at, "unsupported group"); return -1; }
        }
        int32_t inner = parse_alt(ps, depth + 1, ic);
        if (inner < 0) return -1;
        if (!pat_eat(ps, ')')) { fail_at(ps, at, "unterminated group"); return -1; }
        if (!look) return inner;
        int32_t nd = new_node(ps, N_LOOK);
        if (nd < 0) return -1;
        ps->nodes[nd].child = inner;
        ps->nodes[nd].flag = look == 2;
        return nd;
    }
    case '[': ps->i++; return parse_class(ps, icase);
    case '.': ps->i++; return new_node(ps, N_ANY);
    case '^': ps->i++; return new_node(ps, N_BOL);
    case '$': ps->i++; return new_node(ps, N_EOL);
    case '*': case '+': case '?': case '{': fail_at(ps, at, "nothing to repeat"); return -1;
    case ']': case '}': fail_at(ps, at, "lone bracket"); return -1;
    case '\\': {
        ps->i++;
        uint32_t first = ps->nitems, cp = 0;
        int kind = parse_escape(ps, false, &cp);
        if (!kind) return -1;
        if (kind == 2) return class_node(ps, first, false, icase);
        int32_t nd = new_node(ps, N_CHAR);
        if (nd < 0) return -1;
        ps->nodes[nd].arg = icase ? simple_fold(cp) : cp;
        ps->nodes[nd].flag = icase;
        return nd;
    }
    default: {
        uint32_t cp = pat_next(ps);
        if (ps->failed) return -1;
        int32_t nd = new_node(ps, N_CHAR);
        if (nd < 0) return -1;
        ps->nodes[nd].arg = icase ? simple_fold(cp) : cp;
        ps->nodes[nd].flag = icase;
        return nd;
    }
    }
}

static int32_t parse_quantified(parser *ps, int depth, bool icase) {
    int32_t atom = parse_atom(ps, depth, icase);
    if (atom < 0 || ps->i >= ps->n) return atom;
    size_t at = ps->i;
    uint32_t min, max;
    uint8_t c = ps->p[ps->i];
    if (c == '*') { min = 0; max = INF_COUNT; ps->i++; }
    else if (c == '+') { min = 1; max = INF_COUNT; ps->i++; }
    else if (c == '?') { min = 0; max = 1; ps->i++; }
    else if (c == '{') {
        ps->i++;
        if (!parse_number(ps, &min)) { fail_at(ps, at, "malformed quantifier"); return -1; }
        max = min;
        if (pat_eat(ps, ',')) {
            if (!parse_number(ps, &max)) max = INF_COUNT;
            else if (max < min) { fail_at(ps, at, "quantifier range out of order"); return -1; }
        }
        if (!pat_eat(ps, '}')) { fail_at(ps, at, "malformed quantifier"); return -1; }
    } else return atom;
    bool greedy = !pat_eat(ps, '?');
    uint8_t t = ps->nodes[atom].type;
    if (t == N_LOOK || t == N_BOL || t == N_EOL) { fail_at(ps, at, "quantifier on an assertion"); return -1; }
    if (ps->i < ps->n && (ps->p[ps->i] == '*' || ps->p[ps->i] == '+' || ps->p[ps->i] == '?' || ps->p[ps->i] == '{')) {
        fail_at(ps, ps->i, "nothing to repeat");
        return -1;
    }
    int32_t nd = new_node(ps, N_REPEAT);
    if (nd < 0) return -1;
    node *r = &ps->nodes[nd];
    r->child = atom; r->min = min; r->max = max; r->flag = greedy;
    return nd;
}

static int32_t parse_concat(parser *ps, int depth, bool icase) {
    int32_t cat = new_node(ps, N_CAT), last = -1;
    if (cat < 0) return -1;
    while (ps->i < ps->n && ps->p[ps->i] != '|' && ps->p[ps->i] != ')') {
        int32_t q = parse_quantified(ps, depth, icase);
        if (q < 0) return -1;
        if (last < 0) ps->nodes[cat].child = q; else ps->nodes[last].next = q;
        last = q;
    }
    return cat;
}

static int32_t parse_alt(parser *ps, int depth, bool icase) {
    int32_t first = parse_concat(ps, depth, icase);
    if (first < 0 || ps->i >= ps->n || ps->p[ps->i] != '|') return first;
    int32_t alt = new_node(ps, N_ALT), last = first;
    if (alt < 0) return -1;
    ps->nodes[alt].child = first;
    while (pat_eat(ps, '|')) {
        int32_t b = parse_concat(ps, depth, icase);
        if (b < 0) return -1;
        ps->nodes[last].next = b;
        last = b;
    }
    return alt;
}

// --- compiler: tree -> program -------------------------------------------------------------------

typedef struct {
    node *nodes;
    inst *prog;
    uint32_t n, cap, nregs;
    uint32_t work;     // compile_node calls (bounds "(?:(?:){65536}){65536}", which emits nothing)
    bool failed;
} emitter;

static uint32_t emit(emitter *e, uint8_t op) {
    if (e->failed) return 0;
    if (e->n >= MAX_PROG || !grow((void **)&e->prog, &e->cap, e->n + 1, sizeof(inst))) { e->failed = true; return 0; }
    memset(&e->prog[e->n], 0, sizeof(inst));
    e->prog[e->n].op = op;
    return e->n++;
}

// Can node i match empty? Memoized in the node (each subtree is walked once however often a
// quantifier copies it).
static bool nullable(node *nodes, int32_t i, int depth) {
    node *nd = &nodes[i];
    if (nd->memo) return nd->memo == 2;
    if (depth > MAX_DEPTH * 4) return true;
    bool r;
    switch (nd->type) {
    case N_CHAR: case N_ANY: case N_CLASS: r = false; break;
    case N_CAT:
        r = true;
        for (int32_t c = nd->child; c >= 0 && r; c = nodes[c].next) r = nullable(nodes, c, depth + 1);
        break;
    case N_ALT:
        r = false;
        for (int32_t c = nd->child; c >= 0 && !r; c = nodes[c].next) r = nullable(nodes, c, depth + 1);
        break;
    case N_REPEAT: r = nd->min == 0 || nullable(nodes, nd->child, depth + 1); break;
    default: r = true; break;
    }
    nd->memo = r ? 2 : 1;
    return r;
}

static void compile_node(emitter *e, int32_t i, int depth);

// One iteration of a quantified group beyond its minimum: fails if it matched empty.
static void compile_iteration(emitter *e, int32_t child, bool check, int depth) {
    uint32_t reg = e->nregs;
    if (check) { uint32_t m = emit(e, OP_MARK); if (!e->failed) e->prog[m].arg = reg; e->nregs++; }
    compile_node(e, child, depth + 1);
    if (check) { uint32_t p = emit(e, OP_PROGRESS); if (!e->failed) e->prog[p].arg = reg; }
}

static void compile_node(emitter *e, int32_t i, int depth) {
    if (e->failed) return;
    if (++e->work > 4 * MAX_PROG) { e->failed = true; return; }
    const node *nd = &e->nodes[i];
    switch (nd->type) {
    case N_EMPTY: break;
    case N_CHAR: { uint32_t k = emit(e, nd->flag ? OP_CHARI : OP_CHAR); if (!e->failed) e->prog[k].arg = nd->arg; break; }
    case N_ANY: emit(e, OP_ANY); break;
    case N_CLASS: { uint32_t k = emit(e, OP_CLASS); if (!e->failed) e->prog[k].arg = nd->arg; break; }
    case N_BOL: emit(e, OP_BOL); break;
    case N_EOL: emit(e, OP_EOL); break;
    case N_CAT:
        for (int32_t c = nd->child; c >= 0 && !e->failed; c = e->nodes[c].next) compile_node(e, c, depth + 1);
        break;
    case N_ALT: {
        // SPLIT a, next; a: ...; JMP end; next: SPLIT b, next2; ... last alternative without SPLIT
        uint32_t jumps_head = UINT32_MAX;   // chain of JMPs to patch through their x field
        for (int32_t c = nd->child; c >= 0 && !e->failed; c = e->nodes[c].next) {
            uint32_t split = UINT32_MAX;
            if (e->nodes[c].next >= 0) split = emit(e, OP_SPLIT);
            compile_node(e, c, depth + 1);
            if (e->nodes[c].next >= 0) {
                uint32_t j = emit(e, OP_JMP);
                if (e->failed) return;
                e->prog[j].x = jumps_head; jumps_head = j;
                e->prog[split].x = split + 1; e->prog[split].y = e->n;
            }
        }
        if (e->failed) return;
        while (jumps_head != UINT32_MAX) { uint32_t nx = e->prog[jumps_head].x; e->prog[jumps_head].x = e->n; jumps_head = nx; }
        break;
    }
    case N_LOOK: {
        uint32_t l = emit(e, OP_LOOK);
        compile_node(e, nd->child, depth + 1);
        emit(e, OP_LOOKEND);
        if (e->failed) return;
        e->prog[l].neg = nd->flag; e->prog[l].x = e->n;
        break;
    }
    case N_REPEAT: {
        const node *ch = &e->nodes[nd->child];
        if (nd->flag && (ch->type == N_CHAR || ch->type == N_ANY || ch->type == N_CLASS)) {
            uint32_t k = emit(e, OP_REPEAT);
            if (e->failed) return;
            inst *in = &e->prog[k];
            in->atom = ch->type == N_CHAR ? (ch->flag ? OP_CHARI : OP_CHAR) : ch->type == N_ANY ? OP_ANY : OP_CLASS;
            in->arg = ch->arg; in->min = nd->min; in->max = nd->max;
            break;
        }
        if (nd->min > MAX_PROG || (nd->max != INF_COUNT && nd->max > MAX_PROG)) { e->failed = true; return; }
        bool check = nullable(e->nodes, nd->child, 0);
        for (uint32_t k = 0; k < nd->min && !e->failed; k++) compile_node(e, nd->child, depth + 1);
        if (nd->max == INF_COUNT) {
            uint32_t loop = emit(e, OP_SPLIT);
            compile_iteration(e, nd->child, check, depth);
            uint32_t j = emit(e, OP_JMP);
            if (e->failed) return;
            e->prog[j].x = loop;
            e->prog[loop].x = nd->flag ? loop + 1 : e->n;
            e->prog[loop].y = nd->flag ? e->n : loop + 1;
        } else {
            uint32_t first_split = e->n, nsplit = nd->max - nd->min;
            for (uint32_t k = 0; k < nsplit && !e->failed; k++) {
                uint32_t s = emit(e, OP_SPLIT);
                if (!e->failed) e->prog[s].arg = k;   // patched below
                compile_iteration(e, nd->child, check, depth);
            }
            if (e->failed) return;
            for (uint32_t pc = first_split; pc < e->n; pc++) {   // patch this loop's SPLITs
                inst *in = &e->prog[pc];
                if (in->op != OP_SPLIT || in->x != 0 || in->y != 0) continue;
                in->x = nd->flag ? pc + 1 : e->n;
                in->y = nd->flag ? e->n : pc + 1;
            }
        }
        break;
    }
    default: break;
    }
}

// --- first sets ----------------------------------------------------------------------------------

static void fset_all(fset *f) { memset(f->ascii, 0xFF, sizeof f->ascii); f->cats = CAT_ALL; f->at_end = true; }
static void fset_add(fset *f, uint32_t c) {
    if (c < 128) f->ascii[c >> 5] |= 1u << (c & 31);
    else f->cats |= 1u << ptu_category_of(c);
}

static void fset_atom(const ptx_regex *re, fset *f, uint8_t atom, uint32_t arg) {
    switch (atom) {
    case OP_CHAR: fset_add(f, arg); break;
    case OP_CHARI:   // arg (a folding) and every code point that folds to it (U+017F to 's', ...)
        fset_add(f, arg);
        {
            size_t lo = 0, hi = PTU_FOLD_INVERSE_COUNT;   // first pair folding to arg
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (ptu_fold_inverse[2 * mid] < arg) lo = mid + 1; else hi = mid;
            }
            for (; lo < PTU_FOLD_INVERSE_COUNT && ptu_fold_inverse[2 * lo] == arg; lo++) fset_add(f, ptu_fold_inverse[2 * lo + 1]);
        }
        break;
    case OP_ANY:
        f->ascii[0] |= ~(1u << '\n' | 1u << '\r');
        for (int k = 1; k < 4; k++) f->ascii[k] |= 0xFFFFFFFFu;
        f->cats = CAT_ALL;
        break;
    default: {
        const cclass *k = &re->classes[arg];
        for (int w = 0; w < 4; w++) f->ascii[w] |= k->ascii[w];
        f->cats |= k->maybe;
        break;
    }
    }
}

static bool compute_first_sets(ptx_regex *re) {
    uint32_t P = re->nprog;
    re->first = calloc(P, sizeof(fset));
    uint32_t *stamp = calloc(P, sizeof(uint32_t)), *work = malloc(((size_t)P * 2 + 2) * sizeof(uint32_t));
    if (!re->first || !stamp || !work) { free(stamp); free(work); return false; }
    for (uint32_t start = 0; start < P; start++) {
        fset *f = &re->first[start];
        uint32_t sp = 0;
        work[sp++] = start;
        while (sp) {
            uint32_t pc = work[--sp];
            if (stamp[pc] == start + 1) continue;
            stamp[pc] = start + 1;
            const inst *in = &re->prog[pc];
            switch (in->op) {
            case OP_CHAR: case OP_CHARI: case OP_ANY: case OP_CLASS: fset_atom(re, f, in->op, in->arg); break;
            case OP_REPEAT:
                fset_atom(re, f, in->atom, in->arg);
                if (in->min == 0) work[sp++] = pc + 1;
                break;
            case OP_SPLIT: work[sp++] = in->y; work[sp++] = in->x; break;
            case OP_JMP: work[sp++] = in->x; break;
            case OP_MARK: case OP_PROGRESS: work[sp++] = pc + 1; break;
            default: fset_all(f); break;   // assertions, lookaheads, match: anything
            }
        }
    }
    free(stamp); free(work);
    return true;
}

// --- compile / free ------------------------------------------------------------------------------

void ptx_regex_free(ptx_regex *re) {
    if (!re) return;
    free(re->prog); free(re->classes); free(re->items); free(re->first);
    free(re);
}

ptx_regex *ptx_regex_compile(const char *pattern, size_t n, char *err, size_t errlen) {
    if (err && errlen) err[0] = 0;
    parser ps = {0};
    ps.p = (const uint8_t *)pattern; ps.n = pattern ? n : 0; ps.err = err; ps.errlen = errlen;
    int32_t root = parse_alt(&ps, 0, false);
    if (!ps.failed && ps.i < ps.n) fail_at(&ps, ps.i, "unmatched ')'");
    ptx_regex *re = NULL;
    if (!ps.failed && root >= 0) {
        emitter e = {.nodes = ps.nodes};
        compile_node(&e, root, 0);
        emit(&e, OP_MATCH);
        if (e.failed) { free(e.prog); fail_at(&ps, 0, "pattern too large (program over 65536 instructions)"); }
        else if (!(re = calloc(1, sizeof *re))) { free(e.prog); fail_at(&ps, 0, "out of memory"); }
        else {
            re->prog = e.prog; re->nprog = e.n; re->nregs = e.nregs;
            re->classes = ps.classes; re->nclasses = ps.nclasses; ps.classes = NULL;
            re->items = ps.items; re->nitems = ps.nitems; ps.items = NULL;
            for (uint32_t pc = 0; pc < re->nprog; pc++) {   // greedy loops right before the match
                if (re->prog[pc].op != OP_REPEAT) continue;
                uint32_t q = pc + 1, hops = 0;
                while (re->prog[q].op == OP_JMP && hops++ < 64) q = re->prog[q].x;
                re->prog[pc].neg = re->prog[q].op == OP_MATCH;
            }
            if (re->nprog <= FSET_MAX_PROG && !compute_first_sets(re)) {
                ptx_regex_free(re); re = NULL;
                fail_at(&ps, 0, "out of memory");
            }
        }
    }
    free(ps.nodes); free(ps.classes); free(ps.items);
    return re;
}

// --- matcher -------------------------------------------------------------------------------------

enum { F_BRANCH, F_REPEAT, F_REPEAT_RESCAN, F_RESTORE, F_LOOK_POS, F_LOOK_NEG };
typedef struct {
    size_t pos;      // position to resume at (F_RESTORE: the register's old value)
    size_t count;    // F_REPEAT: code points the loop holds now
    size_t from;     // F_REPEAT: where the loop started
    uint32_t pc;     // F_BRANCH / F_LOOK_*: pc to resume at; F_REPEAT: the OP_REPEAT; F_RESTORE: register
    uint32_t kind;
} frame;

typedef struct {
    const ptx_regex *re;
    const uint8_t *s;
    size_t n;
    size_t steps, budget;
    frame *stack;    // [cap]
    size_t sp, cap;
    bool heap;       // stack was malloc'ed
    size_t *regs;    // [re->nregs]
    size_t cpos;     // cached decode: position (SIZE_MAX: none), code point, length, category bit
    uint32_t ccp, clen, ccat;
} matcher;

// The code point at s[0..n) (s[0] >= 0x80): valid 2- and 3-byte sequences here, the rest by ptu_decode.
static inline uint32_t decode_multi(const uint8_t *s, size_t n, uint32_t *len) {
    uint32_t b0 = s[0];
    if (b0 >= 0xC2 && b0 <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) { *len = 2; return (b0 & 0x1F) << 6 | (s[1] & 0x3F); }
    if (b0 >= 0xE1 && b0 <= 0xEC && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return (b0 & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    }
    size_t l;
    uint32_t c = ptu_decode(s, n, &l);
    *len = (uint32_t)l;
    return c;
}

// Decodes the code point at pos < n into the cache.
static inline void peek(matcher *m, size_t pos) {
    if (m->cpos == pos) return;
    m->cpos = pos;
    uint8_t b = m->s[pos];
    if (b < 0x80) { m->ccp = b; m->clen = 1; m->ccat = 0; return; }   // ASCII never needs its category
    m->ccp = decode_multi(m->s + pos, m->n - pos, &m->clen);
    m->ccat = 1u << ptu_category_of(m->ccp);
}

static inline bool atom_has(const ptx_regex *re, uint8_t atom, uint32_t arg, uint32_t c, uint32_t catbit,
                            size_t *steps) {
    switch (atom) {
    case OP_CHAR: return c == arg;
    case OP_CHARI: return c == arg || simple_fold(c) == arg;
    case OP_ANY: return c != '\n' && c != '\r' && c != 0x2028 && c != 0x2029;
    default: return class_has(re->items, &re->classes[arg], c, catbit, steps);
    }
}

static inline bool fset_has(const fset *f, uint32_t c, uint32_t catbit) {
    return c < 128 ? (f->ascii[c >> 5] >> (c & 31)) & 1 : (f->cats & catbit) != 0;
}

// May a match from first set f start at pos?
static inline bool can_start(matcher *m, const fset *f, size_t pos) {
    if (pos >= m->n) return f->at_end;
    peek(m, pos);
    return fset_has(f, m->ccp, m->ccat);
}

static bool grow_stack(matcher *m) {
    if (m->cap >= MAX_FRAMES) return false;
    size_t cap = m->cap * 2;
    frame *st = m->heap ? realloc(m->stack, cap * sizeof(frame)) : malloc(cap * sizeof(frame));
    if (!st) return false;
    if (!m->heap) memcpy(st, m->stack, m->sp * sizeof(frame));
    m->stack = st; m->cap = cap; m->heap = true;
    return true;
}

static inline bool push(matcher *m, uint32_t kind, uint32_t pc, size_t pos, size_t count, size_t from) {
    if (m->sp == m->cap && !grow_stack(m)) return false;
    frame *f = &m->stack[m->sp++];
    f->pos = pos; f->count = count; f->from = from; f->pc = pc; f->kind = kind;
    return true;
}

// Position one code point before pos in a run that decoded without errors.
static size_t step_back(const uint8_t *s, size_t pos) {
    size_t q = pos - 1;
    while ((s[q] & 0xC0) == 0x80) q--;
    return q;
}

// Runs the program at pos0: 1 and *end on a match, 0 on none, -1 when over budget or out of memory.
static int run(matcher *m, size_t pos0, size_t *end) {
    const ptx_regex *re = m->re;
    const inst *prog = re->prog;
    const fset *first = re->first;
    const uint8_t *s = m->s;
    size_t n = m->n, pos = pos0;
    uint32_t pc = 0;
    m->sp = 0;
    for (;;) {
        if (++m->steps > m->budget) return -1;
        const inst *in = &prog[pc];
        switch (in->op) {
        case OP_CHAR: case OP_CHARI: case OP_ANY: case OP_CLASS:
            if (pos >= n) goto fail;
            peek(m, pos);
            if (!atom_has(re, in->op, in->arg, m->ccp, m->ccat, &m->steps)) goto fail;
            pos += m->clen; pc++;
            continue;
        case OP_REPEAT: {
            size_t count = 0, from = pos;
            bool clean = true;   // every code point decoded without error (step_back is exact)
            while (count < in->max && pos < n) {
                uint32_t c = s[pos], len = 1, catbit = 0;
                if (c >= 0x80) {
                    c = decode_multi(s + pos, n - pos, &len);
                    catbit = 1u << ptu_category_of(c);
                    if (c == 0xFFFD && !(len == 3 && s[pos] == 0xEF)) clean = false;
                }
                if (!atom_has(re, in->atom, in->arg, c, catbit, &m->steps)) break;
                pos += len; count++;
            }
            m->steps += count / 4;
            if (count < in->min) goto fail;
            if (count > in->min && !in->neg && !push(m, clean ? F_REPEAT : F_REPEAT_RESCAN, pc, pos, count, from)) return -1;
            pc++;
            continue;
        }
        case OP_SPLIT:
            if (first) {
                bool cx = can_start(m, &first[in->x], pos), cy = can_start(m, &first[in->y], pos);
                if (!cx) { if (!cy) goto fail; pc = in->y; continue; }
                if (!cy) { pc = in->x; continue; }
            }
            if (!push(m, F_BRANCH, in->y, pos, 0, 0)) return -1;
            pc = in->x;
            continue;
        case OP_JMP: pc = in->x; continue;
        case OP_MARK:
            if (!push(m, F_RESTORE, in->arg, m->regs[in->arg], 0, 0)) return -1;
            m->regs[in->arg] = pos; pc++;
            continue;
        case OP_PROGRESS:
            if (pos == m->regs[in->arg]) goto fail;
            pc++;
            continue;
        case OP_BOL: if (pos != 0) goto fail; pc++; continue;
        case OP_EOL: if (pos != n) goto fail; pc++; continue;
        case OP_LOOK:
            if (!push(m, in->neg ? F_LOOK_NEG : F_LOOK_POS, in->x, pos, 0, 0)) return -1;
            pc++;
            continue;
        case OP_LOOKEND:
            // the body matched: drop its alternatives (lookaheads are atomic) down to the barrier
            while (m->sp) {
                frame *f = &m->stack[--m->sp];
                m->steps++;
                if (f->kind == F_RESTORE) m->regs[f->pc] = f->pos;
                else if (f->kind == F_LOOK_POS) { pos = f->pos; pc = f->pc; goto next; }
                else if (f->kind == F_LOOK_NEG) goto fail;
            }
            return -1;   // unreachable: every OP_LOOKEND has its barrier
        case OP_MATCH: *end = pos; return 1;
        default: return -1;
        }
    fail:
        for (;;) {
            if (m->sp == 0) return 0;
            if (++m->steps > m->budget) return -1;
            frame *f = &m->stack[m->sp - 1];
            switch (f->kind) {
            case F_BRANCH: pc = f->pc; pos = f->pos; m->sp--; goto next;
            case F_RESTORE: m->regs[f->pc] = f->pos; m->sp--; continue;
            case F_LOOK_POS: m->sp--; continue;                              // body failed: fail
            case F_LOOK_NEG: pc = f->pc; pos = f->pos; m->sp--; goto next;   // body failed: go on
            default: {   // F_REPEAT*: give back one code point, skipping those the rest cannot start at
                const inst *rp = &prog[f->pc];
                const fset *cont = first ? &first[f->pc + 1] : NULL;
                bool found = false;
                while (f->count > rp->min) {
                    f->count--;
                    if (f->kind == F_REPEAT) f->pos = step_back(s, f->pos);
                    else {   // decode errors in the run: walk again from its start
                        size_t p = f->from;
                        for (size_t k = 0; k < f->count; k++) { size_t l; ptu_decode(s + p, n - p, &l); p += l; }
                        m->steps += f->count;
                        f->pos = p;
                    }
                    if (++m->steps > m->budget) return -1;
                    if (!cont || can_start(m, cont, f->pos)) { found = true; break; }
                }
                if (!found) { m->sp--; continue; }
                pos = f->pos; pc = f->pc + 1;
                if (f->count == rp->min) m->sp--;
                goto next;
            }
            }
        }
    next:;
    }
}

bool ptx_regex_search(const ptx_regex *re, const uint8_t *s, size_t n, size_t start, size_t *ms, size_t *me,
                      bool *budget_exceeded) {
    if (budget_exceeded) *budget_exceeded = false;
    if (!re || (!s && n) || start > n) return false;
    frame local[64];
    size_t local_regs[16];
    matcher m = {.re = re, .s = s, .n = n, .stack = local, .cap = 64, .cpos = SIZE_MAX};
    size_t rest = n - start;
    m.budget = BUDGET_BASE + (rest > (SIZE_MAX - BUDGET_BASE) / BUDGET_PER_BYTE ? SIZE_MAX - BUDGET_BASE
                                                                               : rest * BUDGET_PER_BYTE);
    m.regs = re->nregs <= 16 ? local_regs : malloc(re->nregs * sizeof(size_t));
    if (!m.regs) { if (budget_exceeded) *budget_exceeded = true; return false; }
    for (uint32_t r = 0; r < re->nregs; r++) m.regs[r] = SIZE_MAX;
    const fset *f0 = re->first;
    bool found = false, over = false;
    size_t pos = start, end = 0;
    for (;;) {
        if (f0) {   // skip start positions the first set rejects
            while (pos < n) {
                uint8_t b = s[pos];
                if (b < 0x80) { if ((f0->ascii[b >> 5] >> (b & 31)) & 1) break; pos++; continue; }
                peek(&m, pos);
                if (f0->cats & m.ccat) break;
                pos += m.clen;
            }
            if (pos >= n && !f0->at_end) break;
        }
        int r = run(&m, pos, &end);
        if (r > 0) { found = true; break; }
        if (r < 0) { over = true; break; }
        if (pos >= n) break;
        peek(&m, pos);
        pos += m.clen;
    }
    if (m.heap) free(m.stack);
    if (m.regs != local_regs) free(m.regs);
    if (found) { *ms = pos; *me = end; }
    if (over && budget_exceeded) *budget_exceeded = true;
    return found;
}
