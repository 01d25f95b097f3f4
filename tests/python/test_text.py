"""The tokenizer from Python (petite.text, ctypes over libpetite_text) and `petite tokenize`:
a tokenizer.json written here (byte-level BPE with an added special token and a template) encodes,
decodes and streams as its rules say; bad files and bad ids are errors naming what is wrong; with
the reference harness's files in BUILD/text-ref (tests/text/make_refs.sh), llama3 and o200k from
Python and from the CLI give exactly the reference's ids.

    /usr/bin/python3 tests/python/test_text.py [BUILD_DIR]
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

from petite import text  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def byte_char(b):
    """GPT-2's byte-level alphabet"""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    if b in printable:
        return chr(b)
    return chr(256 + sorted(set(range(256)) - set(printable)).index(b))


def tiny():
    """a byte-level BPE over a few words, with <|end|> special and a BOS template"""
    vocab = {byte_char(b): b for b in range(256)}
    merges = []
    for a, b in (("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("\u0120", "w"), ("o", "r"), ("\u0120w", "or"),
                 ("l", "d"), ("\u0120wor", "ld")):
        vocab.setdefault(a + b, len(vocab))
        merges.append("%s %s" % (a, b))
    vocab["<|end|>"] = len(vocab)
    vocab["<|bos|>"] = len(vocab)
    return {
        "added_tokens": [{"id": vocab["<|end|>"], "content": "<|end|>", "special": True, "normalized": False},
                         {"id": vocab["<|bos|>"], "content": "<|bos|>", "special": True, "normalized": False}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
        "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}},
                                                                     {"Sequence": {"id": "A", "type_id": 0}}],
                           "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [vocab["<|bos|>"]],
                                                          "tokens": ["<|bos|>"]}}},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": vocab, "merges": merges},
    }, vocab


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    cli = os.environ.get("PETITE_CLI") or os.path.join(build, "petite")
    spec, vocab = tiny()
    d = tempfile.mkdtemp(prefix="petite-text-")
    path = os.path.join(d, "tokenizer.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    tok = text.Tokenizer(path)
    ids = tok.encode("hello world<|end|>")
    check(ids == [vocab["hello"], vocab["\u0120world"], vocab["<|end|>"]], "encode: %s" % ids)
    check(tok.encode("hello", add_special=True) == [vocab["<|bos|>"], vocab["hello"]], "the template's BOS")
    check(tok.decode(ids) == "hello world<|end|>", "decode: %r" % tok.decode(ids))
    check(tok.decode(ids, skip_special=True) == "hello world", "decode without specials")
    check(tok.bos_id == vocab["<|bos|>"] and tok.vocab_size == len(vocab), "bos %s, size %s" % (tok.bos_id, tok.vocab_size))
    check(tok.token_to_piece(vocab["\u0120world"]) == "\u0120world" and tok.piece_to_id("hello") == vocab["hello"],
          "pieces")
    check(tok.is_special(vocab["<|end|>"]) and not tok.is_special(vocab["hello"]), "special flags")
    # a character split over tokens: the stream holds it back until it is whole
    e_acute = [vocab[byte_char(0xC3)], vocab[byte_char(0xA9)]]
    pieces = list(tok.stream([vocab["hello"]] + e_acute + [vocab["\u0120world"]]))
    check(pieces == ["hello", "", "\u00e9", " world", ""], "stream: %r" % pieces)
    check(tok.decode(e_acute[:1]) == "\ufffd", "half a character decodes to U+FFFD")
    check(tok.encode(b"\xff\xfeh") == tok.encode("\ufffd\ufffdh"), "invalid UTF-8 is read as U+FFFD")
    for bad, what in (([10 ** 6], "not in the vocabulary"), ([-1], "not in the vocabulary")):
        try:
            tok.decode(bad)
            check(False, "decode %s refused" % bad)
        except text.TextError as e:
            check(what in str(e), "decode %s: %s" % (bad, e))
    try:
        tok.decode(["x"])
        check(False, "a non-integer id refused")
    except ValueError:
        check(True, "")
    for blob, field in ((b"{", "JSON"), (b'{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}', "merges[0]")):
        try:
            text.Tokenizer.from_bytes(blob)
            check(False, "damaged %r refused" % blob)
        except text.TextError as e:
            check(field in str(e), "damaged file: %s" % e)
    try:
        text.Tokenizer(os.path.join(d, "missing.json"))
        check(False, "a missing file refused")
    except text.TextError as e:
        check("missing.json" in str(e), "missing file: %s" % e)

    # the CLI
    r = subprocess.run([cli, "tokenize", path, "--json", "hello world"], capture_output=True, text=True)
    try:
        obj = json.loads(r.stdout)
    except ValueError:
        obj = None
    check(r.returncode == 0 and obj == {"ids": [vocab["hello"], vocab["\u0120world"]], "pieces": ["hello", "\u0120world"]},
          "petite tokenize --json: %r %s" % (r.stdout, r.stderr))
    r = subprocess.run([cli, "tokenize", path, "--decode", "%d,%d" % (vocab["hello"], vocab["\u0120world"])],
                       capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout == "hello world\n", "petite tokenize --decode: %r" % r.stdout)
    r = subprocess.run([cli, "tokenize", path, "--decode", "12x"], capture_output=True, text=True)
    check(r.returncode == 2 and "integers" in r.stderr, "--decode with a non-id: %r" % r.stderr)
    r = subprocess.run([cli, "tokenize", "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "petite tokenize TOKENIZER" in r.stdout, "--help")

    # the real vocabularies, where the reference harness left them
    refs = os.path.join(build, "text-ref")
    corpus = os.path.join(refs, "corpus.json")
    if os.path.exists(corpus):
        texts = {e["name"]: (bytes.fromhex(e["hex"]) if "hex" in e else e["text"].encode()) for e in json.load(open(corpus))}
        for vocab_name in ("llama3", "o200k_base"):
            ref = json.load(open(os.path.join(refs, vocab_name + ".json")))
            t = (text.Tokenizer(ref["tiktoken_file"], vocab_name) if "tiktoken_file" in ref
                 else text.Tokenizer(ref["tokenizer_json"]))
            bad = [c["name"] for c in ref["cases"] if t.encode(texts[c["name"]]) != c["ids"]]
            check(not bad, "%s from Python: %s differ" % (vocab_name, bad[:5]))
            joined = ["".join(t.stream(c["ids"])) == c.get("decoded_nocleanup", c["decoded"]) for c in ref["cases"]]
            check(all(joined), "%s: streamed text equals the reference's decode" % vocab_name)
            c = next(c for c in ref["cases"] if c["name"] == "english_prose")
            tokfile = ref.get("tiktoken_file") or ref["tokenizer_json"]
            r = subprocess.run([cli, "tokenize", tokfile, "--json", texts["english_prose"].decode()], capture_output=True,
                               text=True)
            check(r.returncode == 0 and json.loads(r.stdout)["ids"] == c["ids"], "%s: petite tokenize: %s" % (vocab_name,
                                                                                                           r.stderr))
        print("text (python): the references in %s checked" % refs)
    else:
        print("text (python): no references in %s (tests/text/make_refs.sh): only the built-in cases" % refs)
    print("text (python): %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
