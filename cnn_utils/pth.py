"""Read a PyTorch state dict (``.pth`` file) as NumPy arrays, without PyTorch.

A state dict maps parameter names (``"_blocks.0._bn1.weight"``) to tensors.
``torch.save`` writes it in one of two formats:

* legacy (PyTorch < 1.6): consecutive pickles in one file (a magic number, the
  protocol version, system info, the state dict, the list of storage keys),
  then each storage's raw bytes, preceded by its 8-byte element count;
* zip (PyTorch >= 1.6): ``<archive>/data.pkl`` holds the state dict, and each
  storage's raw bytes are the member ``<archive>/data/<key>``.

In both, the pickled state dict names a tensor as ``_rebuild_tensor_v2(storage,
offset, size, stride, ...)``, where ``storage`` is a persistent id
``("storage", <storage type>, key, location, element count)``. Unpickling can
run any global a file names, so :class:`StateDictUnpickler` allows only the
few that a state dict needs and refuses every other one; each tensor is then
rebuilt as a NumPy array over its storage's bytes (``numpy.frombuffer``).
"""
import collections
import pickle
import zipfile

import numpy as np

from cnn_utils.pretrained import AssetError
from cnn_utils.validation import check_path

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # first pickle of a legacy file
LEGACY_PROTOCOL = 1001

# The storage types a state dict may name, and the element type of their bytes (little-endian).
STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


class TensorRef(collections.namedtuple("TensorRef", "key dtype offset size stride")):
    """A tensor as the pickle describes it: a view (offset, size, stride in elements) of storage ``key``."""


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    key, dtype = storage
    return TensorRef(key, dtype, storage_offset, tuple(size), tuple(stride))


class StateDictUnpickler(pickle.Unpickler):
    """Unpickles a state dict into ``TensorRef``s; any global other than these raises ``UnpicklingError``:

    ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and the
    storage types of :data:`STORAGE_DTYPES`. ``self.storages`` maps each
    storage key to ``(dtype, element count)``.
    """

    def __init__(self, file):
        super().__init__(file)
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return np.dtype(STORAGE_DTYPES[name])  # a storage type stands for its element type
        raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a state dict")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], np.dtype) and isinstance(pid[4], int)):
            raise pickle.UnpicklingError(f"persistent id {pid!r} is not a tensor storage")
        _, dtype, key, _location, count = pid[:5]
        self.storages[str(key)] = (dtype, count)
        return str(key), dtype


def _tensor(ref, storages):
    """The array that ``ref`` describes, copied out of its storage (a 1-D array)."""
    storage = storages[ref.key]
    itemsize = storage.dtype.itemsize
    if min(ref.stride, default=0) < 0 or ref.offset < 0 or len(ref.stride) != len(ref.size):
        raise ValueError(f"a negative offset or stride, or a stride {ref.stride} for size {ref.size}")
    view = np.ndarray(ref.size, storage.dtype, buffer=storage, offset=ref.offset * itemsize,
                      strides=[s * itemsize for s in ref.stride])  # ValueError if it reads past the end
    return np.array(view, dtype=storage.dtype.newbyteorder("="), order="C")


def _read_legacy(f, name):
    """State dict of ``TensorRef``s and the storages of a legacy file opened as ``f``."""
    load = lambda: StateDictUnpickler(f).load()  # noqa: E731 (each pickle gets a fresh unpickler)
    if load() != LEGACY_MAGIC:
        raise AssetError(f"{name} is not a PyTorch file (no legacy magic number, not a zip)")
    if load() != LEGACY_PROTOCOL:
        raise AssetError(f"{name} has an unknown legacy protocol version")
    if not load().get("little_endian", False):
        raise AssetError(f"{name} was written on a big-endian machine; only little-endian files are read")
    unpickler = StateDictUnpickler(f)
    state = unpickler.load()
    keys = load()
    if sorted(map(str, keys)) != sorted(unpickler.storages):
        raise AssetError(f"{name}: the storage list does not match the storages the tensors use")
    storages = {}
    for key in map(str, keys):
        dtype, count = unpickler.storages[key]
        if int.from_bytes(f.read(8), "little") != count:
            raise AssetError(f"{name}: storage {key} has the wrong element count (edited or truncated)")
        data = f.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise AssetError(f"{name} is truncated (storage {key} is incomplete)")
        storages[key] = np.frombuffer(data, dtype)
    if f.read(1):
        raise AssetError(f"{name} has bytes after its last storage (edited?)")
    return state, storages


def _read_zip(archive, name):
    """State dict of ``TensorRef``s and the storages of a zip-format file."""
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise AssetError(f"{name} is a zip file without exactly one <archive>/data.pkl")
    prefix = pickles[0][:-len("data.pkl")]
    with archive.open(pickles[0]) as f:
        unpickler = StateDictUnpickler(f)
        state = unpickler.load()
    storages = {}
    for key, (dtype, count) in unpickler.storages.items():
        data = archive.read(f"{prefix}data/{key}")
        if len(data) != count * dtype.itemsize:
            raise AssetError(f"{name}: storage {key} holds {len(data)} bytes, not {count} elements")
        storages[key] = np.frombuffer(data, dtype)
    return state, storages


def load_state_dict(path):
    """Read a PyTorch state dict saved with ``torch.save`` (legacy or zip format).

    Returns a dict: parameter name -> NumPy array with the tensor's shape and
    element type (``float32`` for ``FloatStorage``, ``int64`` for ``LongStorage``).
    Raises ``AssetError`` when the file is not a state dict, names a global that
    a state dict does not need, or is truncated or inconsistent.
    """
    path = check_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path must name an existing .pth file, got {str(path)!r}")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                state, storages = _read_zip(archive, path.name)
        else:
            with open(path, "rb") as f:
                state, storages = _read_legacy(f, path.name)
        if not isinstance(state, dict) or not all(isinstance(v, TensorRef) for v in state.values()):
            raise AssetError(f"{path.name} does not hold a state dict (a dict of tensors)")
        return {str(k): _tensor(ref, storages) for k, ref in state.items()}
    except AssetError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, AttributeError, IndexError,
            zipfile.BadZipFile, OverflowError, MemoryError) as err:
        raise AssetError(f"{path.name} is not a readable PyTorch state dict "
                         f"(truncated, edited or another format): {type(err).__name__}: {err}") from err
