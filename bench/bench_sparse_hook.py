#!/usr/bin/env python3
"""bench_sparse_hook.py - what gradtap.sparse_comm_hook costs a user's DDP
step (docs/PERFORMANCE.md, "Sparse comm hook").

1. Compressor: the hook's work on one bucket of d floats besides the exchange
   (u = g + r in place, the C sparsifier through ctypes, r = u - C(u) by
   zeroing the k sent coordinates) against the C library doing the same
   work (gtap_ef_step, Shi form, on the same vector), median of --repeats;
   target <= 1.3x. The bare top-k call (gtap_sparsify) is printed beside.
2. Whole step: a 784-1024-256-10 MLP (1.07M parameters), batch 64, on
   --world gloo processes on this machine: median step time (forward,
   backward, exchange, SGD) with the sparse hook (top-k, rho = --density,
   error feedback) against DDP's own all-reduce (no hook) and
   gradtap.allreduce_average.

    PYTHONPATH=capture/python GRADTAP_LIBDIR=build/capture python3 bench/bench_sparse_hook.py
    (or with a pip-installed gradtap: python3 bench/bench_sparse_hook.py)
"""
import argparse
import ctypes
import os
import platform
import statistics
import tempfile
import time

import torch

import gradtap
from gradtap import _sparse_native


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_compressor(d, density, repeats):
    kind = _sparse_native.kind_code("topk")
    k = _sparse_native.k_from_density(density, d)
    generator = torch.Generator().manual_seed(1)
    grad = torch.randn(d, generator=generator)
    memory = torch.randn(d, generator=generator) * 0.1
    sparsifier = _sparse_native.Sparsifier(kind, d, seed=0)

    def hook_work():  # what _sparse._hook does per bucket besides the exchange
        u = memory.add_(grad)
        indices, values = sparsifier(u, k, 0)
        memory.index_fill_(0, indices, 0.0)

    u = (grad + memory).contiguous()
    sparsifier(u, k, 0)  # buffers sized once
    lib, result = _sparse_native.lib, _sparse_native.SparsifyResult()
    capacity = ctypes.c_uint64(0)
    lib.gtap_sparsifier_capacity(sparsifier._handle, d, k, ctypes.byref(capacity))
    args = (sparsifier._handle, ctypes.c_void_p(u.data_ptr()), d, k, 0, ctypes.c_void_p(sparsifier.indices.data_ptr()),
            ctypes.c_void_p(sparsifier.values.data_ptr()), capacity.value, ctypes.byref(result))

    def bare_call():
        lib.gtap_sparsify(*args)

    ef_step = c_error_feedback_step(lib, d, k)
    hook_work(), bare_call(), ef_step(grad)  # warm
    hook = median_seconds(hook_work, repeats)
    bare = median_seconds(bare_call, repeats)
    library = median_seconds(lambda: ef_step(grad), repeats)
    return k, hook, bare, library


def c_error_feedback_step(lib, d, k):
    """The C library doing the hook's work (gradtap/error_feedback.h, Shi
    form, memory on: u = g + r, top-k, r = u - C(u)) on the same vector."""
    SHI = 1  # GTAP_EF_SHI
    options = _sparse_native.SparsifyOptions()
    lib.gtap_sparsify_options_init(ctypes.byref(options), _sparse_native.kind_code("topk"))
    ef = ctypes.c_void_p()
    lib.gtap_ef_create.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p,
                                   ctypes.c_size_t, ctypes.c_uint64, ctypes.POINTER(ctypes.c_void_p)]
    lib.gtap_ef_step.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_float, ctypes.c_uint64, ctypes.c_void_p,
                                 ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p]
    lib.gtap_ef_capacity.restype = ctypes.c_uint64
    lib.gtap_ef_capacity.argtypes = [ctypes.c_void_p]
    if lib.gtap_ef_create(ctypes.byref(options), SHI, 1, d, None, 0, k, ctypes.byref(ef)) < 0:
        raise RuntimeError("gtap_ef_create failed")
    capacity = lib.gtap_ef_capacity(ef)
    indices = torch.empty(capacity, dtype=torch.int64)
    values = torch.empty(capacity, dtype=torch.float32)

    def step(grad):
        lib.gtap_ef_step(ef, ctypes.c_void_p(grad.data_ptr()), 1.0, 0, ctypes.c_void_p(indices.data_ptr()),
                         ctypes.c_void_p(values.data_ptr()), capacity, None)
    return step


def step_worker(rank, world, store, mode, density, steps, out):
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://" + store, rank=rank, world_size=world)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 10))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    if mode == "allreduce_average":
        ddp.register_comm_hook(None, gradtap.allreduce_average)
    elif mode == "sparse":
        state, hook = gradtap.sparse_comm_hook(method="topk", density=density, memory=True, model=model)
        ddp.register_comm_hook(state, hook)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(rank)
    x = torch.randn(64, 784, generator=generator)
    y = torch.randint(0, 10, (64,), generator=generator)
    times = []
    for step in range(steps + 3):
        started = time.perf_counter()
        torch.nn.functional.cross_entropy(ddp(x), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        if step >= 3:  # after DDP's bucket rebuild
            times.append(time.perf_counter() - started)
    if rank == 0:
        with open(out, "w") as handle:
            handle.write("%.9f\n" % statistics.median(times))
    # leave without destructors: torch 1.13 can deadlock destroying DDP's
    # reducer after the process group (docs/PERFORMANCE.md)
    dist.barrier()
    dist.destroy_process_group()
    os._exit(0)


def bench_step(mode, world, density, steps):
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "median")
        torch.multiprocessing.start_processes(step_worker, args=(world, os.path.join(folder, "store"), mode, density,
                                                                 steps, out), nprocs=world, start_method="fork")
        with open(out) as handle:
            return float(handle.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument("--d", type=int, default=1 << 20, help="compressor vector length (default 2^20)")
    parser.add_argument("--repeats", type=int, default=31)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--world", type=int, default=2)
    args = parser.parse_args()
    print("machine: %s, %d CPUs, torch %s, Python %s" % (platform.machine(), os.cpu_count(), torch.__version__,
                                                         platform.python_version()))
    k, hook, bare, library = bench_compressor(args.d, args.density, args.repeats)
    print("compressor, top-k d=%d k=%d: hook work %.3f ms; C library's error-feedback step on the same vector "
          "%.3f ms: ratio %.2f (target <= 1.3); the bare top-k call alone %.3f ms"
          % (args.d, k, 1e3 * hook, 1e3 * library, hook / library, 1e3 * bare))
    steps = {mode: bench_step(mode, args.world, args.density, args.steps)
             for mode in ("ddp", "allreduce_average", "sparse")}
    for mode, seconds in steps.items():
        print("step, %s, %d gloo processes, 1.07M parameters: median %.2f ms (%.2fx DDP's all-reduce)"
              % (mode, args.world, 1e3 * seconds, seconds / steps["ddp"]))


if __name__ == "__main__":
    main()
