"""ctypes binding of petite_vision.h (libpetite_vision): image preprocessing, top-K, NMS and detection
decoding on numpy arrays, the same C functions an app calls.

    from petite import vision
    x = vision.preprocess(rgb_hwc_uint8, 224, 224)            # [1, 3, 224, 224] float32, ImageNet recipe
    top = vision.topk(vision.softmax(logits), 5)               # [(class, score), ...]
    dets = vision.detect([out], "yolov8", transform=tf)        # [(x1, y1, x2, y2, score, class), ...]
"""
import ctypes

import numpy as np

FORMATS = {"rgb": 1, "rgba": 2, "bgra": 3, "bgr": 4, "gray": 5, "nv21": 6, "nv12": 7, "i420": 8, "yuv420": 9}
FITS = {"stretch": 0, "center_crop": 1, "letterbox": 2}
INTERP = {"bilinear": 0, "area": 1}
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


def image(pixels, fmt="rgb", width=None, height=None, rotation=0, mirror=False, yuv_range=0):
    """A pv_image over a numpy buffer (kept alive by the returned tuple). Packed formats: [H, W, C] or
    [H, W] arrays; YUV formats: the whole buffer, with width and height."""
    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    img = Image()
    lib().pv_image_init(ctypes.byref(img))
    img.format = FORMATS[fmt]
    if fmt in ("nv21", "nv12", "i420"):
        img.width, img.height = width, height
    else:
        img.height, img.width = a.shape[0], a.shape[1]
    img.data = a.ctypes.data
    img.size = a.nbytes
    img.rotation, img.mirror, img.yuv_range = rotation, int(mirror), yuv_range
    return img, a


def preprocess(pixels, width, height, fmt="rgb", fit="center_crop", resize_short=0, interp="bilinear", pad_value=114.0,
               layout="nchw", dtype=np.float32, channels=3, bgr=False, mean=(0.485, 0.456, 0.406),
               std=(0.229, 0.224, 0.225), scale=1.0, zero_point=0, rotation=0, mirror=False, image_size=None):
    """Preprocess one image; returns (tensor [1, C, H, W] or [1, H, W, C], Transform)."""
    w = h = None
    if image_size:
        w, h = image_size
    img, keep = image(pixels, fmt, w, h, rotation, mirror)
    p = Preprocess()
    lib().pv_preprocess_init(ctypes.byref(p))
    p.width, p.height, p.fit, p.resize_short, p.interp = width, height, FITS[fit], resize_short, INTERP[interp]
    p.pad_value, p.layout, p.dtype, p.channels, p.bgr = pad_value, 1 if layout == "nhwc" else 0, DTYPES[np.dtype(dtype)], \
        channels, int(bgr)
    for i in range(3):
        p.mean[i], p.std[i] = mean[min(i, len(mean) - 1)], std[min(i, len(std) - 1)]
    p.scale, p.zero_point = scale, zero_point
    shape = (1, channels, height, width) if layout == "nchw" else (1, height, width, channels)
    out = np.empty(shape, dtype)
    tf = Transform()
    _check(lib().pv_preprocess_image(ctypes.byref(img), ctypes.byref(p), out.ctypes.data, out.nbytes, ctypes.byref(tf)))
    del keep
    return out, tf


def softmax(x):
    x = np.ascontiguousarray(x, np.float32).reshape(-1)
    y = np.empty_like(x)
    _check(lib().pv_softmax(x.ctypes.data, x.size, y.ctypes.data))
    return y


def topk(scores, k):
    s = np.ascontiguousarray(scores, np.float32).reshape(-1)
    out, n = (Class * max(k, 1))(), U32()
    _check(lib().pv_topk(s.ctypes.data, s.size, k, out, ctypes.byref(n)))
    return [(out[i].class_id, out[i].score) for i in range(n.value)]


def nms(boxes, scores, iou, classes=None):
    b = np.ascontiguousarray(boxes, np.float32).reshape(-1, 4)
    s = np.ascontiguousarray(scores, np.float32).reshape(-1)
    c = None if classes is None else np.ascontiguousarray(classes, np.int32).reshape(-1)
    keep, n = (U32 * max(len(s), 1))(), U32()
    _check(lib().pv_nms(b.ctypes.data, s.ctypes.data, None if c is None else c.ctypes.data, len(s), iou, keep, len(s),
                        ctypes.byref(n)))
    return [keep[i] for i in range(n.value)]


def detect(outputs, fmt, conf=0.25, iou=0.45, max_detections=300, agnostic=False, transform=None, anchors=None,
           input_size=(0, 0), logits=1, xy_order=False, cap=1000):
    """Decode float32 model outputs; returns [(x1, y1, x2, y2, score, class), ...] best first."""
    outs = [np.ascontiguousarray(o, np.float32) for o in outputs]
    shapes = [np.array(o.shape, np.int64) for o in outs]
    optr = (P * len(outs))(*[o.ctypes.data for o in outs])
    sptr = (P * len(outs))(*[s.ctypes.data for s in shapes])
    ranks = np.array([o.ndim for o in outs], np.int32)
    p = DetectParams()
    lib().pv_detect_params_init(ctypes.byref(p))
    p.format, p.conf, p.iou, p.max_detections, p.agnostic = DET[fmt], conf, iou, max_detections, int(agnostic)
    p.input_width, p.input_height, p.logits, p.xy_order = input_size[0], input_size[1], logits, int(xy_order)
    a = None if anchors is None else np.ascontiguousarray(anchors, np.float32)
    out, n = (Detection * cap)(), U32()
    _check(lib().pv_detect(optr, sptr, ranks.ctypes.data, len(outs), None if a is None else a.ctypes.data,
                           0 if a is None else a.shape[0], ctypes.byref(p), None if transform is None else
                           ctypes.byref(transform), out, cap, ctypes.byref(n)))
    return [(d.x1, d.y1, d.x2, d.y2, d.score, d.class_id) for d in out[:n.value]]
