"""ctypes bindings to gradtap's sparsifiers (gradtap/sparsify.h in
libgradtap, next to libgradtap_capture): what the sparse comm hook calls.
The struct mirrors are checked against the library's sizes and layout
version at load, never trusted."""
import ctypes
import ctypes.util
import os

from . import _native

_OPTIONS_VERSION = 2  # GTAP_SPARSIFY_OPTIONS_VERSION


class SparsifyOptions(ctypes.Structure):
    """Mirror of gtap_sparsify_options."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("struct_version", ctypes.c_uint),
        ("kind", ctypes.c_int),
        ("seed", ctypes.c_uint64),
        ("quality", ctypes.c_int),
        ("band_low", ctypes.c_double),
        ("band_high", ctypes.c_double),
        ("max_passes", ctypes.c_int),
        ("count_mode", ctypes.c_int),
        ("sample_ratio", ctypes.c_double),
        ("min_sample", ctypes.c_uint64),
        ("max_retries", ctypes.c_int),
        ("lambda_", ctypes.c_double),
        ("threads", ctypes.c_int),
    ]


class SparsifyQuality(ctypes.Structure):
    _fields_ = [(name, ctypes.c_double) for name in ("norm2", "head_energy", "recall", "energy_kept", "ratio",
                                                      "delta")] + [("zero_input", ctypes.c_int)]


class SparsifyResult(ctypes.Structure):
    """Mirror of gtap_sparsify_result."""

    _fields_ = [
        ("count", ctypes.c_uint64),
        ("k", ctypes.c_uint64),
        ("passes", ctypes.c_int),
        ("threshold", ctypes.c_double),
        ("scale", ctypes.c_double),
        ("nonfinite", ctypes.c_uint64),
        ("fell_back", ctypes.c_int),
        ("has_quality", ctypes.c_int),
        ("quality", SparsifyQuality),
    ]


def _library_path():
    """libgradtap.so: beside libgradtap_capture (an install), else in the
    build tree's analysis/ next to its capture/, else the system's path."""
    folder = os.path.dirname(_native.lib._name)
    for candidate in (os.path.join(folder, "libgradtap.so"), os.path.join(folder, "..", "analysis", "libgradtap.so")):
        if os.path.exists(candidate):
            return candidate
    found = ctypes.util.find_library("gradtap")
    if found:
        return found
    raise ImportError("gradtap: libgradtap.so (the sparsifiers) is not beside %s" % _native.lib._name)


def _load():
    library = ctypes.CDLL(_library_path())
    c, p = ctypes, ctypes.c_void_p
    signatures = {
        "gtap_sparsify_options_init": (None, [c.POINTER(SparsifyOptions), c.c_int]),
        "gtap_sparsify_options_size": (c.c_size_t, []),
        "gtap_sparsify_result_size": (c.c_size_t, []),
        "gtap_sparsifier_kind_parse": (c.c_int, [c.c_char_p, c.POINTER(c.c_int)]),
        "gtap_sparsifier_kind_list": (c.c_char_p, []),
        "gtap_sparsifier_create": (c.c_int, [c.POINTER(SparsifyOptions), c.c_uint64, c.POINTER(p)]),
        "gtap_sparsifier_free": (None, [p]),
        "gtap_sparsifier_capacity": (c.c_int, [p, c.c_uint64, c.c_uint64, c.POINTER(c.c_uint64)]),
        "gtap_sparsify": (c.c_int, [p, p, c.c_uint64, c.c_uint64, c.c_uint64, p, p, c.c_uint64,
                                    c.POINTER(SparsifyResult)]),
        "gtap_k_from_density": (c.c_int, [c.c_double, c.c_uint64, c.POINTER(c.c_uint64)]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    for mirror, size_of in ((SparsifyOptions, library.gtap_sparsify_options_size),
                            (SparsifyResult, library.gtap_sparsify_result_size)):
        if size_of() != ctypes.sizeof(mirror):
            raise ImportError("gradtap: %s has %d bytes in the library, %d here (version mismatch)"
                              % (mirror.__name__, size_of(), ctypes.sizeof(mirror)))
    probe = SparsifyOptions()
    library.gtap_sparsify_options_init(ctypes.byref(probe), 1)
    if probe.struct_version != _OPTIONS_VERSION:
        raise ImportError("gradtap: the library's sparsify options are of layout version %d, this package knows %d"
                          % (probe.struct_version, _OPTIONS_VERSION))
    return library


lib = _load()


def kind_code(method):
    """The gtap_sparsifier_kind of a method name, or ValueError naming the valid ones."""
    code = ctypes.c_int(-1)
    if lib.gtap_sparsifier_kind_parse(method.encode(), ctypes.byref(code)) < 0:
        raise ValueError("gradtap: unknown method %r (%s)" % (method, lib.gtap_sparsifier_kind_list().decode()))
    return code.value


def k_from_density(density, d):
    """THE k rule, max(1, floor(rho d)) (gradtap/density.h)."""
    k = ctypes.c_uint64(0)
    _native.check(lib.gtap_k_from_density(float(density), int(d), ctypes.byref(k)), "gradtap: k from density")
    return k.value


class Sparsifier:
    """One gtap_sparsifier for vectors up to d_max, with its output buffers."""

    def __init__(self, kind, d_max, seed, threshold=0.0):
        import torch

        options = SparsifyOptions()
        lib.gtap_sparsify_options_init(ctypes.byref(options), kind)
        options.seed = int(seed)
        options.lambda_ = float(threshold)
        handle = ctypes.c_void_p()
        _native.check(lib.gtap_sparsifier_create(ctypes.byref(options), int(d_max), ctypes.byref(handle)),
                      "gradtap: sparsifier")
        self._handle = handle
        self.d_max = int(d_max)
        self.indices = torch.empty(0, dtype=torch.int64)
        self.values = torch.empty(0, dtype=torch.float32)

    def __call__(self, u, k, stream):
        """(indices int64, values float32) of C(u) for a contiguous float32 CPU tensor u."""
        capacity = ctypes.c_uint64(0)
        d = u.numel()
        _native.check(lib.gtap_sparsifier_capacity(self._handle, d, k, ctypes.byref(capacity)), "gradtap: capacity")
        if self.indices.numel() < capacity.value:
            self.indices = self.indices.new_empty(capacity.value)
            self.values = self.values.new_empty(capacity.value)
        result = SparsifyResult()
        _native.check(lib.gtap_sparsify(self._handle, ctypes.c_void_p(u.data_ptr()), d, k, int(stream),
                                        ctypes.c_void_p(self.indices.data_ptr()),
                                        ctypes.c_void_p(self.values.data_ptr()), capacity.value,
                                        ctypes.byref(result)), "gradtap: sparsify")
        count = result.count
        return self.indices[:count], self.values[:count]

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            lib.gtap_sparsifier_free(handle)
