"""How a test's gloo process ends: wait for the others, destroy the process
group and leave without running destructors. torch 1.13 can deadlock when
DistributedDataParallel's reducer is destroyed after the process group:
~ProcessGroupGloo joins a gloo thread that waits for the GIL (seen in CI,
docs/PERFORMANCE.md)."""
import os
import sys


def finish(dist):
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
