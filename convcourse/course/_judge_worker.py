"""The judge's worker: runs a submission's code and calls its functions on request.

Started by :mod:`convcourse.course.judge` (in the sandbox where there is one)
as ``python -I _judge_worker.py``; it imports nothing of ``convcourse`` but the
call monitor (``grading/_runner.py``, loaded by its path) and never sees an
expected answer: the judge sends inputs, the worker sends back what the
function returned, as plain data only.

Wire format (both directions): frames of a 4-byte big-endian length and a
payload; a message is two frames, a JSON header and the arrays the header names
as ``{"__nd__": key}`` (:func:`pack_arrays`: an index of keys, dtypes and
shapes, then the raw bytes; never pickled, never a zip archive to inflate).  Tuples are ``{"__tuple__": [...]}``, dicts
``{"__dict__": [[key, value], ...]}``, numpy scalars ``{"__scalar__": key}``
(a 0-d array), a convcourse model ``{"__model__": [[layer type, {name:
value}], ...]}``, a callable argument ``{"__callable__": text}`` (the worker
finds it again among the exercise's own cases) and anything else
``{"__opaque__": type name}``.

Before the submission's code runs the worker

- sends its own stdin/stdout aside and points fd 0-2 at ``/dev/null``;
- puts a stub ``convcourse`` package in ``sys.modules`` (submodules import,
  the package's ``__init__`` never runs) and hides the blocked modules:
  an audit hook (``sys.addaudithook``: it cannot be removed) refuses to open
  their files or import them;
- replaces the blocked functions (``numpy.convolve``, ``numpy.correlate`` and
  their C implementations ``correlate``/``correlate2``, which numpy cannot
  load a second time) by stubs that raise, in every module holding them;
- the audit hook's rules live in its closure only (:func:`install_guard`):
  no frame or module the submission can reach holds them;
- the audit hook also refuses, from then on: ``sys.setprofile``/``settrace``
  other than the call monitor's own, ``gc.get_objects``/``get_referrers``/
  ``get_referents``, ``ctypes``, new processes (``subprocess``, ``os.system``,
  ``os.exec*``, ``os.posix_spawn``, ``os.fork``), sockets, and opening a file
  outside the working folder, ``/tmp`` and the Python installation.

Each top-level statement of each cell runs on its own, under an alarm, in a
``try`` (bare expressions never; with ``only``, just the statements the judge
found the graded functions need); before each one the worker reports where it is, so that the judge can
restart it without a statement that killed it (``os._exit``).
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import os
import re
import signal
import struct
import sys
import types

if __name__ == "__main__" and len(sys.argv) > 1:
    # the sandboxed worker runs with -I -S: numpy and its view of convcourse are here only
    sys.path.insert(0, sys.argv[1])

import numpy as np  # noqa: E402

MAX_FRAME = 256 * 2**20
#: what the arrays of one message may take once read (a zip entry inflates: its declared
#: size and its .npy header are checked against this before any byte is inflated)
MAX_ARRAY_BYTES = 128 * 2**20
#: largest JSON header the judge reads from a worker
MAX_HEADER = 32 * 2**20


# ------------------------------------------------------------------ wire format

def write_message(stream, header: dict, arrays: dict | None = None) -> None:
    """Write one message (JSON header + :func:`pack_arrays`) to a binary stream."""
    body = json.dumps(header).encode("utf-8")
    blob = pack_arrays(arrays) if arrays else b""
    stream.write(struct.pack(">I", len(body)) + body + struct.pack(">I", len(blob)) + blob)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        data += chunk
    return data


def read_frame(stream) -> bytes:
    (n,) = struct.unpack(">I", _read_exact(stream, 4))
    if n > MAX_FRAME:
        raise ValueError(f"a frame of {n} bytes is larger than the {MAX_FRAME} allowed")
    return _read_exact(stream, n)


def parse_message(body: bytes, blob: bytes, *, max_array_bytes: int = MAX_ARRAY_BYTES) -> tuple:
    """``(header, arrays)`` from the two frames; arrays never unpickled, never larger
    than ``max_array_bytes`` in all (:func:`read_arrays`)."""
    header = json.loads(body.decode("utf-8"))
    return header, (read_arrays(blob, max_array_bytes) if blob else {})


#: the dtypes an array on the wire may have: booleans, numbers, fixed-size strings
_WIRE_DTYPE = re.compile(r"[<>|][biufcUS][1-9][0-9]{0,2}")
#: at most this many arrays in a message, of at most this many axes; the index's bytes
_MAX_ARRAYS, _MAX_NDIM, _MAX_INDEX = 10_000, 64, 2**20


def pack_arrays(arrays: dict) -> bytes:
    """The arrays of a message: a 4-byte length, a JSON index ``[[key, dtype, shape],
    ...]``, then each array's bytes in C order, one after another.

    What ``np.savez`` wrote before, without the zip archive and the ``.npy`` headers
    around the bytes (both slower to write and to read than the bytes themselves).

    Examples
    --------
    >>> read_arrays(pack_arrays({"a": np.arange(3), "s": np.array(["xy"])}))
    {'a': array([0, 1, 2]), 's': array(['xy'], dtype='<U2')}
    """
    index, parts = [], []
    for key, value in arrays.items():
        arr = np.asarray(value)  # not ascontiguousarray: it makes a 0-d array 1-d
        index.append([str(key), arr.dtype.str, list(arr.shape)])
        parts.append(arr.tobytes(order="C"))
    head = json.dumps(index).encode("utf-8")
    return struct.pack(">I", len(head)) + head + b"".join(parts)


def read_arrays(blob: bytes, limit: int = MAX_ARRAY_BYTES) -> dict:
    """The arrays of :func:`pack_arrays`, checked before any is made.

    The index is untrusted: each dtype must be a plain one (booleans, numbers,
    fixed-size strings: no objects, no structured or other dtypes), each shape a
    short list of non-negative ints; the sizes they declare must add up to no
    more than ``limit`` and to exactly the bytes that follow.  Each array is a
    writable C-ordered copy.

    Raises
    ------
    ValueError
        Anything else (the message is refused).

    Examples
    --------
    >>> read_arrays(pack_arrays({"a": np.zeros(20)}), limit=8)
    Traceback (most recent call last):
    ...
    ValueError: the arrays of a message take 160 bytes, more than the 8 allowed
    """
    import math

    if len(blob) < 4:
        raise ValueError("an array blob without its index")
    (n,) = struct.unpack(">I", blob[:4])
    if n > min(len(blob) - 4, _MAX_INDEX):
        raise ValueError(f"an array index of {n} bytes in a blob of {len(blob)}")
    index = json.loads(blob[4:4 + n].decode("utf-8"))
    if type(index) is not list or len(index) > _MAX_ARRAYS:
        raise ValueError("an array index that is not a list of at most "
                         f"{_MAX_ARRAYS} entries")
    plan, total = [], 0
    for entry in index:
        if (type(entry) is not list or len(entry) != 3 or type(entry[0]) is not str
                or type(entry[1]) is not str or type(entry[2]) is not list):
            raise ValueError(f"a malformed array entry: {str(entry)[:80]!r}")
        key, dtype, shape = entry
        if not _WIRE_DTYPE.fullmatch(dtype):
            raise ValueError(f"an array of dtype {dtype[:40]!r}")
        if len(shape) > _MAX_NDIM or any(type(v) is not int or v < 0 for v in shape):
            raise ValueError(f"an array of shape {str(shape)[:80]}")
        dtype = np.dtype(dtype)
        if dtype.hasobject or dtype.kind not in "biufcUS" or dtype.fields:
            raise ValueError(f"an array of dtype {dtype}")
        nbytes = math.prod(shape) * dtype.itemsize
        total += nbytes
        if total > limit:
            raise ValueError(f"the arrays of a message take {total} bytes, more than the "
                             f"{limit} allowed")
        plan.append((key, dtype, tuple(shape), nbytes))
    if total != len(blob) - 4 - n:
        raise ValueError(f"the arrays' index declares {total} bytes of data; "
                         f"{len(blob) - 4 - n} follow it")
    arrays, offset = {}, 4 + n
    for key, dtype, shape, nbytes in plan:
        arr = np.frombuffer(blob, dtype=dtype, count=nbytes // dtype.itemsize, offset=offset)
        arrays[key] = arr.reshape(shape).copy()
        offset += nbytes
    return arrays


def read_message(stream) -> tuple:
    body = read_frame(stream)
    blob = read_frame(stream)
    return parse_message(body, blob)


_PLAIN_LAYER_VALUES = (int, float, bool, str, type(None))


def encode(value, arrays: dict, *, depth: int = 0):
    """Plain JSON for ``value``; its arrays go into ``arrays``."""
    if depth > 20:
        return {"__opaque__": "deeply nested value"}
    if isinstance(value, (bool, int, float, str)) or value is None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**62:
            return {"__bigint__": str(value)}
        if type(value) in (bool, int, float, str, type(None)):
            return value
        return {"__opaque__": type(value).__name__}
    if isinstance(value, np.ndarray):
        arr = np.asarray(value)
        if arr.dtype.hasobject or arr.dtype.kind not in "biufcUS":
            return {"__opaque__": f"ndarray of dtype {arr.dtype}"}
        key = f"a{len(arrays)}"
        arrays[key] = np.array(arr, copy=True)  # a subclass becomes a plain array
        return {"__nd__": key}
    if isinstance(value, np.generic):
        if value.dtype.hasobject:
            return {"__opaque__": type(value).__name__}
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"__scalar__": key}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, arrays, depth=depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, arrays, depth=depth + 1) for v in value]
    if type(value) is dict:
        return {"__dict__": [[encode(k, arrays, depth=depth + 1), encode(v, arrays, depth=depth + 1)]
                             for k, v in value.items()]}
    model = _encode_model(value, arrays)
    if model is not None:
        return model
    if callable(value) and hasattr(value, "label"):
        return {"__callable__": str(value.label)}
    return {"__opaque__": type(value).__name__}


def _encode_model(value, arrays):
    cls = type(value)
    if cls.__name__ != "Sequential" or not str(cls.__module__).startswith("convcourse.nn"):
        return None
    layers = getattr(value, "layers", None)
    if not isinstance(layers, (list, tuple)):
        return {"__opaque__": "Sequential without a list of layers"}
    out = []
    for layer in layers[:100]:
        lcls = type(layer)
        if not str(lcls.__module__).startswith("convcourse.nn"):
            out.append([f"{lcls.__module__}.{lcls.__name__}", {}])
            continue
        attrs = {}
        for name, v in vars(layer).items():
            if isinstance(v, _PLAIN_LAYER_VALUES) or (
                    type(v) is tuple and all(isinstance(x, _PLAIN_LAYER_VALUES) for x in v)):
                attrs[str(name)] = encode(v, arrays, depth=1)
            elif name == "bias":
                # a bias Parameter is no plain value, but whether there is one counts: the judge
                # rebuilds and sizes the model as the kernel's check does (biases included)
                attrs["bias"] = True
        out.append([lcls.__name__, attrs])
    return {"__model__": out}


class Opaque:
    """What the judge receives for a value it cannot take (an object of any other type).

    It equals nothing but itself and converts to no number.
    """

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self):
        return f"<a {self.kind}>"


def decode(value, arrays: dict, *, resolve_callable=None, resolve_model=None):
    """The inverse of :func:`encode` (models and callables through the resolvers)."""
    rec = lambda v: decode(v, arrays, resolve_callable=resolve_callable,  # noqa: E731
                           resolve_model=resolve_model)
    if isinstance(value, list):
        return [rec(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__nd__" in value:
        return np.asarray(arrays[str(value["__nd__"])])
    if "__scalar__" in value:
        return np.asarray(arrays[str(value["__scalar__"])])[()]
    if "__tuple__" in value:
        return tuple(rec(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {rec(k): rec(v) for k, v in value["__dict__"]}
    if "__bigint__" in value:
        return int(value["__bigint__"])
    if "__model__" in value:
        return resolve_model(value["__model__"]) if resolve_model else Opaque("model")
    if "__callable__" in value:
        return resolve_callable(value["__callable__"]) if resolve_callable else Opaque("function")
    if "__opaque__" in value:
        return Opaque(str(value["__opaque__"]))
    raise ValueError(f"unknown value on the wire: {sorted(value)[:3]}")


# ------------------------------------------------------------------ hardening

class Refused(PermissionError):
    """What the worker's audit hook raises."""


def _module_paths(name: str) -> list:
    """Files and folders of module ``name`` found without importing it."""
    import importlib.machinery
    import importlib.util

    parts = name.split(".")
    top = sys.modules.get(parts[0])
    if top is not None and getattr(top, "__spec__", None) is None \
            and isinstance(getattr(top, "__path__", None), list):
        # the worker's stub package (no spec): its folder is its __path__
        spec = importlib.machinery.ModuleSpec(parts[0], None, is_package=True)
        spec.submodule_search_locations = list(top.__path__)
    else:
        try:
            spec = importlib.util.find_spec(parts[0]) if len(parts) > 1 or top is None \
                else top.__spec__
        except (ImportError, ValueError, AttributeError):
            return []
    if spec is None:
        return []
    bases = list(spec.submodule_search_locations or [])
    if not bases:
        return [os.path.realpath(spec.origin)] if spec.origin and len(parts) == 1 else []
    paths = []
    for base in bases:
        base = os.path.realpath(base)
        if len(parts) == 1:
            paths.append(base)
            continue
        folder = os.path.join(base, *parts[1:-1])
        last = parts[-1]
        paths.append(os.path.join(folder, last))
        paths.append(os.path.join(folder, last + ".py"))
        paths.append(os.path.join(folder, "__pycache__", last + "."))
    return paths


def install_guard(workdir: str, blocked_modules, allowed_read, monitor_codes,
                  refusals: list, readable=()) -> None:
    """Install the audit hook that enforces the worker's rules, from now on.

    The rules are out of a submission's reach, whatever it walks or patches:
    an audit hook cannot be listed or removed and ``gc.get_referrers`` is
    refused, so the hook object is unreachable; a submission can see the
    hook's frame (in the traceback of a refusal), but all that frame holds is
    immutable (strings, tuples, a frozenset of code objects, C functions and
    classes), and the hook looks up no global or builtin name: a patched
    ``builtins.any`` or ``os.path.realpath`` changes nothing (it resolves paths
    itself with ``posix.lstat`` and ``posix.readlink``), nor does a ``str``
    subclass with a lying ``__str__``.  What it refuses is appended to
    ``refusals`` (at most 50 entries).  ``readable``: files that may be read
    even inside a blocked module's folder (the call monitor's own source, which
    tracebacks show).
    """
    import _stat
    import pathlib
    import posix

    blocked_modules = tuple(str(m) for m in blocked_modules)
    sys.addaudithook(_hook_factory()(
        os.path.realpath(workdir), blocked_modules,
        tuple(p for m in blocked_modules for p in _module_paths(m)),
        tuple(os.path.realpath(p) for p in allowed_read), frozenset(monitor_codes),
        tuple(os.path.realpath(p) for p in readable),
        ("gc.get_", "ctypes.", "socket.", "subprocess.", "os.exec", "os.posix_spawn",
         "os.spawn", "os.fork", "os.forkpty", "os.system", "os.kill", "os.killpg", "pty.",
         "sys._current_frames", "sys.remote_exec", "cpython."),
        os.O_WRONLY | os.O_RDWR | os.O_CREAT, sys.getfilesystemencoding(), refusals.append,
        posix.lstat, posix.readlink, posix.getcwd, posix.fspath, _stat.S_ISLNK, sys._getframe,
        type, str, str.__str__, bytes, bytes.decode, int, pathlib.PosixPath, OSError, Refused))


def _hook_factory():
    """The audit hook's maker (its hook reads nothing but its closure)."""

    def make(workdir, blocked_modules, blocked_paths, allowed_read, monitor_codes, readable,
             prefixes,
             write_flags, encoding, record, lstat, readlink, getcwd, fspath, is_link, getframe,
             type_, str_, str_value, bytes_, bytes_decode, int_, posix_path, oserror, refused):
        def hook(event, args):
            what = None
            if event == "import":
                name = str_value(args[0]) if args else ""
                for m in blocked_modules:
                    if name == m or name.startswith(m + "."):
                        what = "import " + name
                        break
            elif event == "open":
                path, mode, flags = args[0], args[1], args[2]
                kind = type_(path)
                if path is None or kind is int_:
                    return
                if kind is posix_path:
                    path = fspath(path)
                    kind = type_(path)
                if kind is bytes_:
                    path = bytes_decode(path, encoding, "surrogateescape")
                elif kind is not str_:
                    raise refused(f"not allowed while grading: open a {kind.__name__} path")
                # resolve symbolic links and '..' (as os.path.realpath, non-strict)
                if not path.startswith("/"):
                    path = getcwd() + "/" + path
                todo = [p for p in path.split("/") if p and p != "."]
                todo.reverse()
                resolved, links = "", 0
                while todo:
                    part = todo.pop()
                    if part == "..":
                        resolved = resolved[:resolved.rfind("/")] if resolved else ""
                        continue
                    candidate = resolved + "/" + part
                    try:
                        link = links < 40 and is_link(lstat(candidate).st_mode)
                    except oserror:
                        link = False
                    if not link:
                        resolved = candidate
                        continue
                    links += 1
                    target = readlink(candidate)
                    if target.startswith("/"):
                        resolved = ""
                    more = [p for p in target.split("/") if p and p != "."]
                    more.reverse()
                    todo.extend(more)
                path = resolved or "/"
                for p in (() if path in readable else blocked_paths):
                    if path == p or path.startswith(p.rstrip("/") + "/") or (
                            p.endswith(".") and path.startswith(p)):
                        what = "open " + path
                        break
                if what is None:
                    writing = type_(mode) is str_ and ("w" in mode or "a" in mode
                                                       or "x" in mode or "+" in mode)
                    if type_(flags) is int_ and flags & write_flags:
                        writing = True
                    inside = (path == workdir or path.startswith(workdir + "/")
                              or path.startswith("/tmp/") or path == "/dev/null"
                              or path == "/dev/urandom")
                    if not (inside or (not writing and (path.startswith(allowed_read)
                                                        or path in readable))):
                        what = "open " + path + (" (write)" if writing else " (read)")
            elif event == "sys.setprofile" or event == "sys.settrace":
                if getframe(1).f_code not in monitor_codes:
                    what = event
            elif event.startswith(prefixes):
                what = event
            if what is None:
                return
            try:
                record(what)
            except BaseException:  # noqa: BLE001 - the list is the submission's to spoil
                pass
            raise refused("not allowed while grading: " + what)

        return hook

    return make


def _stub(name: str):
    def forbidden(*args, **kwargs):
        raise RuntimeError(f"{name} is not available to this exercise")

    forbidden.__name__ = name.rsplit(".", 1)[-1]
    return forbidden


def block_functions(functions) -> None:
    """Replace each ``(module prefix, name)`` function, and for numpy's convolve and
    correlate their C implementations, in every loaded module that holds them."""
    targets = []
    for prefix, name in functions:
        for modname, mod in list(sys.modules.items()):
            if mod is None or not (modname == prefix or modname.startswith(prefix + ".")):
                continue
            obj = getattr(mod, name, None)
            if obj is not None and callable(obj):
                targets.append((obj, f"{prefix}.{name}"))
        if prefix == "numpy" and name in ("convolve", "correlate"):
            for c_name in ("correlate", "correlate2"):
                for modname in ("numpy._core.multiarray", "numpy._core._multiarray_umath",
                                "numpy.core.multiarray", "numpy.core._multiarray_umath"):
                    obj = getattr(sys.modules.get(modname), c_name, None)
                    if obj is not None:
                        targets.append((obj, f"numpy.{name}"))
    for obj, label in targets:
        stub = _stub(label)
        for mod in list(sys.modules.values()):
            d = getattr(mod, "__dict__", None)
            if not isinstance(d, dict):
                continue
            for key, value in list(d.items()):
                if value is obj:
                    try:
                        setattr(mod, key, stub)
                    except (AttributeError, TypeError):
                        pass


# ------------------------------------------------------------------ the program

def strip_magics(source: str) -> str:
    """Drop IPython magics and shell escapes (``%...``, ``!...``, a ``%%`` cell).

    >>> strip_magics("%matplotlib inline\\nx = 1\\n!ls")
    'x = 1'
    """
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))


class _Alarm(BaseException):
    pass


def _load_runner(path: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location("_convcourse_worker_runner", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _exception_info(exc: BaseException, summary: str) -> dict:
    mro = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"]
    return {"type": type(exc).__name__, "mro": mro, "message": str(exc)[:2000],
            "summary": summary[:2000]}


def _install_package_stub(package_dir: str) -> None:
    """A ``convcourse`` package whose ``__init__`` never runs: submodules still import."""
    module = types.ModuleType("convcourse")
    module.__path__ = [package_dir]
    module.__file__ = os.path.join(package_dir, "__init__.py")
    sys.modules["convcourse"] = module


def serve(proto_in, proto_out) -> None:
    """Load the program, then answer calls until the pipe closes."""
    header, _ = read_message(proto_in)
    runner = _load_runner(header["runner"])
    _install_package_stub(header["package_dir"])
    import warnings  # noqa: F401 - loaded before the guard
    statement_limit = float(header.get("statement_seconds", 30))
    skip = {tuple(x) for x in header.get("skip", [])}
    only = header.get("only")
    only = None if only is None else {tuple(x) for x in only}
    refusals: list = []
    sys.dont_write_bytecode = True
    for name in header.get("blocked_modules", []):
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    block_functions([tuple(f) for f in header.get("blocked_functions", [])])

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    install_guard(header["workdir"], header.get("blocked_modules", []),
                  header.get("allowed_read", []), [runner.call_student.__code__], refusals,
                  readable=[header["runner"]])

    def on_alarm(signum, frame):
        raise _Alarm()

    signal.signal(signal.SIGALRM, on_alarm)
    errors = []
    for ci, (filename, source) in enumerate(header.get("cells", [])):
        try:
            tree = ast.parse(strip_magics(source), filename=filename)
        except SyntaxError as exc:
            errors.append(f"{filename}: SyntaxError: {exc.msg}")
            continue
        for si, node in enumerate(tree.body):
            if (ci, si) in skip or isinstance(node, ast.Expr) or (only is not None
                                                                   and (ci, si) not in only):
                continue
            write_message(proto_out, {"op": "at", "at": [ci, si]})
            try:
                code = compile(ast.Module([node], type_ignores=[]), filename, "exec")
                signal.setitimer(signal.ITIMER_REAL, statement_limit, 0.05)
                try:
                    exec(code, namespace)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0, 0)
            except _Alarm:
                errors.append(f"{filename}: a statement ran for more than {statement_limit:g} s")
            except BaseException as exc:  # noqa: BLE001 - SystemExit too
                errors.append(f"{filename}: {type(exc).__name__}: {str(exc)[:200]}")
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    sys.stdout = sys.stderr = io.StringIO()
    write_message(proto_out, {"op": "loaded", "errors": errors[:50],
                              "names": sorted(k for k in namespace if isinstance(k, str))[:5000]})

    while True:
        try:
            request, arrays = read_message(proto_in)
        except EOFError:
            return
        write_message(proto_out, *handle_call(request, arrays, namespace, runner, refusals,
                                              proto_in, proto_out))


def handle_call(request: dict, arrays: dict, namespace: dict, runner, refusals: list,
                proto_in, proto_out) -> tuple:
    """One call of the submission's function; ``(header, arrays)`` of the reply."""
    name = str(request.get("name", ""))
    func = namespace.get(name)
    if not callable(func):
        exc = NameError(f"name {name!r} is not defined")
        return {"op": "result", "error": _exception_info(exc, f"NameError: {exc}")}, {}
    def resolve_callable(ident):
        return _Callback(ident, proto_in, proto_out)

    try:
        args = decode(request["args"], arrays, resolve_callable=resolve_callable)
        kwargs = decode(request["kwargs"], arrays, resolve_callable=resolve_callable)
    except Exception as exc:  # noqa: BLE001
        return {"op": "result", "error": _exception_info(exc, f"grading error: {exc}")}, {}
    forbidden = runner.Forbidden(tuple(request.get("forbidden_modules", ())),
                                 tuple(tuple(f) for f in request.get("forbidden_functions", ())))
    refused_before = len(refusals)
    res = runner.call_student(func, tuple(args), dict(kwargs), forbidden=forbidden,
                              time_limit=float(request.get("time_limit", 3.0)),
                              arg_names=request.get("arg_names") or None)
    sys.stdout = sys.stderr = io.StringIO()
    out_arrays: dict = {}
    reply = {"op": "result", "timed_out": res.timed_out, "forbidden": res.forbidden,
             "profiler_removed": res.profiler_removed, "mutated": list(res.mutated),
             "warnings": list(res.warnings)[:20], "output": res.output[:2000],
             "refused": refusals[refused_before:][:5]}
    if res.error is not None:
        reply["error"] = _exception_info(res.error, res.error_summary)
    elif not res.timed_out:
        try:
            reply["value"] = encode(res.value, out_arrays)
        except Exception as exc:  # noqa: BLE001 - a value that fights being read
            reply["value"] = {"__opaque__": f"unreadable value ({type(exc).__name__})"}
            out_arrays = {}
    return reply, out_arrays


class _Callback:
    """A function argument that lives in the judge: each call asks the judge for its value."""

    def __init__(self, ident, proto_in, proto_out):
        self.ident, self._in, self._out = ident, proto_in, proto_out

    def __call__(self, *args, **kwargs):
        arrays: dict = {}
        header = {"op": "callback", "id": self.ident,
                  "args": encode(tuple(args), arrays), "kwargs": encode(dict(kwargs), arrays)}
        write_message(self._out, header, arrays)
        reply, reply_arrays = read_message(self._in)
        if reply.get("error"):
            raise ValueError(str(reply["error"]))
        return decode(reply.get("value"), reply_arrays)

    def __deepcopy__(self, memo):
        return self


if __name__ == "__main__":
    _in = os.fdopen(os.dup(0), "rb", buffering=0)
    _out = os.fdopen(os.dup(1), "wb")
    _null = os.open(os.devnull, os.O_RDWR)
    for _fd in (0, 1, 2):
        os.dup2(_null, _fd)
    sys.stdin = io.StringIO("")
    sys.stdout = sys.stderr = io.StringIO()
    serve(_in, _out)
