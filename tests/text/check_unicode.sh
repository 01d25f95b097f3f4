#!/bin/sh
# check_unicode.sh — builds and checks src/text/unicode.c and src/text/regex.c:
#   the tables are regenerated and must equal the committed src/text/unicode_tables.h;
#   tests/test_text_unicode.c built with gcc -O2, gcc ASan+UBSan, clang -O2 and ASan+UBSan (if present);
#   references from node's RegExp (tests/text/regex_reference.mjs) and Python's unicodedata +
#   NormalizationTest.txt (tests/text/norm_reference.py); extended grapheme clusters against every
#   line of Unicode's GraphemeBreakTest.txt and every code point's Grapheme_Cluster_Break /
#   Extended_Pictographic (read from the UCD at run time); the Llama 3 split speed against node's.
# Usage: sh tests/text/check_unicode.sh [WORKDIR]   (default /tmp/petite_text_unicode)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/tmp/petite_text_unicode}
mkdir -p "$work"
cd "$root"
src="src/text/unicode.c src/text/regex.c tests/test_text_unicode.c"
flags="-std=c11 -Wall -Wextra -Werror -Isrc -Iinclude"
ucd=/usr/share/unicode
grapheme="--grapheme-ref $ucd/auxiliary/GraphemeBreakTest.txt --grapheme-prop $ucd"

/usr/bin/python3 tools/gen_unicode.py /usr/share/unicode "$work/unicode_tables.h" >/dev/null
cmp "$work/unicode_tables.h" src/text/unicode_tables.h || { echo "unicode_tables.h is not what tools/gen_unicode.py writes"; exit 1; }
echo "unicode_tables.h: reproducible"

gcc $flags -O2 $src -o "$work/test_text_unicode"
gcc $flags -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all $src -o "$work/test_text_unicode_asan"
timeout 600 node tests/text/regex_reference.mjs "$work/regex_ref.jsonl" 20000
/usr/bin/python3 tests/text/norm_reference.py "$work/norm_ref.txt" 20000
node tests/text/regex_reference.mjs --bench "$work/bench.txt" 10

status=0
echo "== gcc -O2"
"$work/test_text_unicode" --regex-ref "$work/regex_ref.jsonl" --norm-ref "$work/norm_ref.txt" $grapheme --bench "$work/bench.txt" || status=1
echo "== gcc ASan+UBSan"
"$work/test_text_unicode_asan" --regex-ref "$work/regex_ref.jsonl" --norm-ref "$work/norm_ref.txt" $grapheme || status=1
if command -v clang >/dev/null 2>&1; then
    clang $flags -O2 $src -o "$work/test_text_unicode_clang"
    clang $flags -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all $src -o "$work/test_text_unicode_clang_asan"
    echo "== clang -O2"
    "$work/test_text_unicode_clang" --regex-ref "$work/regex_ref.jsonl" --norm-ref "$work/norm_ref.txt" $grapheme || status=1
    echo "== clang ASan+UBSan"
    "$work/test_text_unicode_clang_asan" || status=1
fi
[ $status = 0 ] && echo "check_unicode: all passed" || echo "check_unicode: FAILED"
exit $status
