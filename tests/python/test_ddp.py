"""gradtap.ddp_comm_hook (capture/python/gradtap/_ddp.py) under
DistributedDataParallel with gloo: each rank's file holds, per parameter
name, that rank's own gradient (kind grad, equal bit for bit to the
gradient the rank computes without DDP) and the averaged one (kind reduced,
identical on all ranks and equal to DDP's average of the local ones), at
every step across DDP's bucket rebuild; no bucket tensor is recorded;
`gradtap bounds --global --kind grad` sees d = the parameter count; an inner
hook (fp16 compression) runs under it; bad setup raises at registration.

Run by ctest (tests/python/CMakeLists.txt) with GRADTAP_LIBDIR and GRADTAP_CLI set."""
import csv
import io
import os
import subprocess

import h5py
import numpy as np
import pytest
import torch

import gradtap
import ranks

SEED = int(os.environ.get("GTAP_TEST_SEED", "20181107"))
STEPS = 3


def make_model():
    torch.manual_seed(SEED)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def local_gradients(model, x):
    """What this rank's gradient is without DDP: the same model on the same batch."""
    copy = make_model()
    copy.load_state_dict(model.state_dict())
    copy(x).sum().backward()
    return {name: p.grad.detach().reshape(-1).numpy().copy() for name, p in copy.named_parameters()}


def rank_main(rank, world_size, directory, inner_name):
    import torch.distributed as dist
    dist.init_process_group("gloo", init_method="file://%s" % os.path.join(directory, "store"), rank=rank,
                            world_size=world_size)
    try:
        model = make_model()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        w = gradtap.watch(model, os.path.join(directory, "run.h5"), every=1, rank=rank, world_size=world_size,
                          kinds=("grad", "reduced"))
        inner = None
        if inner_name == "fp16":
            from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
            inner = default_hooks.fp16_compress_hook
        ddp.register_comm_hook(None, gradtap.ddp_comm_hook(w, inner=inner, reduced=True))
        generator = torch.Generator().manual_seed(SEED + 1 + rank)
        expected = {}
        for step in range(STEPS):
            x = torch.randn(4, 6, generator=generator)
            for name, values in local_gradients(model, x).items():
                expected["%s@%d" % (name, step)] = values
            ddp(x).sum().backward()
            w.step()
            ddp.zero_grad()
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(torch.ones_like(p), alpha=0.01)  # parameters change: every step differs
        w.close()
        np.savez(os.path.join(directory, "expected%d.npz" % rank), **expected)
    except BaseException:
        dist.destroy_process_group()
        raise
    ranks.finish(dist)


def run_ranks(directory, world_size, inner_name=None):
    torch.multiprocessing.start_processes(rank_main, args=(world_size, str(directory), inner_name),
                                          nprocs=world_size, start_method="fork")
    files = [directory / ("run.rank%05d.h5" % r) for r in range(world_size)] if world_size > 1 else [
        directory / "run.h5"]
    expected = [dict(np.load(directory / ("expected%d.npz" % r))) for r in range(world_size)]
    return files, expected


def rows(f, name, kind):
    group = f["tensors"][name][kind]
    return list(group["steps"][:]), group["data"][:]


PARAMETERS = ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_two_ranks_local_and_reduced(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADTAP_RUN_ID", "ddp-two-ranks")
    files, expected = run_ranks(tmp_path, 2)
    with h5py.File(files[0], "r") as f0, h5py.File(files[1], "r") as f1:
        assert sorted(f0["tensors"]) == sorted(PARAMETERS)  # no bucket tensors
        for name in PARAMETERS:
            steps0, grad0 = rows(f0, name, "grad")
            steps1, grad1 = rows(f1, name, "grad")
            assert steps0 == steps1 == list(range(STEPS))  # every step, across the bucket rebuild
            for step in range(STEPS):
                assert np.array_equal(grad0[step], expected[0]["%s@%d" % (name, step)])
                assert np.array_equal(grad1[step], expected[1]["%s@%d" % (name, step)])
            if name != "2.bias":  # d(sum of outputs)/d(last bias) is the batch size on every rank
                assert not np.array_equal(grad0, grad1)  # the ranks saw different data
            _, reduced0 = rows(f0, name, "reduced")
            _, reduced1 = rows(f1, name, "reduced")
            assert np.array_equal(reduced0, reduced1)
            assert np.array_equal(reduced0, grad0 / np.float32(2) + grad1 / np.float32(2))  # DDP's average
    listing = subprocess.run([os.environ["GRADTAP_CLI"], "info", str(tmp_path / "run.h5")], check=True,
                             capture_output=True, text=True).stdout
    assert "run.rank00001.h5" in listing


def test_global_bounds_see_the_parameter_count(tmp_path):
    files, _ = run_ranks(tmp_path, 2)
    parameters = sum(p.numel() for p in make_model().parameters())
    out = subprocess.run([os.environ["GRADTAP_CLI"], "bounds", "--global", "--kind", "grad", "--format", "csv",
                          str(files[0])], check=True, capture_output=True, text=True).stdout
    table = list(csv.DictReader(io.StringIO(out)))
    assert table and {int(row["d"]) for row in table} == {parameters}
    assert {int(row["step"]) for row in table} == set(range(STEPS))


def test_inner_hook_fp16(tmp_path):
    files, expected = run_ranks(tmp_path, 2, "fp16")
    with h5py.File(files[0], "r") as f0, h5py.File(files[1], "r") as f1:
        for name in PARAMETERS:
            _, grad0 = rows(f0, name, "grad")
            _, grad1 = rows(f1, name, "grad")
            for step in range(STEPS):  # the local gradient is recorded before the compression
                assert np.array_equal(grad0[step], expected[0]["%s@%d" % (name, step)])
            _, reduced0 = rows(f0, name, "reduced")
            mean = (grad0.astype(np.float64) + grad1) / 2
            assert np.allclose(reduced0, mean, rtol=2e-3, atol=2e-3 * np.abs(mean).max())


def test_bad_setup_raises_at_registration(tmp_path):
    model = make_model()
    w = gradtap.watch(model, tmp_path / "run.h5", every=1, rank=0, world_size=1)
    with pytest.raises(TypeError, match="Watch"):
        gradtap.ddp_comm_hook(object())
    with pytest.raises(ValueError, match="reduced"):
        gradtap.ddp_comm_hook(w, reduced=True)
    with pytest.raises(TypeError, match="inner"):
        gradtap.ddp_comm_hook(w, inner=3)
    w.close()
