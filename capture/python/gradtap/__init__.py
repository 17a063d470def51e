"""gradtap: tap a PyTorch training run's gradients into HDF5 snapshot files.

A thin ctypes layer over libgradtap_capture (docs/CAPTURE.md):

    import gradtap
    w = gradtap.watch(model, "run.h5", every=100, summary_every=1)
    ...  loss.backward(); w.step(); optimizer.step(); optimizer.zero_grad()
    w.close()

gradtap.Capture records arbitrary tensors by name; gradtap.ddp_comm_hook
records DistributedDataParallel buckets before and after the all-reduce.
"""
from ._native import GradtapError
from .watch import Capture, Watch, ddp_comm_hook, watch

__all__ = ["Capture", "GradtapError", "Watch", "ddp_comm_hook", "watch"]
