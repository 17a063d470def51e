"""The Python capture's file handling (capture/python/gradtap/_hook.py):
missing folders are created; mode="create" refuses an existing file (the
message names mode=) and leaves it unchanged, "append" adds steps,
"overwrite" replaces; a capture that turns itself off warns once, lets
training go on, and its close statistics count every snapshot that is not
in the file; a negative step is refused.

Run by ctest (tests/python/CMakeLists.txt) with GRADTAP_LIBDIR set."""
import os
import shutil
import warnings

import h5py
import pytest
import torch

import gradtap


def tensor_steps(path, name="weight"):
    with h5py.File(path, "r") as f:
        return list(f["tensors"][name]["grad"]["steps"][:])


def train(w, model, steps):
    for _ in range(steps):
        model(torch.ones(2, 3)).sum().backward()
        w.step()
        model.zero_grad()


def test_missing_folders_are_created(tmp_path):
    model = torch.nn.Linear(3, 1)
    path = tmp_path / "myrun" / "data" / "run.h5"
    w = gradtap.watch(model, path, every=1, rank=0, world_size=1)
    train(w, model, 2)
    w.close()
    assert tensor_steps(path) == [0, 1]


def test_create_append_overwrite(tmp_path):
    model = torch.nn.Linear(3, 1)
    path = tmp_path / "run.h5"
    w = gradtap.watch(model, path, every=1, rank=0, world_size=1)
    train(w, model, 2)
    w.close()
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="mode='append'.*mode='overwrite'"):
        gradtap.watch(model, path, every=1, rank=0, world_size=1)
    assert path.read_bytes() == before
    w = gradtap.watch(model, path, every=1, rank=0, world_size=1, mode="append", start_step=2)
    train(w, model, 2)
    w.close()
    assert tensor_steps(path) == [0, 1, 2, 3]
    w = gradtap.watch(model, path, every=1, rank=0, world_size=1, mode="overwrite", start_step=7)
    train(w, model, 1)
    w.close()
    assert tensor_steps(path) == [7]
    with pytest.raises(ValueError, match="mode must be"):
        gradtap.watch(model, tmp_path / "other.h5", mode="replace")
    with pytest.raises(ValueError, match="exclude each other"):
        gradtap.watch(model, tmp_path / "other.h5", mode="append", truncate=True)


def test_error_warns_once_and_training_goes_on(tmp_path):
    model = torch.nn.Linear(3, 1)
    folder = tmp_path / "doomed"
    capture = gradtap.Capture(folder / "run.h5", every=1, rank=0, world_size=1, quiet=True)
    gradient = torch.ones(5)
    assert capture.record("v", gradient, 0)
    assert capture.flush()
    shutil.rmtree(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [capture.record("v", gradient, step) for step in range(1, 5)]
        flushed = [capture.flush() for _ in range(3)]
        results += [capture.record("v", gradient, step) for step in range(5, 8)]
    off = [w for w in caught if "capture of" in str(w.message)]
    assert len(off) == 1, [str(w.message) for w in caught]
    assert "training goes on" in str(off[0].message)
    assert flushed == [False, False, False]
    assert results[-1] is False
    stats = capture.close()
    assert stats["status"] != 0
    # step 0 reached the file; every later one was handed over and is not there
    assert stats["snapshots_written"] + stats["snapshots_lost"] >= 4
    assert stats["snapshots_lost"] >= 4 - stats["snapshots_written"] + 1
    del model


def test_negative_step_is_refused(tmp_path):
    capture = gradtap.Capture(tmp_path / "run.h5", every=1, rank=0, world_size=1)
    with pytest.raises(ValueError, match="step"):
        capture.record("v", torch.ones(3), -1)
    capture.close()


def test_every_c_option_is_reachable(tmp_path):
    """per_rank_files, flush_mib, flush_seconds and run_id reach the file."""
    capture = gradtap.Capture(tmp_path / "run.h5", every=1, rank=1, world_size=2, per_rank_files=False,
                              flush_mib=1, flush_seconds=0.01, run_id="my-run-7")
    assert capture.path == str(tmp_path / "run.h5")  # no .rank00001 inserted
    assert capture.record("v", torch.ones(4), 0)
    capture.close()
    with h5py.File(tmp_path / "run.h5", "r") as f:
        run_id = f.attrs["run_id"]
        assert (run_id.decode() if isinstance(run_id, bytes) else run_id) == "my-run-7"
        assert int(f.attrs["rank"]) == 1 and int(f.attrs["world_size"]) == 2


class FakeScaler:
    """What gradtap uses of torch.cuda.amp.GradScaler (which is disabled
    without CUDA): the current scale."""

    def __init__(self, scale):
        self.scale = scale

    def get_scale(self):
        return self.scale

    def is_enabled(self):
        return True


def test_amp_scaled_gradients_are_recorded_unscaled(tmp_path):
    model = torch.nn.Linear(3, 2)
    reference = torch.nn.Linear(3, 2)
    reference.load_state_dict(model.state_dict())
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    reference(x).sum().backward()
    scaler = FakeScaler(1024.0)
    w = gradtap.watch(model, tmp_path / "amp.h5", every=1, rank=0, world_size=1, scaler=scaler, accumulate=True)
    (model(x).sum() * scaler.get_scale()).backward()  # what scaler.scale(loss).backward() does
    w.step()
    w.close()
    with h5py.File(tmp_path / "amp.h5", "r") as f:
        recorded = f["tensors"]["weight"]["grad"]["data"][0]
    # the scale is a power of two: scaling and unscaling are exact
    assert (recorded == reference.weight.grad.reshape(-1).numpy()).all()
    with pytest.raises(TypeError, match="GradScaler"):
        gradtap.watch(model, tmp_path / "bad.h5", scaler=object())


def test_accumulate_records_the_accumulated_gradient(tmp_path):
    model = torch.nn.Linear(3, 2)
    w = gradtap.watch(model, tmp_path / "acc.h5", every=1, rank=0, world_size=1, accumulate=True)
    generator = torch.Generator().manual_seed(2)
    expected = []
    for _ in range(2):
        for _ in range(3):  # three micro-batches per optimizer step
            model(torch.randn(4, 3, generator=generator)).sum().backward()
        expected.append(model.weight.grad.reshape(-1).clone().numpy())
        w.step()
        model.zero_grad()
    w.close()
    with h5py.File(tmp_path / "acc.h5", "r") as f:
        data = f["tensors"]["weight"]["grad"]["data"][:]
    assert len(data) == 2 and all((data[i] == expected[i]).all() for i in range(2))


def test_results_is_an_attribute_of_the_package():
    assert gradtap.results.read is not None  # after a plain `import gradtap`


@pytest.mark.skipif(not hasattr(torch, "compile"), reason="torch.compile needs PyTorch 2.x")
def test_a_compiled_model_is_recorded_under_its_own_names(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    compiled = torch.compile(model)
    w = gradtap.watch(compiled, tmp_path / "compiled.h5", every=1, rank=0, world_size=1)
    expected = []
    for _ in range(2):
        compiled(torch.randn(5, 3)).sum().backward()
        expected.append(model[0].weight.grad.reshape(-1).clone().numpy())
        w.step()
        model.zero_grad()
    w.close()
    with h5py.File(tmp_path / "compiled.h5", "r") as f:
        assert sorted(f["tensors"]) == ["0.bias", "0.weight", "2.bias", "2.weight"]
        data = f["tensors"]["0.weight"]["grad"]["data"][:]
    assert all((data[i] == expected[i]).all() for i in range(2))
