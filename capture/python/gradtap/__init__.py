"""gradtap: tap a PyTorch training run's gradients into HDF5 snapshot files.

A thin ctypes layer over libgradtap_capture (docs/CAPTURE.md):

    import gradtap
    w = gradtap.watch(model, "run.h5", every=100, summary_every=1)
    ...  loss.backward(); w.step(); optimizer.step(); optimizer.zero_grad()
    w.close()

gradtap.Capture records arbitrary tensors by name; gradtap.ddp_comm_hook
records, under DistributedDataParallel, each rank's own gradient per
parameter (and, when asked, the averaged one), around any inner comm hook.

The names are loaded on first use, so `import gradtap` (and the `gradtap`
command of a pip install) costs neither torch nor the C library until a
name that needs them is used.
"""
import importlib

# public name -> the module that defines it
_HOME = {
    "Capture": "._hook",
    "Watch": "._hook",
    "ddp_comm_hook": "._ddp",
    "allreduce_average": "._ddp",
    "sparse_comm_hook": "._sparse",
    "watch": "._hook",
    "GradtapError": "._native",
}

__all__ = sorted(_HOME)


# submodules reachable as attributes after a plain `import gradtap`
_SUBMODULES = ("results",)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module("." + name, __name__)
    home = _HOME.get(name)
    if home is None:
        raise AttributeError("module 'gradtap' has no attribute %r" % name)
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOME) | set(_SUBMODULES))
