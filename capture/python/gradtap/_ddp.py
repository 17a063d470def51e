"""DistributedDataParallel with gradtap (docs/CAPTURE.md, "DDP"): a comm hook
that records, per parameter name, the gradient this rank computed (kind
"grad", before the all-reduce) and, when asked, the averaged gradient the
all-reduce produced (kind "reduced"), then hands the bucket to an inner hook
(the plain averaging all-reduce by default, or the user's own: fp16
compression, PowerSGD, gradtap's sparse hook).

Parameter names come from the parameters in each bucket, never from bucket
indices, so DDP's bucket rebuild after the first iteration changes nothing
in the file, and no bucket tensor is ever recorded: `gradtap bounds --global
--kind grad` on a rank's file sees d = the model's parameter count."""
import warnings

from . import _native
from ._hook import Watch


def completed_future(value):
    """A torch future that already holds `value`."""
    import torch

    future = torch.futures.Future()
    future.set_result(value)
    return future


def allreduce_average(state, bucket):
    """The plain DDP reduction (what DDP does without a hook): divide by the
    world size and all-reduce the bucket; `state` is a process group or
    None (the default group). The all-reduce is waited for here and a
    completed future returned: a Python callback chained with
    `future.then()` runs on gloo's thread, and torch 1.13 deadlocks at
    teardown when that thread drops the last reference to it while the main
    thread, holding the GIL, joins the thread (seen in 1 of 6 runs)."""
    import torch.distributed as dist

    group = state if state is not None else dist.group.WORLD
    buffer = bucket.buffer()
    buffer.div_(dist.get_world_size(group))
    dist.all_reduce(buffer, group=group)
    return completed_future(buffer)


class _Recorder:
    """Records a bucket's per-parameter gradients; never raises into DDP."""

    def __init__(self, watch, reduced):
        self.watch = watch
        self.reduced = reduced
        self.names = {id(p): name for name, p in watch._parameters}
        self.warned = False

    def _warn(self, message):
        if not self.warned:
            self.warned = True
            warnings.warn("gradtap.ddp_comm_hook: %s (training goes on)" % message, RuntimeWarning, stacklevel=3)

    def members(self, bucket):
        """(name, offset, numel, gradient) of the bucket's parameters, in buffer order."""
        offset, members = 0, []
        for parameter, gradient in zip(bucket.parameters(), bucket.gradients()):
            name = self.names.get(id(parameter))
            if name is None:
                self._warn("a parameter of the DDP model is not among the watched model's parameters: "
                           "watch ddp.module, the model DDP wraps")
            else:
                members.append((name, offset, gradient.numel(), gradient))
            offset += gradient.numel()
        return members

    def record(self, name, tensor, step, kind):
        try:
            if not self.watch.record(name, tensor, step, kind=kind):
                return
        except (_native.GradtapError, ValueError) as error:
            self._warn(str(error))


def ddp_comm_hook(watch, inner=None, reduced=False):
    """A DDP communication hook: register with
    `ddp.register_comm_hook(state, gradtap.ddp_comm_hook(w))`, where `w` is
    `gradtap.watch(ddp.module, ...)` and `state` is what `inner` wants (None
    for the default). Each rank's file then holds, per parameter name, this
    rank's own gradient as kind "grad" (the .grad DDP leaves is the average
    and is not recorded), and with reduced=True the averaged gradient as kind
    "reduced" (add "reduced" to watch's kinds). `inner(state, bucket)` does
    the exchange and returns a future of the reduced bucket, as any DDP comm
    hook (default: allreduce_average)."""
    if not isinstance(watch, Watch):
        raise TypeError("gradtap.ddp_comm_hook takes the Watch of the model DDP wraps: "
                        "w = gradtap.watch(ddp.module, path, ...)")
    if reduced and "reduced" not in watch.kinds:
        raise ValueError("gradtap.ddp_comm_hook(reduced=True) records kind 'reduced': add it to the kinds of "
                         "gradtap.watch (kinds=(\"grad\", \"reduced\"))")
    if inner is not None and not callable(inner):
        raise TypeError("gradtap.ddp_comm_hook: inner must be a comm hook, a callable (state, bucket) -> future")
    inner = inner or allreduce_average
    recorder = _Recorder(watch, reduced)
    watch.grads_from_comm_hook = True

    def hook(state, bucket):
        step = watch.step_index
        members = recorder.members(bucket) if watch.wants(step) else []
        for name, _, _, gradient in members:  # copied before the exchange changes the buffer
            recorder.record(name, gradient, step, "grad")
        future = inner(state, bucket)
        if not (recorder.reduced and members):
            return future

        def after(done):
            result = done.value()
            flat = result[0] if isinstance(result, (list, tuple)) else result
            for name, offset, numel, _ in members:
                recorder.record(name, flat[offset:offset + numel], step, "reduced")
            return result

        if future.done():  # the default and gradtap's hooks: no callback on gloo's thread
            return completed_future(after(future))
        return future.then(after)

    return hook
