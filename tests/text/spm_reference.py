#!/usr/bin/python3
"""SentencePiece models and reference outputs for petite's C tokenizers.

    /usr/bin/python3 tests/text/spm_reference.py CORPUS.json OUTDIR

Needs Debian's python3-sentencepiece (the /usr/bin/python3 one). Trains, from text
that Debian packages put on the machine (the license texts in
/usr/share/common-licenses, /usr/share/doc/*/copyright, and the translated messages
of a fixed set of base packages' gettext catalogs in /usr/share/locale), two small
models with one thread and a fixed seed:

    OUTDIR/spm_bpe.model      model_type=bpe, vocab 3000, byte_fallback=True
    OUTDIR/spm_unigram.model  model_type=unigram, vocab 3000, no byte fallback (unknown
                              characters become <unk>)

both with the default normalizer (nmt_nfkc, add_dummy_prefix, remove_extra_whitespaces)
and unk=0, <s>=1, </s>=2. Then writes OUTDIR/spm_bpe.json and OUTDIR/spm_unigram.json
in reference.mjs's format: ids = sp.encode(text), ids_special = sp.encode(text,
add_bos=True, add_eos=True), decoded = sp.decode(ids).

It also writes OUTDIR/spm_unigram.tokenizer.json: the unigram model converted to a
Hugging Face tokenizer.json the way transformers' SpmConverter does it (Unigram model,
Precompiled charsmap + whitespace normalizers, Metaspace pre-tokenizer/decoder,
TemplateProcessing <s> $A </s>); reference.mjs, run after this script, writes the
transformers.js reference for it as spm_unigram_hf.json.

The training text is also saved (OUTDIR/spm_train.txt) and its SHA-256 printed: the
models depend on which packages are installed, so they are trained at test time, not
committed.
"""
import glob
import gzip
import hashlib
import json
import os
import struct
import sys
import time

import sentencepiece as spm

VOCAB_SIZE = 3000
SEED = 20261207
MO_DOMAINS = ["libc", "coreutils", "dpkg", "apt", "tar", "grep", "sed", "bash", "findutils", "diffutils"]
MO_LANGS = ["de", "fr", "es", "pl", "ru", "uk", "el", "ar", "he", "th", "ja", "ko", "zh_CN", "zh_TW", "vi"]
LANG_CAP = 200_000          # bytes of translated text per language
ENGLISH_CAP = 1_200_000     # bytes of license / copyright text


def mo_strings(path):
    """The translated strings (msgstr, plural forms split) of a gettext .mo file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">"
    if struct.unpack(end + "I", data[:4])[0] != 0x950412DE:
        return []
    _rev, n, _orig, trans = struct.unpack(end + "4I", data[4:20])
    out = []
    for i in range(n):
        length, off = struct.unpack(end + "2I", data[trans + 8 * i: trans + 8 * i + 8])
        s = data[off:off + length]
        if i == 0 and b"Content-Type" in s:
            continue  # header entry
        for part in s.split(b"\0"):
            try:
                t = part.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if t.strip():
                out.append(t)
    return out


def training_lines():
    lines = []
    size = 0
    files = sorted(p for p in glob.glob("/usr/share/common-licenses/*") if os.path.isfile(p))
    files += sorted(glob.glob("/usr/share/doc/*/copyright"))
    for p in files:
        if size >= ENGLISH_CAP:
            break
        try:
            with open(p, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        for ln in text.splitlines():
            ln = ln.strip()
            if ln:
                lines.append(ln)
                size += len(ln.encode())
    for lang in MO_LANGS:
        lsize = 0
        for dom in MO_DOMAINS:
            p = f"/usr/share/locale/{lang}/LC_MESSAGES/{dom}.mo"
            if not os.path.isfile(p) or lsize >= LANG_CAP:
                continue
            for s in mo_strings(p):
                for ln in s.splitlines():
                    ln = ln.strip()
                    if ln and lsize < LANG_CAP:
                        lines.append(ln)
                        lsize += len(ln.encode())
    return lines


def pb_fields(buf):
    """Minimal protobuf wire-format reader: yields (field_number, wire_type, value)."""
    i = 0

    def varint():
        nonlocal i
        shift = result = 0
        while True:
            b = buf[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    while i < len(buf):
        key = varint()
        field, wt = key >> 3, key & 7
        if wt == 0:
            yield field, wt, varint()
        elif wt == 1:
            yield field, wt, buf[i:i + 8]
            i += 8
        elif wt == 2:
            n = varint()
            yield field, wt, buf[i:i + n]
            i += n
        elif wt == 5:
            yield field, wt, buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wt}")


def precompiled_charsmap(model_bytes):
    import base64
    for field, _wt, val in pb_fields(model_bytes):
        if field == 3:  # normalizer_spec
            for f2, _w2, v2 in pb_fields(val):
                if f2 == 2:  # precompiled_charsmap
                    return base64.b64encode(v2).decode()
    return None


def unigram_tokenizer_json(sp, model_bytes):
    vocab = [[sp.id_to_piece(i), float(sp.get_score(i))] for i in range(sp.get_piece_size())]
    added = []
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i) or sp.is_control(i):
            added.append({"id": i, "content": sp.id_to_piece(i), "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True})
    charsmap = precompiled_charsmap(model_bytes)
    norm = [{"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}]
    if charsmap:
        norm.insert(0, {"type": "Precompiled", "precompiled_charsmap": charsmap})
    bos, eos = sp.id_to_piece(sp.bos_id()), sp.id_to_piece(sp.eos_id())
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": norm},
        # add_prefix_space is the older spelling of prepend_scheme; transformers.js reads only it.
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True,
                          "add_prefix_space": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": eos, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": eos, "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [sp.bos_id()], "tokens": [bos]},
                               eos: {"id": eos, "ids": [sp.eos_id()], "tokens": [eos]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True,
                    "add_prefix_space": True},
        "model": {"type": "Unigram", "unk_id": sp.unk_id(), "vocab": vocab, "byte_fallback": False},
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: /usr/bin/python3 spm_reference.py CORPUS.json OUTDIR")
    corpus_path, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    with open(corpus_path, encoding="utf-8") as f:
        corpus = json.load(f)
    t0 = time.time()
    lines = training_lines()
    train = os.path.join(outdir, "spm_train.txt")
    with open(train, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    with open(train, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"spm training text: {len(lines)} lines, {os.path.getsize(train)} bytes, sha256 {digest[:16]} -> {train}")
    spm.set_random_generator_seed(SEED)
    # Relative paths: the trainer records them in the model, which is then byte-identical
    # whatever OUTDIR is.
    os.chdir(outdir)
    for kind in ("bpe", "unigram"):
        t1 = time.time()
        prefix = os.path.join(outdir, f"spm_{kind}")
        spm.SentencePieceTrainer.train(
            input="spm_train.txt", model_prefix=f"spm_{kind}", model_type=kind, vocab_size=VOCAB_SIZE,
            character_coverage=0.995, byte_fallback=(kind == "bpe"), num_threads=1,
            shuffle_input_sentence=False, input_sentence_size=0, seed_sentencepiece_size=200000,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
        with open(prefix + ".model", "rb") as f:
            model_bytes = f.read()
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
        cases = []
        n_ids = 0
        for c in corpus:
            ids = sp.encode(c["text"])
            ids_special = sp.encode(c["text"], add_bos=sp.bos_id() >= 0, add_eos=sp.eos_id() >= 0)
            decoded = sp.decode(ids)
            n_ids += len(ids)
            cases.append({"name": c["name"], "ids": ids, "ids_special": ids_special,
                          "decoded": decoded, "decoded_nocleanup": decoded})
        out = {"vocab": f"spm_{kind}", "tokenizer_json": prefix + ".model", "spm_model": prefix + ".model",
               "model_type": kind, "vocab_size": sp.get_piece_size(),
               "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
               "unk_id": sp.unk_id(), "bos_id": sp.bos_id(), "eos_id": sp.eos_id(), "pad_id": sp.pad_id(),
               "cases": cases}
        with open(prefix + ".json", "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False)
            f.write("\n")
        if kind == "unigram":
            with open(prefix + ".tokenizer.json", "w", encoding="utf-8") as f:
                json.dump(unigram_tokenizer_json(sp, model_bytes), f, ensure_ascii=False)
        print(f"spm_{kind}: {len(cases)} cases, {n_ids} ids, vocab {sp.get_piece_size()}, "
              f"sha256 {out['model_sha256'][:16]}, {time.time() - t1:.1f} s -> {prefix}.json")
    print(f"spm total {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
