"""ctypes binding of petite_llm.h (libpetite_llm): text generation, the same C functions an app calls.

    from petite import llm
    m = llm.LLM("model.pte", "tokenizer.json", threads=2)
    for piece in m.generate("Once upon a time", max_new_tokens=64):   # an iterator of text pieces
        print(piece, end="", flush=True)
    m.stats()          # {"prefill_tokens_per_s": ..., "decode_tokens_per_s": ..., "stop_reason": "eos", ...}
    m.tokens           # the ids of the last generation
    m.stop()           # from another thread: the running generation ends at its next token
    m.reset()          # a new conversation (position 0)
"""
import ctypes

from .runtime import bind, find_library

P, I32, U32, I64, U64, SZ = ctypes.c_void_p, ctypes.c_int32, ctypes.c_uint32, ctypes.c_int64, ctypes.c_uint64, ctypes.c_size_t
REASONS = ["running", "eos", "max_tokens", "stop_string", "stopped", "context_full", "error"]


class LLMError(RuntimeError):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


class _Options(ctypes.Structure):
    _fields_ = [("struct_size", U32), ("num_threads", I32), ("data_file", ctypes.c_char_p), ("method", ctypes.c_char_p)]


class _Config(ctypes.Structure):
    _fields_ = [("struct_size", U32), ("max_new_tokens", I32), ("seq_len", I32), ("temperature", ctypes.c_float),
                ("top_p", ctypes.c_float), ("top_k", I32), ("seed", U64), ("echo", I32), ("ignore_eos", I32),
                ("add_special", I32), ("stop", ctypes.POINTER(ctypes.c_char_p)), ("n_stop", SZ),
                ("prefill_chunk", I32)]


class _Stats(ctypes.Structure):
    _fields_ = [("load_ms", ctypes.c_double), ("prefill_ms", ctypes.c_double), ("first_token_ms", ctypes.c_double),
                ("decode_ms", ctypes.c_double), ("sampling_ms", ctypes.c_double), ("prompt_tokens", I64),
                ("generated_tokens", I64), ("prefill_tokens_per_s", ctypes.c_double),
                ("decode_tokens_per_s", ctypes.c_double), ("kv_cache_bytes", U64), ("position", I64),
                ("stop_reason", I32), ("prefill_cpu_ms", ctypes.c_double), ("decode_cpu_ms", ctypes.c_double)]


_lib = None


def lib():
    global _lib
    if _lib is None:
        L = ctypes.CDLL(find_library("libpetite_llm.so", "PETITE_LLM_LIB"))
        sigs = {
            "petite_llm_last_error": ([], ctypes.c_char_p),
            "petite_llm_errmsg": ([P], ctypes.c_char_p),
            "petite_llm_options_init": ([ctypes.POINTER(_Options)], None),
            "petite_llm_config_init": ([ctypes.POINTER(_Config)], None),
            "petite_llm_load": ([ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Options), ctypes.POINTER(P)], I32),
            "petite_llm_free": ([P], None),
            "petite_llm_metadata": ([P, ctypes.c_char_p, ctypes.POINTER(I64)], I32),
            "petite_llm_context_length": ([P], I64),
            "petite_llm_begin": ([P, ctypes.c_char_p, ctypes.POINTER(_Config)], I32),
            "petite_llm_begin_ids": ([P, ctypes.POINTER(I32), SZ, ctypes.POINTER(_Config)], I32),
            "petite_llm_next": ([P, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(SZ), ctypes.POINTER(I32),
                                 ctypes.POINTER(I32)], I32),
            "petite_llm_stop": ([P], None),
            "petite_llm_reset": ([P], None),
            "petite_llm_stats_get": ([P, ctypes.POINTER(_Stats)], I32),
        }
        _lib = bind(L, sigs)
    return _lib


def _b(s):
    return s.encode() if isinstance(s, str) else s


class LLM:
    def __init__(self, model, tokenizer, threads=0, data_file=None, method=None):
        L = lib()
        o = _Options()
        L.petite_llm_options_init(ctypes.byref(o))
        o.num_threads = threads
        o.data_file = _b(data_file) if data_file else None
        o.method = _b(method) if method else None
        h = P()
        st = L.petite_llm_load(_b(model), _b(tokenizer), ctypes.byref(o), ctypes.byref(h))
        if st:
            raise LLMError(st, L.petite_llm_last_error().decode(errors="replace"))
        self._h, self.tokens = h, []

    def __del__(self):
        if getattr(self, "_h", None):
            lib().petite_llm_free(self._h)
            self._h = None

    def _err(self, st):
        raise LLMError(st, lib().petite_llm_errmsg(self._h).decode(errors="replace"))

    def metadata(self, key):
        v = I64()
        st = lib().petite_llm_metadata(self._h, _b(key), ctypes.byref(v))
        return v.value if st == 0 else None

    @property
    def context_length(self):
        return lib().petite_llm_context_length(self._h)

    def generate(self, prompt=None, max_new_tokens=-1, temperature=0.0, top_p=0.0, top_k=0, seed=1, stop=(),
                 echo=False, ignore_eos=False, add_special=True, seq_len=-1, prefill_chunk=0, prompt_ids=None):
        """An iterator of text pieces (bytes decoded as UTF-8; a token may complete no character).
        The prompt (text, or prompt_ids: token ids) is prefilled at the first next(); self.tokens
        collects the ids."""
        L = lib()
        c = _Config()
        L.petite_llm_config_init(ctypes.byref(c))
        c.max_new_tokens, c.seq_len, c.temperature, c.top_p, c.top_k, c.seed = \
            max_new_tokens, seq_len, temperature, top_p, top_k, seed
        c.echo, c.ignore_eos, c.add_special, c.prefill_chunk = int(echo), int(ignore_eos), int(add_special), prefill_chunk
        stops = (ctypes.c_char_p * max(1, len(stop)))(*[_b(s) for s in stop])
        c.stop, c.n_stop = (stops if stop else None), len(stop)
        if prompt_ids is not None:
            arr = (I32 * max(1, len(prompt_ids)))(*prompt_ids)
            st = L.petite_llm_begin_ids(self._h, arr, len(prompt_ids), ctypes.byref(c))
        else:
            st = L.petite_llm_begin(self._h, _b(prompt or ""), ctypes.byref(c))
        if st:
            self._err(st)
        self.tokens = []
        text, n, tok, done = ctypes.c_void_p(), SZ(), I32(), I32()
        try:
            while True:
                st = L.petite_llm_next(self._h, ctypes.byref(text), ctypes.byref(n), ctypes.byref(tok), ctypes.byref(done))
                if st:
                    done.value = 1
                    self._err(st)
                if tok.value >= 0:
                    self.tokens.append(tok.value)
                piece = ctypes.string_at(text.value, n.value).decode("utf-8", errors="replace") if n.value else ""
                if piece:
                    yield piece
                if done.value:
                    return
        finally:  # the iterator dropped early: end the generation so that the handle takes the next one
            while not done.value:
                L.petite_llm_stop(self._h)
                if L.petite_llm_next(self._h, ctypes.byref(text), ctypes.byref(n), ctypes.byref(tok), ctypes.byref(done)):
                    break

    def stop(self):
        lib().petite_llm_stop(self._h)

    def reset(self):
        lib().petite_llm_reset(self._h)

    def stats(self):
        s = _Stats()
        lib().petite_llm_stats_get(self._h, ctypes.byref(s))
        d = {k: getattr(s, k) for k, _ in _Stats._fields_}
        d["stop_reason"] = REASONS[s.stop_reason] if 0 <= s.stop_reason < len(REASONS) else s.stop_reason
        return d
