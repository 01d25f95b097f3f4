"""The trained model (examples/text_generation/train.py) through petite: exported fp32 and 8da4w
(4-bit weights in groups of 32, int8 dynamic activations, 4-bit embeddings in groups of 32: the
official recipe), its SentencePiece tokenizer read by petite's own library, then
- petite's greedy tokens equal eager PyTorch's for 64 tokens (fp32; the runner, from the text prompt);
- held-out perplexity (the documents train.py kept aside, one per window from its BOS): eager, petite
  fp32 (within 0.1% of eager) and petite 8da4w (within 5% of fp32), printed and checked.

    /usr/bin/python3 tests/python/test_llm_trained.py TRAINED_DIR OUT_DIR      (exit 77: no TRAINED_DIR)"""
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from petite import llm as pllm  # noqa: E402
from petite import runtime  # noqa: E402
from petite import text  # noqa: E402
from petite.export import llm  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def nll_eager(model, docs):
    tot, n = 0.0, 0
    with torch.no_grad():
        for d in docs:
            x = torch.tensor([d])
            lp = torch.log_softmax(model.forward_full(x[:, :-1]).double(), dim=-1)[0]
            tot -= float(lp[torch.arange(len(d) - 1), x[0, 1:]].sum())
            n += len(d) - 1
    return tot / n


def nll_petite(pte, docs):
    m = runtime.Program(pte).load_method("forward")
    tot, n = 0.0, 0
    for d in docs:
        for p in range(len(d) - 1):  # one token per call: the logits of every position
            (lg,) = m.run(np.array([[d[p]]], dtype=np.int64), np.array([p], dtype=np.int64))
            z = lg[0].astype(np.float64)
            mx = z.max()
            tot -= z[d[p + 1]] - mx - math.log(np.exp(z - mx).sum())
            n += 1
    return tot / n


def main():
    if len(sys.argv) < 3 or not os.path.exists(os.path.join(sys.argv[1], "pytorch_model.bin")):
        print("llm_trained: skipped (no trained model: examples/text_generation/train.py --out DIR)")
        return 77
    ck, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    tokp = os.path.join(ck, "tokenizer.model")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    files = {}
    for tag, extra in (("fp32", []), ("8da4w", ["--quantize", "8da4w", "--group-size", "32", "--embedding-quantize", "4,32"])):
        t = time.time()
        r = subprocess.run([sys.executable, "-m", "petite.export", ck, "--task", "text-generation", "--max-seq-len", "128",
                            "--model-name", "fortunes", "--output-dir", out, "--validate-tokens", "64", *extra],
                           capture_output=True, text=True, env=env)
        check(r.returncode == 0, "export %s: %s" % (tag, r.stderr[-1500:]))
        stem = "fortunes_xnnpack" + ("_quantized" if extra else "")
        files[tag] = os.path.join(out, stem + ".pte")
        if r.returncode == 0:
            v = json.load(open(os.path.join(out, stem + ".json")))["validation"]
            check(v["tokens_equal"] and v["generated_tokens"] == 64, "%s: 64 greedy tokens equal eager's: %s" % (tag, v))
            print("  export %s: %.1fs, %d bytes, validation: %d of %d tokens equal, max abs error %.2g%s"
                  % (tag, time.time() - t, os.path.getsize(files[tag]), v["equal_prefix"], v["generated_tokens"],
                     v["max_abs_error"], "" if tag == "fp32" else ", fp32 tokens equal for %d, logits %.3g from fp32"
                     % (v["fp32_equal_prefix"], v["quantization_max_abs_error"])))
    if failed:
        return 1
    model = llm.load_checkpoint(ck, 128)
    tk = text.Tokenizer(tokp)
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=tokp)
    with open(os.path.join(ck, "heldout.txt")) as f:
        held = [d for d in f.read().split("\n\n") if d.strip()]
    docs = []
    for d in held[:120]:
        ids = tk.encode(d)
        check(ids == sp.encode(d), "petite's SentencePiece ids equal sentencepiece's for %r" % d[:40])
        docs.append(([1] + ids + [2])[:127])
    # the runner: 64 greedy tokens from a text prompt equal eager's
    prompt = "The best way to"
    m = pllm.LLM(files["fp32"], tokp)
    txt = "".join(m.generate(prompt, max_new_tokens=64, ignore_eos=True))
    pids = tk.encode(prompt, add_special=True)
    model.reset_cache()
    want, pos = [], len(pids)
    with torch.no_grad():
        lg = model(torch.tensor([pids]), torch.tensor([0]))
        for i in range(64):
            want.append(int(torch.argmax(lg[0])))
            if i < 63:
                lg = model(torch.tensor([[want[-1]]]), torch.tensor([pos]))
                pos += 1
    model.reset_cache()
    check(m.tokens == want, "the runner's 64 greedy tokens equal eager's: %s vs %s" % (m.tokens[:10], want[:10]))
    st = m.stats()
    print("  generate (fp32, greedy): %r" % (prompt + txt))
    print("  stats: prefill %.0f tokens/s, decode %.0f tokens/s" % (st["prefill_tokens_per_s"], st["decode_tokens_per_s"]))
    del m
    # held-out perplexity
    pe = math.exp(nll_eager(model, docs))
    pf = math.exp(nll_petite(files["fp32"], docs))
    pq = math.exp(nll_petite(files["8da4w"], docs))
    ntok = sum(len(d) - 1 for d in docs)
    print("  held-out perplexity (%d documents, %d tokens): eager %.3f, petite fp32 %.3f, petite 8da4w %.3f (%+.2f%%)"
          % (len(docs), ntok, pe, pf, pq, 100 * (pq / pf - 1)))
    check(abs(pf / pe - 1) < 1e-3, "petite fp32 perplexity %.4f within 0.1%% of eager's %.4f" % (pf, pe))
    check(pq / pf - 1 < 0.05, "8da4w perplexity %.3f within 5%% of fp32's %.3f" % (pq, pf))
    m = pllm.LLM(files["8da4w"], tokp)
    txt = "".join(m.generate("A", max_new_tokens=48, temperature=0.8, top_p=0.9, seed=7))
    print("  generate (8da4w, T 0.8, top-p 0.9, seed 7): %r" % ("A" + txt))
    print("llm_trained: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
