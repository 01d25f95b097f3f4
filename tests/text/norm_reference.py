#!/usr/bin/python3
"""norm_reference.py — Python's unicodedata (Unicode 14 in Debian 12's python3) and Unicode 15's
NormalizationTest.txt as references for src/text/unicode.c.

    /usr/bin/python3 tests/text/norm_reference.py OUT.txt [RANDOM_SEQUENCES=20000]

Writes lines read by tests/test_text_unicode.c --norm-ref (all strings as hex UTF-8, "-" if empty):
  N src nfc nfd nfkc nfkd   every code point assigned in Python's Unicode version, one by one;
                            random sequences of bases, combining marks, Hangul and compatibility
                            characters; every line of /usr/share/unicode/NormalizationTest.txt.bz2
  D bytes decoded           random byte strings and bytes.decode("utf-8", errors="replace")
  L cp lower                the simple lowercase of every assigned code point whose str.lower()
                            is one code point
  K hex                     the general category of every code point (1 byte each, ptu_category
                            numbering), ff where unassigned in Python's Unicode version
"""
import bz2
import random
import sys
import unicodedata

CATS = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
        "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"]
FORMS = ("NFC", "NFD", "NFKC", "NFKD")


def h(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return b.hex() if b else "-"


def main():
    out_path = sys.argv[1]
    nrandom = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rng = random.Random(20261207)
    lines = []
    assigned = [cp for cp in range(0x110000)
                if unicodedata.category(chr(cp)) not in ("Cn", "Cs")]
    counts = {"cp": 0, "random": 0, "conformance": 0, "decode": 0, "lower": 0}

    def norm_line(s):
        lines.append("N %s %s" % (h(s), " ".join(h(unicodedata.normalize(f, s)) for f in FORMS)))

    for cp in assigned:
        norm_line(chr(cp))
        counts["cp"] += 1

    bases = ([ord(c) for c in "aeiouAEIOUnNcCsSzZkKgGhHyYwWxXrRlL"] + list(range(0x391, 0x3A9)) +
             list(range(0x410, 0x44F)) + list(range(0xAC00, 0xAC30)) + list(range(0xD7A0, 0xD7A4)) +
             list(range(0x1100, 0x1113)) + list(range(0x1161, 0x1176)) + list(range(0x11A7, 0x11C3)) +
             [0xFB01, 0x2460, 0x338F, 0x1E9B, 0x212B, 0x2126, 0xF900, 0x2F800, 0x0CBF, 0x0CC6, 0x0B47,
              0x09C7, 0x1B05, 0x0DD9, 0x0F71, 0x3046, 0x304B, 0x30A6, 0x3000, 0xA0, 0x1FBF, 0x0385])
    marks = [0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0x30C, 0x323, 0x327, 0x328, 0x31B, 0x345,
             0x5B0, 0xE38, 0x3099, 0x309A, 0x94D, 0x93C, 0x0CD5, 0x0CC2, 0x0B3E, 0x09BE, 0x1B35,
             0x0DCF, 0x0F72, 0x0F74, 0x0F80, 0x0344, 0x0340, 0x0313, 0x0342, 0x1D165, 0x1D16E]
    for _ in range(nrandom):
        n = rng.randint(1, 12)
        cps = []
        for _ in range(n):
            r = rng.random()
            cps.append(rng.choice(bases) if r < 0.45 else rng.choice(marks) if r < 0.85 else rng.choice(assigned))
        norm_line("".join(map(chr, cps)))
        counts["random"] += 1

    with bz2.open("/usr/share/unicode/NormalizationTest.txt.bz2", "rt", encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("@"):
                continue
            cols = [
                "".join(chr(int(x, 16)) for x in c.split()) for c in line.split(";")[:5]]
            lines.append("N %s" % " ".join(h(c) for c in cols))
            counts["conformance"] += 1

    interesting = [0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4,
                   0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90, 0x41]
    for _ in range(nrandom):
        n = rng.randint(1, 10)
        b = bytes(rng.choice(interesting) if rng.random() < 0.7 else rng.randrange(256) for _ in range(n))
        lines.append("D %s %s" % (h(b), h(b.decode("utf-8", errors="replace"))))
        counts["decode"] += 1

    for cp in assigned:
        lo = chr(cp).lower()
        if len(lo) == 1:
            lines.append("L %x %x" % (cp, ord(lo)))
            counts["lower"] += 1

    cat = bytearray(0x110000)
    for cp in range(0x110000):
        c = unicodedata.category(chr(cp))
        cat[cp] = 0xFF if c == "Cn" else CATS.index(c)
    lines.append("K " + cat.hex())

    with open(out_path, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
    print("norm reference (Python unicodedata %s + NormalizationTest 15.0): %d code points, %d random "
          "sequences, %d conformance lines, %d byte strings, %d lowercase -> %s" % (
              unicodedata.unidata_version, counts["cp"], counts["random"], counts["conformance"],
              counts["decode"], counts["lower"], out_path))


if __name__ == "__main__":
    main()
