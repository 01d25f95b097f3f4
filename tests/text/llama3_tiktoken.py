"""Meta's Llama 3 tokenizer.model (a tiktoken rank file) made from the same vocabulary's tokenizer.json
(written as REFS_DIR/llama3_tiktoken/tokenizer.model),
and its reference: the tokenizer.json's (the same ids; petite loads the rank file with the "llama3"
encoding: Llama 3's split pattern and the 256 special tokens ExecuTorch's runner adds).

    /usr/bin/python3 llama3_tiktoken.py TOKENIZER_JSON REFS_DIR
"""
import base64
import json
import os
import sys


def byte_level():
    """GPT-2's byte-level alphabet: character -> byte."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def main():
    tj, out = sys.argv[1], sys.argv[2]
    vocab = json.load(open(tj, encoding="utf-8"))["model"]["vocab"]
    dec = byte_level()
    # named as Meta ships it: ptk_load_file tells the rank file from a SentencePiece model by its bytes
    os.makedirs(out + "/llama3_tiktoken", exist_ok=True)
    with open(out + "/llama3_tiktoken/tokenizer.model", "w") as f:
        for piece, rank in sorted(vocab.items(), key=lambda kv: kv[1]):
            f.write("%s %d\n" % (base64.b64encode(bytes(dec[c] for c in piece)).decode(), rank))
    ref = json.load(open(out + "/llama3.json", encoding="utf-8"))
    ref.pop("tokenizer_json", None)
    ref["tiktoken_file"] = out + "/llama3_tiktoken/tokenizer.model"
    ref["vocab"] = "llama3_tiktoken"
    # with special tokens: BOS first (ExecuTorch's runner encodes with bos = 1; this tokenizer.json's
    # post-processor adds none); decoded without the config's clean-up (a rank file has no config)
    ref["note"] = ("Llama 3's tokenizer.json made a tiktoken rank file; the tokenizer.json's references, "
                   "<|begin_of_text|> (128000) first when special tokens are added")
    ref["decode_clean_up_tokenization_spaces"] = False
    for c in ref["cases"]:
        c["ids_special"] = [128000] + c["ids"]
        c["decoded"] = c["decoded_nocleanup"]
    json.dump(ref, open(out + "/llama3_tiktoken.json", "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
