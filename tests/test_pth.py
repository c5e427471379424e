"""The PyTorch state-dict reader, on small files written here in both of torch.save's formats.

PyTorch is not installed: ``write_pth`` pickles tensors the way ``torch.save``
does, naming torch's globals through stand-in modules that exist only while
it writes.
"""
import collections
import io
import os
import pickle
import sys
import types
import zipfile

import numpy as np
import pytest

from cnn_utils import pth
from cnn_utils.pretrained import AssetError

STORAGE_NAMES = {np.dtype("float32"): "FloatStorage", np.dtype("int64"): "LongStorage"}


class Storage:
    """Stands for a torch storage while pickling: a key and a 1-D array."""

    def __init__(self, key, array):
        self.key, self.array = key, np.ascontiguousarray(array).ravel()


class Tensor:
    """Stands for a torch tensor while pickling: a view (offset, size, stride) of a storage."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return rebuild, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())


def _stand_in_torch():
    """Modules ``torch`` and ``torch._utils`` with the globals a state-dict pickle names."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in STORAGE_NAMES.values():
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    torch._utils = utils
    return {"torch": torch, "torch._utils": utils}


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            storage_type = getattr(sys.modules["torch"], STORAGE_NAMES[obj.array.dtype])
            return ("storage", storage_type, obj.key, "cpu", obj.array.size)
        return None


def tensors_of(arrays):
    """State dict of ``Tensor``s, one contiguous storage per array."""
    state = collections.OrderedDict()
    for n, (name, array) in enumerate(arrays.items()):
        array = np.asarray(array)
        strides = tuple(s // array.itemsize for s in array.strides)
        state[name] = Tensor(Storage(str(1000 + n), array), 0, array.shape, strides)
    return state


def write_pth(path, state, legacy=True):
    """Write a state dict of ``Tensor``s as ``torch.save`` does (legacy format, or zip)."""
    storages = {t.storage.key: t.storage for t in state.values() if isinstance(t, Tensor)}
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules.update(_stand_in_torch())
    try:
        buffer = io.BytesIO()
        TorchPickler(buffer, protocol=2).dump(state)
    finally:
        for k, module in saved.items():
            if module is None:
                sys.modules.pop(k)
            else:
                sys.modules[k] = module
    with open(path, "wb") as f:
        if legacy:
            for header in (pth.LEGACY_MAGIC, pth.LEGACY_PROTOCOL,
                           {"protocol_version": 1001, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}):
                pickle.dump(header, f, protocol=2)
            f.write(buffer.getvalue())
            pickle.dump(list(storages), f, protocol=2)
            for key, storage in storages.items():
                f.write(storage.array.size.to_bytes(8, "little"))
                f.write(storage.array.astype(storage.array.dtype.newbyteorder("<")).tobytes())
        else:
            with zipfile.ZipFile(f, "w") as archive:
                archive.writestr("model/data.pkl", buffer.getvalue())
                archive.writestr("model/version", "3\n")
                for key, storage in storages.items():
                    archive.writestr(f"model/data/{key}", storage.array.tobytes())
    return path


def _arrays():
    rng = np.random.default_rng(0)
    return {"conv.weight": rng.standard_normal((4, 3, 3, 5)).astype(np.float32),
            "bn.running_var": rng.random(4).astype(np.float32),
            "bn.num_batches_tracked": np.array(7, np.int64)}


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "zip"])
def test_round_trip(tmp_path, legacy):
    arrays = _arrays()
    state = pth.load_state_dict(write_pth(tmp_path / "m.pth", tensors_of(arrays), legacy))
    assert list(state) == list(arrays)
    for name, array in arrays.items():
        assert state[name].dtype == array.dtype and state[name].shape == array.shape
        np.testing.assert_array_equal(state[name], array)


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "zip"])
def test_views_with_offsets_and_strides(tmp_path, legacy):
    # The real EfficientNet file stores conv kernels in (kh, kw, in, out) memory order
    # and describes them as (out, in, kh, kw) views with strides; two tensors may share a storage.
    rng = np.random.default_rng(1)
    memory = rng.standard_normal(2 + 3 * 3 * 2 * 4).astype(np.float32)  # 2 spare values, then the kernel
    storage = Storage("7", memory)
    out_, in_, k = 4, 2, 3
    stride = (1, out_, k * in_ * out_, in_ * out_)  # element [o, i, h, w] at o + 4 i + 24 h + 8 w
    state = collections.OrderedDict(kernel=Tensor(storage, 2, (out_, in_, k, k), stride),
                                    head=Tensor(storage, 0, (2,), (1,)))
    loaded = pth.load_state_dict(write_pth(tmp_path / "v.pth", state, legacy))
    expected = memory[2:].reshape(k, k, in_, out_).transpose(3, 2, 0, 1)
    np.testing.assert_array_equal(loaded["kernel"], expected)
    np.testing.assert_array_equal(loaded["head"], memory[:2])
    assert loaded["kernel"].flags.c_contiguous and loaded["kernel"].flags.writeable


def test_a_view_past_its_storage_is_refused(tmp_path):
    storage = Storage("1", np.zeros(6, np.float32))
    state = collections.OrderedDict(w=Tensor(storage, 2, (2, 3), (3, 1)))  # needs 8 values
    with pytest.raises(AssetError, match="w.pth"):
        pth.load_state_dict(write_pth(tmp_path / "w.pth", state))


class Evil:
    def __reduce__(self):
        return os.system, ("echo pwned > /dev/null",)


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "zip"])
@pytest.mark.parametrize("payload", [Evil(), collections.Counter(a=1), np.float32(1.0)],
                         ids=["os.system", "collections.Counter", "numpy scalar"])
def test_any_other_global_is_refused(tmp_path, legacy, payload):
    state = tensors_of(_arrays())
    state["extra"] = payload
    path = write_pth(tmp_path / "evil.pth", state, legacy)
    with pytest.raises(AssetError, match="is not allowed in a state dict"):
        pth.load_state_dict(path)


def test_unpickler_allows_only_state_dict_globals():
    ok = pickle.dumps(collections.OrderedDict(a=[1, 2.5, "x", (None, True)]), protocol=2)
    assert pth.StateDictUnpickler(io.BytesIO(ok)).load() == {"a": [1, 2.5, "x", (None, True)]}
    for obj in (collections.defaultdict(int), types.SimpleNamespace(), print):
        with pytest.raises(pickle.UnpicklingError, match="not allowed"):
            pth.StateDictUnpickler(io.BytesIO(pickle.dumps(obj, protocol=2))).load()


@pytest.mark.parametrize("cut", [1, 20, 200, 0.5, -9, -1])
@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "zip"])
def test_truncated_file_raises_asset_error(tmp_path, cut, legacy):
    path = write_pth(tmp_path / "t.pth", tensors_of(_arrays()), legacy)
    data = path.read_bytes()
    keep = int(len(data) * cut) if isinstance(cut, float) else cut % len(data)
    path.write_bytes(data[:keep])
    with pytest.raises(AssetError, match="t.pth"):
        pth.load_state_dict(path)


def test_edited_legacy_file_raises_asset_error(tmp_path):
    path = write_pth(tmp_path / "e.pth", tensors_of(_arrays()))
    data = path.read_bytes()
    edits = {
        "a renamed global": data.replace(b"FloatStorage", b"FloatStoragX"),
        "a wrong element count": data.replace((4).to_bytes(8, "little"), (5).to_bytes(8, "little"), 1),
        "bytes appended": data + b"\0\0\0\0",
        "another magic number": b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x18" + data[14:],
        "not a PyTorch file": b"hello world\n" * 10,
    }
    for what, edited in edits.items():
        assert edited != data, what
        path.write_bytes(edited)
        with pytest.raises(AssetError, match="e.pth"):
            pth.load_state_dict(path)


def test_not_a_state_dict_and_missing_file(tmp_path):
    path = tmp_path / "list.pth"
    with open(path, "wb") as f:
        for header in (pth.LEGACY_MAGIC, pth.LEGACY_PROTOCOL, {"little_endian": True}, [1, 2], []):
            pickle.dump(header, f, protocol=2)
    with pytest.raises(AssetError, match="does not hold a state dict"):
        pth.load_state_dict(path)
    with pytest.raises(FileNotFoundError, match="path"):
        pth.load_state_dict(tmp_path / "absent.pth")
    with pytest.raises(TypeError, match="path"):
        pth.load_state_dict(3)
