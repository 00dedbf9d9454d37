"""Kernels forked from a process that has already imported what the notebooks use.

A fresh ipykernel spends about 2 s before a notebook's first line does any work (interpreter, IPython, pandas,
geopandas, plotly, this package; measured with ``benchmarks/refresh.py``) - as much as the work of a typical run.
So the refresh starts one *kernel server* per worker process: a plain Python process that imports those modules once
(it starts no Python thread, no ZeroMQ context and no event loop; the native thread pools of
OpenBLAS and pyarrow's allocator have fork handlers) and waits on a Unix socket. Every kernel the
worker asks for is a fork of it that takes the run's environment, working folder and standard streams and then starts
ipykernel as ``python -m ipykernel_launcher`` does. Each run still has a process of its own: nothing one notebook
does reaches the next, and jupyter_client interrupts, restarts and kills the kernel as before.

Used through :class:`WarmKernelManager` (papermill's ``kernel_manager_class``). A kernel command other than this
interpreter's ``-m ipykernel_launcher`` starts the usual way, as does every kernel when the server cannot be started
(the reason goes to the run's kernel log). ``SOTE_WARM_KERNELS=0`` turns the server off.

The server leaves within 0.2 s when the process that started it is gone; its kernels die with it
(``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type, default

from .config import KERNEL_SERVER_ENV as SHARED_ENV  # the refresh's own server for its workers (start_shared)

WARM_ENV = "SOTE_WARM_KERNELS"
# Imported once in the server: what the notebooks' first cells import (most of a fresh kernel's first second).
WARM_MODULES = (
    "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.display",
    "numpy", "pandas", "pyarrow.parquet", "shapely", "geopandas", "pandera.pandas", "jinja2", "plotly.graph_objects",
    "plotly.io", "nbformat", "requests_cache",
    "helpers.notebook", "helpers.boundary_maps", "helpers.municipality_key", "helpers.indicators", "helpers.classify",
    "helpers.indicator_pages", "helpers.models", "helpers.site", "helpers.surveys", "helpers.survey_pages",
    "helpers.model_metrics", "helpers.analysis.scorecard", "helpers.analysis.partitions",
    "helpers.analysis.findings", "helpers.analysis.site_data", "helpers.table_cache", "helpers.pipeline",
    # imported on first use by the cells (mapclassify brings scipy and scikit-learn: 1.3 s of each indicator run)
    "mapclassify", "scipy.spatial.distance", "narwhals", "pyarrow.dataset", "kaleido", "helpers.downloads", "helpers.joins",
    "helpers.model_view",
    "helpers.svgmap", "helpers.export", "helpers.site_nav", "helpers.front_page",
)
# Settings read when modules are imported: a server started under other values is not used.
IMPORT_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "SOTE_PROJECT_ROOT", "PLOTLY_RENDERER")
START_TIMEOUT_S = 60
# How long a kernel_info's idle status may trail its reply before the request is repeated: 10 ms at first (it
# takes about 1 ms when IOPub is connected), doubling up to jupyter_client's 0.2 s for a loaded machine.
IOPUB_JOIN_S = (0.01, 0.2)
MAX_MESSAGE = 1 << 20


def enabled() -> bool:
    return os.environ.get(WARM_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


# --------------------------------------------------------------------------- the server (its own process)


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _become_kernel(request: dict, fds: list[int], server_pid: int) -> int:
    """In the forked child: take the run's streams, folder and environment, then run ipykernel."""
    os.setsid()  # its own process group, as jupyter_client starts kernels: signals reach what the kernel starts
    _die_with_parent()
    if os.getppid() != server_pid:
        return 1
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    del sys.path[0]  # as ipykernel_launcher does; IPython puts '' (the working folder) back
    sys.argv = [request["argv0"], *request["args"]]
    if os.environ.get("JPY_PARENT_PID"):
        # ipykernel reads this one when it is imported (here: in the server), so it is handed over as an option
        sys.argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
    if "numpy" in sys.modules:  # random reseeds itself after a fork; numpy's global generator does not
        sys.modules["numpy"].random.seed()
    from ipykernel import kernelapp

    try:
        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    atexit._run_exitfuncs()
    return code


def _warm_up() -> None:
    """What every run's first figure and page would pay again after the imports: plotly's trace classes and
    validators (loaded on first attribute access), its renderers, and the compiled page templates."""
    import plotly.graph_objects as go
    import plotly.io as pio

    go.Figure([go.Choropleth(), go.Bar()], layout={"geo": {}, "title": {"text": ""}}).to_dict()
    pio.renderers.default  # noqa: B018 - loads the renderer modules
    from jupyter_client import localinterfaces

    localinterfaces.localhost()  # the network interfaces, listed once (every kernel's connection set-up asks)
    from .pages import environment

    env = environment()
    for name in env.list_templates():
        env.get_template(name)


def serve(path: str, parent: int, listen_fd: int) -> None:
    """The server's loop: import, say ready, fork a kernel per request, report each kernel's exit status."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN if sig == signal.SIGINT else signal.SIG_DFL)
    # No PR_SET_PDEATHSIG here: it follows the starting *thread* (a Dask task thread may end); the loop below
    # watches the parent instead.
    from .config import skip_iri_grammars

    skip_iri_grammars()  # before anything imports jsonschema
    listener = socket.socket(fileno=listen_fd)  # bound and listening before this process started (_Server)
    failed = []
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a module that fails here fails in the kernel, with its message
            failed.append(f"{name}: {exc.__class__.__name__}")
    try:
        _warm_up()
    except Exception as exc:  # noqa: BLE001 - the kernels pay these costs themselves, as without the server
        failed.append(f"warm-up: {exc.__class__.__name__}")
    import gc

    # What is imported stays for every kernel: kept out of their garbage collections (IPython's exit collects, which
    # took 0.12 s of a kernel's shutdown with all of it scanned) and out of copy-on-write of the objects' headers.
    gc.collect()
    gc.freeze()
    children: dict[int, socket.socket] = {}
    server_pid = os.getpid()
    try:
        sys.stdout.write(json.dumps({"ready": os.getpid(), "not_imported": failed}) + "\n")
        sys.stdout.flush()
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        # A kernel's exit wakes the loop at once (its manager waits for the exit status to finish a run).
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector.register(wake_r, selectors.EVENT_READ)
        while os.getppid() == parent:
            for key, _ in selector.select(timeout=0.2):
                if key.fileobj is wake_r:
                    try:
                        wake_r.recv(4096)
                    except BlockingIOError:
                        pass
                    continue
                if key.data is not None:  # the process that asked for this kernel closed its end: it is gone
                    selector.unregister(key.fileobj)
                    for kill in (os.killpg, os.kill):
                        try:
                            kill(key.data, signal.SIGKILL)
                        except OSError:
                            pass
                    continue
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                fds = []
                try:
                    message, fds, _, _ = socket.recv_fds(conn, MAX_MESSAGE, 3)
                    request = json.loads(message)
                    if len(fds) != 3:
                        raise ValueError("three standard streams expected")
                except (OSError, ValueError) as exc:
                    for fd in fds:
                        os.close(fd)
                    conn.close()
                    print(f"kernel server: bad request ({exc})", file=sys.stderr, flush=True)
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        for sock in (wake_r, wake_w):
                            sock.close()
                        selector.close()
                        listener.close()
                        for other in children.values():
                            other.close()
                        conn.close()
                        code = _become_kernel(request, fds, server_pid)
                    except BaseException:  # noqa: BLE001 - the child must never return into the server's loop
                        import traceback

                        traceback.print_exc()
                    finally:
                        for stream in (sys.__stdout__, sys.__stderr__):
                            try:
                                stream.flush()
                            except (OSError, ValueError, AttributeError):
                                pass
                        os._exit(code)
                for fd in fds:
                    os.close(fd)
                try:
                    conn.sendall(json.dumps({"pid": pid}).encode())
                except OSError:
                    pass
                children[pid] = conn
                selector.register(conn, selectors.EVENT_READ, pid)
            while children:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn = children.pop(pid, None)
                if conn is not None:
                    try:
                        selector.unregister(conn)
                    except (KeyError, ValueError):
                        pass  # already unregistered when its requester went away
                    try:
                        conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
                    except OSError:
                        pass
                    conn.close()
    finally:  # also when the ready line finds the parent gone (it was killed while this server imported)
        if os.getpid() != server_pid:  # a forked kernel never cleans up for the server (it leaves by os._exit)
            os._exit(1)
        for pid in children:  # the parent is gone: so are its kernels and what they started
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for name in (path, os.path.dirname(path)):  # nothing left in the temporary folder
            try:
                os.rmdir(name) if name != path else os.unlink(name)
            except OSError:
                pass


# --------------------------------------------------------------------------- the client (in the worker process)


class ForkedKernel:
    """A kernel process forked by the server, with the parts of ``subprocess.Popen`` jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket):
        self.pid = pid
        self.returncode: int | None = None
        self._conn = conn

    def _read_exit(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        self._conn.settimeout(timeout)
        try:
            data = self._conn.recv(4096)
        except (BlockingIOError, TimeoutError, socket.timeout):
            return
        except OSError:
            data = b""
        try:
            self.returncode = int(json.loads(data)["exit"]) if data else -signal.SIGKILL
        except (ValueError, KeyError, TypeError):
            self.returncode = -signal.SIGKILL
        self._conn.close()

    def poll(self) -> int | None:
        self._read_exit(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(["kernel", str(self.pid)], timeout)
            self._read_exit(left)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _fork(path: str, request: dict, fds: list[int]) -> ForkedKernel:
    """Ask the server on ``path`` for a kernel; waits while the server is still importing (it listens from the start)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    conn.settimeout(START_TIMEOUT_S)
    try:
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode()], fds)
        reply = conn.recv(4096)
        pid = int(json.loads(reply)["pid"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        conn.close()
        raise RuntimeError(f"the kernel server did not fork a kernel ({exc.__class__.__name__}: {exc})") from None
    return ForkedKernel(pid, conn)


class _Server:
    def __init__(self, key: tuple, env: dict, options: list[str], wait: bool = True):
        self.key = key
        self.folder = tempfile.mkdtemp(prefix="sote-kernels-")  # 0700: only this user reaches the socket
        self.path = os.path.join(self.folder, "server.sock")
        # The socket listens from now on: a request made while the server is still importing waits in the backlog.
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(self.path)
            listener.listen(64)
            code = f"from helpers.warm_kernels import serve; serve({self.path!r}, {os.getpid()}, {listener.fileno()})"
            # Its stderr is not the worker's: that is the first run's log at this moment, and the server outlives the
            # run. Each kernel gets the streams of its own run (fork_kernel); an import that fails here fails there.
            self.process = subprocess.Popen([sys.executable, *options, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, env=env, close_fds=True, pass_fds=(listener.fileno(),))
        except OSError:
            self._remove_socket()
            raise
        finally:
            listener.close()  # the server's copy is the one that accepts
        self.ready = None
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"the kernel server did not start within {START_TIMEOUT_S} s")
        line = self.process.stdout.readline()
        try:
            self.ready = json.loads(line)
        except ValueError:
            self.stop()
            raise RuntimeError(f"the kernel server did not start (exit code {self.process.poll()})") from None

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, request: dict, fds: list[int]) -> ForkedKernel:
        return _fork(self.path, request, fds)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._remove_socket()

    def _remove_socket(self) -> None:
        for name in (self.path, self.folder):
            try:
                os.rmdir(name) if name == self.folder else os.unlink(name)
            except OSError:
                pass


_server: _Server | None = None
_server_lock = threading.Lock()
_failed: dict[tuple, str] = {}  # settings -> why the server did not start (not tried again in this process)
_failed_shared: set[str] = set()  # shared servers this process could not use
_said: list[str] = []  # messages for the worker's own log (take_messages)


def _server_key(env: dict, options: list[str]) -> tuple:
    # A server that imported other code, packages or start-up settings than this kernel would get is not used.
    return (sys.executable, tuple(options), _startup_env(env), _installed_state())


def _server_for(env: dict, options: list[str] | None = None) -> _Server:
    global _server
    options = list(options or [])
    key = _server_key(env, options)
    with _server_lock:
        if key in _failed:
            raise RuntimeError(_failed[key])
        if _server is not None and (_server.key != key or not _server.alive()):
            _server.stop()
            _server = None
        if _server is None:
            # The server starts and imports under the kernel's own environment and interpreter options.
            try:
                _server = _Server(key, dict(env), options)
            except (RuntimeError, OSError) as exc:
                _failed[key] = f"{exc}" if isinstance(exc, RuntimeError) else f"the kernel server did not start ({exc})"
                raise RuntimeError(_failed[key]) from None
            atexit.register(stop_server)
        return _server


def start_shared(kernel: str) -> _Server | None:
    """The refresh's own kernel server, started before the planning so that its imports overlap it: every worker on
    this machine (the local pool, Dask workers on this host) forks its kernels from it instead of importing the same
    modules into a server of its own (4 s of CPU each on a 2-core machine, measured). Its socket and settings go to the
    workers in ``SOTE_KERNEL_SERVER``; a worker with other settings, or on another machine, uses its own server.
    None when forked kernels are off or the kernel is not this interpreter's ipykernel."""
    if not enabled():
        return None
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
    except (NoSuchKernel, OSError, ValueError):
        return None  # the refresh's own check names the problem
    command = _ipykernel_command(list(spec.argv))
    if command is None:
        return None
    options = list(command[0])
    env = dict(os.environ, **(spec.env or {}))
    env.pop(SHARED_ENV, None)
    key = _server_key(env, options)
    try:
        server = _Server(key, env, options, wait=False)
    except OSError:
        return None
    os.environ[SHARED_ENV] = json.dumps({"path": server.path, "key": key})
    return server


def stop_shared(server: _Server | None) -> None:
    os.environ.pop(SHARED_ENV, None)
    if server is not None:
        server.stop()


def _shared_path(env: dict, options: list[str]) -> str | None:
    """The socket of the refresh's own server when this worker can use it (same machine, same settings)."""
    raw = os.environ.get(SHARED_ENV)
    if not raw or raw in _failed_shared:
        return None
    try:
        info = json.loads(raw)
        path, key = str(info["path"]), info["key"]
    except (ValueError, KeyError, TypeError):
        return None
    if not os.path.exists(path):
        return None  # another machine
    own = json.loads(json.dumps(_server_key(env, options)))
    if key == own:
        return path
    # Said once per worker, in the run's log and (executors.execute_in) on the worker's own stderr after the run, which
    # outlives a run that succeeds: a worker that silently imports everything again is slow to find out.
    _failed_shared.add(raw)
    message = f"the refresh's kernel server has other {_key_difference(key, own)}; this worker starts a server of its own"
    print(message, file=sys.stderr, flush=True)
    _said.append(message)
    return None


def take_messages() -> list[str]:
    """What this worker said about its kernel server since the last call (for the worker's own log)."""
    said = list(_said)
    _said.clear()
    return said


def _key_difference(theirs: list, own: list) -> str:
    """What differs between two server keys (JSON form of :func:`_server_key`), in words."""
    try:
        parts = []
        if theirs[0] != own[0] or theirs[1] != own[1]:
            parts.append("interpreter or interpreter options")
        if theirs[2] != own[2]:
            a, b = dict(map(tuple, theirs[2])), dict(map(tuple, own[2]))
            parts.append("start-up settings (" + ", ".join(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))) + ")")
        if theirs[3] != own[3]:
            parts.append("code or installed packages")
        return "; ".join(parts) or "settings"
    except (TypeError, ValueError, IndexError):
        return "settings"


def stop_server() -> None:
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


def _ipykernel_command(cmd: list[str]) -> tuple[list[str], list[str]] | None:
    """(interpreter options, arguments after ``-m ipykernel_launcher``) when ``cmd`` runs this interpreter's
    ipykernel with at most ``-X`` options, else None."""
    if not cmd or os.path.abspath(cmd[0]) != os.path.abspath(sys.executable):
        return None
    i = 1
    while i < len(cmd) and cmd[i].startswith("-X"):
        i += 1 if cmd[i] != "-X" else 2
    if cmd[i:i + 2] != ["-m", "ipykernel_launcher"]:
        return None
    return cmd[1:i], cmd[i + 2:]


def _startup_env(env: dict) -> tuple:
    """The settings an interpreter reads when it starts or imports (not per run): the server must share them."""
    names = sorted(k for k in env if k in IMPORT_ENV or k.startswith(("PYTHON", "LC_")) or k == "LANG"
                   or k.endswith("_NUM_THREADS"))
    return tuple((k, env[k]) for k in names)


def _installed_state() -> tuple:
    """What the server imported from: the package's code and data files (the refresh's code fingerprint) and the
    environment's installed packages (its site-packages folder changes when one is installed or removed)."""
    import sysconfig

    from .pipeline import code_version

    try:
        packages = os.stat(sysconfig.get_paths()["purelib"]).st_mtime_ns
    except OSError:
        packages = None
    return code_version(), packages


def _fd(stream, default: int) -> int:
    if stream is None:
        return os.dup(default)
    if isinstance(stream, int):
        return os.dup(stream)
    return os.dup(stream.fileno())


def fork_kernel(cmd: list[str], env: dict, cwd: str, stdout=None, stderr=None) -> ForkedKernel | None:
    """A forked kernel for ``cmd``, or None when ``cmd`` is not this interpreter's ipykernel."""
    command = _ipykernel_command(cmd)
    if command is None or not enabled():
        return None
    options, args = command
    shared = _shared_path(env, options)
    fds = [os.open(os.devnull, os.O_RDONLY), _fd(stdout, 1), _fd(stderr, 2)]
    try:
        # JPY_PARENT_PID as jupyter_client's launcher sets it: the kernel is not a terminal's `ipython kernel`
        kernel_env = {k: v for k, v in env.items() if k != SHARED_ENV}
        request = {"argv0": "ipykernel_launcher", "args": args, "env": dict(kernel_env, JPY_PARENT_PID=str(os.getpid())),
                   "cwd": os.fspath(cwd)}
        if shared:
            try:
                return _fork(shared, request, fds)
            except RuntimeError as exc:
                _failed_shared.add(os.environ.get(SHARED_ENV, ""))
                print(f"{exc} (the refresh's shared server); using a server of this worker's own", file=sys.stderr, flush=True)
        return _server_for(env, options).fork(request, fds)
    finally:
        for fd in fds:
            os.close(fd)


class WarmProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernels are forks of the kernel server (falling back to a normal start)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        cwd = kwargs.get("cwd") or os.getcwd()
        try:
            process = fork_kernel(cmd, kwargs.get("env") or dict(os.environ), cwd, kwargs.get("stdout"), kwargs.get("stderr"))
        except RuntimeError as exc:
            print(f"{exc}; starting the kernel the usual way", file=sys.stderr, flush=True)
            process = None
        if process is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = process
        self.pid = self.pgid = process.pid
        self.cwd = cwd
        return self.connection_info


    async def send_signal(self, signum: int) -> None:
        # The server reaps a kernel at once: after its exit, its pid and process group may belong to another process.
        if isinstance(self.process, ForkedKernel) and self.process.poll() is not None:
            return
        await super().send_signal(signum)


class WarmKernelClient(AsyncKernelClient):
    """The refresh's kernel client: ready as soon as the kernel has answered ``kernel_info`` on both channels.

    jupyter_client's own wait ends with 0.2 s of silence on IOPub (twice when the subscription was late), more than
    a forked kernel takes to start. Here the wait ends at the IOPub ``idle`` status of the last ``kernel_info``
    request: everything the kernel published before it has then arrived (ZeroMQ keeps a connection's order), and a
    subscription that missed it (PUB/SUB joins late) asks again, as jupyter_client does, but after 10 ms at first.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        join = IOPUB_JOIN_S[0]
        while True:
            msg_id = self.kernel_info()
            if await self._reply_and_idle(msg_id, min(deadline, time.monotonic() + 1.0), join):
                return
            join = min(2 * join, IOPUB_JOIN_S[1])
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_and_idle(self, msg_id: str, until: float, join: float) -> bool:
        replied = False
        while not replied:
            try:
                msg = await self.shell_channel.get_msg(timeout=max(0.0, until - time.monotonic()))
            except Empty:
                return False
            if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") == msg_id:
                self._handle_kernel_info_reply(msg)
                replied = True
        until = time.monotonic() + join  # the kernel publishes idle right after its reply
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=max(0.0, until - time.monotonic()))
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") == msg_id):
                return True


class WarmKernelManager(AsyncKernelManager):
    """papermill's ``kernel_manager_class`` for the refresh: kernels forked from the kernel server, the client
    :class:`WarmKernelClient`, and a shutdown that sees the kernel's exit within 10 ms instead of 100 ms."""

    client_class = DottedObjectName("helpers.warm_kernels.WarmKernelClient")
    client_factory = Type(klass=WarmKernelClient)

    @default("context")
    def _context_default(self):
        context = super()._context_default()
        # The client connects while the forked kernel is still binding: retry after 10 ms, not ZeroMQ's 100 ms.
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)
