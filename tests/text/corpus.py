#!/usr/bin/env python3
"""Deterministic test corpus for petite's text tokenizers.

    python3 tests/text/corpus.py --out CORPUS.json [--bench BENCH.txt [--bench-mb 10]]

CORPUS.json is a JSON list of {"name", "text"} entries (valid Unicode). Entries
that stand for invalid UTF-8 input also carry "hex": the raw bytes, and their
"text" is those bytes decoded with U+FFFD replacement (Python errors="replace",
which matches the WHATWG decoder that node's TextDecoder uses; reference.mjs
checks that both agree). The references tokenize "text"; a C test feeding the
raw bytes must first replace invalid sequences the same way (or compare only
the valid-text entries).

BENCH.txt (optional, not committed) is a ~10 MB UTF-8 text made by mixing the
corpus entries with a fixed pseudo-random sequence (same bytes every run).
No randomness or environment enters either file.
"""
import argparse
import json
import os
import sys
import unicodedata

PROSE_EN = (
    "The quick brown fox jumps over the lazy dog. It wasn't the first time; "
    "the dog had seen foxes before, and he'd see them again. \"Why?\" asked the "
    "farmer, who'd lived there for 42 years (since 1983).\n\nA second paragraph "
    "follows: tokenizers split words, numbers, and punctuation -- each in its "
    "own way... Don't they?"
)

GERMAN = ("Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. "
          "Die Straße heißt Äußere Ölmühlgasse; Größenmaßstäbe sind übertrieben.")
FRENCH = ("Voix ambiguë d'un cœur qui, au zéphyr, préfère les jattes de kiwis. "
          "L'été dernier, où étiez-vous ? À Noël, ça coûtait 12,50 €.")
RUSSIAN = ("Съешь же ещё этих мягких французских булок, да выпей чаю. "
           "Ёлка стоит в углу; в Москве сейчас −5 °C.")
GREEK = "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Τάχιστη αλώπηξ βαφής ψημένη γη, δρασκελίζει υπέρ νωθρού κυνός."
ARABIC = "نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق. العدد ١٢٣٤٥ والعدد 67890."
HEBREW = "דג סקרן שט בים מאוכזב ולפתע מצא חברה. שָׁלוֹם עֲלֵיכֶם"
HINDI = "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णुवतार भगवान श्रीराम। क्षत्रिय ज्ञान श्री हिंदी"
THAI = "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ"
CHINESE = "我能吞下玻璃而不伤身体。中华人民共和国成立于1949年，北京是首都。繁體中文：臺灣的語言。"
JAPANESE = "いろはにほへと ちりぬるを。私はガラスを食べられます。それは私を傷つけません。東京都渋谷区、カタカナ・ﾊﾝｶｸｶﾀｶﾅ。"
KOREAN = "다람쥐 헌 쳇바퀴에 타고파. 나는 유리를 먹을 수 있어요. 그래도 아프지 않아요."

C_CODE = """#include <stdio.h>

int main(int argc, char **argv) {
    for (int i = 0; i < argc; ++i) {
        printf("%d: %s\\n", i, argv[i]);
    }
\treturn 0; /* tab-indented */
}
"""
PY_CODE = """def fib(n: int) -> int:
    \"\"\"Return the n-th Fibonacci number.\"\"\"
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


if __name__ == "__main__":
    print([fib(i) for i in range(10)])  # [0, 1, 1, 2, ...]
"""
JSON_CODE = """{
  "name": "petite",
  "version": "0.1.0",
  "values": [1, 2.5, -3e10, true, false, null],
  "nested": {"a": {"b": {"c": "deep"}}},
  "escaped": "line\\nbreak \\"quoted\\" \\u00e9"
}
"""


def entries():
    e = []

    def add(name, text):
        e.append({"name": name, "text": text})

    add("empty", "")
    add("single_space", " ")
    add("single_letter", "a")
    add("single_newline", "\n")
    add("english_prose", PROSE_EN)
    add("english_short", "Hello, world!")
    add("english_upper", "HELLO WORLD, THIS IS LOUD. I'M SHOUTING.")
    add("german", GERMAN)
    add("french", FRENCH)
    add("russian", RUSSIAN)
    add("greek", GREEK)
    add("arabic", ARABIC)
    add("hebrew", HEBREW)
    add("hindi", HINDI)
    add("thai", THAI)
    add("chinese", CHINESE)
    add("japanese", JAPANESE)
    add("korean", KOREAN)
    add("korean_decomposed_jamo", unicodedata.normalize("NFD", "한국어 텍스트"))
    add("mixed_scripts", "English, Deutsch (Größe), русский, 中文, 日本語, 한국어, العربية, עברית, हिन्दी.")
    add("emoji_simple", "I ❤️ tokenizers 😀😃😄 🚀🔥 ✅")
    add("emoji_zwj", "Family: 👨‍👩‍👧‍👦, couple: 👩‍❤️‍👨, pirate flag: 🏴‍☠️, rainbow: 🏳️‍🌈")
    add("emoji_skin_tones", "👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 👋🏽")
    add("emoji_flags", "🇩🇪🇫🇷🇯🇵🇺🇸🇬🇧 🏴󠁧󠁢󠁳󠁣󠁴󠁿")
    add("emoji_only", "😀" * 20)
    add("code_c", C_CODE)
    add("code_python", PY_CODE)
    add("code_json", JSON_CODE)
    add("spaces_runs", "a  b   c    d     e      f" + " " * 16 + "g")
    add("tabs", "\tone\t\ttwo\t\t\tthree\t")
    add("newlines", "line1\nline2\n\nline4\n\n\n\nline8\n")
    add("crlf", "first line\r\nsecond line\r\n\r\nfourth\r\n")
    add("cr_only", "old\rmac\rline\rendings")
    add("mixed_whitespace", " \t \n \r\n\t\t  \n   x \u00a0 y \u3000 z \u2009 w \v \f end")
    add("only_spaces", " " * 10)
    add("only_newlines", "\n" * 7)
    add("indented_block", "    four\n        eight\n\t\ttab2\n  \t  mixed\n")
    add("numbers", "0 1 12 123 1234 12345 123456 1234567 3.14159 -2.5e-3 1,000,000 1.000.000,00 007 0x1F 1e100")
    add("long_digits", "31415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679")
    add("dates_times", "2026-12-07T06:00:00Z, 07/12/2026 6:00 p.m., $1,234.56, 99.9%, €5, £3, ¥100")
    add("long_word", ("abcdefghijklmnopqrstuvwxyz" * 193)[:5000])
    add("long_word_repeated_a", "a" * 5000)
    add("long_cjk_run", ("漢字仮名交じり文" * 40))
    add("punctuation_runs", "Wait... what?!?! No!!! ---- ==== **** ~~~~ ..... ,,,,, ;;; ::: ((( ))) [[[ ]]] {{{ }}} <<<>>> ||| \\\\ //// ")
    add("punctuation_unicode", "«Guillemets» „Anführungszeichen“ “curly” ‘single’ — en–dash … ¿Qué? ¡Sí! 「括弧」『二重』【墨付き】・、。")
    add("contractions", "it's don't we're they've I'm you'll he'd")
    add("contractions_upper", "IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D It'S dOn'T")
    add("contractions_curly", "it’s don’t we’re")
    add("contractions_bare", "'s 't 're 've 'm 'll 'd ' '' 'x")
    add("leading_spaces", "   leading spaces")
    add("trailing_spaces", "trailing spaces   ")
    add("leading_trailing_newlines", "\n\nsurrounded\n\n")
    add("leading_space_word", " hello")
    add("nfc_word", unicodedata.normalize("NFC", "café naïve Ångström élève"))
    add("nfd_word", unicodedata.normalize("NFD", "café naïve Ångström élève"))
    add("combining_marks", "e\u0301 a\u0308 n\u0303 Z\u0351\u0352\u0353\u0354 q\u0307\u0323")
    add("fullwidth", "ＡＢＣ ａｂｃ １２３ ！？ Ｈｅｌｌｏ，　Ｗｏｒｌｄ")
    add("ligatures_compat", "ﬁnance ﬂow Ⅻ ① ㎞ ㍻ ½ x² H₂O ℌ")
    add("special_llama2", "<s>Hello</s> <s> </s><unk>")
    add("special_llama3", "<|begin_of_text|>Hi<|end_of_text|> <|eot_id|><|start_header_id|>user<|end_header_id|>")
    add("special_gpt", "Hello<|endoftext|>World <|endoftext|> <|endofprompt|>")
    add("special_qwen", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    add("special_gemma", "<bos><start_of_turn>user\nHi<end_of_turn>\n<pad><eos>")
    add("special_bert", "[CLS] hello [SEP] [MASK] [PAD] [UNK]")
    add("special_lookalike", "< s > <|endoftext| |endoftext|> <<|endoftext|>> <s><s></s></s>")
    add("control_chars", "bell\x07 null\x00 esc\x1b[31m del\x7f zwsp\u200b zwj\u200d zwnj\u200c bom\ufeff lrm\u200e")
    add("private_use_and_rare", "\ue000\uf8ff \U0001F9FF \U00010000 \U0010FFFD 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚")
    add("replacement_char", "a\ufffdb \ufffd\ufffd")
    add("url_email", "See https://example.com/path?q=1&x=%20y#frag or mail a.b+c@example.org")
    add("markdown", "# Title\n\n* item **bold** _it_ `code`\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    add("html", "<div class=\"x\"><p>Hi &amp; bye&nbsp;!</p><br/></div>")
    add("html_table_added_tokens", "<table><tr><td>1</td><td>2</td></tr></table>\n<unused0> <mask>[multimodal]\t\t\n\n\n")
    add("math", "∀x∈ℝ: x² ≥ 0, ∑ᵢ aᵢ = ∫₀^∞ f(x) dx ≈ 3.14 ≠ π ± ε")
    add("repeated_words", "the " * 50)
    add("word_boundary_mix", "CamelCaseWord snake_case_word kebab-case-word ALLCAPS123abc x1y2z3")
    add("single_cjk", "中")
    add("single_emoji", "🤗")
    add("space_then_emoji", " 🤗 ")
    add("underscore_metaspace", "▁already▁has▁metaspace ▁")
    add("byte_level_lookalike", "ĠĊ ċ Ġhello âĢĻ")
    # Invalid UTF-8: raw bytes (hex) and the replacement-decoded text that the references see.
    bad = [
        ("invalid_lone_continuation", b"abc\x80def"),
        ("invalid_truncated_2byte", b"caf\xc3"),
        ("invalid_truncated_3byte", b"x\xe4\xb8y"),
        ("invalid_overlong", b"over\xc0\xaflong"),
        ("invalid_surrogate", b"sur\xed\xa0\x80rogate"),
        ("invalid_ff_fe", b"\xff\xfe hello \xfe\xff"),
        ("invalid_above_max", b"\xf4\x90\x80\x80 big"),
        ("invalid_mixed_valid", "héllo ".encode() + b"\xe2\x82" + " wörld 中".encode() + b"\xf0\x9f\x98"),
    ]
    for name, raw in bad:
        e.append({"name": name, "hex": raw.hex(), "text": raw.decode("utf-8", errors="replace")})
    names = [x["name"] for x in e]
    assert len(names) == len(set(names)), "duplicate names"
    return e


def bench_text(corpus, mb):
    """~mb MB of text: corpus entries (the empty one aside) in an order drawn
    from a fixed LCG, separated by blank lines and spaces."""
    pieces = [x["text"] for x in corpus if x["text"]]
    target = mb * 1000 * 1000
    out = []
    size = 0
    state = 12345
    while size < target:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        t = pieces[state % len(pieces)]
        sep = "\n\n" if state & 1 else " "
        out.append(t)
        out.append(sep)
        size += len(t.encode("utf-8")) + len(sep)
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="corpus JSON file to write")
    ap.add_argument("--bench", help="benchmark text file to write (UTF-8)")
    ap.add_argument("--bench-mb", type=int, default=10)
    a = ap.parse_args()
    if not a.out and not a.bench:
        ap.error("give --out and/or --bench")
    c = entries()
    for path in (a.out, a.bench):
        if path and os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(c, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"corpus: {len(c)} entries -> {a.out}")
    if a.bench:
        t = bench_text(c, a.bench_mb)
        with open(a.bench, "w", encoding="utf-8", newline="") as f:
            f.write(t)
        print(f"bench: {len(t.encode('utf-8'))} bytes -> {a.bench}")


if __name__ == "__main__":
    sys.exit(main())
