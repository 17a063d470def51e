"""The Python hook (capture/python/gradtap) with CPU PyTorch: recorded snapshots
equal PyTorch's gradients bit for bit (float32, float16, bfloat16,
non-contiguous), residuals, step selection, summaries against numpy, and
h5py reading a file left by a SIGKILLed capture
(with swmr=True before, plainly after `gradtap recover`). The DDP comm hook
has its own file, test_ddp.py.

Run by ctest (tests/capture/CMakeLists.txt) with GRADTAP_LIBDIR, GRADTAP_CLI
and GRADTAP_CRASH_CHILD set."""
import os
import select
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest
import torch

import gradtap

SEED = int(os.environ.get("GTAP_TEST_SEED", "20181107"))


def tensor_group(f, name):
    return f["tensors"][name.replace("%", "%25").replace("/", "%2F")]


def train(model, watch, steps, dtype=torch.float32, residual=None):
    """A few SGD steps; returns the gradients PyTorch produced at each step."""
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    produced = []
    for _ in range(steps):
        x = torch.randn(8, 6, generator=generator).to(dtype)
        loss = model(x).float().pow(2).mean()
        loss.backward()
        if residual is not None:
            residual.mul_(0.5).add_(next(model.parameters()).grad.float())
        produced.append({name: p.grad.detach().clone() for name, p in model.named_parameters()})
        watch.step()
        optimizer.step()
        optimizer.zero_grad()
    return produced


def as_bits(array):
    return np.ascontiguousarray(array).view(np.uint8)


def torch_bits(tensor):
    if tensor.dtype == torch.bfloat16:
        return as_bits(tensor.contiguous().view(torch.int16).numpy())
    return as_bits(tensor.contiguous().numpy())


def stored_bits(f, name, step, kind="grad"):
    group = tensor_group(f, name)[kind]
    row = list(group["steps"][:]).index(step)
    data = group["data"]
    raw = data.id.get_type().get_size()
    # read the stored bits whatever the float type (bfloat16 is a custom HDF5 float)
    buffer = np.empty(data.shape[1], dtype=np.uint16 if raw == 2 else np.uint32)
    data.id.read(h5py.h5s.create_simple((data.shape[1],)),
                 _row_space(data, row), buffer, mtype=data.id.get_type())
    return as_bits(buffer)


def _row_space(data, row):
    space = data.id.get_space()
    space.select_hyperslab((row, 0), (1, data.shape[1]))
    return space


class Elementwise(torch.nn.Module):
    """A model CPU PyTorch 1.13 can train in float16 (it has no half matmul)."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.randn(16, 6))
        self.shift = torch.nn.Parameter(torch.randn(6))

    def forward(self, x):
        return (x.unsqueeze(1) * self.scale + self.shift).sum(1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_snapshots_equal_gradients_bit_for_bit(tmp_path, dtype):
    torch.manual_seed(SEED)
    if dtype == torch.float16:
        model = Elementwise().to(dtype)
    else:
        model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).to(dtype)
    path = tmp_path / "run.h5"
    residual = torch.zeros(16, 6)
    w = gradtap.watch(model, path, every=1, rank=0, world_size=1)
    w.watch_residuals({"memory.0.weight": residual})
    produced = train(model, w, 5, dtype, residual)
    stats = w.close()
    assert stats["snapshots_written"] == 5 * (len(produced[0]) + 1)
    assert stats["status"] == 0
    with h5py.File(path, "r") as f:
        assert f.attrs["complete"] == 1
        for step, gradients in enumerate(produced):
            for name, gradient in gradients.items():
                assert np.array_equal(stored_bits(f, name, step), torch_bits(gradient.reshape(-1))), (name, step)
        memory = tensor_group(f, "memory.0.weight")["residual"]["data"][-1]
        assert np.array_equal(memory, residual.reshape(-1).numpy())


def test_non_contiguous_every_and_step_list(tmp_path):
    path = tmp_path / "sel.h5"
    capture = gradtap.Capture(path, every=4, steps=[1, 6], rank=0, world_size=1)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    recorded = {}
    for step in range(9):
        tensor = (base * (step + 1)).t()  # non-contiguous view
        assert not tensor.is_contiguous()
        capture.record("view", tensor, step)
        recorded[step] = tensor.contiguous().reshape(-1).numpy().copy()
    capture.close()
    with h5py.File(path, "r") as f:
        group = tensor_group(f, "view")["grad"]
        assert list(group["steps"][:]) == [0, 1, 4, 6, 8]
        for row, step in enumerate(group["steps"][:]):
            assert np.array_equal(group["data"][row], recorded[step])


def test_post_accumulate_hook_path(tmp_path):
    """The PyTorch >= 2.1 path (hooks record during backward): the real hooks
    where PyTorch has them, driven by hand on older PyTorch."""
    model = torch.nn.Linear(5, 2)
    w = gradtap.watch(model, tmp_path / "hook.h5", every=1, rank=0, world_size=1)
    real_hooks = w.uses_hooks
    w.uses_hooks = True
    produced = []
    for step in range(3):
        model(torch.full((2, 5), float(step + 1))).sum().backward()
        if not real_hooks:
            for name, parameter in model.named_parameters():
                w._make_hook(name)(parameter)  # what PyTorch calls after accumulation
        produced.append({n: p.grad.clone() for n, p in model.named_parameters()})
        w.step()
        model.zero_grad()
    w.close()
    with h5py.File(tmp_path / "hook.h5", "r") as f:
        for step, gradients in enumerate(produced):
            for name, gradient in gradients.items():
                assert np.array_equal(tensor_group(f, name)["grad"]["data"][step], gradient.reshape(-1).numpy())


def test_hook_never_raises_into_backward(tmp_path):
    """A second gradient in one step (two backward passes without
    accumulate=True) warns once and keeps the first; an error warns too."""
    model = torch.nn.Linear(3, 1)
    # accumulate=True: no hooks registered, so this test drives them alone on any PyTorch
    w = gradtap.watch(model, tmp_path / "twice.h5", every=1, rank=0, world_size=1, accumulate=True)
    w.uses_hooks = True  # and w.step() records nothing itself
    hook = w._make_hook("weight")
    model(torch.ones(1, 3)).sum().backward()
    first = model.weight.grad.clone()
    hook(model.weight)
    model(torch.ones(1, 3)).sum().backward()  # accumulates into .grad
    with pytest.warns(RuntimeWarning, match="second gradient"):
        hook(model.weight)
    w.step()
    model.zero_grad()
    w.close()
    with h5py.File(tmp_path / "twice.h5", "r") as f:
        group = tensor_group(f, "weight")["grad"]
        assert list(group["steps"][:]) == [0]
        assert np.array_equal(group["data"][0], first.reshape(-1).numpy())
    broken = gradtap.watch(model, tmp_path / "broken.h5", every=1, rank=0, world_size=1, accumulate=True)
    model(torch.ones(1, 3)).sum().backward()
    with pytest.warns(RuntimeWarning, match="training goes on"):
        broken._make_hook("bias")(model.weight)  # 3 values where 'bias' was registered with 1: refused
    broken.close()


def test_summaries_match_numpy(tmp_path):
    densities = [0.01, 0.1, 0.5]
    capture = gradtap.Capture(tmp_path / "sum.h5", summary_every=1, densities=densities, rank=0, world_size=1)
    generator = torch.Generator().manual_seed(SEED)
    vectors = [torch.randn(3001, generator=generator) * (1 + s) for s in range(3)]
    vectors[1][::7] = 0.0
    for step, vector in enumerate(vectors):
        capture.record("u", vector, step)
    capture.close()
    with h5py.File(tmp_path / "sum.h5", "r") as f:
        summary = tensor_group(f, "u")["grad"]["summary"]
        assert list(summary["steps"][:]) == [0, 1, 2]
        for row, vector in enumerate(vectors):
            u = vector.numpy().astype(np.float64)
            squares = np.sort(u * u)
            for column, density in enumerate(densities):
                k = max(1, int(density * u.size))
                expected = squares[: u.size - k].sum() / squares.sum()
                assert summary["ratios"][row, column] == pytest.approx(expected, rel=1e-12)
            assert summary["moments"][row, 0] == pytest.approx(u.mean(), rel=1e-9, abs=1e-12)
            assert summary["moments"][row, 1] == pytest.approx(u.var(), rel=1e-9)
            assert summary["counts"][row, 2] == int((u == 0).sum())
            assert summary["hist"][row].sum() == int((u != 0).sum())


def crash_fill(seed, tensor, kind, step):
    """numpy copy of tests/capture/crash_data.h."""
    mask = np.uint64(0xFFFFFFFFFFFFFFFF)

    def mix(x):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & mask
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & mask
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & mask
        return x ^ (x >> np.uint64(31))

    numel = [1000, 65536, 200000][tensor]
    with np.errstate(over="ignore"):
        base = mix(np.array([seed ^ (tensor << 56) ^ (kind << 48) ^ step], dtype=np.uint64))[0]
        bits = (mix(base + np.arange(numel, dtype=np.uint64)) & np.uint64(0xBF7FFFFF)).astype(np.uint32)
    return bits if tensor != 1 else (bits >> np.uint32(16)).astype(np.uint16)


def check_crashed_file(f, seed, flushed):
    for tensor in range(3):
        for kind, kind_name in enumerate(["grad", "residual"]):
            group = f["tensors"]["tensor.%d" % tensor][kind_name]
            steps = list(group["steps"][:])
            assert steps[: flushed + 1] == list(range(flushed + 1))
            data = group["data"]
            for step in range(flushed + 1):
                expected = crash_fill(seed, tensor, kind, step)
                buffer = np.empty_like(expected)
                data.id.read(h5py.h5s.create_simple((data.shape[1],)), _row_space(data, step), buffer,
                             mtype=data.id.get_type())
                assert np.array_equal(buffer, expected), (tensor, kind_name, step)


def test_h5py_reads_killed_capture(tmp_path):
    child = os.environ.get("GRADTAP_CRASH_CHILD")
    cli = os.environ.get("GRADTAP_CLI")
    if not child or not cli:
        pytest.skip("GRADTAP_CRASH_CHILD / GRADTAP_CLI not set (run through ctest)")
    path = tmp_path / "killed.h5"
    seed = SEED
    print("crash seed", seed)
    process = subprocess.Popen([child, str(path), str(seed)], stdout=subprocess.PIPE)
    flushed, deadline = -1, time.time() + 30
    while flushed < 5 and time.time() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline().decode()
            if line.startswith("FLUSHED"):
                flushed = int(line.split()[1])
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert flushed >= 5
    with pytest.raises(OSError):
        h5py.File(path, "r")  # still marked as open for writing
    with h5py.File(path, "r", swmr=True) as f:
        check_crashed_file(f, seed, flushed)
    subprocess.run([cli, "recover", str(path)], check=True)
    with h5py.File(path, "r") as f:
        check_crashed_file(f, seed, flushed)
