"""The files tests/test_llm.c runs (sanitized builds cannot run PyTorch): a small llama-style
checkpoint exported by petite-export --task text-generation (portable, XNNPACK, and XNNPACK 8da4w:
4-bit weights in groups of 32, the packed 4-bit tiles), its byte-level tokenizer, and eager PyTorch's
greedy tokens for one prompt (for 8da4w: eager computing the file's arithmetic).

    /usr/bin/python3 tests/llm/make_refs.py OUT_DIR"""
import copy
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

from test_llm import CFG, RefSampler, byte_level_tokenizer, checkpoint, eager_tokens, export  # noqa: E402

from petite import text  # noqa: E402
from petite.export import llm  # noqa: E402


def main(out):
    os.makedirs(out, exist_ok=True)
    ck = os.path.join(out, "tiny")
    model = checkpoint(ck, CFG)
    tokp = os.path.join(out, "tokenizer.json")
    byte_level_tokenizer(tokp)
    for backend in ("portable", "xnnpack"):
        r = export(ck, out, backend)
        if r.returncode:
            print(r.stderr[-2000:], file=sys.stderr)
            return 1
    qdir = os.path.join(out, "q")
    r = export(ck, qdir, "xnnpack", ["--quantize", "8da4w", "--group-size", "32"])
    if r.returncode:
        print(r.stderr[-2000:], file=sys.stderr)
        return 1
    os.replace(os.path.join(qdir, "tiny_xnnpack_quantized.pte"), os.path.join(out, "tiny_8da4w.pte"))
    prompt = "Hello, world"
    ids = text.Tokenizer(tokp).encode(prompt, add_special=True)
    with open(os.path.join(out, "greedy.json"), "w") as f:
        json.dump({"prompt": prompt, "tokens": eager_tokens(model, ids, 40, RefSampler(1, 0.0))}, f)
    ref = llm.quantized_reference(copy.deepcopy(model), "8da4w", 32)
    with open(os.path.join(out, "greedy_8da4w.json"), "w") as f:
        json.dump({"prompt": prompt, "tokens": eager_tokens(ref, ids, 40, RefSampler(1, 0.0))}, f)
    print("llm refs: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
