"""Text generation end to end: petite-export --task text-generation on a small llama-style checkpoint
(grouped-query attention, tied embeddings, Hugging Face names), through both backends; the file's
layout (the official metadata methods, llama::update_cache / custom_sdpa, a dynamic prompt length);
the C runner (petite_llm.h through the Python binding and `petite generate --json`) against eager
PyTorch: greedy tokens equal for 40 tokens, with the prompt prefilled at once, in chunks and one token
at a time; the sampler against an independent Python copy of its arithmetic on eager's logits; stop
strings, EOS, max tokens, stop from the callback, a chat continuing the cache; bad inputs each a clear
error that changes nothing (a file without metadata, a tokenizer larger than the model's vocabulary,
a prompt longer than the context, bad configs)."""
import json
import math
import os
import subprocess
import sys
import tempfile

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


def byte_level_tokenizer(path, vocab_extra=0):
    """a byte-level BPE tokenizer.json without merges: <unk> 0, <s> 1, </s> 2, the 256 bytes 3..258"""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b), cs.append(256 + n)
            n += 1
    m = dict(zip(bs, [chr(c) for c in cs]))
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[m[b]] = 3 + b
    for k in range(vocab_extra):
        vocab["<extra_%d>" % k] = 259 + k
    special = [{"id": i, "content": c, "special": True, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False} for c, i in list(vocab.items())[:3]]
    tok = {"version": "1.0", "added_tokens": special, "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
           "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                                                      {"Sequence": {"id": "A", "type_id": 0}}],
                              "pair": [{"Sequence": {"id": "A", "type_id": 0}}],
                              "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
           "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": []}}
    with open(path, "w") as f:
        json.dump(tok, f)


CFG = dict(model_type="llama", vocab_size=300, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
           num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0,
           tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
SEQ = 64


def checkpoint(d, cfg, seed=0, safetensors=False):
    """a Hugging Face-style directory: config.json + weights with model.* names"""
    torch.manual_seed(seed)
    m = llm.Decoder(llm.Config(**{k: v for k, v in cfg.items() if k in llm.Config.FIELDS}), SEQ)
    for p in m.parameters():
        torch.nn.init.normal_(p, std=0.2)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    sd = {("model." + k if not k.startswith("lm_head") else k): v for k, v in m.state_dict().items()}
    if cfg.get("tie_word_embeddings"):
        sd.pop("lm_head.weight", None)
    if safetensors:
        write_safetensors(os.path.join(d, "model.safetensors"), sd)
    else:
        torch.save(sd, os.path.join(d, "pytorch_model.bin"))
    return m.eval()


def write_safetensors(path, sd):
    header, blobs, at = {}, [], 0
    for k, v in sd.items():
        b = v.detach().contiguous().numpy().astype(np.float32).tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


def export(d, out, backend, extra=()):
    r = subprocess.run([sys.executable, "-m", "petite.export", d, "--task", "text-generation", "--max-seq-len", str(SEQ),
                        "--backends", backend, "--output-dir", out, "--validate-tokens", "24", *extra],
                       capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    return r


# the sampler's arithmetic (extension/llm/sampler, llama2.c), written again in Python on float32
class RefSampler:
    def __init__(self, seed, temperature, top_p=0.0, top_k=0):
        self.s, self.t, self.p, self.k = seed or 1, temperature, top_p, top_k

    def f32(self):
        s = self.s
        s ^= s >> 12
        s = (s ^ (s << 25)) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 27
        self.s = s
        return np.float32(((s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) >> 32 >> 8) / np.float32(16777216.0)

    def __call__(self, logits, n):
        x = np.asarray(logits[:n], dtype=np.float32)
        if self.t <= 0:
            return int(np.argmax(x))
        inv = np.float32(1.0) / np.float32(self.t)
        y = x * inv
        mx = y.max()
        e = np.exp(y - mx).astype(np.float64)
        p = (e / e.sum()).astype(np.float32)
        coin = self.f32()
        if not (0 < self.k < n) and not (0 < self.p < 1):
            cdf = np.cumsum(p, dtype=np.float32)
            hit = np.nonzero(coin < cdf)[0]
            return int(hit[0]) if len(hit) else n - 1
        cut = np.float32((1 - self.p) / (n - 1)) if (0 < self.p < 1 and not 0 < self.k < n) else np.float32(0)
        cand = [i for i in range(n) if p[i] >= cut]
        cand.sort(key=lambda i: (-p[i], i))
        if 0 < self.k < n:
            cand = cand[:self.k]
        total, keep = np.float32(0), len(cand)
        for j, i in enumerate(cand):
            total = np.float32(total + p[i])
            if 0 < self.p < 1 and total > self.p:
                keep = j + 1
                break
        r, cdf = np.float32(coin * total), np.float32(0)
        for i in cand[:keep]:
            cdf = np.float32(cdf + p[i])
            if r < cdf:
                return i
        return cand[keep - 1]


def eager_tokens(model, prompt_ids, n, sampler):
    """eager PyTorch generating n tokens with `sampler` (prompt at once, then one token per call)"""
    model.reset_cache()
    out = []
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids]), torch.tensor([0]))[0].numpy()
        pos = len(prompt_ids)
        for i in range(n):
            t = sampler(logits, 259)
            out.append(t)
            if i + 1 < n:
                logits = model(torch.tensor([[t]]), torch.tensor([pos]))[0].numpy()
                pos += 1
    model.reset_cache()
    return out


class UserCache(torch.nn.Module):
    """attention over a KV cache written the usual way: t[:, :, pos] = k or t.index_copy_(2, pos, k)"""

    def __init__(self, how):
        super().__init__()
        self.how = how
        self.q, self.k, self.v = (torch.nn.Linear(16, 16) for _ in range(3))
        self.register_buffer("k_cache", torch.zeros(1, 2, 32, 8))
        self.register_buffer("v_cache", torch.zeros(1, 2, 32, 8))

    def forward(self, x, pos):  # x [1, T, 16], pos [T] (the cache positions)
        t = x.shape[1]
        k = self.k(x).view(1, t, 2, 8).transpose(1, 2)
        v = self.v(x).view(1, t, 2, 8).transpose(1, 2)
        if self.how == "setitem":
            self.k_cache[:, :, pos] = k
            self.v_cache[:, :, pos] = v
        else:
            self.k_cache.index_copy_(2, pos, k)
            self.v_cache.index_copy_(2, pos, v)
        q = self.q(x).view(1, t, 2, 8).transpose(1, 2)
        att = q @ self.k_cache.transpose(-1, -2) / math.sqrt(8)
        seen = torch.arange(32)[None, :] <= pos[:, None]
        att = att.masked_fill(~seen, float("-inf")).softmax(-1)
        return (att @ self.v_cache).transpose(1, 2).reshape(1, t, 16)


def user_caches(tmp):
    """models that write their own cache export (dynamic length, both backends), written in place"""
    from petite.export import export_model
    for how in ("setitem", "index_copy"):
        for backend in ("portable", "xnnpack"):
            torch.manual_seed(0)
            m = UserCache(how).eval()
            recs = export_model(m, [torch.randn(1, 8, 16), torch.arange(8)], model_name="cache_" + how, output_dir=tmp,
                                backends=[backend], dynamic_dims=[(0, 1, 1, 8), (1, 0, 1, 8)])
            r = recs[0]
            check(r["success"] and r["validation"]["passed"], "%s cache through %s: %s" % (how, backend, r.get("error")))
            if not r["success"]:
                continue
            check("aten::index_copy.out" in r["operators"] and "aten::copy_" not in r["operators"],
                  "%s through %s: the cache written in place by index_copy (%s)" % (how, backend, r["operators"]))
            # a prompt of 5 at positions 0..4, then one token at 5, 6: petite against eager from the same start
            f = runtime.Program(r["output_path"]).load_method("forward")
            torch.manual_seed(1)
            steps = [(torch.randn(1, 5, 16), torch.arange(5)), (torch.randn(1, 1, 16), torch.tensor([5])),
                     (torch.randn(1, 1, 16), torch.tensor([6]))]
            m.k_cache.zero_(), m.v_cache.zero_()
            worst = 0.0
            for x, p in steps:
                with torch.no_grad():
                    want = m(x, p).numpy()
                (got,) = f.run(x.numpy(), p.numpy())
                worst = max(worst, float(np.abs(got - want).max()))
            check(worst < 1e-5, "%s through %s: prompt then two tokens, max abs error %.3g" % (how, backend, worst))


def main():
    runtime.lib()
    with tempfile.TemporaryDirectory() as tmp:
        user_caches(tmp)
        ck = os.path.join(tmp, "tiny")
        model = checkpoint(ck, CFG)
        tokp = os.path.join(tmp, "tokenizer.json")
        byte_level_tokenizer(tokp)
        files = {}
        for backend in ("portable", "xnnpack"):
            r = export(ck, tmp, backend)
            check(r.returncode == 0, "export %s: %s" % (backend, r.stderr[-800:]))
            pte = os.path.join(tmp, "tiny_%s.pte" % backend)
            files[backend] = pte
            if r.returncode:
                continue
            side = json.load(open(os.path.join(tmp, "tiny_%s.json" % backend)))
            v = side.get("validation") or {}
            check(v.get("tokens_equal") and v.get("generated_tokens") == 24, "%s: validation %s" % (backend, v))
            check(side.get("llm", {}).get("get_max_seq_len") == SEQ, "%s: sidecar llm metadata" % backend)
            # the layout: the official metadata methods and operators, a dynamic prompt length
            prog = runtime.Program(pte)
            names = prog.methods()
            for k in ("forward", "get_max_seq_len", "get_max_context_len", "get_vocab_size", "get_bos_id", "get_eos_ids",
                      "use_kv_cache", "use_sdpa_with_kv_cache", "enable_dynamic_shape"):
                check(k in names, "%s: method %s" % (backend, k))
            info = subprocess.run([os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite")), "info", pte, "--json"],
                                  capture_output=True, text=True)
            ops = info.stdout
            for op in ("llama::update_cache.out", "llama::custom_sdpa.out", "aten::_local_scalar_dense"):
                check(op in ops, "%s: operator %s in the file" % (backend, op))
            fwd = prog.load_method("forward")
            check(fwd.inputs()[0].is_dynamic and tuple(fwd.inputs()[0].max_sizes) == (1, SEQ - 1),
                  "%s: tokens input dynamic [1, %d]" % (backend, SEQ - 1))
        # safetensors weights load to the same model
        ck2 = os.path.join(tmp, "tiny_st")
        checkpoint(ck2, CFG, safetensors=True)
        r = export(ck2, tmp, "portable")
        check(r.returncode == 0, "export from model.safetensors: %s" % r.stderr[-500:])
        # a checkpoint that is not a llama-style decoder: a clear error
        bad = os.path.join(tmp, "bad")
        os.makedirs(bad)
        with open(os.path.join(bad, "config.json"), "w") as f:
            json.dump(dict(CFG, model_type="gpt2"), f)
        r = export(bad, tmp, "portable")
        check(r.returncode == 2 and "gpt2" in r.stderr, "a gpt2 config refused: %s" % r.stderr[-300:])

        tk = text.Tokenizer(tokp)
        prompt = "Hello, world"
        ids = tk.encode(prompt, add_special=True)
        greedy = eager_tokens(model, ids, 40, RefSampler(1, 0.0))
        for backend, pte in files.items():
            m = pllm.LLM(pte, tokp)
            check(m.metadata("get_max_seq_len") == SEQ and m.metadata("get_eos_ids") == 2 and m.context_length == SEQ,
                  "%s: metadata" % backend)
            check(m.metadata("no_such_key") is None, "an absent metadata key")
            for chunk in (0, 1, 3):  # the prompt at once, one token per call, in chunks of 3
                m.reset()
                txt = "".join(m.generate(prompt, max_new_tokens=40, ignore_eos=True, prefill_chunk=chunk))
                check(m.tokens == greedy, "%s chunk %d: greedy tokens %s != eager %s" % (backend, chunk, m.tokens[:8], greedy[:8]))
                check(txt == tk.decode(greedy, skip_special=True), "%s chunk %d: the streamed text is the decode" % (backend, chunk))
                st = m.stats()
                check(st["stop_reason"] == "max_tokens" and st["generated_tokens"] == 40 and
                      st["prompt_tokens"] == len(ids) and st["position"] == len(ids) + 39, "%s: stats %s" % (backend, st))
            # sampling: the same tokens as the Python sampler on eager's logits
            for temp, top_p, top_k, seed in ((0.9, 0.0, 0, 7), (1.3, 0.9, 0, 11), (0.8, 0.0, 20, 5), (1.0, 0.8, 40, 3)):
                m.reset()
                list(m.generate(prompt, max_new_tokens=30, temperature=temp, top_p=top_p, top_k=top_k, seed=seed,
                                ignore_eos=True))
                ref = eager_tokens(model, ids, 30, RefSampler(seed, temp, top_p, top_k))
                check(m.tokens == ref, "%s: sampled T=%g p=%g k=%d: %s != %s" % (backend, temp, top_p, top_k, m.tokens[:8], ref[:8]))
            # stop strings: the text up to the first occurrence, not including it
            full = tk.decode(greedy, skip_special=True)
            cut = full[10:13]
            m.reset()
            txt = "".join(m.generate(prompt, max_new_tokens=40, stop=[cut], ignore_eos=True))
            check(txt == full[:full.index(cut)] and m.stats()["stop_reason"] == "stop_string",
                  "%s: stop string %r: %r" % (backend, cut, txt))
            # stop from the consumer: the iterator dropped after 5 pieces ends the generation
            m.reset()
            it = m.generate(prompt, max_new_tokens=40, ignore_eos=True)
            got = [next(it) for _ in range(5)]
            it.close()
            check(m.stats()["stop_reason"] == "stopped" and len(got) == 5, "%s: stopped by the consumer: %s" % (backend, m.stats()))
            # a chat: the second prompt continues the cache (the last token fed first), as one long prompt would
            m.reset()
            list(m.generate(prompt, max_new_tokens=5, ignore_eos=True))
            first = list(m.tokens)
            list(m.generate(" again", max_new_tokens=5, ignore_eos=True, add_special=False))
            joined = ids + first + tk.encode(" again")
            ref = eager_tokens(model, joined, 5, RefSampler(1, 0.0))
            check(m.tokens == ref, "%s: a chat's second turn %s != %s" % (backend, m.tokens, ref))
            # the context: a prompt that does not fit is refused and changes nothing
            m.reset()
            pos_before = m.stats()["position"]
            try:
                list(m.generate("x" * 70))
                check(False, "%s: a prompt longer than the context is refused" % backend)
            except pllm.LLMError as e:
                check(e.status == 0x25 and "context" in str(e), "%s: context error %s" % (backend, e))
            check(m.stats()["position"] == pos_before, "%s: a refused prompt changes nothing" % backend)
            list(m.generate("x" * 40, ignore_eos=True))  # then generation stops when the context is full
            st = m.stats()  # 41 prompt tokens: 23 more fill the context (the last one sampled, never fed)
            check(st["stop_reason"] == "context_full" and st["generated_tokens"] == SEQ - 41 and st["position"] == SEQ - 1,
                  "%s: context full %s" % (backend, st))
            m.reset()
            for bad_cfg in (dict(temperature=-1.0), dict(top_p=1.5), dict(top_k=-2), dict(max_new_tokens=-5)):
                try:
                    list(m.generate(prompt, **bad_cfg))
                    check(False, "bad config %s refused" % bad_cfg)
                except pllm.LLMError as e:
                    check(e.status == 0x12, "bad config %s: %s" % (bad_cfg, e))
            del m
        # EOS at the first step: a file whose EOS id is the first greedy token
        ck3 = os.path.join(tmp, "eos")
        checkpoint(ck3, dict(CFG, eos_token_id=[greedy[0], 2]))
        r = export(ck3, tmp, "portable")
        check(r.returncode == 0, "export eos: %s" % r.stderr[-300:])
        if r.returncode == 0:
            m = pllm.LLM(os.path.join(tmp, "eos_portable.pte"), tokp)
            txt = "".join(m.generate(prompt, max_new_tokens=10))
            check(m.tokens == [greedy[0]] and m.stats()["stop_reason"] == "eos", "EOS at the first step: %s" % m.stats())
            del m
        # quantized: 8da4w in groups of 32 with 4-bit embeddings (the official recipe's 4,32), 8-bit
        # dynamic with 8-bit embeddings, 4w; each file against eager computing what the file computes
        # (llm.quantized_reference: the exporter's weights, XNNPACK's per-row int8 activations)
        import copy
        qdir = os.path.join(tmp, "q")
        for q, extra, emb in (("8da4w", ["--group-size", "32", "--embedding-quantize", "4,32"], (4, 32)),
                              ("8da4w", ["--group-size", "64"], None),
                              ("dynamic", ["--embedding-quantize", "8"], (8, 0)), ("4w", [], None)):
            r = export(ck, qdir, "xnnpack", ["--quantize", q, *extra])
            check(r.returncode == 0, "export --quantize %s %s: %s" % (q, extra, r.stderr[-800:]))
            if r.returncode:
                continue
            pte = os.path.join(qdir, "tiny_xnnpack_quantized.pte")
            side = json.load(open(os.path.join(qdir, "tiny_xnnpack_quantized.json")))
            v = side["validation"]
            check(v["tokens_equal"] and v["passed"] and v["steps_within_tolerance"] >= 18, "%s %s: validation %s" % (q, extra, v))
            ref = copy.deepcopy(model)
            if emb:
                ref.quantize_embeddings(*emb)
            group = int(extra[extra.index("--group-size") + 1]) if "--group-size" in extra else 32
            ref = llm.quantized_reference(ref, q, group)
            want = eager_tokens(ref, ids, 40, RefSampler(1, 0.0))
            m = pllm.LLM(pte, tokp)
            list(m.generate(prompt, max_new_tokens=40, ignore_eos=True))
            check(m.tokens == want, "%s %s: the runner's greedy tokens %s != eager's %s" % (q, extra, m.tokens[:8], want[:8]))
            info = subprocess.run([os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite")), "info", pte],
                                  capture_output=True, text=True).stdout
            if emb:
                check(("embedding_4bit" if emb[0] == 4 else "embedding_byte") in info, "%s: the quantized embedding op" % q)
            del m
        # memory: a 4-bit file's weights are packed once and the file's pages given back, so the runner's
        # peak resident memory stays within the file + its planned memory (KV cache) + 10% above what the
        # same command holds for the tiny file (the process, the tokenizer); both measured here
        mem_ck = os.path.join(tmp, "mem")
        checkpoint(mem_ck, dict(CFG, hidden_size=512, intermediate_size=2048, num_hidden_layers=4, vocab_size=512))
        mdir = os.path.join(tmp, "memq")
        r = export(mem_ck, mdir, "xnnpack", ["--quantize", "8da4w", "--group-size", "32", "--validate-tokens", "2"])
        check(r.returncode == 0, "export the 4-layer model: %s" % r.stderr[-500:])
        if r.returncode == 0:
            big = os.path.join(mdir, "mem_xnnpack_quantized.pte")
            cli = os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite"))

            def run_stats(pte, p):  # petite generate --json's stats: peak_rss_kb is the process's VmHWM
                r = subprocess.run([cli, "generate", pte, "--tokenizer", tokp, "--prompt", p, "--max-new-tokens", "4",
                                    "--ignore-eos", "--json"], capture_output=True, text=True)
                return json.loads(r.stdout)["stats"] if r.returncode == 0 else None
            # a short prompt, and one of 50 tokens (the delegates' values for a long prefill: one shared work
            # area, not one per subgraph)
            for p in (prompt, "x" * 49):
                base, st = run_stats(files["xnnpack"], p), run_stats(big, p)
                check(base and st and base["peak_rss_kb"] > 0, "petite generate --json reports peak_rss_kb: %s" % st)
                if base and st:
                    budget_kb = (os.path.getsize(big) + st["kv_cache_bytes"]) * 1.1 / 1024
                    grew = st["peak_rss_kb"] - base["peak_rss_kb"]
                    check(grew <= budget_kb, "peak RSS of a 4-bit file, a %d-token prompt: %d KB above the tiny file's %d KB, "
                          "budget %d KB (file %d bytes)" % (st["prompt_tokens"], grew, base["peak_rss_kb"], budget_kb,
                                                             os.path.getsize(big)))
        r = export(ck, qdir, "xnnpack", ["--quantize", "static"])
        check(r.returncode == 2 and "static" in r.stderr, "--quantize static refused for text generation: %s" % r.stderr[-300:])
        r = export(ck, qdir, "xnnpack", ["--embedding-quantize", "3,7"])
        check(r.returncode == 2 and "embedding-quantize" in r.stderr, "--embedding-quantize 3,7 refused: %s" % r.stderr[-300:])
        # petite generate --json: the same greedy tokens
        cli = os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite"))
        r = subprocess.run([cli, "generate", files["xnnpack"], "--tokenizer", tokp, "--prompt", prompt, "--max-new-tokens",
                            "40", "--ignore-eos", "--json"], capture_output=True, text=True)
        check(r.returncode == 0, "petite generate: %s" % r.stderr)
        if r.returncode == 0:
            j = json.loads(r.stdout)
            check(j["tokens"] == greedy and j["text"] == tk.decode(greedy, skip_special=True) and
                  j["stats"]["generated_tokens"] == 40 and j["stop_reason"] == "max_tokens", "petite generate --json: %s" % j)
        # bad inputs: a file without metadata, a tokenizer larger than the model's vocabulary, a missing file
        plain = os.path.join(tmp, "plain.pte")
        from petite.export import export_model
        recs = export_model(torch.nn.Linear(4, 4), torch.zeros(1, 4), model_name="plain", backends=["portable"],
                            output_dir=tmp)
        plain = recs[0]["output_path"]
        for args, want in (((plain, tokp), "get_max_seq_len"), ((files["portable"], os.path.join(tmp, "big.json")), "tokens"),
                           ((os.path.join(tmp, "none.pte"), tokp), "none.pte")):
            if "big" in args[1]:
                byte_level_tokenizer(args[1], vocab_extra=100)  # 359 tokens > the model's 300
            try:
                pllm.LLM(*args)
                check(False, "refused: %s" % (args,))
            except pllm.LLMError as e:
                check(want in str(e), "error for %s names %s: %s" % (args, want, e))
        r = subprocess.run([cli, "generate", plain, "--tokenizer", tokp, "--prompt", "x"], capture_output=True, text=True)
        check(r.returncode == 1 and "get_max_seq_len" in r.stderr, "petite generate on a plain file: %s" % r.stderr)
        r = subprocess.run([cli, "generate", files["portable"], "--tokenizer", tokp], capture_output=True, text=True)
        check(r.returncode == 2 and "--prompt" in r.stderr, "petite generate without --prompt: %s" % r.stderr)
    print("llm: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
