#!/usr/bin/python3
"""gen_unicode.py — writes src/text/unicode_tables.h from Debian's Unicode Character Database.

    /usr/bin/python3 tools/gen_unicode.py [/usr/share/unicode] [src/text/unicode_tables.h]

Reads UnicodeData.txt (general category, canonical combining class, decompositions, simple
lowercase), PropList.txt (White_Space, only to document how JavaScript's \\s differs from it),
DerivedNormalizationProps.txt (Full_Composition_Exclusion), CaseFolding.txt (simple case folding,
C + S, for the regex's case-insensitive groups), auxiliary/GraphemeBreakProperty.txt and
emoji/emoji-data.txt (Grapheme_Cluster_Break and Extended_Pictographic, for UAX #29's extended
grapheme clusters). Standard library only; the output depends only on the input files (reproducible).

Tables (all read by src/text/unicode.c only):
  category, ccc   two-level tables over [0, PTU_TABLE_LIMIT): stage1[cp >> SHIFT] is a block number,
                  stage2[block << SHIFT | (cp & MASK)] the value; above the limit a short sorted
                  list of ranges (start, end, value).
  decompositions  sorted code points with their fully expanded (recursive) canonical and
                  compatibility decompositions as (offset << 5 | length) into one pool; Hangul
                  syllables are algorithmic and not listed.
  compositions    primary composites: sorted (first << 21 | second) keys and their composite
                  (Full_Composition_Exclusion removed; Hangul algorithmic).
  block filters   one bit per 256 code points: any decomposition / any second of a composition
                  in the block (so CJK, most scripts and ASCII skip both searches).
  lower, fold     runs (start, count, delta, stride): cp in start + k * stride (k < count) maps
                  to cp + delta.
  fold inverse    (folding, code point) pairs sorted: who folds to a given code point.
  js_space        the ranges of JavaScript's \\s (WhiteSpace + LineTerminator).
  gcb             Grapheme_Cluster_Break, with Extended_Pictographic as one more value (no code
                  point has both): sorted (start << 8 | value) entries covering [0, 0x110000)
                  without gaps (a value holds from its start to the next entry's start); the
                  Hangul syllables U+AC00..U+D7A3 (LV / LVT) are algorithmic and listed as Other
                  (the generator checks the file agrees with the algorithm).
"""
import os
import sys

CATS = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
        "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"]
CAT_INDEX = {c: i for i, c in enumerate(CATS)}
MAXCP = 0x110000
TABLE_LIMIT = 0x40000  # planes 0..3 tabulated, the rest as ranges
# Grapheme_Cluster_Break values in the order of the generated PTU_GCB_* numbers; Other is 0 and
# Extended_Pictographic (an emoji-data.txt property, all of whose code points are Other) is last.
GCB = ["Other", "CR", "LF", "Control", "Extend", "ZWJ", "Regional_Indicator", "Prepend", "SpacingMark",
       "L", "V", "T", "LV", "LVT", "Extended_Pictographic"]
GCB_C = ["OTHER", "CR", "LF", "CONTROL", "EXTEND", "ZWJ", "RI", "PREPEND", "SPACINGMARK", "L", "V", "T",
         "LV", "LVT", "EXTPICT"]


def parse_ranges(path, prop):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if fields[1] != prop:
                continue
            a, _, b = fields[0].partition("..")
            for cp in range(int(a, 16), int(b or a, 16) + 1):
                out.add(cp)
    return out


def read_unicode_data(path):
    cat = [0] * MAXCP
    ccc = [0] * MAXCP
    decomp = {}   # cp -> (compat, [cps])
    lower = {}
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split(";") for line in f if line.strip()]
    i = 0
    while i < len(rows):
        r = rows[i]
        cp = int(r[0], 16)
        last = cp
        if r[1].endswith(", First>"):
            last = int(rows[i + 1][0], 16)
            i += 1
        for c in range(cp, last + 1):
            cat[c] = CAT_INDEX[r[2]]
            ccc[c] = int(r[3])
        if r[5]:
            parts = r[5].split()
            compat = parts[0].startswith("<")
            if compat:
                parts = parts[1:]
            decomp[cp] = (compat, [int(x, 16) for x in parts])
        if r[13]:
            lower[cp] = int(r[13], 16)
        i += 1
    return cat, ccc, decomp, lower


def grapheme_entries(ucd):
    """(start << 8 | value) entries of Grapheme_Cluster_Break + Extended_Pictographic."""
    vals = [0] * MAXCP
    path = os.path.join(ucd, "auxiliary", "GraphemeBreakProperty.txt")
    for i, name in enumerate(GCB[1:-1], 1):
        cps = parse_ranges(path, name)
        assert cps, name
        for cp in cps:
            assert vals[cp] == 0, hex(cp)
            vals[cp] = i
    for cp in parse_ranges(os.path.join(ucd, "emoji", "emoji-data.txt"), GCB[-1]):
        assert vals[cp] == 0, "Extended_Pictographic U+%04X has Grapheme_Cluster_Break %s" % (cp, GCB[vals[cp]])
        vals[cp] = len(GCB) - 1
    lv, lvt = GCB.index("LV"), GCB.index("LVT")
    for cp in range(0xAC00, 0xD7A4):   # the algorithm unicode.c uses instead
        assert vals[cp] == (lv if (cp - 0xAC00) % 28 == 0 else lvt), hex(cp)
        vals[cp] = 0
    assert lv not in vals and lvt not in vals
    out = []
    for cp in range(MAXCP):
        if cp == 0 or vals[cp] != vals[cp - 1]:
            out.append(cp << 8 | vals[cp])
    return out


def version_of(path):
    # DerivedNormalizationProps.txt starts "# DerivedNormalizationProps-15.0.0.txt"
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    return first.split("-", 1)[1].rsplit(".txt", 1)[0].strip()


def two_level(values, limit):
    """Smallest (by bytes) two-level table for values[0:limit]."""
    best = None
    for shift in range(4, 10):
        bs = 1 << shift
        blocks = {}
        stage1 = []
        stage2 = []
        for start in range(0, limit, bs):
            blk = tuple(values[start:start + bs])
            if blk not in blocks:
                blocks[blk] = len(blocks)
                stage2.extend(blk)
            stage1.append(blocks[blk])
        s1bytes = len(stage1) * (1 if len(blocks) <= 256 else 2)
        size = s1bytes + len(stage2)
        if best is None or size < best[0]:
            best = (size, shift, stage1, stage2, len(blocks) <= 256)
    return best[1:]


def ranges_above(values, limit):
    out = []
    cp = limit
    while cp < MAXCP:
        v = values[cp]
        end = cp
        while end + 1 < MAXCP and values[end + 1] == v:
            end += 1
        if v:
            out.append((cp, end, v))
        cp = end + 1
    return out


def runs(mapping):
    """(start, count, delta, stride) runs covering mapping (cp -> cp')."""
    items = sorted(mapping.items())
    out = []
    i = 0
    while i < len(items):
        cp, m = items[i]
        delta = m - cp
        best = (1, 1)
        for stride in (1, 2):
            n = 1
            while (i + n < len(items) and items[i + n][0] == cp + n * stride
                   and items[i + n][1] - items[i + n][0] == delta):
                n += 1
            if n > best[0]:
                best = (n, stride)
        out.append((cp, best[0], delta, best[1]))
        i += best[0]
    return out


def c_array(ctype, name, values, per_line=24):
    lines = ["static const %s %s[%d] = {" % (ctype, name, len(values))]
    for i in range(0, len(values), per_line):
        lines.append("    " + ",".join(str(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def main():
    ucd = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    out_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "text", "unicode_tables.h")
    version = version_of(os.path.join(ucd, "DerivedNormalizationProps.txt"))
    cat, ccc, decomp, lower = read_unicode_data(os.path.join(ucd, "UnicodeData.txt"))
    white = parse_ranges(os.path.join(ucd, "PropList.txt"), "White_Space")
    fce = parse_ranges(os.path.join(ucd, "DerivedNormalizationProps.txt"), "Full_Composition_Exclusion")
    fold = {}
    with open(os.path.join(ucd, "CaseFolding.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if fields[1] in ("C", "S"):
                fold[int(fields[0], 16)] = int(fields[2], 16)

    # Full recursive decompositions.
    def full(cp, compat):
        d = decomp.get(cp)
        if d is None or (d[0] and not compat):
            return [cp]
        out = []
        for c in d[1]:
            out.extend(full(c, compat))
        return out

    pool = []
    pool_index = {}

    def put(seq):
        key = tuple(seq)
        if key not in pool_index:
            pool_index[key] = len(pool)
            pool.extend(seq)
        off = pool_index[key]
        assert len(seq) < 32 and off < (1 << 26)
        return off << 5 | len(seq)

    dec_cp, dec_canon, dec_compat = [], [], []
    for cp in sorted(decomp):
        canon = full(cp, False)
        compat = full(cp, True)
        dec_cp.append(cp)
        dec_canon.append(put(canon) if canon != [cp] else 0)
        dec_compat.append(put(compat) if compat != canon else 0)

    comp = []
    for cp, (is_compat, parts) in decomp.items():
        if is_compat or len(parts) != 2 or cp in fce:
            continue
        comp.append(((parts[0] << 21) | parts[1], cp))
    comp.sort()

    # JavaScript's \s: WhiteSpace (TAB VT FF SP NBSP ZWNBSP and every Zs) + LineTerminator.
    js = {0x09, 0x0B, 0x0C, 0x20, 0xA0, 0xFEFF, 0x0A, 0x0D, 0x2028, 0x2029}
    js |= {cp for cp in range(MAXCP) if cat[cp] == CAT_INDEX["Zs"]}
    js_ranges = []
    for cp in sorted(js):
        if js_ranges and js_ranges[-1][1] == cp - 1:
            js_ranges[-1][1] = cp
        else:
            js_ranges.append([cp, cp])
    only_js = sorted(js - white)
    only_ws = sorted(white - js)
    gcb = grapheme_entries(ucd)

    cshift, cs1, cs2, c8 = two_level(cat, TABLE_LIMIT)
    kshift, ks1, ks2, k8 = two_level(ccc, TABLE_LIMIT)
    cat_hi = ranges_above(cat, TABLE_LIMIT)
    ccc_hi = ranges_above(ccc, TABLE_LIMIT)
    lower_runs = runs({k: v for k, v in lower.items() if k != v})
    fold_runs = runs({k: v for k, v in fold.items() if k != v})

    o = []
    o.append("/* unicode_tables.h — GENERATED by tools/gen_unicode.py from Debian's Unicode %s data "
             "(/usr/share/unicode:" % version)
    o.append(" * UnicodeData.txt, PropList.txt, DerivedNormalizationProps.txt, CaseFolding.txt,")
    o.append(" * auxiliary/GraphemeBreakProperty.txt, emoji/emoji-data.txt). Do not edit;")
    o.append(" * regenerate with:  /usr/bin/python3 tools/gen_unicode.py")
    o.append(" * Read only by src/text/unicode.c. Layouts: see the docstring of tools/gen_unicode.py.")
    o.append(" * JavaScript's \\s differs from White_Space: only in \\s %s; only in White_Space %s. */"
             % (" ".join("U+%04X" % c for c in only_js), " ".join("U+%04X" % c for c in only_ws)))
    o.append("#ifndef PETITE_TEXT_UNICODE_TABLES_H")
    o.append("#define PETITE_TEXT_UNICODE_TABLES_H")
    o.append("#include <stdint.h>")
    o.append('#define PTU_UNICODE_VERSION "%s"' % version)
    o.append("#define PTU_TABLE_LIMIT 0x%X" % TABLE_LIMIT)
    o.append("#define PTU_CAT_SHIFT %d" % cshift)
    o.append("#define PTU_CCC_SHIFT %d" % kshift)
    o.append(c_array("uint8_t" if c8 else "uint16_t", "ptu_cat_stage1", cs1))
    o.append(c_array("uint8_t", "ptu_cat_stage2", cs2, 40))
    o.append(c_array("uint8_t" if k8 else "uint16_t", "ptu_ccc_stage1", ks1))
    o.append(c_array("uint8_t", "ptu_ccc_stage2", ks2, 32))
    o.append("/* above PTU_TABLE_LIMIT: start, end, value (values not listed are 0) */")
    o.append(c_array("uint32_t", "ptu_cat_high", [x for r in cat_hi for x in r], 12))
    o.append(c_array("uint32_t", "ptu_ccc_high", [x for r in ccc_hi for x in r] or [0, 0, 0], 12))
    o.append("#define PTU_CAT_HIGH_COUNT %d" % len(cat_hi))
    o.append("#define PTU_CCC_HIGH_COUNT %d" % len(ccc_hi))
    o.append("/* decompositions: code point, canonical (offset << 5 | length, 0: none), compatibility"
             " (0: same as canonical) */")
    o.append("#define PTU_DECOMP_COUNT %d" % len(dec_cp))
    o.append(c_array("uint32_t", "ptu_decomp_cp", dec_cp, 14))
    o.append(c_array("uint32_t", "ptu_decomp_canon", dec_canon, 14))
    o.append(c_array("uint32_t", "ptu_decomp_compat", dec_compat, 14))
    o.append(c_array("uint32_t", "ptu_decomp_pool", pool, 14))
    # coarse filters, one bit per 256 code points: blocks with decompositions, blocks with code
    # points that compose with a preceding one (Hangul V and T jamo included)
    dec_blocks = {cp >> 8 for cp in dec_cp}
    second_blocks = {(k & 0x1FFFFF) >> 8 for k, _ in comp} | {0x11}

    def block_bits(blocks):
        words = [0] * (MAXCP >> 13)
        for b in blocks:
            words[b >> 5] |= 1 << (b & 31)
        return words
    o.append("/* one bit per 256 code points (word cp >> 13, bit (cp >> 8) & 31): the block has a"
             " decomposition / a code point that composes with the one before it */")
    o.append(c_array("uint32_t", "ptu_decomp_blocks", block_bits(dec_blocks), 12))
    o.append(c_array("uint32_t", "ptu_second_blocks", block_bits(second_blocks), 12))
    o.append("/* compositions: (first << 21 | second) sorted, and the composite */")
    o.append("#define PTU_COMP_COUNT %d" % len(comp))
    o.append(c_array("uint64_t", "ptu_comp_key", [k for k, _ in comp], 8))
    o.append(c_array("uint32_t", "ptu_comp_value", [v for _, v in comp], 14))
    o.append("/* simple lowercase and simple case folding: start, count, delta, stride */")
    o.append("#define PTU_LOWER_COUNT %d" % len(lower_runs))
    o.append(c_array("int32_t", "ptu_lower_runs", [x for r in lower_runs for x in r], 16))
    o.append("#define PTU_FOLD_COUNT %d" % len(fold_runs))
    o.append(c_array("int32_t", "ptu_fold_runs", [x for r in fold_runs for x in r], 16))
    inverse = sorted((t, c) for c, t in fold.items() if c != t)
    o.append("/* simple case folding inverted: (folding, code point) pairs sorted, for every code point")
    o.append(" * that does not fold to itself: the other members of a case-insensitive class's orbit */")
    o.append("#define PTU_FOLD_INVERSE_COUNT %d" % len(inverse))
    o.append(c_array("uint32_t", "ptu_fold_inverse", [x for r in inverse for x in r], 14))
    o.append("/* JavaScript's \\s: inclusive ranges */")
    o.append("#define PTU_JS_SPACE_COUNT %d" % len(js_ranges))
    o.append(c_array("uint32_t", "ptu_js_space", [x for r in js_ranges for x in r], 12))
    o.append("/* Grapheme_Cluster_Break (+ Extended_Pictographic): (start << 8 | value) covering [0, 0x110000);"
             " Hangul syllables listed as Other */")
    for i, name in enumerate(GCB_C):
        o.append("#define PTU_GCB_%s %d" % (name, i))
    o.append("#define PTU_GCB_COUNT %d" % len(gcb))
    o.append(c_array("uint32_t", "ptu_gcb", gcb, 10))
    o.append("#endif")
    text = "\n".join(o) + "\n"
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: %d bytes (Unicode %s; category shift %d, %d blocks; ccc shift %d; %d decompositions,"
          " pool %d; %d compositions; %d lower runs; %d fold runs; %d grapheme break entries)" % (
              out_path, len(text), version, cshift, len(cs2) >> cshift, kshift, len(dec_cp), len(pool),
              len(comp), len(lower_runs), len(fold_runs), len(gcb)))


if __name__ == "__main__":
    main()
