"""Run student code, and Jupyter kernels, inside a bubblewrap sandbox.

The sandbox is built from `bubblewrap <https://github.com/containers/bubblewrap>`_
(``bwrap``) and util-linux (``setpriv``, ``prlimit``):

- a fresh root file system that holds only what a kernel needs, read-only:
  ``/usr`` (``/bin``, ``/lib*``, ``/sbin`` as on the host: symlinks or binds), a few
  files of ``/etc``, the Python installation (``sys.base_prefix``), the virtual
  environment (``sys.prefix``) and the package directories named in
  :class:`SandboxConfig` (``convcourse`` itself: public and importable, bound at its
  own path so that an editable install still finds it; nothing else of the
  repository is mounted);
- every writable place is a size-capped tmpfs, private to the sandbox: ``$HOME``
  (``/home/student``, the working folder: the regular files of the private copy of one
  student's notebook folder, bound read-only at ``/run/convcourse-files``, are copied
  into it before the command starts), ``/tmp`` and ``/dev/shm``; a fresh ``/proc`` and
  a minimal ``/dev``;
- with ``python='stdlib'`` (the judge's workers) only the base interpreter and its
  standard library, every ``site-packages``/``dist-packages`` folder masked, and
  the read-only ``views`` the caller names (numpy, the worker's own files): what the
  code may not use is not there at all;
- new PID, network, IPC, UTS and (where possible) cgroup namespaces: no network at
  all, no other process of the machine visible; ``--die-with-parent`` and
  ``--new-session``;
- before the command runs (the prelude, :data:`_PRELUDE`, same process): a new
  anonymous session keyring and the uid's user keyrings cleared, so that no key
  passes from one sandbox to the next (bubblewrap run as root creates no user
  namespace, so the kernel's keyrings are shared by every process of a uid and
  survive it), then the copy of the working folder's files into ``$HOME``;
- an environment cleared down to a short allow-list (never ``CONVCOURSE_SECRET``
  unless a caller passes it on purpose);
- limits (rlimits set by ``prlimit`` just before the command runs): CPU seconds,
  address space, tasks (processes and threads), file size, open files, no core
  files. The caller owns the wall clock: :func:`run_sandboxed` kills the whole
  sandbox on its ``timeout``; a kernel is killed by its kernel manager.

Who runs the code. ``RLIMIT_NPROC`` never binds root, so student code must not run
as root. When the grader is root (CI), ``bwrap`` runs as root without a user
namespace and the command is started by ``setpriv`` as an unprivileged uid/gid
(65534, *nobody*, by default) with every capability dropped and
``no_new_privs`` set: the process limit is then counted for that uid (give
parallel sandboxes distinct uids, see :class:`SandboxConfig`). When the grader is
an ordinary user, ``bwrap`` creates a user namespace (``--unshare-user``,
``--disable-userns``); the command keeps the user's uid and the process limit
counts the tasks of that namespace.

Where bubblewrap cannot run (no ``bwrap``, no user namespaces, not Linux),
:func:`sandbox_available` says so and why; callers then run unsandboxed and must
say so loudly.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

__all__ = [
    "SandboxConfig",
    "SandboxStatus",
    "SandboxResult",
    "SANDBOX_HOME",
    "sandbox_available",
    "sandbox_mode",
    "sandboxed_command",
    "prepare_workdir",
    "run_sandboxed",
    "SandboxedKernelManager",
    "SandboxPolicy",
    "POLICY",
    "compile_packages",
    "MEMORY_BYTES",
]

#: Where the working folder appears inside the sandbox (also ``HOME``).
SANDBOX_HOME = "/home/student"
#: Where the host's working folder is bound read-only (copied into ``SANDBOX_HOME``).
SANDBOX_FILES = "/run/convcourse-files"
#: Where the grader's matplotlib font list is bound read-only (``python='full'``); the
#: prelude copies it into ``$MPLCONFIGDIR``, so that a kernel does not spend about half a
#: second scanning the system's fonts to build it again in its fresh ``/tmp``.
SANDBOX_MATPLOTLIB = "/run/convcourse-matplotlib"

_MODES = ("auto", "root", "userns")
_PYTHONS = ("full", "stdlib")

# keyctl(2) by architecture; other architectures: no sandbox (the probe says why)
_KEYCTL_SYSCALL = {"x86_64": 250, "aarch64": 219, "i686": 288, "i386": 288, "armv7l": 311,
                   "ppc64le": 283, "s390x": 280, "riscv64": 219}

#: Run by the sandbox's user inside the sandbox, in the process that then becomes the
#: command (``os.execv``): argv = [files, home, command...].  1. A new anonymous session
#: keyring (the inherited one is the grader's, shared by every sandbox it starts) and
#: the uid's user keyrings cleared (they outlive the processes of a uid: another run may
#: have used it).  2. The working folder's regular files copied into the tmpfs $HOME
#: (a file larger than the room left is reported and skipped).  3. The grader's matplotlib
#: font list, where it is bound, copied into $MPLCONFIGDIR (owned by the sandbox's user,
#: as matplotlib wants its configuration folder writable).
_PRELUDE = r"""
import ctypes, os, platform, shutil, sys
files, home, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
number = %(keyctl)r.get(platform.machine())
if number is None:
    sys.exit("convcourse sandbox: no keyctl system call known for " + platform.machine())
libc = ctypes.CDLL(None, use_errno=True)
keyctl = lambda *a: libc.syscall(number, *[ctypes.c_long(x) for x in a])
if keyctl(1, 0) >= 0:  # KEYCTL_JOIN_SESSION_KEYRING: a new anonymous one
    for ring in (-4, -5):  # KEYCTL_CLEAR the user and user-session keyrings
        if keyctl(7, ring) < 0:
            sys.exit("convcourse sandbox: could not clear keyring %%d: errno %%d"
                     %% (ring, ctypes.get_errno()))
elif ctypes.get_errno() not in (1, 38):
    sys.exit("convcourse sandbox: could not join a new session keyring: errno %%d"
             %% ctypes.get_errno())
# (EPERM, ENOSYS: a seccomp filter, inherited by the command, denies keyctl to all)
for entry in (os.scandir(files) if os.path.isdir(files) else ()):
    if entry.is_file(follow_symlinks=False):
        try:
            shutil.copyfile(entry.path, os.path.join(home, entry.name))
        except OSError as exc:
            print("convcourse sandbox: %%s was not copied (%%s)" %% (entry.name, exc.strerror),
                  file=sys.stderr)
fonts, mpl_dir = %(matplotlib)r, os.environ.get("MPLCONFIGDIR")
if mpl_dir and os.path.isdir(fonts):
    try:
        os.makedirs(mpl_dir, exist_ok=True)
        for entry in os.scandir(fonts):
            shutil.copyfile(entry.path, os.path.join(mpl_dir, entry.name))
    except OSError:
        pass  # matplotlib then builds its font list itself: slower, not wrong
os.execv(argv[0], argv)
""" % {"keyctl": _KEYCTL_SYSCALL, "matplotlib": SANDBOX_MATPLOTLIB}

#: Address space of each process that runs a submission's code (a kernel, a judge worker,
#: sandboxed or not): a course notebook with numpy and matplotlib needs about 1 GiB, and a
#: machine grading two notebooks at once must not swap.
MEMORY_BYTES = 3 * 2**30

# Variables a caller's environment may hand to sandboxed code (by name, checked
# against this list); everything else is dropped.  The course secret is not here.
_DEFAULT_PASS_ENV = (
    "CONVCOURSE_STUDENT",
    "CONVCOURSE_ASSIGNMENT",
    "CONVCOURSE_NOTEBOOK",
    "CONVCOURSE_LANG",  # the notebook's language: its checks report in it
    "PYTHONHASHSEED",
    "MPLBACKEND",
)

# /etc entries a Python kernel may read (dynamic linker, time zone, alternatives
# symlinks that /usr/bin points into).  No passwd, no shadow, no ssl, no hosts.
_ETC_ENTRIES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/fonts",
)


@dataclass(frozen=True)
class SandboxConfig:
    """Limits and contents of a sandbox.

    Parameters
    ----------
    cpu_seconds : int, optional
        ``RLIMIT_CPU``: CPU seconds of each process (SIGXCPU, then SIGKILL a second
        later).
    memory_bytes : int, optional
        ``RLIMIT_AS``: address space of each process; an allocation beyond it fails
        (``MemoryError`` in Python).
    max_processes : int, optional
        ``RLIMIT_NPROC``: tasks (processes *and threads*) of the sandbox's user; a
        kernel with numpy needs about 15.
    max_file_bytes : int, optional
        ``RLIMIT_FSIZE``: largest file the code may write (SIGXFSZ beyond);
        also caps what it can print when its output goes to a file.
    max_open_files : int, optional
        ``RLIMIT_NOFILE``.
    tmp_bytes : int, optional
        Size of the private ``/tmp`` and ``/dev/shm`` (each a tmpfs, in memory).
    home_bytes : int, optional
        Size of the private ``$HOME`` (a tmpfs holding a copy of the working
        folder's files).
    uid, gid : int, optional
        The unprivileged identity the code runs as when the caller is root.
        ``RLIMIT_NPROC`` counts every task of that uid on the machine: sandboxes
        that run at the same time should use distinct uids (e.g. ``65534 - slot``).
    packages : tuple of str, optional
        Importable packages whose directory is bound read-only at its own path
        (for an editable install, the package directory only, not the repository).
        Ignored with ``python='stdlib'``.
    hidden : tuple of str, optional
        Installed packages the command does not get (``python='full'``): an empty
        read-only folder covers each one's directory, so importing anything from it
        fails.  A name that is not installed is skipped.
    python : str {'full', 'stdlib'}, optional
        'full': the Python installation and the virtual environment, as the
        caller has them; 'stdlib': the base interpreter and its standard library
        only (every ``site-packages`` and ``dist-packages`` folder masked, no
        virtual environment): the code has what ``views`` adds and nothing else.
    views : tuple of (str, str), optional
        ``(host path, path inside)`` pairs bound read-only (a minimal package
        folder built of single files and folders).
    ro_binds : tuple of str, optional
        Further host paths bound read-only at the same path.
    pass_env : tuple of str, optional
        Names of variables copied from the caller's ``env`` into the sandbox.
    env : tuple of (str, str), optional
        Variables set inside the sandbox (after the defaults).
    mode : str {'auto', 'root', 'userns'}, optional
        'root': bwrap as root, the command dropped to ``uid``/``gid`` by
        ``setpriv``; 'userns': bwrap in a user namespace, as the caller;
        'auto': 'root' when the caller is root, else 'userns'.

    Examples
    --------
    >>> SandboxConfig(memory_bytes=2**30).memory_bytes
    1073741824
    >>> SandboxConfig(mode="docker")
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of 'auto', 'root', 'userns'; got 'docker'
    """

    cpu_seconds: int = 300
    memory_bytes: int = MEMORY_BYTES
    max_processes: int = 64
    max_file_bytes: int = 256 * 2**20
    max_open_files: int = 1024
    tmp_bytes: int = 256 * 2**20
    home_bytes: int = 256 * 2**20
    uid: int = 65534
    gid: int = 65534
    packages: tuple = ("convcourse",)
    hidden: tuple = ()
    ro_binds: tuple = ()
    pass_env: tuple = _DEFAULT_PASS_ENV
    env: tuple = ()
    mode: str = "auto"
    python: str = "full"
    views: tuple = ()

    def __post_init__(self):
        for name in ("cpu_seconds", "memory_bytes", "max_processes", "max_file_bytes",
                     "max_open_files", "tmp_bytes", "home_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        for name in ("uid", "gid"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int (not root); got {value!r}")
        if self.mode not in _MODES:
            raise ValueError("mode must be one of 'auto', 'root', 'userns'; "
                             f"got {self.mode!r}")
        if self.python not in _PYTHONS:
            raise ValueError(f"python must be one of 'full', 'stdlib'; got {self.python!r}")
        for name in ("packages", "hidden", "ro_binds", "pass_env", "env", "views"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
                raise TypeError(f"{name} must be a tuple; got {value!r}")
            object.__setattr__(self, name, tuple(value))
        for pair in self.views:
            if (isinstance(pair, (str, bytes)) or len(pair) != 2
                    or not str(pair[1]).startswith("/")):
                raise ValueError("views must hold (host path, absolute path inside) pairs; "
                                 f"got {pair!r}")


@dataclass(frozen=True)
class SandboxPolicy:
    """How a grading run confines submissions: its limits and its uids, in one place.

    A grading run gives each task (one student's notebook) two uids of its own: the
    kernel's, and the judge workers' (``RLIMIT_NPROC`` counts every task of a uid on the
    machine, and a uid's keyrings outlive its processes: no two students share one).

    Parameters
    ----------
    memory_bytes : int
        Address space of each process of a kernel or a judge worker.
    worker_cpu_seconds : int
        CPU seconds of a sandboxed judge worker (the judge's own deadline comes first).
    unsandboxed_cpu_seconds, unsandboxed_file_bytes : int
        The rlimits of a judge worker where no sandbox can be created.
    first_uid, uids_per_run, runs : int
        A run into folder ``out`` gives uids from ``first_uid + k * uids_per_run``
        (k from ``out``, one of ``runs``): two runs into different folders rarely meet.

    Examples
    --------
    >>> kernel, worker = POLICY.task_configs(1_000_000)
    >>> (kernel.uid, worker.uid), worker.memory_bytes == kernel.memory_bytes == MEMORY_BYTES
    ((1000000, 1000001), True)
    >>> "CONVCOURSE_SEEDS" in kernel.pass_env, worker.pass_env
    (True, ())
    """

    memory_bytes: int = MEMORY_BYTES
    worker_cpu_seconds: int = 120
    unsandboxed_cpu_seconds: int = 600
    unsandboxed_file_bytes: int = 256 * 2**20
    first_uid: int = 1_000_000
    uids_per_run: int = 20_000
    runs: int = 100_000

    def uid_range(self, out) -> range:
        """The uids a run into ``out`` gives its sandboxes, two per task (the kernel, then
        the judge's workers).  Past ``uids_per_run / 2`` tasks the uids are given again; the
        sandbox's prelude clears a uid's keyrings before any code of a student runs."""
        import zlib

        start = self.first_uid + (zlib.crc32(str(out).encode()) % self.runs) * self.uids_per_run
        return range(start, start + self.uids_per_run)

    def task_uid(self, out, index: int) -> int:
        """The kernel's uid of the run's task number ``index`` (its workers': the next one)."""
        uids = self.uid_range(out)
        return uids[2 * index % len(uids)]

    def kernel(self, uid: int) -> SandboxConfig:
        """A grading kernel's sandbox: it gets its per-exercise seeds, never the secret,
        and no debugger (:data:`KERNEL_HIDDEN`)."""
        return SandboxConfig(uid=uid, gid=uid, memory_bytes=self.memory_bytes,
                             pass_env=_DEFAULT_PASS_ENV + ("CONVCOURSE_SEEDS",),
                             hidden=KERNEL_HIDDEN)

    def worker(self, uid: int = 65534) -> SandboxConfig:
        """A judge worker's sandbox (the judge narrows it further: the standard library and
        its view only, one task): no variable of the grader passes."""
        return SandboxConfig(uid=uid, gid=uid, memory_bytes=self.memory_bytes,
                             cpu_seconds=self.worker_cpu_seconds, pass_env=())

    def task_configs(self, uid: int) -> tuple:
        """``(kernel config, judge worker config)`` of a task whose kernel's uid is ``uid``."""
        return self.kernel(uid), self.worker(uid + 1)

    def unsandboxed_limits(self) -> tuple:
        """``((resource name, value), ...)``: the rlimits of a judge worker where no sandbox
        can be created; ``RLIMIT_NPROC`` 1: no second task for the grader's uid."""
        return (("RLIMIT_AS", self.memory_bytes), ("RLIMIT_CPU", self.unsandboxed_cpu_seconds),
                ("RLIMIT_FSIZE", self.unsandboxed_file_bytes), ("RLIMIT_CORE", 0),
                ("RLIMIT_NPROC", 1))


#: What a grading kernel does not get: ipykernel imports debugpy when it starts (0.1 to
#: 0.17 s of every kernel) only to offer a debugger that no graded run uses; without it,
#: ipykernel says the debugger is unavailable and goes on.
KERNEL_HIDDEN = ("debugpy",)

#: the policy of every grading run
POLICY = SandboxPolicy()


@dataclass(frozen=True)
class SandboxStatus:
    """Whether a sandbox can be created here, and why not.

    True in a boolean context when it can; ``reason`` says what was found.
    """

    available: bool
    reason: str
    mode: str = ""

    def __bool__(self):
        return self.available


@dataclass
class SandboxResult:
    """What :func:`run_sandboxed` returns.

    ``returncode`` is negative (``-signal``) when the command was killed by a signal;
    ``timed_out`` is True when the wall clock ran out and the sandbox was killed.
    ``stdout`` and ``stderr`` hold at most ``max_output`` characters each.
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    seconds: float = 0.0
    argv: list = field(default_factory=list, repr=False)


def sandbox_mode(config=None):
    """The mode a config resolves to here: 'root' or 'userns'.

    Parameters
    ----------
    config : SandboxConfig, optional

    Returns
    -------
    mode : str {'root', 'userns'}

    Examples
    --------
    >>> sandbox_mode(SandboxConfig(mode="userns"))
    'userns'
    """
    config = SandboxConfig() if config is None else config
    if config.mode == "auto":
        return "root" if os.geteuid() == 0 else "userns"
    elif config.mode in ("root", "userns"):
        return config.mode
    else:
        raise ValueError(f"mode must be one of {_MODES}; got {config.mode!r}")


def _tool(name):
    return shutil.which(name) or shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin") or name


@functools.lru_cache(maxsize=None)
def _bwrap_supports(option):
    try:
        out = subprocess.run([_tool("bwrap"), "--help"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in out.stdout + out.stderr


def _package_dirs(names):
    import importlib.util

    dirs = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise ValueError(f"packages: cannot find package {name!r}")
        if spec.submodule_search_locations:
            dirs.extend(str(Path(p).resolve()) for p in spec.submodule_search_locations)
        elif spec.origin:
            dirs.append(str(Path(spec.origin).resolve()))
        else:
            raise ValueError(f"packages: {name!r} has no location on disk")
    return dirs


def _installed_dirs(names) -> list:
    """The directories of the installed packages ``names`` (:func:`_package_dirs`; those
    not installed, and single-file modules, are skipped), found without importing them."""
    found = []
    for name in names:
        try:
            dirs = _package_dirs([name])
        except (ImportError, ValueError):  # not installed (or a parent package is not)
            continue
        found += [d for d in dirs if os.path.isdir(d) and d not in found]
    return found


def compile_packages(names=("convcourse",)) -> list:
    """Write the bytecode of the packages ``names`` where the caller may write.

    A sandbox binds a package read-only and sets ``PYTHONDONTWRITEBYTECODE``, so a
    kernel that finds no ``__pycache__`` beside a module compiles it again, every time
    (about 0.2 s of every grading kernel for ``convcourse`` from an editable install,
    whose bytecode is never written when the grader's own environment sets
    ``PYTHONDONTWRITEBYTECODE``); a judge worker's view binds each module's bytecode
    beside it (:func:`convcourse.course.judge.worker_view`).  Up-to-date files are
    skipped; a package installed by pip has its bytecode already.

    Returns
    -------
    list of str
        The package folders that were compiled (writable ones).
    """
    import compileall

    done = []
    for path in _installed_dirs(names):
        if os.access(path, os.W_OK):
            compileall.compile_dir(path, quiet=2)
            done.append(path)
    return done


class _Mounts:
    """bwrap arguments, creating each parent directory readable (0755) on the way."""

    def __init__(self):
        self.args = []
        self.dirs = {"/"}

    def parents(self, dest):
        missing = []
        for parent in Path(dest).parents:
            if str(parent) in self.dirs:
                break
            missing.append(str(parent))
        for parent in reversed(missing):
            self.args += ["--perms", "0755", "--dir", parent]
            self.dirs.add(parent)

    def add(self, option, src, dest):
        self.parents(dest)
        self.args += [option, src, dest]
        self.dirs.add(dest)

    def system(self, path):
        """A top-level system path as on the host: a symlink or a read-only bind."""
        if os.path.islink(path):
            self.args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            self.add("--ro-bind", path, path)


def sandboxed_command(argv, workdir, config=None, *, env=None, rw_binds=()):
    """The argv that runs ``argv`` inside a sandbox around ``workdir``.

    Parameters
    ----------
    argv : sequence of str, length >= 1
        The command as it would run outside (absolute paths: the sandbox's ``PATH``
        holds only the environment's ``bin`` and ``/usr/bin``, ``/bin``).
    workdir : str or Path
        The private working folder: bound read-only at ``SANDBOX_FILES``; its
        regular files are copied into ``SANDBOX_HOME`` (a tmpfs of
        ``config.home_bytes``, the command's current directory).  Nothing the
        command writes reaches the host.
    config : SandboxConfig, optional
    env : mapping, optional
        The caller's environment; only the names in ``config.pass_env`` are kept.
    rw_binds : sequence of str, optional
        Host folders bound read-write at the same path (a kernel's IPC folder).

    Returns
    -------
    argv : list of str
        Starts with ``env -i bwrap`` (an empty environment even for bwrap's own
        pid 1, whose ``/proc/1/environ`` the sandbox could otherwise read).

    Notes
    -----
    Mode 'root': ``bwrap`` (root, capabilities dropped but CAP_SETUID, CAP_SETGID,
    CAP_SETPCAP) then ``setpriv --reuid uid --regid gid --clear-groups
    --no-new-privs --inh-caps=-all --bounding-set=-all`` then ``prlimit``.
    Mode 'userns': ``bwrap --unshare-user --disable-userns`` then ``prlimit``.
    Then, in both, the prelude (:data:`_PRELUDE`: keyrings, ``$HOME``), which
    becomes the command.

    Examples
    --------
    >>> cmd = sandboxed_command(["/usr/bin/true"], "/tmp", SandboxConfig(mode="root"))
    >>> "--unshare-net" in cmd and "--die-with-parent" in cmd
    True
    >>> cmd[cmd.index(SANDBOX_FILES) - 1:cmd.index(SANDBOX_FILES) + 1]
    ['/tmp', '/run/convcourse-files']
    >>> cmd[-3:]
    ['/run/convcourse-files', '/home/student', '/usr/bin/true']
    """
    config = SandboxConfig() if config is None else config
    argv, workdir = _checked_command(argv, workdir)
    mode = sandbox_mode(config)
    m = _Mounts()
    _system_mounts(m, config)
    _python_mounts(m, config)
    _work_mounts(m, workdir, config, rw_binds)
    cmd = [_tool("env"), "-i", _tool("bwrap"), *_namespaces(mode)]
    cmd += m.args + ["--remount-ro", "/", "--chdir", SANDBOX_HOME]
    for name, value in _environment(config, env).items():
        cmd += ["--setenv", name, value]
    cmd += ["--", *_identity_and_limits(config, mode)]
    prelude = [os.path.realpath(sys.executable), "-I", "-S", "-c", _PRELUDE, SANDBOX_FILES,
               SANDBOX_HOME]
    return cmd + prelude + argv


def _checked_command(argv, workdir) -> tuple:
    """``(argv as strings, workdir resolved)``, or a ValueError naming the bad one."""
    if isinstance(argv, (str, bytes)) or len(argv) == 0:
        raise ValueError(f"argv must be a non-empty list of strings; got {argv!r}")
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise ValueError(f"workdir must be an existing folder; got {str(workdir)!r}")
    return [os.fspath(a) for a in argv], workdir


def _namespaces(mode) -> list:
    """bwrap's options for the namespaces, the session and, per mode, who it runs as."""
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox",
            "--die-with-parent", "--new-session"]
    if mode == "root":
        # setpriv needs these three to drop to the sandbox's uid; every other one goes
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                 "--cap-add", "CAP_SETPCAP"]
    elif mode == "userns":
        args += ["--unshare-user"]
        if _bwrap_supports("--disable-userns"):
            args += ["--disable-userns"]
    else:
        raise ValueError(f"mode must be 'root' or 'userns'; got {mode!r}")
    return args


def _system_mounts(m, config) -> None:
    """The system a program needs, read-only (``/usr``, the few ``/etc`` files), a fresh
    ``/proc`` and ``/dev``, and the size-capped private ``/tmp`` and ``/dev/shm``."""
    m.add("--ro-bind", "/usr", "/usr")
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        m.system(top)
    m.parents("/etc/x")
    for entry in _ETC_ENTRIES:
        if os.path.lexists(entry):
            m.args += ["--ro-bind-try", entry, entry]
    m.args += ["--proc", "/proc", "--dev", "/dev"]
    m.dirs |= {"/proc", "/dev"}
    m.args += ["--perms", "1777", "--size", str(config.tmp_bytes), "--tmpfs", "/dev/shm"]
    m.args += ["--perms", "1777", "--size", str(config.tmp_bytes), "--tmpfs", "/tmp"]
    m.dirs |= {"/dev/shm", "/tmp"}


def _python_mounts(m, config) -> None:
    """The Python installation, read-only: with ``python='full'`` the environment and
    ``config.packages``; with ``'stdlib'`` the base interpreter alone, every folder of
    installed packages masked, and ``config.views`` (what a judge worker may use)."""
    if config.python == "stdlib":
        python_dirs = dict.fromkeys(str(Path(p).resolve()) for p in
                                    (sys.base_prefix, sys.base_exec_prefix))
        extra = [*python_dirs, *config.ro_binds]
    else:
        python_dirs = dict.fromkeys(str(Path(p).resolve()) for p in
                                    (sys.base_prefix, sys.base_exec_prefix, sys.prefix))
        extra = [*python_dirs, *_package_dirs(config.packages), *config.ro_binds]
    for path in extra:
        if not path.startswith(("/usr/", "/bin/", "/lib")) and path not in m.dirs:
            m.add("--ro-bind", path, path)
    if config.python == "stdlib":
        for path in _site_folders(python_dirs):
            m.args += ["--perms", "0555", "--size", "4096", "--tmpfs", path]
    for src, dest in config.views:
        m.add("--ro-bind", str(Path(src).resolve()), str(dest))
    if config.python == "full":
        for path in _installed_dirs(config.hidden):
            m.args += ["--perms", "0555", "--size", "4096", "--tmpfs", path]
    fonts = _matplotlib_font_list() if config.python == "full" else None
    if fonts is not None:
        m.add("--ro-bind", str(fonts), f"{SANDBOX_MATPLOTLIB}/{fonts.name}")


@functools.cache
def _matplotlib_font_list():
    """The grader's matplotlib font list (``fontlist-v*.json`` in its cache folder, built
    here if missing), or None without matplotlib.  The fonts it names are the system's
    and matplotlib's own, which the sandbox binds at the same paths."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def _work_mounts(m, workdir, config, rw_binds) -> None:
    """The caller's read-write folders, the working folder (read-only, copied by the
    prelude) and the tmpfs ``$HOME`` the command starts in."""
    for path in rw_binds:
        path = str(Path(path).resolve())
        m.add("--bind", path, path)
    m.add("--ro-bind", str(workdir), SANDBOX_FILES)
    m.args += ["--perms", "0777", "--size", str(config.home_bytes), "--tmpfs", SANDBOX_HOME]
    m.dirs.add(SANDBOX_HOME)


def _environment(config, env) -> dict:
    """The command's whole environment: fixed defaults, then the allowed names of the
    caller's ``env`` (``config.pass_env``), then ``config.env``."""
    bindir = str(Path(sys.executable).parent)
    variables = {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME, "USER": "student", "LOGNAME": "student",
        "LANG": "C.UTF-8", "TMPDIR": "/tmp", "SHELL": "/bin/sh",
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython", "JUPYTER_CONFIG_DIR": "/tmp/jupyter",
        "JUPYTER_DATA_DIR": "/tmp/jupyter-data", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "JUPYTER_PLATFORM_DIRS": "1", "XDG_CACHE_HOME": "/tmp/cache",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    if os.environ.get("VIRTUAL_ENV") or sys.prefix != sys.base_prefix:
        variables["VIRTUAL_ENV"] = sys.prefix
    for name in config.pass_env:
        if env is not None and name in env:
            variables[name] = str(env[name])
    variables.update(dict(config.env))
    return variables


def _identity_and_limits(config, mode) -> list:
    """What runs between bwrap and the prelude: in mode 'root', ``setpriv`` down to the
    sandbox's uid with no capability left; then ``prlimit`` with ``config``'s limits."""
    cmd = []
    if mode == "root":
        cmd += [_tool("setpriv"), f"--reuid={config.uid}", f"--regid={config.gid}",
                "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
                "--"]
    return cmd + [_tool("prlimit"),
                  f"--cpu={config.cpu_seconds}:{config.cpu_seconds + 1}",
                  f"--as={config.memory_bytes}",
                  f"--nproc={config.max_processes}",
                  f"--fsize={config.max_file_bytes}",
                  f"--nofile={config.max_open_files}",
                  "--core=0", "--"]


def _site_folders(python_dirs) -> list:
    """Every folder of installed packages a sandbox with ``python='stdlib'`` masks:
    ``site-packages`` and ``dist-packages`` of the base installation and of the
    system's Pythons under ``/usr`` (bound whole)."""
    import glob

    patterns = [f"{d}/lib/python3*/{kind}" for d in python_dirs
                for kind in ("site-packages", "dist-packages")]
    patterns += [f"/usr/{where}lib/python3*/{kind}" for where in ("", "local/")
                 for kind in ("site-packages", "dist-packages")]
    found = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            if os.path.isdir(path) and not os.path.islink(path) and path not in found:
                found.append(path)
    return found


def prepare_workdir(workdir, config=None):
    """Make ``workdir`` writable by the sandbox's user (mode 'root': chown to uid/gid).

    The folder itself also gets search permission for everyone (``o+x``), which
    bwrap needs to enter it after dropping its capabilities.  Symlinks are changed themselves, never followed.  In mode 'userns' the folder
    already belongs to the caller and nothing changes.

    Parameters
    ----------
    workdir : str or Path
    config : SandboxConfig, optional

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     prepare_workdir(d, SandboxConfig(mode="userns"))
    """
    config = SandboxConfig() if config is None else config
    if sandbox_mode(config) != "root":
        return
    if os.geteuid() != 0:
        raise PermissionError(f"mode 'root' needs the caller to be root; euid={os.geteuid()}")
    workdir = Path(workdir)
    os.chown(workdir, config.uid, config.gid)
    # bwrap (root, capabilities dropped) must be able to enter it: --chdir
    os.chmod(workdir, os.stat(workdir).st_mode & 0o7777 | 0o711)
    for root, dirs, files in os.walk(workdir):
        for name in dirs + files:
            os.chown(os.path.join(root, name), config.uid, config.gid, follow_symlinks=False)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_sandboxed(argv, workdir, timeout, config=None, *, env=None, stdin=None,
                  max_output=1_000_000):
    """Run ``argv`` in a sandbox around ``workdir``; kill it all after ``timeout`` s.

    Parameters
    ----------
    argv : sequence of str
        The command (absolute path of the program).
    workdir : str or Path
        Private working folder (made writable by the sandbox's user first).
    timeout : float
        Wall-clock seconds; then the whole sandbox is killed (SIGKILL).
    config : SandboxConfig, optional
    env : mapping, optional
        Caller's environment; only ``config.pass_env`` names pass.
    stdin : str, optional
        Text fed to the command's standard input.
    max_output : int, optional
        Characters kept of each of stdout and stderr (they go to files outside the
        sandbox, so ``config.max_file_bytes`` caps what the command can write).

    Returns
    -------
    result : SandboxResult

    Notes
    -----
    The command runs in its own process group and PID namespace; when it returns
    (or the timeout strikes) the group is killed, bwrap's pid 1 dies and the kernel
    kills every process left in the namespace.

    Examples
    --------
    >>> import sys, tempfile
    >>> d = tempfile.mkdtemp()
    >>> r = (run_sandboxed([sys.executable, "-c", "print(6 * 7)"], d, timeout=60)
    ...      if sandbox_available() else None)
    >>> r is None or r.stdout.strip() == "42"
    True
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}")
    config = SandboxConfig() if config is None else config
    prepare_workdir(workdir, config)
    cmd = sandboxed_command(argv, workdir, config, env=env)
    start = time.monotonic()
    timed_out = False
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else
                                subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            proc.communicate(input=None if stdin is None else stdin.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
            proc.wait()
        texts = []
        for f in (out, err):
            f.seek(0)
            texts.append(f.read(max_output).decode("utf-8", errors="replace"))
    return SandboxResult(proc.returncode, texts[0], texts[1], timed_out,
                         time.monotonic() - start, cmd)


@functools.lru_cache(maxsize=None)
def _probe(mode):
    if not sys.platform.startswith("linux"):
        return SandboxStatus(False, f"bubblewrap needs Linux; this is {sys.platform}")
    missing = [t for t in ("bwrap", "env", "prlimit") + (("setpriv",) if mode == "root" else ())
               if shutil.which(t, path="/usr/bin:/bin:/usr/sbin:/sbin") is None
               and shutil.which(t) is None]
    if missing:
        hint = " (Debian: apt-get install bubblewrap)" if "bwrap" in missing else ""
        return SandboxStatus(False, f"not found: {', '.join(missing)}{hint}", mode)
    config = SandboxConfig(mode=mode, packages=())
    with tempfile.TemporaryDirectory(prefix="convcourse-probe-") as d:
        try:
            result = run_sandboxed([sys.executable, "-c", "import os; print(os.getuid())"],
                                   d, timeout=60, config=config)
        except OSError as exc:
            return SandboxStatus(False, f"bwrap could not start: {exc}", mode)
    if result.returncode != 0 or result.timed_out:
        why = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return SandboxStatus(False, f"bwrap failed (exit {result.returncode}): {why}", mode)
    uid = result.stdout.strip()
    if uid == "0":
        return SandboxStatus(False, "sandboxed code ran as root", mode)
    return SandboxStatus(True, f"bubblewrap works (mode {mode!r}, code runs as uid {uid})",
                         mode)


def sandbox_available(config=None):
    """Whether a sandbox can be created here, and why not.

    Runs a trivial Python program in a sandbox once per mode (cached).

    Parameters
    ----------
    config : SandboxConfig, optional

    Returns
    -------
    status : SandboxStatus
        True in a boolean context when it works; ``status.reason`` explains.

    Examples
    --------
    >>> status = sandbox_available()
    >>> isinstance(status.reason, str) and bool(status) == status.available
    True
    """
    return _probe(sandbox_mode(config))


try:  # the kernel manager needs jupyter_client (an extra of the course tooling)
    import zmq as _zmq
    from jupyter_client.asynchronous import AsyncKernelClient as _AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager as _AsyncKernelManager
    from traitlets import Any as _AnyTrait
    from traitlets import DottedObjectName as _DottedObjectName
    from traitlets import Type as _TypeTrait
    from traitlets import Unicode as _UnicodeTrait
    from traitlets import default as _default
except ImportError:  # pragma: no cover - the course extra is not installed
    _AsyncKernelManager = None


if _AsyncKernelManager is not None:

    class ReadyKernelClient(_AsyncKernelClient):
        """jupyter_client's asynchronous client, ready as soon as its kernel is.

        jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been
        silent for 0.2 s: 0.2 s of every kernel start (a quarter of it) spent waiting
        for nothing.  This one reads IOPub up to the ``idle`` status of its own
        ``kernel_info`` request instead: the kernel publishes in order, so every
        message of its start-up came before that one, and nothing is left to flush.
        """

        #: seconds to wait for a message before asking again (jupyter_client's values)
        shell_wait, iopub_wait = 1.0, 0.2

        async def wait_for_ready(self, timeout=None):
            """Wait until the kernel answers ``kernel_info`` and IOPub is connected.

            Parameters
            ----------
            timeout : float, optional
                Seconds before a RuntimeError (default: no limit).

            Raises
            ------
            RuntimeError
                If the kernel dies or ``timeout`` passes first.
            """
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                request = self.kernel_info()
                try:
                    reply = await self._reply_to(request)
                    # a reply while IOPub was not yet subscribed: its status is lost, ask again
                    if await self._idle_status_of(request):
                        self._handle_kernel_info_reply(reply)
                        return
                except Empty:
                    pass
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

        async def _reply_to(self, request) -> dict:
            """The shell's ``kernel_info_reply`` to ``request`` (the replies to this
            loop's earlier requests are skipped); Empty after ``shell_wait``."""
            while True:
                reply = await self.shell_channel.get_msg(timeout=self.shell_wait)
                if (reply["msg_type"] == "kernel_info_reply"
                        and reply["parent_header"].get("msg_id") == request):
                    return reply

        async def _idle_status_of(self, request) -> bool:
            """Read IOPub up to the ``idle`` status of ``request``.  False when IOPub is
            silent for ``iopub_wait`` first, or when the kernel welcomes the subscription
            first: its statuses may have gone before it, and the next request's will not."""
            while True:
                try:
                    msg = await self.iopub_channel.get_msg(timeout=self.iopub_wait)
                except Empty:
                    return False
                if msg["msg_type"] == "iopub_welcome":
                    return False
                if (msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"
                        and msg["parent_header"].get("msg_id") == request):
                    return True

    class SandboxedKernelManager(_AsyncKernelManager):
        """A Jupyter kernel manager whose kernel runs in the sandbox (IPC transport).

        The kernel gets no network, so it talks ZMQ over Unix sockets in a private
        folder bound into the sandbox at the same path; the connection file lives
        there too.  Interrupts go as messages (a signal to bwrap would not reach the
        kernel in its own session).  The working folder is ``workdir`` or, when
        unset, the ``cwd`` that nbclient passes (the notebook's folder).

        Use it with nbclient: ``NotebookClient(nb, km=SandboxedKernelManager(...))``
        or ``kernel_manager_class=SandboxedKernelManager``.
        """

        # its kernel is ready 0.2 s sooner (see ReadyKernelClient)
        client_class = _DottedObjectName("convcourse.course.sandbox.ReadyKernelClient",
                                         config=True)
        client_factory = _TypeTrait(ReadyKernelClient, klass=_AsyncKernelClient, config=True)

        sandbox_config = _AnyTrait(None, allow_none=True,
                                   help="SandboxConfig; None: the defaults").tag(config=True)
        workdir = _UnicodeTrait("", help="working folder; '': the kernel's cwd").tag(config=True)

        def __init__(self, **kwargs):
            self._ipc_dir = tempfile.mkdtemp(prefix="convcourse-kernel-")
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(self._ipc_dir, "kernel"))
            kwargs.setdefault("connection_file", os.path.join(self._ipc_dir, "kernel.json"))
            super().__init__(**kwargs)
            if self.transport != "ipc":
                raise ValueError(f"transport must be 'ipc' in a sandbox; got {self.transport!r}")
            self.sandbox_argv = []

        @_default("context")
        def _context_default(self):
            context = super()._context_default()
            # The clients connect before the kernel has bound its Unix sockets, and ZMQ
            # tries again every 100 ms by default: up to 0.1 s of each kernel start.
            context.setsockopt(_zmq.RECONNECT_IVL, 10)
            return context

        @property
        def _config(self):
            return SandboxConfig() if self.sandbox_config is None else self.sandbox_config

        def write_connection_file(self, **kwargs):
            super().write_connection_file(**kwargs)
            prepare_workdir(self._ipc_dir, self._config)

        async def _async_pre_start_kernel(self, **kw):
            cmd, kw = await super()._async_pre_start_kernel(**kw)
            self.kernel_spec.interrupt_mode = "message"
            return cmd, kw

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            workdir = self.workdir or kw.get("cwd") or os.getcwd()
            # JPY_PARENT_PID=1: ipykernel neither polls its parent (its parent is
            # bwrap's pid 1, which the poller would take for "orphaned": the reason
            # others reach for --as-pid-1) nor prints its console banner.
            config = dataclasses.replace(
                self._config, env=self._config.env + (("JPY_PARENT_PID", "1"),))
            prepare_workdir(workdir, config)
            self.sandbox_argv = sandboxed_command(kernel_cmd, workdir, config,
                                                  env=kw.get("env"), rw_binds=[self._ipc_dir])
            return await super()._async_launch_kernel(self.sandbox_argv, **kw)

        async def _async_cleanup_resources(self, restart=False):
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

        def __del__(self):
            shutil.rmtree(getattr(self, "_ipc_dir", ""), ignore_errors=True)
            parent_del = getattr(super(), "__del__", None)
            if parent_del is not None:
                parent_del()

else:  # pragma: no cover
    SandboxedKernelManager = None
