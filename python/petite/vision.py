"""ctypes binding of petite_vision.h (libpetite_vision): image preprocessing, top-K, NMS and detection
decoding on numpy arrays, the same C functions an app calls.

    from petite import vision
    x, tf = vision.preprocess(rgb_hwc_uint8, 224, 224)        # [1, 3, 224, 224] float32, ImageNet recipe
                                                              # (torchvision's, on a PIL image)
    top = vision.classify(logits, 5)                          # [(class, probability), ...] ranked on logits
    x, tf = vision.preprocess(rgb_hwc_uint8, 640, 640, **vision.YOLO)   # letterbox, pixels / 255
    dets = vision.detect([out], "yolov8", transform=tf)       # [(x1, y1, x2, y2, score, class), ...]
"""
import ctypes

import numpy as np

FORMATS = {"rgb": 1, "rgba": 2, "bgra": 3, "bgr": 4, "gray": 5, "nv21": 6, "nv12": 7, "i420": 8, "yuv420": 9}
FITS = {"stretch": 0, "center_crop": 1, "letterbox": 2}
INTERP = {"bilinear": 0, "area": 1, "bilinear_aa": 2}  # bilinear: no antialiasing; bilinear_aa: PIL's
# Preprocessing of a YOLO detector (Ultralytics): letterbox with OpenCV's bilinear resize, pixels / 255
YOLO = {"fit": "letterbox", "interp": "bilinear", "mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0)}
DET = {"yolov5": 1, "yolov8": 2, "ssd": 3}
DTYPES = {np.dtype(np.float32): 6, np.dtype(np.uint8): 0, np.dtype(np.int8): 1}

P, I32, U32, U64, F32 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_float


class VisionError(RuntimeError):
    pass


class Image(ctypes.Structure):
    _fields_ = [("struct_size", U32), ("format", I32), ("width", I32), ("height", I32), ("data", P), ("stride", I32),
                ("u", P), ("v", P), ("uv_stride", I32), ("uv_pixel_stride", I32), ("yuv_range", I32),
                ("rotation", I32), ("mirror", I32), ("size", U64), ("uv_size", U64)]


class Preprocess(ctypes.Structure):
    _fields_ = [("struct_size", U32), ("width", I32), ("height", I32), ("fit", I32), ("resize_short", I32),
                ("interp", I32), ("pad_value", F32), ("layout", I32), ("dtype", I32), ("channels", I32), ("bgr", I32),
                ("mean", F32 * 3), ("std", F32 * 3), ("scale", F32), ("zero_point", I32)]


class Transform(ctypes.Structure):
    _fields_ = [("struct_size", U32), ("scale_x", F32), ("scale_y", F32), ("offset_x", F32), ("offset_y", F32),
                ("upright_width", I32), ("upright_height", I32)]


class Class(ctypes.Structure):
    _fields_ = [("class_id", I32), ("score", F32)]


class DetectParams(ctypes.Structure):
    _fields_ = [("struct_size", U32), ("format", I32), ("conf", F32), ("iou", F32), ("max_detections", U32),
                ("agnostic", I32), ("input_width", I32), ("input_height", I32), ("logits", I32), ("xy_order", I32),
                ("variance", F32 * 4), ("background", I32)]


class Detection(ctypes.Structure):
    _fields_ = [("x1", F32), ("y1", F32), ("x2", F32), ("y2", F32), ("score", F32), ("class_id", I32)]


_lib = None


def lib():
    global _lib
    if _lib is None:
        from .runtime import bind, find_library
        L = ctypes.CDLL(find_library("libpetite_vision.so", "PETITE_VISION_LIB"))
        sigs = {
            "pv_last_error": ([], ctypes.c_char_p),
            "pv_image_init": ([ctypes.POINTER(Image)], None),
            "pv_preprocess_init": ([ctypes.POINTER(Preprocess)], None),
            "pv_preprocess_image": ([ctypes.POINTER(Image), ctypes.POINTER(Preprocess), P, ctypes.c_size_t,
                                     ctypes.POINTER(Transform)], I32),
            "pv_softmax": ([P, ctypes.c_size_t, P], I32),
            "pv_topk": ([P, ctypes.c_size_t, U32, ctypes.POINTER(Class), ctypes.POINTER(U32)], I32),
            "pv_classify": ([P, ctypes.c_size_t, U32, ctypes.POINTER(Class), ctypes.POINTER(U32)], I32),
            "pv_nms": ([P, P, P, U32, F32, ctypes.POINTER(U32), U32, ctypes.POINTER(U32)], I32),
            "pv_detect_params_init": ([ctypes.POINTER(DetectParams)], None),
            "pv_detect": ([ctypes.POINTER(P), ctypes.POINTER(P), P, U32, P, U32, ctypes.POINTER(DetectParams),
                           ctypes.POINTER(Transform), ctypes.POINTER(Detection), U32, ctypes.POINTER(U32)], I32),
        }
        _lib = bind(L, sigs)
    return _lib


def _check(status):
    if status:
        raise VisionError(lib().pv_last_error().decode(errors="replace"))


CHANNELS = {"rgb": 3, "bgr": 3, "rgba": 4, "bgra": 4, "gray": 1}
U32_MAX = 2 ** 32 - 1


def _int(v, what, lo, hi):
    """an integer option in [lo, hi] (a ValueError naming it otherwise): what ctypes would wrap silently"""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or not lo <= int(v) <= hi:
        raise ValueError("%s must be an integer in %d..%d, got %r" % (what, lo, hi, v))
    return int(v)


def _num(v, what):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError("%s must be a number, got %r" % (what, v)) from None
    if not np.isfinite(f):
        raise ValueError("%s must be finite, got %r" % (what, v))
    return f


def _choice(table, v, what):
    if v not in table:
        raise ValueError("%s %r: one of %s" % (what, v, ", ".join(sorted(table))))
    return table[v]


def _infer_format(a):
    """the packed format of an [H, W] / [H, W, C] array: gray, rgb or rgba by its channels"""
    c = 1 if a.ndim == 2 else a.shape[2] if a.ndim == 3 else None
    if c not in (1, 3, 4):
        raise ValueError("pixels of shape %s: give [H, W] (gray), [H, W, 1], [H, W, 3] (rgb) or [H, W, 4] (rgba), "
                         "or fmt for a YUV buffer" % (a.shape,))
    return {1: "gray", 3: "rgb", 4: "rgba"}[c]


def image(pixels, fmt=None, width=None, height=None, rotation=0, mirror=False, yuv_range=0, stride=0, uv_stride=0):
    """A pv_image over a numpy buffer (kept alive by the returned tuple). Packed formats: [H, W, C] or
    [H, W] arrays whose channels match the format (fmt None: gray, rgb or rgba from the channel count);
    YUV formats (nv21, nv12, i420): the whole buffer, with width and height, and the Y row stride and
    chroma row stride when the rows are padded (0: packed; NV21 / NV12 chroma rows of an odd width are
    (width + 1) // 2 * 2 bytes, see pv_image.uv_stride)."""
    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    if fmt is None:
        fmt = _infer_format(a)
    img = Image()
    lib().pv_image_init(ctypes.byref(img))
    img.format = _choice(FORMATS, fmt, "image format")
    if fmt in CHANNELS:  # the array's shape is the image's: a mismatch would read the rows wrongly
        c = 1 if a.ndim == 2 else a.shape[2] if a.ndim == 3 else None
        if c != CHANNELS[fmt]:
            raise ValueError("pixels of shape %s are not %s ([H, W, %d]%s)" % (
                a.shape, fmt, CHANNELS[fmt], " or [H, W]" if fmt == "gray" else ""))
        if a.shape[0] < 1 or a.shape[1] < 1 or a.shape[0] > 2 ** 31 - 1 or a.shape[1] > 2 ** 31 - 1:
            raise ValueError("pixels of shape %s: an empty or huge image" % (a.shape,))
        img.height, img.width = a.shape[0], a.shape[1]
        if stride or uv_stride:
            raise ValueError("stride and uv_stride are for YUV buffers (a %s array is packed)" % fmt)
    else:
        if fmt == "yuv420":
            raise ValueError("yuv420 (three planes) is not bound in Python: give nv21, nv12 or i420 buffers")
        img.width = _int(width, "width", 1, 2 ** 31 - 1)
        img.height = _int(height, "height", 1, 2 ** 31 - 1)
        img.stride = _int(stride, "stride", 0, 2 ** 31 - 1)
        img.uv_stride = _int(uv_stride, "uv_stride", 0, 2 ** 31 - 1)
    img.data = a.ctypes.data
    img.size = a.nbytes
    img.rotation, img.mirror, img.yuv_range = rotation, int(mirror), yuv_range
    return img, a


def preprocess(pixels, width, height, fmt=None, fit="center_crop", resize_short=0, interp="bilinear_aa",
               pad_value=114.0, layout="nchw", dtype=np.float32, channels=3, bgr=False, mean=(0.485, 0.456, 0.406),
               std=(0.229, 0.224, 0.225), scale=1.0, zero_point=0, rotation=0, mirror=False, image_size=None,
               stride=0, uv_stride=0):
    """Preprocess one image; returns (tensor [1, C, H, W] or [1, H, W, C], Transform). fmt None: gray, rgb
    or rgba from the array's channels; a format that does not match the array is refused. YUV buffers
    (fmt "nv21", "nv12", "i420"): image_size=(width, height), stride / uv_stride for padded rows.

    The defaults are torchvision's classification recipe on a PIL image: Resize(256) (antialiased, as PIL
    resizes; interp "bilinear" for the tensor Resize(antialias=False)), CenterCrop(224), ToTensor,
    Normalize(ImageNet). A YOLO detector: preprocess(pixels, 640, 640, **YOLO)."""
    w = h = None
    if image_size:
        w, h = image_size
    img, keep = image(pixels, fmt, w, h, rotation, mirror, stride=stride, uv_stride=uv_stride)
    width, height = _int(width, "width", -2 ** 31, 2 ** 31 - 1), _int(height, "height", -2 ** 31, 2 ** 31 - 1)
    if channels not in (1, 3):  # the output array is shaped by it
        raise ValueError("channels %r: 1 or 3" % (channels,))
    if layout not in ("nchw", "nhwc"):
        raise ValueError("layout %r: nchw or nhwc" % (layout,))
    try:
        dt = DTYPES[np.dtype(dtype)]
    except (KeyError, TypeError):
        raise ValueError("dtype %r: float32, uint8 or int8" % (dtype,)) from None
    mean, std = [_num(v, "mean") for v in np.atleast_1d(mean)], [_num(v, "std") for v in np.atleast_1d(std)]
    if len(mean) not in (1, 3) or len(std) not in (1, 3):  # two numbers would half apply
        raise ValueError("mean and std take 1 or 3 numbers, got %d and %d" % (len(mean), len(std)))
    p = Preprocess()
    lib().pv_preprocess_init(ctypes.byref(p))
    p.width, p.height = width, height
    p.fit, p.resize_short = _choice(FITS, fit, "fit"), _int(resize_short, "resize_short", -2 ** 31, 2 ** 31 - 1)
    p.interp = _choice(INTERP, interp, "interp")
    p.pad_value, p.layout, p.dtype, p.channels, p.bgr = _num(pad_value, "pad_value"), 1 if layout == "nhwc" else 0, dt, \
        channels, int(bool(bgr))
    for i in range(3):
        p.mean[i], p.std[i] = mean[min(i, len(mean) - 1)], std[min(i, len(std) - 1)]
    p.scale, p.zero_point = _num(scale, "scale"), _int(zero_point, "zero_point", -2 ** 31, 2 ** 31 - 1)
    shape = (1, channels, height, width) if layout == "nchw" else (1, height, width, channels)
    out = np.empty(shape, dtype)
    tf = Transform()
    _check(lib().pv_preprocess_image(ctypes.byref(img), ctypes.byref(p), out.ctypes.data, out.nbytes, ctypes.byref(tf)))
    del keep
    return out, tf


def softmax(x):
    x = np.ascontiguousarray(x, np.float32).reshape(-1)
    if x.size == 0:
        raise ValueError("softmax of no values")
    y = np.empty_like(x)
    _check(lib().pv_softmax(x.ctypes.data, x.size, y.ctypes.data))
    return y


def classify(logits, k=5):
    """The k classes of highest logit, best first, with their softmax probabilities: [(class, p), ...].
    Ranked on the logits (topk(softmax(logits)) ties classes whose float probabilities round equal)."""
    x = np.ascontiguousarray(logits, np.float32).reshape(-1)
    k = _int(k, "k", 1, U32_MAX)
    if x.size == 0:
        raise ValueError("classify of no logits")
    k = min(k, x.size)
    out, n = (Class * k)(), U32()
    _check(lib().pv_classify(x.ctypes.data, x.size, k, out, ctypes.byref(n)))
    return [(out[i].class_id, out[i].score) for i in range(n.value)]


def topk(scores, k):
    """The k highest scores, best first: [(index, score), ...]. For a classifier's logits use classify()."""
    s = np.ascontiguousarray(scores, np.float32).reshape(-1)
    k = _int(k, "k", 1, U32_MAX)  # k < 1 would ask C for more results than out holds
    if s.size == 0:
        raise ValueError("topk of no scores")
    k = min(k, s.size)
    out, n = (Class * k)(), U32()
    _check(lib().pv_topk(s.ctypes.data, s.size, k, out, ctypes.byref(n)))
    return [(out[i].class_id, out[i].score) for i in range(n.value)]


def nms(boxes, scores, iou, classes=None):
    b = np.ascontiguousarray(boxes, np.float32)
    s = np.ascontiguousarray(scores, np.float32)
    if b.ndim != 2 or b.shape[1] != 4 or s.ndim != 1 or b.shape[0] != s.shape[0] or s.shape[0] > U32_MAX:
        raise ValueError("nms takes boxes [n, 4] and scores [n], got %s and %s" % (b.shape, s.shape))
    c = None
    if classes is not None:
        c = np.asarray(classes)
        if c.shape != s.shape or not (np.issubdtype(c.dtype, np.integer) or c.size == 0):
            raise ValueError("nms: classes must be n integers, got %s of %s for %d boxes" % (c.shape, c.dtype, len(s)))
        if c.size and (c.min() < -2 ** 31 or c.max() > 2 ** 31 - 1):
            raise ValueError("nms: classes outside int32")
        c = np.ascontiguousarray(c, np.int32)
    iou = _num(iou, "iou")
    keep, n = (U32 * max(len(s), 1))(), U32()
    _check(lib().pv_nms(b.ctypes.data, s.ctypes.data, None if c is None else c.ctypes.data, len(s), iou, keep, len(s),
                        ctypes.byref(n)))
    return [keep[i] for i in range(n.value)]


def detect(outputs, fmt, conf=0.25, iou=0.45, max_detections=300, agnostic=False, transform=None, anchors=None,
           input_size=(0, 0), logits=1, xy_order=False, cap=1000):
    """Decode float32 model outputs; returns [(x1, y1, x2, y2, score, class), ...] best first."""
    fmt_id = _choice(DET, fmt, "format")
    outs = [np.ascontiguousarray(o, np.float32) for o in outputs]
    if len(outs) != (2 if fmt == "ssd" else 1):
        raise ValueError("%s takes %d output%s, got %d" % (fmt, 2 if fmt == "ssd" else 1, "s" if fmt == "ssd" else "",
                                                          len(outs)))
    for i, o in enumerate(outs):
        if o.ndim not in (2, 3):
            raise ValueError("output %d of shape %s: [1, rows, columns] or [rows, columns]" % (i, o.shape))
    cap = _int(cap, "cap", 0, 2 ** 24)
    max_detections = _int(max_detections, "max_detections", 0, U32_MAX)
    iw, ih = (_int(v, "input_size", 0, 2 ** 31 - 1) for v in input_size)
    a = None
    if anchors is not None:  # pv_detect reads 4 floats per anchor: [N, 4] exactly
        a = np.ascontiguousarray(anchors, np.float32)
        if a.ndim != 2 or a.shape[1] != 4 or a.shape[0] > U32_MAX:
            raise ValueError("anchors must be [N, 4], got %s" % (a.shape,))
    shapes = [np.array(o.shape, np.int64) for o in outs]
    optr = (P * len(outs))(*[o.ctypes.data for o in outs])
    sptr = (P * len(outs))(*[s.ctypes.data for s in shapes])
    ranks = np.array([o.ndim for o in outs], np.int32)
    p = DetectParams()
    lib().pv_detect_params_init(ctypes.byref(p))
    p.format, p.conf, p.iou, p.max_detections, p.agnostic = fmt_id, _num(conf, "conf"), _num(iou, "iou"), max_detections, \
        int(bool(agnostic))
    p.input_width, p.input_height, p.logits, p.xy_order = iw, ih, _int(logits, "logits", 0, 2), int(bool(xy_order))
    out, n = (Detection * max(cap, 1))(), U32()
    _check(lib().pv_detect(optr, sptr, ranks.ctypes.data, len(outs), None if a is None else a.ctypes.data,
                           0 if a is None else a.shape[0], ctypes.byref(p), None if transform is None else
                           ctypes.byref(transform), out, cap, ctypes.byref(n)))
    return [(d.x1, d.y1, d.x2, d.y2, d.score, d.class_id) for d in out[:n.value]]
