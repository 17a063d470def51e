#!/usr/bin/env python3
"""torch_topk.py - the baseline for bench_cuda: torch.topk(|u|, k) on the
same sizes (d = 2^20 .. 2^28, rho = 0.001 and 0.01), timed with CUDA events,
median of --runs runs, rotating through enough input copies that the L2
cache cannot hold them. Prints the same columns as bench_cuda (GB/s = 4d
bytes / time). Run on the GPU machine: python3 bench/torch_topk.py
"""
import argparse
import statistics

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--max-log2", type=int, default=28)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    l2 = getattr(props, "L2_cache_size", 50 << 20)
    print(f"device: {props.name}, torch {torch.__version__}")
    print(f"{'kernel':<18} {'d':>12} {'rho':>7} {'ms':>10} {'GB/s':>10}")
    gen = torch.Generator(device=dev).manual_seed(1234)
    for lg in range(20, args.max_log2 + 1, 2):
        d = 1 << lg
        nbuf = min(16, max(2, 4 * l2 // (4 * d) + 1))
        bufs = [torch.randn(d, device=dev, generator=gen) for _ in range(nbuf)]
        for rho in (0.001, 0.01):
            k = max(1, int(rho * d))
            times = []
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.topk(bufs[0].abs(), k)
            for it in range(args.runs):
                u = bufs[it % nbuf]
                start.record()
                torch.topk(u.abs(), k, sorted=False)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            ms = statistics.median(times)
            print(f"{'torch.topk(|u|)':<18} {d:>12} {rho:>7.3f} {ms:>10.4f} {4 * d / (ms * 1e6):>10.0f}")
        del bufs


if __name__ == "__main__":
    main()
