"""Sparsified data-parallel training with error feedback as a DDP comm hook
(docs/CAPTURE.md, "Sparse training"): every worker keeps its own memory r
(Shi's form, docs/THEORY.md s.5: u = g + r, r <- u - C(u)), compresses u
with one of gradtap's C sparsifiers, and the workers exchange
variable-count (index, value) messages with torch.distributed (the counts
first, then the pairs padded to the largest count); every worker decodes
all messages in rank order, summing duplicate indices, and divides by the
world size, so all ranks apply the same update bit for bit.

    state, hook = gradtap.sparse_comm_hook(method="topk", density=0.001, memory=True, capture=w)
    ddp.register_comm_hook(state, hook)

With a capture (a Watch of ddp.module) the hook records, per parameter
name and at the capture's schedule, grad (this worker's g_t), acc (u_t)
and residual (r_t after the step), so acc_t = grad_t + residual_{t-1} and
residual_t = acc_t - sent_t hold in the file in float32, exactly."""
import warnings

import torch

from . import _native, _sparse_native
from ._ddp import _Recorder, completed_future
from ._hook import Watch

METHODS = ("topk", "gaussiank", "gaussiank-ref", "dgck", "randk", "threshold", "trimmed")


def _check_parameters(parameters):
    for name, parameter in parameters:
        if parameter.dtype != torch.float32:
            raise TypeError("gradtap.sparse_comm_hook: parameter %r is %s; the sparsifiers take float32 "
                            "parameters (keep the model in float32; AMP autocast is fine)" % (name, parameter.dtype))


def _check_model(model):
    if model is None:
        return
    for module_name, module in model.named_modules():
        if getattr(module, "sparse", False):
            raise TypeError("gradtap.sparse_comm_hook: %r produces sparse gradients (sparse=True); DDP comm hooks "
                            "get dense buckets only" % (module_name or type(module).__name__))
    _check_parameters([(n, p) for n, p in model.named_parameters() if p.requires_grad])


class SparseState:
    """What the hook keeps between steps: the method, one memory per
    parameter (views into a flat tensor per bucket layout, remapped when DDP
    rebuilds its buckets), the sparsifier and the counters."""

    def __init__(self, method, density, memory, capture, seed, threshold, group):
        self.method = method
        self.kind = _sparse_native.kind_code(method)
        self.density = density
        self.memory = memory
        self.capture = capture
        self.seed = seed
        self.threshold = threshold
        self.group = group
        self.sparsifier = None
        self.layouts = {}       # bucket layout key -> flat memory tensor
        self.views = {}         # parameter id -> its memory (a view of the current layout's tensor)
        self.sent_pairs = 0     # pairs this worker sent, over all steps
        self.calls = 0
        self.recorder = _Recorder(capture, False) if capture is not None else None
        self.warned_device = False

    def memory_of(self, bucket, d):
        """The flat memory of this bucket layout (zeros at first; after a
        rebuild, each parameter's memory carried over from the old layout)."""
        parameters = bucket.parameters()
        key = tuple(id(p) for p in parameters)
        flat = self.layouts.get(key)
        if flat is None:
            flat = torch.zeros(d, dtype=torch.float32)
            offset = 0
            for parameter in parameters:
                numel = parameter.numel()
                old = self.views.get(id(parameter))
                if old is not None:
                    flat[offset:offset + numel].copy_(old)
                self.views[id(parameter)] = flat[offset:offset + numel]
                offset += numel
            self.layouts[key] = flat
        return flat

    def compress(self, u, stream):
        d = u.numel()
        if self.sparsifier is None or self.sparsifier.d_max < d:
            self.sparsifier = _sparse_native.Sparsifier(self.kind, max(d, 1), self.seed, self.threshold)
        k = _sparse_native.k_from_density(self.density, d)
        return self.sparsifier(u, k, stream)


def _exchange(state, indices, values, d):
    """All workers' (index, value) messages, counts first; returns the sum of
    the decoded messages (duplicates summed, rank order) over the world size."""
    import torch.distributed as dist

    group = state.group if state.group is not None else dist.group.WORLD
    world = dist.get_world_size(group)
    count = torch.tensor([indices.numel()], dtype=torch.int64)
    counts = [torch.zeros(1, dtype=torch.int64) for _ in range(world)]
    dist.all_gather(counts, count, group=group)
    largest = max(int(c) for c in counts)
    padded_indices = torch.zeros(largest, dtype=torch.int64)
    padded_values = torch.zeros(largest, dtype=torch.float32)
    padded_indices[:indices.numel()] = indices
    padded_values[:values.numel()] = values
    all_indices = [torch.empty(largest, dtype=torch.int64) for _ in range(world)]
    all_values = [torch.empty(largest, dtype=torch.float32) for _ in range(world)]
    dist.all_gather(all_indices, padded_indices, group=group)
    dist.all_gather(all_values, padded_values, group=group)
    total = torch.zeros(d, dtype=torch.float32)
    for c, i, v in zip(counts, all_indices, all_values):
        total.index_add_(0, i[:int(c)], v[:int(c)])
    return total.div_(world)


def _record(state, members, step, grad, acc, residual):
    for name, offset, numel, _ in members:
        state.recorder.record(name, grad[offset:offset + numel], step, "grad")
        state.recorder.record(name, acc[offset:offset + numel], step, "acc")
        if residual is not None:
            state.recorder.record(name, residual[offset:offset + numel], step, "residual")


def _hook(state, bucket):
    import torch.distributed as dist

    buffer = bucket.buffer()
    device = buffer.device
    if device.type != "cpu" and not state.warned_device:
        state.warned_device = True
        warnings.warn("gradtap.sparse_comm_hook: %s tensors are compressed on a host copy (the device kernels "
                      "are not wired to the hook yet)" % device.type, RuntimeWarning)
    grad = buffer.detach().to("cpu", torch.float32).reshape(-1)
    d = grad.numel()
    rank = dist.get_rank(state.group if state.group is not None else dist.group.WORLD)
    step = state.capture.step_index if state.capture is not None else state.calls
    memory = state.memory_of(bucket, d) if state.memory else None
    u = memory.add_(grad) if memory is not None else grad.contiguous()  # u = g + r, in place: no new d floats
    stream = (state.calls * 1024 + bucket.index()) * 65536 + rank  # distinct per call, bucket and rank
    nonfinite = False
    try:
        indices, values = state.compress(u, stream)
    except _native.GradtapError as error:
        if error.status != _native.ENONFINITE:
            raise
        # NaN/Inf (an AMP overflow): send every coordinate, so the averaged
        # gradient carries them and a GradScaler skips the step on every
        # rank; the memory restarts from zero (the counts-first exchange
        # keeps the ranks in step whatever each one sends)
        nonfinite = True
        indices, values = torch.arange(d, dtype=torch.int64), u.clone()
    state.calls += 1
    state.sent_pairs += indices.numel()
    recording = state.recorder is not None and state.capture.wants(step)
    acc = u.clone() if recording and memory is not None else u
    if memory is not None and nonfinite:
        memory.zero_()
    elif memory is not None:
        # r = u - C(u): every method here sends u_i itself, so r is u with the sent coordinates zeroed, exactly
        memory.index_fill_(0, indices, 0.0)
    if recording:
        _record(state, state.recorder.members(bucket), step, grad, acc, memory)
    averaged = _exchange(state, indices, values, d)
    buffer.copy_(averaged.to(device=device, dtype=buffer.dtype).reshape(buffer.shape))
    return completed_future(buffer)


def sparse_comm_hook(method="topk", density=0.001, memory=True, capture=None, seed=0, threshold=0.0, group=None,
                     model=None):
    """(state, hook) for ddp.register_comm_hook(state, hook): gradtap's
    `method` (one of METHODS) at `density` in (0, 1] (k = max(1, floor(rho d))
    per bucket; `threshold` is lambda for method "threshold"), with error
    feedback when `memory`, recording grad/acc/residual into `capture` (a
    Watch of ddp.module, kinds including "acc" and "residual"). `model` (or
    the capture's) is checked now: float32 parameters, no sparse gradients.
    Bad setup raises here, never inside backward."""
    if method not in METHODS:
        raise ValueError("gradtap.sparse_comm_hook: unknown method %r (one of %s)" % (method, ", ".join(METHODS)))
    density = float(density)
    if not 0.0 < density <= 1.0:
        raise ValueError("gradtap.sparse_comm_hook: density %g is not in (0, 1]" % density)
    if capture is not None and not isinstance(capture, Watch):
        raise TypeError("gradtap.sparse_comm_hook: capture must be gradtap.watch(ddp.module, ...)")
    _check_model(model)
    if capture is not None:
        _check_parameters(capture._parameters)
        missing = [k for k in ("grad", "acc") + (("residual",) if memory else ()) if k not in capture.kinds]
        if missing:
            raise ValueError("gradtap.sparse_comm_hook: the capture does not record %s: add them to the kinds of "
                             "gradtap.watch" % ", ".join(missing))
        capture.grads_from_comm_hook = True
        capture._residuals = {}  # the hook records the memory itself
    state = SparseState(method, density, bool(memory), capture, int(seed), float(threshold), group)
    return state, _hook
