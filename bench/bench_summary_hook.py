#!/usr/bin/python3
"""bench_summary_hook.py - what a summary of every gradient at every step
costs a small CNN trained on the CPU through gradtap's PyTorch hook
(docs/PERFORMANCE.md, "Capture").

A CNN of about 28k parameters (two convolutions, two linear layers: 8
tensors) is trained on fixed random 28x28 batches with SGD, one thread, so
that a step takes about 10 ms. Runs without capture and with
gradtap.watch(model, path, summary_every=1) alternate (A B A B ...), so
that the machine's drift hits both alike. Per run: the median wall time of
a step, and the CPU time per step of the whole process (training thread
plus the capture's writer thread) and of the training thread alone. The
medians over the runs and the ratios capture / no capture are printed. On
a machine with 2 cores the writer thread competes with training for them:
read the wall and the CPU ratios together.

    GRADTAP_LIBDIR=build/capture PYTHONPATH=capture/python \\
        /usr/bin/python3 bench/bench_summary_hook.py [--steps 300] [--repeats 5] [--batch 64] [--dir DIR]
"""
import argparse
import os
import statistics
import tempfile
import time

import torch

import gradtap


def small_cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 5 * 5, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def run(steps, batch, path):
    """One training run; path None: no capture. Returns (median wall s per
    step, process CPU s per step, training-thread CPU s per step)."""
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(batch, 1, 28, 28, generator=generator)
    labels = torch.randint(0, 10, (batch,), generator=generator)
    criterion = torch.nn.CrossEntropyLoss()
    watch = gradtap.watch(model, path, summary_every=1, mode="overwrite") if path else None
    walls = []
    process_start, thread_start = time.process_time(), time.thread_time()
    for _ in range(steps):
        start = time.perf_counter()
        loss = criterion(model(inputs), labels)
        loss.backward()
        if watch is not None:
            watch.step()
        optimizer.step()
        optimizer.zero_grad()
        walls.append(time.perf_counter() - start)
    if watch is not None:
        counts = watch.close()  # the writer's last rows are part of the cost
        assert counts["summaries_written"] == steps * 8, counts
    process = (time.process_time() - process_start) / steps
    thread = (time.thread_time() - thread_start) / steps
    return statistics.median(walls), process, thread


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    parameters = sum(p.numel() for p in small_cnn().parameters())
    directory = args.dir or tempfile.mkdtemp(prefix="bench_summary_hook.")
    path = os.path.join(directory, "bench_summary_hook.h5")
    run(20, args.batch, None)  # warm up torch
    results = {"none": [], "summaries": []}
    for _ in range(args.repeats):
        results["none"].append(run(args.steps, args.batch, None))
        results["summaries"].append(run(args.steps, args.batch, path))
    print("bench_summary_hook: CNN of %d parameters (8 tensors), batch %d, %d steps x %d repeats, torch %s, 1 thread"
          % (parameters, args.batch, args.steps, args.repeats, torch.__version__))
    print("%-22s %14s %18s %18s" % ("configuration", "wall_ms/step", "process_cpu_ms", "train_thread_cpu_ms"))
    medians = {}
    for name, rows in results.items():
        medians[name] = [statistics.median(column) for column in zip(*rows)]
        print("%-22s %14.3f %18.3f %18.3f" % (("no capture" if name == "none" else "summary_every=1"),
                                              *(1e3 * value for value in medians[name])))
    ratios = [s / n for s, n in zip(medians["summaries"], medians["none"])]
    paired_wall = statistics.median(s[0] / n[0] for s, n in zip(results["summaries"], results["none"]))
    print("ratio (capture / none): wall %.3f (paired median %.3f), process CPU %.3f, training thread CPU %.3f"
          % (ratios[0], paired_wall, ratios[1], ratios[2]))
    if os.path.exists(path):
        os.unlink(path)


if __name__ == "__main__":
    main()
