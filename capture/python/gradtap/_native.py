"""ctypes bindings to libgradtap_capture (gradtap/capture.h); no compiled extension.

The library is found, in this order, in $GRADTAP_LIBDIR; where the install put
it (gradtap/_installed.py, written by CMake: gradtap/_lib in a wheel); in the
source tree's build/capture (scripts/bootstrap.sh); on the system's library
path.
"""
import ctypes
import ctypes.util
import os

_LIBRARY_NAME = "libgradtap_capture.so"

# The codes of kinds, dtypes and compression modes are read from the library
# below (_codes_from_library), never copied; the few numbers the C header
# defines as macros only are checked against the library at import.
POLICIES = {"block": 0, "skip": 1}      # gtap_capture_policy (capture.h)
WANT_SNAPSHOT = 1                       # GTAP_CAPTURE_WANT_SNAPSHOT
WANT_SUMMARY = 2                        # GTAP_CAPTURE_WANT_SUMMARY
EDISABLED = -15                         # GTAP_EDISABLED (status.h)
EEXIST = -11                            # GTAP_EEXIST (status.h)
ENONFINITE = -9                         # GTAP_ENONFINITE (status.h)


_OPTIONS_VERSION = 3  # the layout of CaptureOptions below (GTAP_CAPTURE_OPTIONS_VERSION)


class CaptureOptions(ctypes.Structure):
    """Mirror of gtap_capture_options (checked against gtap_capture_options_size)."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("struct_version", ctypes.c_uint),
        ("every", ctypes.c_uint64),
        ("steps", ctypes.POINTER(ctypes.c_int64)),
        ("step_count", ctypes.c_size_t),
        ("kinds", ctypes.c_uint),
        ("summary_every", ctypes.c_uint64),
        ("densities", ctypes.POINTER(ctypes.c_double)),
        ("density_count", ctypes.c_size_t),
        ("staging_bytes", ctypes.c_uint64),
        ("compression", ctypes.c_int),
        ("policy", ctypes.c_int),
        ("rank", ctypes.c_int),
        ("world_size", ctypes.c_int),
        ("per_rank_files", ctypes.c_int),
        ("flush_bytes", ctypes.c_uint64),
        ("flush_seconds", ctypes.c_double),
        ("fsync", ctypes.c_int),
        ("crash_safe", ctypes.c_int),
        ("truncate", ctypes.c_int),
        ("append", ctypes.c_int),
        ("run_id", ctypes.c_char_p),
        ("producer", ctypes.c_char_p),
        ("quiet", ctypes.c_int),
        ("global_summary", ctypes.c_int),
    ]


class CaptureStats(ctypes.Structure):
    """Mirror of gtap_capture_stats."""

    _fields_ = [
        ("snapshots_written", ctypes.c_uint64),
        ("summaries_written", ctypes.c_uint64),
        ("snapshots_skipped", ctypes.c_uint64),
        ("summaries_skipped", ctypes.c_uint64),
        ("snapshots_lost", ctypes.c_uint64),
        ("bytes_written", ctypes.c_uint64),
        ("flushes", ctypes.c_uint64),
        ("flushed_step", ctypes.c_int64),
        ("queued_bytes", ctypes.c_uint64),
        ("peak_staging_bytes", ctypes.c_uint64),
        ("blocked_seconds", ctypes.c_double),
        ("writer_busy_seconds", ctypes.c_double),
        ("status", ctypes.c_int),
    ]

    def as_dict(self):
        return {name: getattr(self, name) for name, _ in self._fields_}


class FlatEntry(ctypes.Structure):
    """Mirror of gtap_flat_entry."""

    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_uint64), ("numel", ctypes.c_uint64)]


class GradtapError(RuntimeError):
    """A gradtap call failed; `status` is the negative gtap_status code."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _candidates():
    libdir = os.environ.get("GRADTAP_LIBDIR")
    if libdir:
        yield os.path.join(libdir, _LIBRARY_NAME)
    here = os.path.dirname(os.path.abspath(__file__))
    try:  # an installed package: CMake wrote the path to the libraries
        from . import _installed
        yield os.path.normpath(os.path.join(here, _installed.PACKAGE_TO_LIBDIR, _LIBRARY_NAME))
    except ImportError:  # the source tree: capture/python/gradtap -> build/capture
        yield os.path.normpath(os.path.join(here, "..", "..", "..", "build", "capture", _LIBRARY_NAME))
    found = ctypes.util.find_library("gradtap_capture")
    if found:
        yield found


def _load():
    errors = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as error:
            errors.append("%s: %s" % (path, error))
    raise ImportError("gradtap: cannot load %s (set GRADTAP_LIBDIR to the folder holding it)%s"
                      % (_LIBRARY_NAME, "; " + "; ".join(errors) if errors else ""))


def _declare(lib):
    c = ctypes
    p = c.c_void_p
    signatures = {
        "gtap_capture_options_init": (None, [c.POINTER(CaptureOptions)]),
        "gtap_capture_options_size": (c.c_size_t, []),
        "gtap_capture_open": (c.c_int, [c.c_char_p, c.POINTER(CaptureOptions), c.POINTER(p)]),
        "gtap_capture_path": (c.c_char_p, [p]),
        "gtap_capture_rank": (c.c_int, [p]),
        "gtap_capture_world_size": (c.c_int, [p]),
        "gtap_capture_register": (c.c_int, [p, c.c_char_p, c.c_uint64, c.c_int, c.POINTER(c.c_int)]),
        "gtap_capture_register_flat": (c.c_int, [p, c.c_char_p, c.c_uint64, c.c_int, c.POINTER(FlatEntry),
                                                 c.c_size_t, c.POINTER(c.c_int)]),
        "gtap_capture_wants": (c.c_uint, [p, c.c_int64]),
        "gtap_capture_record": (c.c_int, [p, c.c_int, c.c_int, c.c_int64, p]),
        "gtap_capture_record_device": (c.c_int, [p, c.c_int, c.c_int, c.c_int64, p, p, c.POINTER(c.c_uint64)]),
        "gtap_capture_copies_done": (c.c_uint64, [p]),
        "gtap_capture_flush": (c.c_int, [p]),
        "gtap_capture_get_stats": (c.c_int, [p, c.POINTER(CaptureStats)]),
        "gtap_capture_status": (c.c_int, [p]),
        "gtap_capture_error": (c.c_char_p, [p]),
        "gtap_capture_close": (c.c_int, [p, c.POINTER(CaptureStats)]),
        "gtap_last_error": (c.c_char_p, []),
        "gtap_strerror": (c.c_char_p, [c.c_int]),
        "gtap_kind_name": (c.c_char_p, [c.c_int]),
        "gtap_dtype_name": (c.c_char_p, [c.c_int]),
        "gtap_compression_name": (c.c_char_p, [c.c_int]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    if lib.gtap_capture_options_size() != ctypes.sizeof(CaptureOptions):
        raise ImportError("gradtap: gtap_capture_options has %d bytes in the library, %d here (version mismatch)"
                          % (lib.gtap_capture_options_size(), ctypes.sizeof(CaptureOptions)))
    probe = CaptureOptions()
    lib.gtap_capture_options_init(ctypes.byref(probe))
    if probe.struct_version != _OPTIONS_VERSION:
        raise ImportError("gradtap: the library's capture options are of layout version %d, this package knows %d"
                          % (probe.struct_version, _OPTIONS_VERSION))
    return lib


lib = _declare(_load())


def _codes_from_library(name_of, first):
    """{name: code} for the codes first, first+1, ... that the library names
    (it answers "invalid" past the last one)."""
    codes = {}
    code = first
    while True:
        name = name_of(code).decode()
        if name == "invalid":
            return codes
        codes[name] = code
        code += 1


KINDS = _codes_from_library(lib.gtap_kind_name, 0)
DTYPES = _codes_from_library(lib.gtap_dtype_name, 1)
COMPRESSION = _codes_from_library(lib.gtap_compression_name, 0)
COMPRESSION[None] = COMPRESSION["none"]


def check(status, what):
    """Raise GradtapError for a negative status, with the library's message."""
    if status < 0:
        message = lib.gtap_last_error().decode("utf-8", "replace")
        raise GradtapError(status, "%s: %s (%s)" % (what, message, lib.gtap_strerror(status).decode()))
    return status
