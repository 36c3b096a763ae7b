"""Red-team tests of convcourse.course.sandbox: each attack runs in the sandbox and fails.

Every attack is a small Python program run with ``run_sandboxed`` (or, at the end, a
notebook executed by nbclient through ``SandboxedKernelManager``).  The tests that need
a working bubblewrap skip with the reason ``sandbox_available()`` gives.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import convcourse
from convcourse.course import sandbox
from convcourse.course.sandbox import (
    SANDBOX_HOME,
    SandboxConfig,
    prepare_workdir,
    run_sandboxed,
    sandbox_available,
    sandbox_mode,
    sandboxed_command,
)

STATUS = sandbox_available()
needs_sandbox = pytest.mark.skipif(not STATUS, reason=f"no sandbox here: {STATUS.reason}")

REPO = Path(convcourse.__file__).resolve().parents[1]
# A uid of the tests' own, so that "no process of the sandbox is left" can be checked
# by uid (mode 'root'); mode 'userns' checks by a unique token in the command line.
TEST_UID = 64321
CONFIG = SandboxConfig(uid=TEST_UID, gid=TEST_UID)


def host_processes_with(token=None, uid=None):
    """Host pids whose command line holds ``token`` or whose real uid is ``uid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if token is not None and token in (entry / "cmdline").read_bytes().decode(
                    errors="replace"):
                found.append(int(entry.name))
            elif uid is not None and (entry / "status").read_text().count(
                    f"\nUid:\t{uid}\t") == 1:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_until_gone(token=None, uid=None, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = host_processes_with(token, uid)
        if not left:
            return []
        time.sleep(0.05)
    return host_processes_with(token, uid)


@pytest.fixture
def course(tmp_path):
    """A course folder like the real one, and alice's private working copy."""
    root = tmp_path / "course"
    (root / "solutions" / "01").mkdir(parents=True)
    (root / "solutions" / "01" / "01.ipynb").write_text("SOLUTION-CELL")
    (root / "output" / "submitted" / "bob" / "01").mkdir(parents=True)
    (root / "output" / "submitted" / "bob" / "01" / "01.ipynb").write_text("BOB-WORK")
    (root / "output" / "gradebook.db").write_text("GRADEBOOK")
    work = root / "output" / "autograded" / "alice" / "01"
    work.mkdir(parents=True)
    (work / "01.ipynb").write_text("ALICE-WORK")
    return root, work


def run_py(code, workdir, timeout=30, config=CONFIG, env=None):
    return run_sandboxed([sys.executable, "-c", textwrap.dedent(code)], workdir,
                         timeout=timeout, config=config, env=env)


# -- building the command (no bubblewrap needed) -----------------------------------


@pytest.mark.parametrize("mode, present, absent", [
    ("root", ["setpriv", "--reuid=64321", "--cap-drop", "--no-new-privs"], ["--unshare-user"]),
    ("userns", ["--unshare-user"], ["setpriv", "--reuid=64321", "--cap-drop"]),
])
def test_command_per_mode(tmp_path, mode, present, absent):
    config = SandboxConfig(uid=TEST_UID, gid=TEST_UID, mode=mode)
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, config)
    words = {Path(w).name if w.startswith("/") else w for w in cmd}
    for option in ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent",
                   "--new-session", "-i", *present]:
        assert option in words, option
    for option in absent:
        assert option not in words, option
    i = cmd.index(sandbox.SANDBOX_FILES)
    assert cmd[i - 2:i + 1] == ["--ro-bind", str(tmp_path), sandbox.SANDBOX_FILES]
    i = cmd.index(SANDBOX_HOME)  # $HOME: a size-capped tmpfs, not a host folder
    assert cmd[i - 5:i + 1] == ["--perms", "0777", "--size", str(256 * 2**20), "--tmpfs",
                                SANDBOX_HOME]
    assert "--bind" not in cmd  # nothing of the host is writable
    assert "--nproc=64" in cmd and "--core=0" in cmd


def test_command_mounts_the_package_not_the_repository(tmp_path):
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, CONFIG)
    sources = [Path(cmd[i + 1]) for i, w in enumerate(cmd) if w in ("--bind", "--ro-bind")]
    assert REPO / "convcourse" in sources
    for path in sources:
        if path == REPO or REPO in path.parents:
            assert path in (REPO / "convcourse", Path(sys.prefix).resolve()), path


def test_command_keeps_only_allowed_variables(tmp_path):
    env = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "alice", "HOME": "/root"}
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, CONFIG, env=env)
    assert "s3cret" not in cmd and "CONVCOURSE_SECRET" not in cmd
    i = cmd.index("CONVCOURSE_STUDENT")
    assert cmd[i - 1:i + 2] == ["--setenv", "CONVCOURSE_STUDENT", "alice"]
    assert cmd[cmd.index("HOME") + 1] == SANDBOX_HOME


@pytest.mark.parametrize("kwargs, error, match", [
    ({"cpu_seconds": 0}, ValueError, "cpu_seconds must be a positive int; got 0"),
    ({"memory_bytes": 1.5}, ValueError, "memory_bytes must be a positive int; got 1.5"),
    ({"uid": 0}, ValueError, r"uid must be a positive int \(not root\); got 0"),
    ({"mode": "docker"}, ValueError, "mode must be one of .*; got 'docker'"),
    ({"packages": "convcourse"}, TypeError, "packages must be a tuple; got 'convcourse'"),
])
def test_config_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        SandboxConfig(**kwargs)


def test_command_rejects(tmp_path):
    with pytest.raises(ValueError, match="argv must be a non-empty list"):
        sandboxed_command([], tmp_path)
    with pytest.raises(ValueError, match="argv must be a non-empty list of strings; got 'ls'"):
        sandboxed_command("ls", tmp_path)
    with pytest.raises(ValueError, match="workdir must be an existing folder; got .*nope"):
        sandboxed_command(["/usr/bin/true"], tmp_path / "nope")
    with pytest.raises(ValueError, match="packages: cannot find package 'no_such_pkg_x'"):
        sandboxed_command(["/usr/bin/true"], tmp_path, SandboxConfig(packages=("no_such_pkg_x",)))
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds; got 0"):
        run_sandboxed(["/usr/bin/true"], tmp_path, timeout=0)


def test_unavailable_says_why(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda *a, **k: None)
    status = sandbox._probe.__wrapped__("root")
    assert not status and "bwrap" in status.reason and "apt-get install bubblewrap" in status.reason
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    status = sandbox._probe.__wrapped__("userns")
    assert not status and "needs Linux; this is darwin" in status.reason


def test_status_explains():
    assert isinstance(STATUS.reason, str) and STATUS.reason
    if STATUS:
        assert STATUS.mode == sandbox_mode() and "uid" in STATUS.reason


# -- honest code works ---------------------------------------------------------------


@needs_sandbox
def test_honest_code_works(course):
    _, work = course
    result = run_py("""
        import os, numpy as np, scipy.signal, matplotlib
        import matplotlib.pyplot as plt
        from convcourse.conv import conv2d
        x = np.arange(16.0).reshape(1, 1, 4, 4); w = np.ones((1, 1, 2, 2))
        y = conv2d(x, w)
        assert np.allclose(y[0, 0], scipy.signal.correlate2d(x[0, 0], w[0, 0], 'valid'))
        plt.plot([0, 1]); plt.savefig('fig.png')
        open('/tmp/scratch', 'w').write('ok')
        print(matplotlib.get_backend().lower(), y[0, 0, 0, 0], os.getcwd(), sorted(os.listdir('.')))
    """, work)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nbgrader fails a cell that writes to stderr
    assert result.stdout.split()[:3] == ["agg", "10.0", SANDBOX_HOME]
    assert "'01.ipynb'" in result.stdout and "'fig.png'" in result.stdout
    assert not (work / "fig.png").exists()  # written to the sandbox's own $HOME


@needs_sandbox
def test_matplotlib_reads_the_graders_font_list_instead_of_building_it(course):
    # building it scans every system font: about half a second of every kernel's start
    _, work = course
    host = sandbox._matplotlib_font_list()
    assert host is not None and host.is_file()
    result = run_py("""
        import logging, os
        logging.basicConfig(level=logging.INFO)
        import matplotlib.font_manager as fm
        print(sorted(os.listdir(os.environ["MPLCONFIGDIR"])))
        print(fm.findfont("DejaVu Sans"))
    """, work)
    assert result.returncode == 0, result.stderr
    assert "generated new fontManager" not in result.stderr
    assert result.stdout.splitlines()[0] == repr([host.name])
    assert result.stdout.splitlines()[1].endswith(".ttf")
    # the copy belongs to the sandbox, the grader's file is untouched and read-only inside
    result = run_py(f"open('{sandbox.SANDBOX_MATPLOTLIB}/{host.name}', 'a')", work)
    assert result.returncode != 0
    assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr


@needs_sandbox
def test_a_grading_kernel_gets_no_debugger_and_the_compiled_package(course):
    # ipykernel imports debugpy when it starts (0.17 s) for a debugger no graded run uses;
    # convcourse's bytecode, compiled by the grader, is read instead of compiling it again
    _, work = course
    assert "debugpy" in sandbox.POLICY.kernel(1_000_000).hidden
    assert str(Path(sandbox.__file__).resolve().parents[1]) in sandbox.compile_packages()
    code = """
        import importlib.util, os, sys
        import convcourse.conv
        try:
            from debugpy.server import api
            print("debugger")
        except ImportError:
            print("no debugger")
        print(importlib.util.find_spec("ipykernel") is not None)
        print(os.path.isfile(importlib.util.cache_from_source(convcourse.conv.__file__)),
              sys.dont_write_bytecode)
    """
    hidden = run_py(code, work, config=sandbox.POLICY.kernel(CONFIG.uid))
    assert hidden.returncode == 0, hidden.stderr
    assert hidden.stdout.split() == ["no", "debugger", "True", "True", "True"]
    plain = run_py(code, work)  # the sandbox without the policy's hiding
    assert plain.stdout.split()[:1] == ["debugger"]


def test_hidden_packages_are_covered_only_with_the_full_python(tmp_path):
    hidden = sandbox._installed_dirs(["debugpy", "no_such_pkg_x"])
    assert len(hidden) == 1 and hidden[0].endswith("debugpy")
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, SandboxConfig(hidden=("debugpy",)))
    assert ["--tmpfs", hidden[0]] == cmd[cmd.index(hidden[0]) - 1:cmd.index(hidden[0]) + 1]
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path,
                            SandboxConfig(hidden=("debugpy",), python="stdlib"))
    assert hidden[0] not in cmd


def test_stdlib_sandboxes_get_no_font_list(tmp_path):
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, SandboxConfig(python="stdlib"))
    assert not any(sandbox.SANDBOX_MATPLOTLIB in arg for arg in cmd[:cmd.index("--")])
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, SandboxConfig())
    assert any(arg.startswith(sandbox.SANDBOX_MATPLOTLIB + "/") for arg in cmd[:cmd.index("--")])


# -- reading what it must not ------------------------------------------------------


@needs_sandbox
def test_cannot_read_course_gradebook_other_students_or_home(course):
    root, work = course
    targets = [root / "solutions" / "01" / "01.ipynb", root / "output" / "gradebook.db",
               root / "output" / "submitted" / "bob" / "01" / "01.ipynb",
               REPO / "solutions", REPO / "pyproject.toml", REPO / "nbgrader_config.py",
               REPO / ".git" / "config", REPO / "tests", REPO / "examples",
               Path.home() / ".config" / "convcourse", Path.home() / ".bashrc",
               Path.home() / ".ssh", "/etc/shadow", "/etc/passwd",
               f"{SANDBOX_HOME}/../../{root}/solutions"]
    result = run_py(f"""
        import json, os
        out = {{}}
        for path in {json.dumps([str(t) for t in targets])}:
            try:
                out[path] = os.listdir(path) if os.path.isdir(path) else open(path).read()
            except OSError as exc:
                out[path] = type(exc).__name__
        out['..'] = sorted(os.listdir('..'))
        out['/root'] = sorted(os.listdir('/root')) if os.path.isdir('/root') else []
        out['repo'] = sorted(os.listdir({str(REPO)!r})) if os.path.isdir({str(REPO)!r}) else []
        print(json.dumps(out))
    """, work)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    for target in targets:
        assert seen[str(target)] in ("FileNotFoundError", "PermissionError"), target
    assert seen[".."] == ["student"]
    # the repository shows only the package and the environment it runs in
    assert set(seen["repo"]) <= {"convcourse", Path(sys.prefix).name}
    # /root holds at most the way to the Python installation
    allowed = {Path(p).resolve().relative_to("/root").parts[0]
               for p in (sys.base_prefix, sys.prefix) if Path(p).resolve().is_relative_to("/root")}
    assert set(seen["/root"]) <= allowed
    for text in ("SOLUTION-CELL", "GRADEBOOK", "BOB-WORK"):
        assert text not in result.stdout


@needs_sandbox
def test_secret_not_visible_in_environment_or_proc(course, monkeypatch):
    _, work = course
    secret = "sekrit-" + uuid.uuid4().hex
    monkeypatch.setenv("CONVCOURSE_SECRET", secret)
    result = run_py(f"""
        import os
        dump = [repr(dict(os.environ))]
        for pid in os.listdir('/proc') + ['{os.getpid()}', '{os.getppid()}']:
            for name in ('environ', 'cmdline'):
                try:
                    dump.append(pid + name + open(f'/proc/{{pid}}/{{name}}', 'rb').read().decode())
                except OSError as exc:
                    dump.append(pid + name + type(exc).__name__)
        print(os.getppid(), '\\n'.join(dump))
    """, work, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout
    assert "CONVCOURSE_SECRET" not in result.stdout
    assert result.stdout.split()[0] == "1"  # its parent is the sandbox's pid 1
    assert "1environPermissionError" in result.stdout or "1environ\n" in result.stdout


# -- writing where it must not ------------------------------------------------------


@needs_sandbox
def test_cannot_write_outside_its_folder(course):
    root, work = course
    marker = "convcourse-sandbox-" + uuid.uuid4().hex
    targets = [f"/tmp/{marker}", str(root / "solutions" / marker),
               str(root / "output" / "submitted" / "bob" / marker), str(REPO / "convcourse" / marker),
               f"{sys.prefix}/{marker}", f"/usr/{marker}", f"/etc/{marker}", f"/{marker}",
               f"/home/{marker}"]
    result = run_py(f"""
        import json
        out = {{}}
        for path in {json.dumps(targets)} + ['own.txt']:
            try:
                open(path, 'w').write('x'); out[path] = 'written'
            except OSError as exc:
                out[path] = type(exc).__name__
        print(json.dumps(out))
    """, work)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["own.txt"] == "written" and not (work / "own.txt").exists()
    assert seen[f"/tmp/{marker}"] == "written"  # its private /tmp ...
    for path in targets:
        assert not Path(path).exists(), path  # ... and nothing reached the host
        if not path.startswith("/tmp/"):
            assert seen[path] in ("FileNotFoundError", "PermissionError", "OSError"), path


# -- network, processes, memory, time -------------------------------------------------


@needs_sandbox
def test_no_network(course):
    _, work = course
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    port = server.getsockname()[1]
    try:
        result = run_py(f"""
            import socket
            for host in ('127.0.0.1', 'localhost', '1.1.1.1'):
                try:
                    socket.create_connection((host, {port}), timeout=2); print(host, 'connected')
                except OSError as exc:
                    print(host, type(exc).__name__)
            print(sorted(n for _, n in socket.if_nameindex()))
        """, work)
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert "connected" not in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "['lo']"


@needs_sandbox
def test_fork_bomb_is_stopped_by_the_process_limit(course):
    _, work = course
    config = SandboxConfig(uid=TEST_UID, gid=TEST_UID, max_processes=12)
    # counted: how far does forking get?
    result = run_py("""
        import os, time
        made, error = 0, None
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError as exc:
                error = type(exc).__name__; break
            if pid == 0:
                time.sleep(20); os._exit(0)
            made += 1
        print(made, error)
    """, work, timeout=20, config=config)
    made, error = result.stdout.split()
    assert error == "BlockingIOError" and int(made) < 12
    # the real thing, every process forking forever: bounded, then killed at the timeout
    token = uuid.uuid4().hex
    result = run_py(f"""
        import os  # {token}
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """, work, timeout=1.5, config=config)
    assert result.timed_out
    assert wait_until_gone(token=token) == []
    if sandbox_mode(config) == "root":
        assert wait_until_gone(uid=TEST_UID) == []


@needs_sandbox
def test_memory_bomb_is_stopped_by_the_memory_limit(course):
    _, work = course
    config = SandboxConfig(uid=TEST_UID, gid=TEST_UID, memory_bytes=768 * 2**20)
    result = run_py("""
        chunks = []
        try:
            for _ in range(32):  # at most 2 GiB, even if the limit were broken
                chunks.append(b'x' * 2**26)  # 64 MiB, touched
            print('no MemoryError after', len(chunks) * 64, 'MiB')
        except MemoryError:
            print('MemoryError after', len(chunks) * 64, 'MiB')
    """, work, config=config)
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    assert words[0] == "MemoryError" and int(words[2]) < 768


@needs_sandbox
def test_sleep_past_the_wall_clock_is_killed(course):
    _, work = course
    token = uuid.uuid4().hex
    start = time.monotonic()
    result = run_py(f"import time; print('start', flush=True); time.sleep(60)  # {token}",
                    work, timeout=1.0)
    assert result.timed_out and result.returncode != 0
    assert result.stdout == "start\n"
    assert time.monotonic() - start < 10
    assert wait_until_gone(token=token) == []


@needs_sandbox
def test_cpu_time_limit(course):
    _, work = course
    config = SandboxConfig(uid=TEST_UID, gid=TEST_UID, cpu_seconds=1)
    result = run_py("while True: pass\nprint('finished')", work, timeout=20, config=config)
    assert not result.timed_out and result.returncode != 0
    assert result.seconds < 10 and "finished" not in result.stdout


@needs_sandbox
def test_background_process_is_gone_after_exit(course):
    _, work = course
    token = uuid.uuid4().hex
    daemon = (f"import time  # {token}\n"
              "for i in range(600):\n"
              "    time.sleep(0.05)\n")
    result = run_py(f"""
        import subprocess, sys, time
        subprocess.Popen([sys.executable, '-c', {daemon!r}], start_new_session=True)
        time.sleep(0.5)
        print('main exits')
    """, work)
    assert result.returncode == 0 and result.stdout == "main exits\n", result.stderr
    assert wait_until_gone(token=token, seconds=2) == []


@needs_sandbox
def test_nothing_left_when_the_grader_dies(course, tmp_path):
    """A killed grader (SIGKILL, no cleanup) takes its sandbox with it: --die-with-parent."""
    _, work = course
    prepare_workdir(work, CONFIG)
    token = uuid.uuid4().hex
    signals = tmp_path / "signals"
    signals.mkdir()
    prepare_workdir(signals, CONFIG)
    # the sandboxed program marks its start in a folder bound for that: only then has
    # bwrap finished its set-up, --die-with-parent included (killing the grader earlier
    # races bwrap's prctl, which is not what this test is about)
    argv = sandboxed_command(
        [sys.executable, "-c", f"import time; open({str(signals / 'started')!r}, 'w').close(); "
                               f"time.sleep(60)  # {token}"],
        work, CONFIG, rw_binds=[signals])
    grader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import subprocess, time
        subprocess.Popen({argv!r})
        time.sleep(60)
    """)])
    try:
        deadline = time.monotonic() + 20
        while not (signals / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (signals / "started").exists() and host_processes_with(token=token), \
            "the sandbox did not start"
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait()
        assert wait_until_gone(token=token) == []
    finally:
        grader.kill()


# -- a notebook, executed by nbclient through the sandboxed kernel -------------------


@needs_sandbox
def test_notebook_runs_in_sandboxed_kernel(course, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    root, work = course
    monkeypatch.setenv("CONVCOURSE_SECRET", "sekrit-kernel")
    cells = [
        "import os, numpy as np\nfrom convcourse.conv import conv2d\n"
        "print(os.getuid() != 0, os.getcwd(), conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))).sum())",
        "print(os.environ.get('CONVCOURSE_SECRET'), os.environ.get('CONVCOURSE_STUDENT'))",
        f"print(os.path.exists({str(root / 'solutions')!r}), os.path.exists({str(REPO / 'solutions')!r}))",
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
        "except OSError as exc:\n    print(type(exc).__name__)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    km = sandbox.SandboxedKernelManager(sandbox_config=CONFIG, workdir=str(work))
    from nbclient import NotebookClient
    client = NotebookClient(nb, km=km, timeout=30, startup_timeout=60)
    # nbclient shuts down only kernels it created, unless told (cleanup_kc=True)
    client.execute(env={**os.environ, "CONVCOURSE_STUDENT": "alice"}, cleanup_kc=True)
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]
    assert texts[0] == f"True {SANDBOX_HOME} 16.0\n"
    assert texts[1] == "None alice\n"
    assert texts[2] == "False False\n"
    assert texts[3] in ("ConnectionRefusedError\n", "OSError\n")
    assert km.transport == "ipc" and "--unshare-net" in km.sandbox_argv
    ipc_dir = Path(km.connection_file).parent
    assert wait_until_gone(token=str(ipc_dir)) == []  # the kernel is gone ...
    assert not ipc_dir.exists()  # ... and so are its sockets


@needs_sandbox
def test_the_graded_kernel_is_killed_with_everything_it_started(course):
    """RobustExecute kills the sandboxed kernel after the last cell (no graceful exit):
    a process the notebook started in a session of its own goes with it."""
    pytest.importorskip("nbclient")
    from nbformat.v4 import new_code_cell, new_notebook

    from convcourse.course.execute import RobustExecute

    _, work = course
    token = uuid.uuid4().hex
    daemon = f"import time  # {token}\ntime.sleep(600)\n"
    nb = new_notebook(cells=[new_code_cell(
        f"import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {daemon!r}], start_new_session=True)\n"
        f"print('started')")])
    resources = {"metadata": {"path": str(work)},
                 "nbgrader": {"student": "ann", "assignment": "a1", "notebook": "nb1"}}
    pre = RobustExecute(timeout=60, graded_by_convcourse=True, sandbox_config=CONFIG)
    assert pre.shutdown_kernel == "immediate"
    nb, _ = pre.preprocess(nb, resources)
    assert "".join(o.get("text", "") for o in nb.cells[0].outputs) == "started\n"
    assert wait_until_gone(token=token) == []


# -- limits on every writable place, nothing between two students (issue 9 §4) --------


@needs_sandbox
def test_home_is_a_private_size_limited_copy(course):
    """Regression: $HOME was the host folder, without a quota (1,280 MiB were written)."""
    _, work = course
    config = SandboxConfig(uid=TEST_UID, gid=TEST_UID, home_bytes=8 * 2**20)
    result = run_py("""
        import errno, os
        print(open('01.ipynb').read())
        open('01.ipynb', 'a').write('+mine')  # the student's own files: a writable copy
        print(open('01.ipynb').read())
        written = 0
        try:
            with open('big', 'wb') as f:
                for _ in range(64):
                    f.write(b'x' * 2**20); f.flush(); written += 1
        except OSError as exc:
            print('stopped', errno.errorcode[exc.errno], written)
    """, work, config=config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[:2] == ["ALICE-WORK", "ALICE-WORK+mine"]
    assert lines[2:4] == ["stopped", "ENOSPC"] and int(lines[4]) <= 8
    assert (work / "01.ipynb").read_text() == "ALICE-WORK" and not (work / "big").exists()


# Run by both students: ``leave`` creates something in every shared place it can
# think of, then waits; ``find`` looks for each of them.
CHANNELS = r'''
import ctypes, json, os, platform, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
KEYCTL = {"x86_64": 250, "aarch64": 219}[platform.machine()]
ADD_KEY = {"x86_64": 248, "aarch64": 217}[platform.machine()]
TOKEN = sys.argv[2]
RINGS = {"user": -4, "user-session": -5, "session": -3}
IPC_KEY = 0x5eed0 + int(TOKEN[:4], 16)

def keyctl(*args):
    return libc.syscall(KEYCTL, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])

def leave():
    for name, ring in RINGS.items():
        data = b"secret-" + name.encode()
        assert libc.syscall(ADD_KEY, b"user", (TOKEN + name).encode(), data,
                            ctypes.c_size_t(len(data)), ctypes.c_long(ring)) > 0, name
    for folder in ("/tmp", "/dev/shm", os.environ["HOME"]):
        open(os.path.join(folder, TOKEN), "w").write("left")
    assert libc.shmget(IPC_KEY, 4096, 0o1666) >= 0      # IPC_CREAT | 0666
    assert libc.msgget(IPC_KEY, 0o1666) >= 0
    assert libc.semget(IPC_KEY, 1, 0o1666) >= 0
    assert libc.mq_open(("/" + TOKEN).encode(), os.O_CREAT | os.O_RDWR, 0o666, None) >= 0
    server = socket.socket(socket.AF_UNIX)
    server.bind("\0" + TOKEN)
    server.listen()
    open(sys.argv[3], "w").write(str(os.getpid()))
    time.sleep(60)

def find():
    found = {}
    for name, ring in RINGS.items():  # KEYCTL_SEARCH
        found["key " + name] = keyctl(10, ring, b"user", (TOKEN + name).encode(), 0) >= 0
    for folder in ("/tmp", "/dev/shm", os.environ["HOME"]):
        found["file " + folder] = os.path.exists(os.path.join(folder, TOKEN))
    found["sysv shm"] = libc.shmget(IPC_KEY, 0, 0) >= 0
    found["sysv msg"] = libc.msgget(IPC_KEY, 0) >= 0
    found["sysv sem"] = libc.semget(IPC_KEY, 0, 0) >= 0
    found["posix mq"] = libc.mq_open(("/" + TOKEN).encode(), os.O_RDWR) >= 0
    try:
        socket.socket(socket.AF_UNIX).connect("\0" + TOKEN)
        found["abstract socket"] = True
    except OSError:
        found["abstract socket"] = False
    # (pid 1 is this sandbox's bwrap, whose command line holds this program's)
    found["process"] = any(TOKEN in open(f"/proc/{p}/cmdline").read() for p in os.listdir("/proc")
                           if p.isdigit() and int(p) not in (1, os.getpid()))
    print(json.dumps(found))

{"leave": leave, "find": find}[sys.argv[1]]()
'''


@needs_sandbox
@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="keyctl numbers")
def test_nothing_passes_between_two_students(course, tmp_path):
    """Regression (issue 9 §4): bubblewrap run as root creates no user namespace, so the
    kernel's keyrings are shared: the session keyring every sandbox inherited from the
    grader, and a uid's user keyring, which outlives its processes (the next student
    graded with that uid read the key).  Student A leaves something in every shared
    place (keys, files, SysV and POSIX IPC, an abstract socket, a process) and waits;
    B, graded at the same time with its own uid, and C, graded after A with A's uid
    (another run, or a uid given again), find nothing."""
    _, work = course
    token = uuid.uuid4().hex
    program = tmp_path / "channels.py"
    program.write_text(CHANNELS)
    signals = tmp_path / "signals"
    signals.mkdir()
    a_config = SandboxConfig(uid=TEST_UID, gid=TEST_UID, ro_binds=(str(program),))
    b_config = SandboxConfig(uid=TEST_UID + 1, gid=TEST_UID + 1, ro_binds=(str(program),))
    for folder in (work, signals):
        prepare_workdir(folder, a_config)
    leaver = subprocess.Popen(sandboxed_command(
        [sys.executable, "-I", str(program), "leave", token, str(signals / "ready")], work,
        a_config, rw_binds=[signals]), start_new_session=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (signals / "ready").exists() and leaver.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (signals / "ready").exists(), leaver.stderr.read1().decode() if leaver.poll() else ""
        found_b = run_sandboxed([sys.executable, "-I", str(program), "find", token], work,
                                timeout=30, config=b_config)
    finally:
        os.killpg(leaver.pid, signal.SIGKILL)
        leaver.wait()
    found_c = run_sandboxed([sys.executable, "-I", str(program), "find", token], work,
                            timeout=30, config=a_config)
    for result in (found_b, found_c):
        assert result.returncode == 0, result.stderr
        seen = json.loads(result.stdout)
        assert len(seen) == 12 and not any(seen.values()), seen


# -- the grading run's policy (issue 11: one object for the limits and the uids) ------------

def test_policy_gives_each_task_two_uids_of_its_run(tmp_path):
    policy = sandbox.POLICY
    uids = policy.uid_range(tmp_path)
    assert len(uids) == 20_000 and uids.start >= 1_000_000
    assert uids == policy.uid_range(tmp_path)  # the same folder: the same uids
    assert uids != policy.uid_range(tmp_path / "other")
    kernels = [policy.task_uid(tmp_path, i) for i in range(3)]
    assert kernels == [uids[0], uids[2], uids[4]]
    assert policy.task_uid(tmp_path, 10_000) == uids[0]  # given again past 10,000 tasks
    # regression: the uids of a run are those grade.py computed before the policy existed
    import zlib
    assert uids.start == 1_000_000 + (zlib.crc32(str(tmp_path).encode()) % 100_000) * 20_000


def test_policy_configs_share_one_memory_limit():
    kernel, worker = sandbox.POLICY.task_configs(1_000_002)
    assert (kernel.uid, kernel.gid, worker.uid, worker.gid) == (1_000_002,) * 2 + (1_000_003,) * 2
    assert kernel.memory_bytes == worker.memory_bytes == sandbox.MEMORY_BYTES == 3 * 2**30
    assert sandbox.SandboxConfig().memory_bytes == sandbox.MEMORY_BYTES
    assert "CONVCOURSE_SEEDS" in kernel.pass_env and "CONVCOURSE_SECRET" not in kernel.pass_env
    assert worker.pass_env == () and worker.cpu_seconds == 120
    limits = dict(sandbox.POLICY.unsandboxed_limits())
    assert limits["RLIMIT_AS"] == sandbox.MEMORY_BYTES and limits["RLIMIT_NPROC"] == 1


def test_the_command_is_built_in_named_steps_that_keep_their_order(tmp_path):
    cmd = sandboxed_command(["/usr/bin/true"], tmp_path, SandboxConfig(mode="userns"))
    order = [cmd.index(x) for x in ("--unshare-pid", "--ro-bind", "--remount-ro", "--setenv",
                                    "--", cmd[cmd.index("--") + 1])]
    assert order == sorted(order)
    assert cmd[cmd.index("--") + 1].endswith("prlimit")


# -- the kernel client: ready when its kernel is, with nothing of the start-up left ---

class _ScriptedKernel:
    """Channels of a kernel that answers kernel_info as ``plan`` says, request by request:
    ``"reply"`` (the shell reply, then busy and idle on IOPub), ``"lost"`` (the reply;
    IOPub not subscribed yet: its statuses are lost, then the kernel's welcome), or
    ``"silent"`` (nothing).  ``chatter``: a stream message is always waiting on IOPub."""

    def __init__(self, plan, chatter=False, alive=True):
        import collections
        self.plan, self.chatter, self.alive = list(plan), chatter, alive
        self.shell, self.iopub = collections.deque(), collections.deque()
        self.requests, self.reads = [], 0
        kernel = self

        class Channel:
            def __init__(self, queue):
                self.queue = queue

            def send(self, msg):
                kernel.answer(msg)

            async def get_msg(self, timeout=None):
                from queue import Empty
                kernel.reads += 1
                assert kernel.reads < 10_000, "the client never stops reading"
                if self.queue is kernel.iopub and kernel.chatter and not self.queue:
                    self.queue.append(kernel.msg("stream", {"name": "stdout", "text": "."}, ""))
                if not self.queue:
                    raise Empty
                return self.queue.popleft()

            def is_alive(self):
                return True

        self.shell_channel, self.iopub_channel = Channel(self.shell), Channel(self.iopub)

    @staticmethod
    def msg(kind, content, parent):
        return {"msg_type": kind, "content": content, "parent_header": {"msg_id": parent},
                "header": {"msg_type": kind}, "metadata": {}}

    def answer(self, request):
        msg_id = request["header"]["msg_id"]
        self.requests.append(msg_id)
        how = self.plan.pop(0) if self.plan else "silent"
        if how == "silent":
            return
        self.shell.append(self.msg("kernel_info_reply", {"status": "ok",
                                                        "protocol_version": "5.3"}, msg_id))
        if how == "lost":
            self.iopub.append(self.msg("iopub_welcome", {}, ""))
        else:
            for state in ("busy", "idle"):
                self.iopub.append(self.msg("status", {"execution_state": state}, msg_id))


def _ready_client(kernel):
    import asyncio
    pytest.importorskip("jupyter_client")
    client = sandbox.ReadyKernelClient()
    client._shell_channel, client._iopub_channel = kernel.shell_channel, kernel.iopub_channel
    client.shell_wait = client.iopub_wait = 0.01

    async def alive():
        return kernel.alive
    client._async_is_alive = alive
    return client, asyncio.run


def test_the_client_is_ready_at_its_own_requests_idle_status():
    # jupyter_client's client waits for 0.2 s of IOPub silence: a kernel that always
    # has something to say would keep it waiting for ever
    kernel = _ScriptedKernel(["reply"], chatter=True)
    client, run = _ready_client(kernel)
    run(client.wait_for_ready(timeout=5))
    assert len(kernel.requests) == 1
    assert not kernel.shell and not kernel.iopub  # the request's reply and statuses read


def test_the_client_asks_again_when_iopub_was_subscribed_too_late():
    # a chatty kernel: IOPub is never silent, so only the welcome says "ask again"
    kernel = _ScriptedKernel(["lost", "reply"], chatter=True)
    client, run = _ready_client(kernel)
    run(client.wait_for_ready(timeout=5))
    assert len(kernel.requests) == 2 and not kernel.iopub


def test_the_client_skips_replies_to_its_earlier_requests():
    kernel = _ScriptedKernel(["silent", "reply"])
    client, run = _ready_client(kernel)
    first = client.kernel_info()  # answered late: its reply comes before the next one's
    kernel.shell.append(kernel.msg("kernel_info_reply", {"status": "ok"}, first))
    run(client.wait_for_ready(timeout=5))
    assert len(kernel.requests) == 2 and not kernel.shell


def test_the_client_says_when_the_kernel_died_or_never_answered():
    client, run = _ready_client(_ScriptedKernel([], alive=False))
    with pytest.raises(RuntimeError, match="Kernel died"):
        run(client.wait_for_ready(timeout=5))
    client, run = _ready_client(_ScriptedKernel([]))
    with pytest.raises(RuntimeError, match="didn't respond in 0.05 seconds"):
        run(client.wait_for_ready(timeout=0.05))


@needs_sandbox
def test_a_sandboxed_kernel_is_ready_with_nothing_of_its_start_left_on_iopub(course):
    import asyncio
    from queue import Empty

    pytest.importorskip("jupyter_client")
    _, work = course

    async def start_and_run():
        km = sandbox.SandboxedKernelManager(sandbox_config=CONFIG, workdir=str(work))
        await km.start_kernel()
        kc = km.client()
        assert type(kc) is sandbox.ReadyKernelClient
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            with pytest.raises(Empty):  # the start-up's messages were all read
                await kc.iopub_channel.get_msg(timeout=0.5)
            msg_id = kc.execute("print(6 * 7)")
            seen = []
            while not seen or seen[-1]["msg_type"] != "stream":
                seen.append(await kc.iopub_channel.get_msg(timeout=30))
            assert {m["parent_header"]["msg_id"] for m in seen} == {msg_id}
            assert seen[-1]["content"]["text"] == "42\n"
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    asyncio.run(start_and_run())
