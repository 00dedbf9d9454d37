"""The worker's side of the kernel server: starting or reusing a server (its own, or the refresh's shared one), asking
it for a kernel, and the jupyter_client classes (provisioner, client, manager) papermill runs the notebooks with."""

from __future__ import annotations

import atexit
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

from helpers.base.config import KERNEL_SERVER_ENV as SHARED_ENV  # the refresh's own server for its workers (start_shared)
from helpers.pipeline.warm_kernels.protocol import _key_difference, _server_key, enabled

START_TIMEOUT_S = 60
# How long a kernel_info's idle status may trail its reply before the request is repeated: 10 ms at first (it
# takes about 1 ms when IOPub is connected), doubling up to jupyter_client's 0.2 s for a loaded machine.
IOPUB_JOIN_S = (0.01, 0.2)


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
            code = f"from helpers.pipeline.warm_kernels import serve; serve({self.path!r}, {os.getpid()}, {listener.fileno()})"
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

    @default("context")
    def _context_default(self):
        # The client's sockets (a context of their own, not the manager's) connect while the forked kernel is
        # still binding: retry after 10 ms, not ZeroMQ's 100 ms (which was half of every kernel's start).
        context = super()._context_default()
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

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

    client_class = DottedObjectName("helpers.pipeline.warm_kernels.WarmKernelClient")
    client_factory = Type(klass=WarmKernelClient)

    @default("context")
    def _context_default(self):
        context = super()._context_default()
        # The manager's own sockets (the control channel it shuts the kernel down with) likewise: 10 ms retries.
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)
