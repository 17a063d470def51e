"""gradtap.sparse_comm_hook (capture/python/gradtap/_sparse.py) under
DistributedDataParallel with gloo on 2 and 4 processes: parameters are
bitwise identical on every rank after every step; density 1 without memory
is the dense all-reduce; the captured file satisfies acc_t = grad_t +
residual_{t-1} and residual_t = acc_t - sent_t in float32 exactly; bad
setup raises at registration.

Run by ctest (tests/python/CMakeLists.txt) with GRADTAP_LIBDIR set."""
import os

import h5py
import numpy as np
import pytest
import torch

import gradtap
import ranks

SEED = int(os.environ.get("GTAP_TEST_SEED", "20181107"))
STEPS = 5


def make_model():
    torch.manual_seed(SEED)
    return torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))


def flat_parameters(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def rank_main(rank, world, directory, config):
    import torch.distributed as dist
    dist.init_process_group("gloo", init_method="file://%s" % os.path.join(directory, "store"), rank=rank,
                            world_size=world)
    try:
        model = make_model()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        w = None
        if config.get("capture"):
            w = gradtap.watch(model, os.path.join(directory, "run.h5"), every=1, rank=rank, world_size=world,
                              kinds=("grad", "acc", "residual"))
        if config["method"] == "dense":
            ddp.register_comm_hook(None, gradtap.allreduce_average)
        else:
            state, hook = gradtap.sparse_comm_hook(method=config["method"], density=config["density"],
                                                   memory=config["memory"], capture=w, model=model, seed=3)
            ddp.register_comm_hook(state, hook)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        generator = torch.Generator().manual_seed(SEED + 1 + rank)
        same = []
        for step in range(STEPS):
            x = torch.randn(16, 20, generator=generator)
            if config.get("overflow_at") == step and rank == 1:
                x[0, 0] = float("inf")  # one rank's gradient overflows, as under AMP
            y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
            torch.nn.functional.cross_entropy(ddp(x), y).backward()
            if w is not None:
                w.step()
            if config.get("overflow_at") == step:  # what a GradScaler does: look, then skip the step
                finite = all(torch.isfinite(p.grad).all() for p in model.parameters())
                np.save(os.path.join(directory, "finite%d.npy" % rank), np.array([finite]))
                optimizer.zero_grad()
                continue
            optimizer.step()
            optimizer.zero_grad()
            mine = flat_parameters(model)
            everyone = [torch.empty_like(mine) for _ in range(world)]
            dist.all_gather(everyone, mine)
            same.append(all(torch.equal(mine, other) for other in everyone))
        if w is not None:
            w.close()
        if rank == 0:
            np.save(os.path.join(directory, "params.npy"), flat_parameters(model).numpy())
            np.save(os.path.join(directory, "same.npy"), np.array(same))
    except BaseException:
        dist.destroy_process_group()
        raise
    ranks.finish(dist)


def train(directory, world, **config):
    directory.mkdir(parents=True, exist_ok=True)
    torch.multiprocessing.start_processes(rank_main, args=(world, str(directory), config), nprocs=world,
                                          start_method="fork")
    return np.load(directory / "params.npy"), np.load(directory / "same.npy")


@pytest.mark.parametrize("world", [2, 4])
@pytest.mark.parametrize("method", ["topk", "gaussiank", "randk", "dgck"])
def test_ranks_stay_identical(tmp_path, world, method):
    params, same = train(tmp_path / "run", world, method=method, density=0.05, memory=True)
    assert same.all(), same
    assert np.isfinite(params).all()


def test_an_overflow_reaches_every_rank_and_training_goes_on(tmp_path):
    """NaN/Inf in one rank's gradient (an AMP overflow) must not raise in
    backward: every rank sees a non-finite average (so a GradScaler skips
    the step everywhere) and the ranks stay identical afterwards."""
    params, same = train(tmp_path / "run", 2, method="topk", density=0.05, memory=True, overflow_at=2)
    assert [bool(np.load(tmp_path / "run" / ("finite%d.npy" % r))[0]) for r in range(2)] == [False, False]
    assert same.all() and np.isfinite(params).all()


def test_density_one_without_memory_is_the_dense_all_reduce(tmp_path):
    dense, _ = train(tmp_path / "dense", 2, method="dense")
    sparse, same = train(tmp_path / "sparse", 2, method="topk", density=1.0, memory=False)
    assert same.all()
    # with 2 ranks both sum two halves: the same float32 operations, bit for bit
    assert np.array_equal(dense, sparse)
    dense4, _ = train(tmp_path / "dense4", 4, method="dense")
    sparse4, _ = train(tmp_path / "sparse4", 4, method="topk", density=1.0, memory=False)
    assert np.allclose(dense4, sparse4, rtol=1e-6, atol=1e-7)  # 4 terms: another summation order


def test_file_holds_the_error_feedback_identities(tmp_path):
    train(tmp_path / "run", 2, method="topk", density=0.05, memory=True, capture=True)
    parameters = sum(p.numel() for p in make_model().parameters())
    k = max(1, int(0.05 * parameters))
    for rank in range(2):
        with h5py.File(tmp_path / "run" / ("run.rank%05d.h5" % rank), "r") as f:
            sent_total = np.zeros(STEPS, dtype=np.int64)
            zeros = np.zeros(STEPS, dtype=np.int64)
            for name in f["tensors"]:
                group = f["tensors"][name]
                grad, acc, residual = (group[kind]["data"][:] for kind in ("grad", "acc", "residual"))
                assert list(group["acc"]["steps"][:]) == list(range(STEPS))
                previous = np.zeros_like(residual[0])
                for step in range(STEPS):
                    assert np.array_equal(acc[step], grad[step] + previous)  # float32 addition
                    sent = residual[step] != acc[step]
                    assert np.all(residual[step][sent] == 0)  # r = u - C(u): 0 where sent, u elsewhere
                    sent_total[step] += sent.sum()
                    zeros[step] += (acc[step] == 0).sum()
                    previous = residual[step]
            assert np.all(sent_total <= k) and np.all(sent_total >= k - zeros), (sent_total, k)


def test_bad_setup_raises_at_registration(tmp_path):
    model = make_model()
    with pytest.raises(ValueError, match="unknown method"):
        gradtap.sparse_comm_hook(method="bogus")
    for density in (0.0, -1.0, 1.5):
        with pytest.raises(ValueError, match="density"):
            gradtap.sparse_comm_hook(density=density)
    with pytest.raises(TypeError, match="float32"):
        gradtap.sparse_comm_hook(model=make_model().double())
    with pytest.raises(TypeError, match="sparse"):
        gradtap.sparse_comm_hook(model=torch.nn.Embedding(10, 3, sparse=True))
    w = gradtap.watch(model, tmp_path / "run.h5", every=1, rank=0, world_size=1)  # kinds grad, residual
    with pytest.raises(ValueError, match="acc"):
        gradtap.sparse_comm_hook(capture=w)
    w.close()
