"""gradtap.watch(): record a PyTorch model's gradients into a snapshot file.

    w = gradtap.watch(model, "run.h5", every=100, summary_every=1)
    for batch in data:
        loss = model(batch).sum(); loss.backward()
        w.step()                 # after backward, before zero_grad
        optimizer.step(); optimizer.zero_grad()
    w.close()

On PyTorch >= 2.1 each parameter's gradient is handed to the capture by a
post-accumulate-grad hook as soon as backward has produced it (so device
copies overlap the rest of backward); on older PyTorch (Debian's 1.13) w.step()
hands over every parameter's .grad. Either way w.step() ends the step.
With gradient accumulation pass accumulate=True: gradients are then taken
at w.step() only. The C library copies host data before returning and device
data asynchronously on the current CUDA stream; tensors are kept alive until
their copy completed.
"""
import collections
import ctypes
import os
import warnings

import torch

from . import _native
from ._native import check, lib

_TORCH_DTYPES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}


def _storage_dtype(tensor):
    """The gradtap dtype a tensor is recorded as (other float types as float32)."""
    return _TORCH_DTYPES.get(tensor.dtype, "float32")


def _kind_bits(kinds):
    bits = 0
    for kind in kinds:
        if kind not in _native.KINDS:
            raise ValueError("unknown kind %r (use %s)" % (kind, ", ".join(_native.KINDS)))
        bits |= 1 << _native.KINDS[kind]
    return bits


MODES = ("create", "append", "overwrite")


def _file_mode(mode, truncate):
    if truncate is not None:  # the older spelling of mode="overwrite"
        if truncate and mode not in ("create", "overwrite"):
            raise ValueError("gradtap: truncate=True and mode=%r exclude each other" % (mode,))
        mode = "overwrite" if truncate else mode
    if mode not in MODES:
        raise ValueError("gradtap: mode must be 'create', 'append' or 'overwrite', not %r" % (mode,))
    return mode


class Capture:
    """One open capture (a gtap_capture): register tensors, record them by step.

    mode: "create" (default) refuses an existing file; "append" adds to an
    existing gradtap file (its steps must come after those it holds; a
    missing file is created); "overwrite" replaces it. Missing parent folders
    are created. per_rank_files, flush_mib, flush_seconds and run_id set the
    C options of the same names (flush_bytes in MiB); None keeps their
    defaults. global_summary=True (with summary_every) also summarises, at
    every summary step, all tensors of a kind as one vector, stored as tensor
    "(global)": what `gradtap bounds --global` does with snapshots. Once
    capture has turned itself off after an error (a full
    disk, a removed folder), record() and flush() warn once and return
    False: training goes on; close() reports what was lost."""

    def __init__(self, path, every=0, steps=(), kinds=("grad",), summary_every=0, densities=None,
                 staging_mib=256, compression=None, policy="block", rank=None, world_size=None,
                 mode="create", truncate=None, fsync=False, crash_safe=True, quiet=False, per_rank_files=None,
                 flush_mib=None, flush_seconds=None, run_id=None, global_summary=False):
        mode = _file_mode(mode, truncate)
        options = _native.CaptureOptions()
        lib.gtap_capture_options_init(ctypes.byref(options))
        options.every = int(every)
        self._steps = (ctypes.c_int64 * max(1, len(steps)))(*[int(s) for s in steps])
        options.steps = self._steps
        options.step_count = len(steps)
        options.kinds = _kind_bits(kinds)
        self.kinds = tuple(kinds)
        options.summary_every = int(summary_every)
        if densities is not None:
            self._densities = (ctypes.c_double * max(1, len(densities)))(*[float(d) for d in densities])
            options.densities = self._densities
            options.density_count = len(densities)
        options.staging_bytes = int(staging_mib * (1 << 20))
        if compression not in _native.COMPRESSION:
            raise ValueError("compression must be None, 'gzip' or 'lz4'")
        options.compression = _native.COMPRESSION[compression]
        if policy not in _native.POLICIES:
            raise ValueError("policy must be 'block' or 'skip'")
        options.policy = _native.POLICIES[policy]
        options.rank = -1 if rank is None else int(rank)
        options.world_size = -1 if world_size is None else int(world_size)
        options.truncate = int(mode == "overwrite")
        options.append = int(mode == "append")
        options.fsync = int(bool(fsync))
        options.crash_safe = int(bool(crash_safe))
        options.quiet = int(bool(quiet))
        # the whole model of a summary step as one vector, as `bounds --global` (tensor "(global)")
        options.global_summary = int(bool(global_summary))
        # the rest of gtap_capture_options (docs/CAPTURE.md); None keeps the C default
        if per_rank_files is not None:
            options.per_rank_files = int(bool(per_rank_files))
        if flush_mib is not None:
            options.flush_bytes = int(flush_mib * (1 << 20))
        if flush_seconds is not None:
            options.flush_seconds = float(flush_seconds)
        self._run_id = None if run_id is None else str(run_id).encode()
        options.run_id = self._run_id
        options.producer = ("gradtap-python torch %s" % torch.__version__).encode()
        self._handle = None
        self._final_stats = None
        self._warned = False
        folder = os.path.dirname(os.path.abspath(os.fspath(path)))
        os.makedirs(folder, exist_ok=True)
        handle = ctypes.c_void_p()
        status = lib.gtap_capture_open(os.fsencode(path), ctypes.byref(options), ctypes.byref(handle))
        if status == _native.EEXIST and mode == "create":
            raise FileExistsError("gradtap: %s exists: pass mode='append' to add to it or mode='overwrite' "
                                  "to replace it" % os.fspath(path))
        check(status, "gradtap: open %s" % path)
        self._handle = handle
        self._path = lib.gtap_capture_path(handle).decode()  # kept after close
        self._ids = {}           # name -> (id, numel, dtype)
        self._in_flight = collections.deque()  # (ticket, tensor) of device copies

    @property
    def path(self):
        """The file this capture writes (the per-rank name when that applies)."""
        return self._path

    @property
    def rank(self):
        return lib.gtap_capture_rank(self._handle)

    def register(self, name, tensor, layout=None):
        """Declare `name` with the size and dtype of `tensor`; `layout` (a list of
        (member name, offset, numel)) makes it a flat tensor. Returns its id."""
        dtype = _storage_dtype(tensor)
        numel = tensor.numel()
        known = self._ids.get(name)
        if known is not None and known[1:] == (numel, dtype):
            return known[0]
        tensor_id = ctypes.c_int(-1)
        if layout:
            entries = (_native.FlatEntry * len(layout))()
            for i, (member, offset, count) in enumerate(layout):
                entries[i] = _native.FlatEntry(member.encode(), int(offset), int(count))
            status = lib.gtap_capture_register_flat(self._handle, name.encode(), numel, _native.DTYPES[dtype],
                                                    entries, len(layout), ctypes.byref(tensor_id))
        else:
            status = lib.gtap_capture_register(self._handle, name.encode(), numel, _native.DTYPES[dtype],
                                               ctypes.byref(tensor_id))
        check(status, "gradtap: register %s" % name)
        self._ids[name] = (tensor_id.value, numel, dtype)
        return tensor_id.value

    def wants(self, step):
        return lib.gtap_capture_wants(self._handle, int(step)) != 0

    def record(self, name, tensor, step, kind="grad", layout=None):
        """Hand over `tensor` (any device, layout or float dtype) as `name`/`kind`
        at `step`. Returns False when capture is off (training goes on)."""
        if int(step) < 0:
            raise ValueError("gradtap: step %d is negative (steps count from 0)" % int(step))
        if self._handle is None:
            return False
        if not self.wants(step):
            if lib.gtap_capture_status(self._handle) != 0:  # off after an error
                self._warn_off()
                return False
            return True
        tensor = tensor.detach()
        if tensor.dtype not in _TORCH_DTYPES:
            tensor = tensor.float()
        tensor = tensor.contiguous()
        tensor_id = self.register(name, tensor, layout)
        kind_code = _native.KINDS[kind]
        if tensor.is_cuda:
            stream = torch.cuda.current_stream(tensor.device).cuda_stream
            ticket = ctypes.c_uint64(0)
            status = lib.gtap_capture_record_device(self._handle, tensor_id, kind_code, int(step),
                                                    ctypes.c_void_p(tensor.data_ptr()), ctypes.c_void_p(stream),
                                                    ctypes.byref(ticket))
            if status == 0 and ticket.value:
                self._in_flight.append((ticket.value, tensor))
            self._release_copied()
        else:
            status = lib.gtap_capture_record(self._handle, tensor_id, kind_code, int(step),
                                             ctypes.c_void_p(tensor.data_ptr()))
        if status == _native.EDISABLED:
            self._warn_off()
            return False
        if status < 0 and lib.gtap_capture_status(self._handle) != 0:  # this error turned capture off
            self._warn_off()
            return False
        check(status, "gradtap: record %s step %d" % (name, step))
        return True

    def _warn_off(self):
        """Say once that capture is off, with its reason; training goes on."""
        if not self._warned:
            self._warned = True
            warnings.warn("gradtap: capture of %s is off: %s; training goes on, close() counts what was lost"
                          % (self.path, self.error), RuntimeWarning, stacklevel=3)

    def _release_copied(self):
        if not self._in_flight:
            return
        done = lib.gtap_capture_copies_done(self._handle)
        while self._in_flight and self._in_flight[0][0] <= done:
            self._in_flight.popleft()

    def flush(self):
        """Wait until everything handed over is in the file (and flushed).
        Returns True, or False (with one warning) once capture is off."""
        if self._handle is None:
            return False
        status = lib.gtap_capture_flush(self._handle)
        self._release_copied()
        if status < 0 and lib.gtap_capture_status(self._handle) != 0:
            self._warn_off()
            return False
        check(status, "gradtap: flush")
        return True

    def stats(self):
        """The capture's counts (gtap_capture_stats); after close(), the final ones."""
        if self._handle is None:
            return dict(self._final_stats) if self._final_stats is not None else None
        stats = _native.CaptureStats()
        lib.gtap_capture_get_stats(self._handle, ctypes.byref(stats))
        return stats.as_dict()

    @property
    def error(self):
        """None while capturing, else the message of the error that turned it off."""
        if lib.gtap_capture_status(self._handle) == 0:
            return None
        return lib.gtap_capture_error(self._handle).decode("utf-8", "replace")

    def close(self):
        """Write everything, mark the file complete; returns the final counts."""
        if self._handle is None:
            return None
        stats = _native.CaptureStats()
        status = lib.gtap_capture_close(self._handle, ctypes.byref(stats))
        self._handle = None
        self._in_flight.clear()
        self._final_stats = stats.as_dict()
        if status < 0 and not stats.status:
            check(status, "gradtap: close")
        return dict(self._final_stats)

    def __del__(self):
        try:
            self.close()
        except Exception:  # never raise from a finalizer
            pass


class Watch(Capture):
    """A Capture bound to a model's parameters and a step counter."""

    def __init__(self, model, path, accumulate=False, start_step=0, scaler=None, **options):
        if scaler is not None and not (hasattr(scaler, "get_scale") and hasattr(scaler, "is_enabled")):
            raise TypeError("gradtap.watch: scaler must be a torch.cuda.amp.GradScaler (get_scale, is_enabled)")
        super().__init__(path, **options)
        self.step_index = int(start_step)
        self._scaler = scaler
        # torch.compile(model) wraps it: its parameters are the original's,
        # named without the wrapper's "_orig_mod." prefix
        model = getattr(model, "_orig_mod", model)
        self._parameters = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self._residuals = {}
        self._hooks = []
        self._hooked_step = {}   # name -> the step its hook last recorded
        self._warned_twice = False
        # set by gradtap.ddp_comm_hook: the comm hook records each rank's own
        # gradient, so the .grad (DDP's average) is not recorded as "grad"
        self.grads_from_comm_hook = False
        for name, parameter in self._parameters:
            self.register(name, parameter)  # everything declared before the first record
        self.uses_hooks = hasattr(torch.Tensor, "register_post_accumulate_grad_hook") and not accumulate
        if self.uses_hooks:
            for name, parameter in self._parameters:
                self._hooks.append(parameter.register_post_accumulate_grad_hook(self._make_hook(name)))

    def _make_hook(self, name):
        # Runs inside autograd: it must never raise into the user's backward.
        def hook(parameter):
            if parameter.grad is None or self.grads_from_comm_hook:
                return
            step = self.step_index
            if self._hooked_step.get(name) == step:
                if not self._warned_twice:
                    self._warned_twice = True
                    warnings.warn("gradtap: '%s' got a second gradient at step %d (several backward passes per "
                                  "step?): only the first is recorded; pass accumulate=True to gradtap.watch() "
                                  "to record the accumulated gradient at w.step()" % (name, step), RuntimeWarning)
                return
            self._hooked_step[name] = step
            try:
                self.record(name, self._unscaled(parameter.grad), step)
            except _native.GradtapError as error:
                warnings.warn("gradtap: %s (training goes on)" % error, RuntimeWarning)
        return hook

    def _unscaled(self, gradient):
        """Under AMP the .grad holds loss-scale * gradient until the scaler
        unscales it at its step; the hook runs before, so it records
        gradient / scale (the scaler's current scale, a power of two: the
        division is exact). Steps the scaler then skips (inf/NaN) hold
        non-finite values in the file, as the gradient had them."""
        scaler = self._scaler
        if scaler is None or not scaler.is_enabled():
            return gradient
        return gradient.detach().float() * (1.0 / float(scaler.get_scale()))

    def watch_residuals(self, residuals):
        """Record error-feedback memories too: `residuals` maps a name to the
        tensor holding it (updated in place by the optimizer); each is
        recorded as kind "residual" at every w.step()."""
        for name, tensor in residuals.items():
            self.register(name, tensor)
            self._residuals[name] = tensor

    def step(self):
        """End the current step: record what hooks did not, then advance."""
        step = self.step_index
        if self._handle is not None and self.wants(step):
            if not self.uses_hooks and not self.grads_from_comm_hook:
                for name, parameter in self._parameters:
                    if parameter.grad is not None:
                        self.record(name, self._unscaled(parameter.grad), step)
            for name, tensor in self._residuals.items():
                self.record(name, tensor, step, kind="residual")
        self.step_index = step + 1
        return step

    def close(self):
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        return super().close()


def watch(model, path, every=0, kinds=("grad", "residual"), summary_every=0, **options):
    """Start capturing `model`'s gradients into `path` (see Capture for the
    options: steps, densities, staging_mib, compression, policy, rank,
    world_size, mode, fsync, crash_safe, quiet, per_rank_files, flush_mib,
    flush_seconds, run_id, global_summary, accumulate, start_step, scaler: the
    torch.cuda.amp.GradScaler of an AMP run, so that the unscaled gradient is
    recorded)."""
    return Watch(model, path, every=every, kinds=kinds, summary_every=summary_every, **options)
