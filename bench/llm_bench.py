"""Text generation: petite against llama.cpp on the same weights, interleaved.

    /usr/bin/python3 bench/llm_bench.py CHECKPOINT_DIR [--threads 1 2] [--rounds 3] [--prompt 64] [--new 64]
                                        [--max-seq-len 256] [--work DIR]

The checkpoint (a Hugging Face Llama-family directory: examples/text_generation/train.py's model, or
random_checkpoint.py's SmolLM-135M shapes) is exported by petite-export --task text-generation as
fp32, dynamic (8-bit weights, int8 activations, 8-bit embeddings) and 8da4w (4-bit weights in groups
of 32, int8 activations, 4-bit embeddings in groups of 32), and written as GGUF F32, Q8_0 and Q4_0 by
bench/to_gguf.py; the pairs compared are fp32 / F32, dynamic / Q8_0 and 8da4w / Q4_0. llama.cpp is
node-llama-cpp@3.21.1's prebuilt CPU build (bench/llamacpp/bench.mjs; install it with
`cd bench/llamacpp && npm i -E --ignore-scripts --omit=optional`).

Each measurement is one process that loads the model, prefills PROMPT - 1 token ids (random, fixed
seed) and then generates NEW tokens greedily from the last one (EOS ignored); load time is not
counted. Rounds interleave the two runtimes. Printed per pair and thread count: the median prefill
and decode tokens/s, the CPU milliseconds per token (the process's, all threads), petite's ratio, and
whether the greedy tokens agree (fp32 / F32 must: the same arithmetic up to rounding)."""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))

PAIRS = [("fp32", [], "f32"), ("dynamic", ["--quantize", "dynamic", "--embedding-quantize", "8"], "q8_0"),
         ("8da4w", ["--quantize", "8da4w", "--group-size", "32", "--embedding-quantize", "4,32"], "q4_0")]


def petite_one(pte, tok, threads, ids, n):
    """(run in a child process) one petite measurement as a JSON line: the prompt in one prefill (its
    PROMPT tokens), then NEW - 1 one-token decode calls; rates are per model call, as llama.cpp's"""
    from petite.llm import LLM
    m = LLM(pte, tok, threads=threads)
    list(m.generate(prompt_ids=ids[:4], max_new_tokens=1, ignore_eos=True))  # warm-up, as llama.cpp's
    m.reset()
    list(m.generate(prompt_ids=ids, max_new_tokens=n, ignore_eos=True))
    s = m.stats()
    print(json.dumps({"prefill_tokens": len(ids), "prefill_ms": s["prefill_ms"], "prefill_cpu_ms": s["prefill_cpu_ms"],
                      "decode_tokens": len(m.tokens) - 1, "decode_ms": s["decode_ms"],
                      "decode_cpu_ms": s["decode_cpu_ms"], "tokens": m.tokens}))


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd[:4]), r.stderr[-2000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--petite-one":
        a = sys.argv[2:]
        return petite_one(a[0], a[1], int(a[2]), json.loads(a[3]), int(a[4]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--max-seq-len", type=int, default=256)
    ap.add_argument("--pairs", nargs="+", default=[p[0] for p in PAIRS])
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    import random
    name = os.path.basename(os.path.normpath(args.checkpoint))
    work = args.work or os.path.join(ROOT, "build", "llm-bench", name)
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    node_dir = os.path.join(HERE, "llamacpp", "node_modules")
    if not os.path.isdir(os.path.join(node_dir, "node-llama-cpp")):
        raise SystemExit("llama.cpp: see the install line in this script's docstring")
    tok = os.path.join(args.checkpoint, "tokenizer.model")
    if not os.path.exists(tok):  # a random checkpoint: any tokenizer as large as its vocabulary will do
        tok = os.path.join(work, "tokenizer.json")
        cfg = json.load(open(os.path.join(args.checkpoint, "config.json")))
        vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
        vocab.update({"t%d" % i: i for i in range(3, cfg["vocab_size"])})
        json.dump({"model": {"type": "WordPiece", "vocab": vocab, "unk_token": "<unk>"},
                   "added_tokens": [{"id": i, "content": c, "special": True} for c, i in list(vocab.items())[:3]]},
                  open(tok, "w"))
    cfg = json.load(open(os.path.join(args.checkpoint, "config.json")))
    rng = random.Random(0)
    ids = [1] + [rng.randrange(3, cfg["vocab_size"]) for _ in range(args.prompt - 1)]
    files = {}
    for tag, extra, gtype in PAIRS:
        if tag not in args.pairs:
            continue
        pte = os.path.join(work, "%s_%s.pte" % (name, tag))
        gguf = os.path.join(work, "%s_%s.gguf" % (name, gtype))
        if not os.path.exists(pte):
            out = os.path.join(work, tag)
            subprocess.run([sys.executable, "-m", "petite.export", args.checkpoint, "--task", "text-generation",
                            "--max-seq-len", str(args.max_seq_len), "--model-name", name, "--output-dir", out,
                            "--validate-tokens", "4", *extra], check=True, env=env, stdout=subprocess.DEVNULL)
            os.replace(os.path.join(out, "%s_xnnpack%s.pte" % (name, "_quantized" if extra else "")), pte)
        if not os.path.exists(gguf):
            subprocess.run([sys.executable, os.path.join(HERE, "to_gguf.py"), args.checkpoint, gguf, "--type", gtype],
                           check=True, env=env, stdout=subprocess.DEVNULL)
        files[tag] = (pte, gguf, gtype)
    res = {}
    for r in range(args.rounds):
        for tag, (pte, gguf, gtype) in files.items():
            for th in args.threads:
                p = run([sys.executable, __file__, "--petite-one", pte, tok, str(th), json.dumps(ids), str(args.new)], env)
                q = run(["node", os.path.join(HERE, "llamacpp", "bench.mjs"), gguf, str(th), json.dumps(ids), str(args.new)])
                res.setdefault((tag, th), []).append((p, q))
        print("round %d of %d done" % (r + 1, args.rounds), file=sys.stderr)
    rate = lambda d, k: 1000.0 * d[k + "_tokens"] / d[k + "_ms"]  # noqa: E731
    cpt = lambda d, k: d[k + "_cpu_ms"] / d[k + "_tokens"]  # noqa: E731
    print("%s: prompt %d tokens, %d new; median of %d interleaved rounds; ISA petite chose: %s"
          % (name, args.prompt, args.new, args.rounds, os.environ.get("PETITE_ISA", "auto")))
    print("%-8s %-5s %3s | %12s %12s %7s | %12s %12s %7s | %9s %9s | %s" % (
        "petite", "gguf", "thr", "prefill tok/s", "llama.cpp", "ratio", "decode tok/s", "llama.cpp", "ratio",
        "cpu ms/tok", "llama.cpp", "greedy tokens"))
    for (tag, th), runs in res.items():
        pp = statistics.median(rate(p, "prefill") for p, _ in runs)
        qp = statistics.median(rate(q, "prefill") for _, q in runs)
        pd = statistics.median(rate(p, "decode") for p, _ in runs)
        qd = statistics.median(rate(q, "decode") for _, q in runs)
        pc = statistics.median(cpt(p, "decode") for p, _ in runs)
        qc = statistics.median(cpt(q, "decode") for _, q in runs)
        pt, qt = runs[0][0]["tokens"], runs[0][1]["tokens"]
        agree = next((i for i in range(min(len(pt), len(qt))) if pt[i] != qt[i]), min(len(pt), len(qt)))
        print("%-8s %-5s %3d | %12.1f %12.1f %6.2fx | %12.1f %12.1f %6.2fx | %9.2f %9.2f | equal for %d of %d"
              % (tag, files[tag][2], th, pp, qp, pp / qp, pd, qd, pd / qd, pc, qc, agree, len(pt)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
