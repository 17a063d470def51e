"""Sparsified data-parallel training with gradtap.sparse_comm_hook on a
small CNN (Fashion-MNIST, 2 gloo processes, density 0.01): top-k with error
feedback ends within 2 points of dense accuracy, while random-k without
memory falls behind (Stich et al. and Shi et al.'s observation). Prints the
accuracies. Run by ctest (tests/python/CMakeLists.txt)."""
import os

import numpy as np
import torch

import fashion
import gradtap
import ranks

SEED = 7
TRAIN, TEST, EPOCHS, BATCH, WORLD = 8000, 2000, 3, 32, 2


def make_cnn():
    torch.manual_seed(SEED)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(256, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def rank_main(rank, directory, method, memory):
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://%s" % os.path.join(directory, "store"), rank=rank,
                            world_size=WORLD)
    try:
        x, y, xt, yt, _ = fashion.load(TRAIN, TEST)
        model = make_cnn()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        if method == "dense":
            ddp.register_comm_hook(None, gradtap.allreduce_average)
        else:
            state, hook = gradtap.sparse_comm_hook(method=method, density=0.01, memory=memory, model=model, seed=1)
            ddp.register_comm_hook(state, hook)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        shard = np.arange(rank, TRAIN, WORLD)
        generator = np.random.default_rng(SEED + rank)
        for _ in range(EPOCHS):
            order = generator.permutation(shard)
            for start in range(0, len(order) - BATCH + 1, BATCH):
                rows = order[start:start + BATCH]
                loss = torch.nn.functional.cross_entropy(ddp(torch.from_numpy(x[rows])), torch.from_numpy(y[rows]))
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
        if rank == 0:
            with torch.no_grad():
                accuracy = (model(torch.from_numpy(xt)).argmax(1).numpy() == yt).mean()
            np.save(os.path.join(directory, "accuracy.npy"), np.array([accuracy]))
    except BaseException:
        dist.destroy_process_group()
        raise
    ranks.finish(dist)


def accuracy(tmp_path, method, memory=True):
    directory = tmp_path / ("%s-%s" % (method, "mem" if memory else "nomem"))
    directory.mkdir()
    torch.multiprocessing.start_processes(rank_main, args=(str(directory), method, memory), nprocs=WORLD,
                                          start_method="fork")
    return float(np.load(directory / "accuracy.npy")[0])


def test_topk_with_memory_keeps_up_random_k_without_does_not(tmp_path):
    dense = accuracy(tmp_path, "dense")
    topk = accuracy(tmp_path, "topk", memory=True)
    randk = accuracy(tmp_path, "randk", memory=False)
    print("test accuracy: dense %.4f, topk+memory %.4f, randk without memory %.4f (%s)"
          % (dense, topk, randk, fashion.load(1, 1)[4]))
    assert dense > 0.6
    assert topk >= dense - 0.02
    assert randk < topk - 0.05
