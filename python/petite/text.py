"""ctypes binding of petite_text.h (libpetite_text): tokenizers, the same C functions an app calls.

    from petite import text
    tok = text.Tokenizer("path/to/tokenizer.json")    # or a directory, a .tiktoken file, a SentencePiece .model
    ids = tok.encode("Hello world", add_special=True)
    tok.decode(ids)                                     # 'Hello world'
    for piece in tok.stream(ids): print(piece, end="")  # whole characters only, as a generator emits them
"""
import ctypes

from .runtime import bind, find_library

P, I32, U32, SZ = ctypes.c_void_p, ctypes.c_int32, ctypes.c_uint32, ctypes.c_size_t
ADD_SPECIAL, SKIP_SPECIAL, RAW = 1, 1, 2


class TextError(RuntimeError):
    pass


_lib = None


def lib():
    global _lib
    if _lib is None:
        L = ctypes.CDLL(find_library("libpetite_text.so", "PETITE_TEXT_LIB"))
        PI32 = ctypes.POINTER(I32)
        sigs = {
            "ptk_last_error": ([], ctypes.c_char_p),
            "ptk_load_file": ([ctypes.c_char_p, ctypes.POINTER(P)], I32),
            "ptk_load_tiktoken": ([ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(P)], I32),
            "ptk_load_bytes": ([ctypes.c_char_p, SZ, ctypes.c_char_p, SZ, ctypes.POINTER(P)], I32),
            "ptk_free": ([P], None),
            "ptk_encode": ([P, ctypes.c_char_p, SZ, U32, ctypes.POINTER(PI32), ctypes.POINTER(SZ)], I32),
            "ptk_decode": ([P, PI32, SZ, U32, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(SZ)], I32),
            "ptk_free_buffer": ([P], None),
            "ptk_stream_new": ([P, U32, ctypes.POINTER(P)], I32),
            "ptk_stream_push": ([P, I32, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(SZ)], I32),
            "ptk_stream_finish": ([P, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(SZ)], I32),
            "ptk_stream_free": ([P], None),
            "ptk_vocab_size": ([P], I32),
            "ptk_token_to_piece": ([P, I32, ctypes.POINTER(SZ)], ctypes.c_void_p),
            "ptk_piece_to_id": ([P, ctypes.c_char_p, SZ], I32),
            "ptk_bos_id": ([P], I32),
            "ptk_eos_id": ([P], I32),
            "ptk_pad_id": ([P], I32),
            "ptk_is_special": ([P, I32], ctypes.c_int),
        }
        _lib = bind(L, sigs)
    return _lib


def _check(status):
    if status:
        raise TextError(lib().ptk_last_error().decode(errors="replace"))


def _bytes(s):
    if isinstance(s, str):
        return s.encode("utf-8", errors="surrogatepass")
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    raise TypeError("text must be str or bytes, got %s" % type(s).__name__)


def _ids(ids):
    vals = list(ids)
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int) or not -2 ** 31 <= v < 2 ** 31:
            raise ValueError("token ids must be 32-bit integers, got %r" % (v,))
    return (I32 * len(vals))(*vals), len(vals)


class Tokenizer:
    """A tokenizer.json (or a directory holding one with its tokenizer_config.json), a tiktoken rank
    file (encoding: "cl100k_base", "o200k_base", ...; or named ENCODING.tiktoken), or a SentencePiece
    .model."""

    def __init__(self, path, encoding=None):
        h = P()
        if encoding is not None:
            _check(lib().ptk_load_tiktoken(str(path).encode(), encoding.encode(), ctypes.byref(h)))
        else:
            _check(lib().ptk_load_file(str(path).encode(), ctypes.byref(h)))
        self._h = h

    @classmethod
    def from_bytes(cls, json_bytes, config_bytes=None):
        self = cls.__new__(cls)
        h = P()
        j, c = _bytes(json_bytes), (_bytes(config_bytes) if config_bytes is not None else None)
        _check(lib().ptk_load_bytes(j, len(j), c, len(c) if c else 0, ctypes.byref(h)))
        self._h = h
        return self

    def close(self):
        if getattr(self, "_h", None):
            lib().ptk_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def _handle(self):
        if not self._h:
            raise TextError("the tokenizer is closed")
        return self._h

    def encode(self, text, add_special=False):
        b = _bytes(text)
        out, n = ctypes.POINTER(I32)(), SZ()
        _check(lib().ptk_encode(self._handle(), b, len(b), ADD_SPECIAL if add_special else 0, ctypes.byref(out),
                                ctypes.byref(n)))
        try:
            return [out[k] for k in range(n.value)]
        finally:
            lib().ptk_free_buffer(ctypes.cast(out, P))

    def decode(self, ids, skip_special=False, raw=False):
        arr, n = _ids(ids)
        out, ln = ctypes.c_void_p(), SZ()
        _check(lib().ptk_decode(self._handle(), arr, n, (SKIP_SPECIAL if skip_special else 0) | (RAW if raw else 0),
                                ctypes.byref(out), ctypes.byref(ln)))
        try:
            return ctypes.string_at(out, ln.value).decode("utf-8")
        finally:
            lib().ptk_free_buffer(out)

    def stream(self, ids, skip_special=False):
        """The text of ids as a generator streams it: one piece per id (whole characters only)."""
        s = P()
        _check(lib().ptk_stream_new(self._handle(), SKIP_SPECIAL if skip_special else 0, ctypes.byref(s)))
        try:
            piece, ln = ctypes.c_void_p(), SZ()
            for i in ids:
                arr, _ = _ids([i])
                _check(lib().ptk_stream_push(s, arr[0], ctypes.byref(piece), ctypes.byref(ln)))
                yield ctypes.string_at(piece, ln.value).decode("utf-8")
            _check(lib().ptk_stream_finish(s, ctypes.byref(piece), ctypes.byref(ln)))
            yield ctypes.string_at(piece, ln.value).decode("utf-8")
        finally:
            lib().ptk_stream_free(s)

    @property
    def vocab_size(self):
        return lib().ptk_vocab_size(self._handle())

    def token_to_piece(self, id_):
        n = SZ()
        p = lib().ptk_token_to_piece(self._handle(), int(id_), ctypes.byref(n))
        return None if not p else ctypes.string_at(p, n.value).decode("utf-8", errors="replace")

    def piece_to_id(self, piece):
        b = _bytes(piece)
        v = lib().ptk_piece_to_id(self._handle(), b, len(b))
        return None if v < 0 else v

    @property
    def bos_id(self):
        v = lib().ptk_bos_id(self._handle())
        return None if v < 0 else v

    @property
    def eos_id(self):
        v = lib().ptk_eos_id(self._handle())
        return None if v < 0 else v

    @property
    def pad_id(self):
        v = lib().ptk_pad_id(self._handle())
        return None if v < 0 else v

    def is_special(self, id_):
        return bool(lib().ptk_is_special(self._handle(), int(id_)))
