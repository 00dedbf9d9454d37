"""Kernels forked from the kernel server (helpers.pipeline.warm_kernels): the run's environment, folder and streams, one
process per run with nothing carried over, interrupts and kills, the usual start when forking is not possible, and
no process left when the worker dies."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from helpers.base import config
from helpers.pipeline import warm_kernels
from helpers.pipeline.executors import RunTask, execute_in
from helpers.pipeline.runs import Run

KERNEL = config.KERNEL_NAME


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    params = nbformat.v4.new_code_cell("tag = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(nb, path)
    return path


def outputs(executed: Path) -> list[str]:
    nb = json.loads(executed.read_text(encoding="utf-8"))
    texts = [o.get("text", "") for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"]
    return ["".join(t) if isinstance(t, list) else t for t in texts]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(autouse=True)
def fresh_server():
    warm_kernels.stop_server()
    yield
    warm_kernels.stop_server()


REPORT = """
import json, os, sys
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "run": os.environ.get("SOTE_TEST_RUN"),
                  "pandas_before": "pandas" in sys.modules, "leak": hasattr(sys, "_sote_leak"), "tag": tag,
                  "pgid": os.getpgid(0)}))
sys._sote_leak = True  # would reach the next run if kernels were reused
"""


def test_each_run_is_a_fresh_fork_with_its_own_environment_and_folder(tmp_path, monkeypatch):
    nb = notebook(tmp_path / "report.ipynb", REPORT)
    seen = []
    for i, folder in enumerate(["a", "b"]):
        (tmp_path / folder).mkdir()
        monkeypatch.setenv("SOTE_TEST_RUN", f"run-{i}")
        out = tmp_path / f"out{i}.ipynb"
        pm.execute_notebook(str(nb), str(out), parameters={"tag": folder}, kernel_name=KERNEL, cwd=str(tmp_path / folder),
                            progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
        seen.append(json.loads(outputs(out)[0]))
    server = warm_kernels.client._server.process.pid
    for i, (s, folder) in enumerate(zip(seen, ["a", "b"])):
        assert s["ppid"] == server  # forked by the server, not started by this process
        assert s["pgid"] == s["pid"]  # its own process group, as jupyter_client starts kernels
        assert s["cwd"] == str(tmp_path / folder) and s["run"] == f"run-{i}" and s["tag"] == folder
        assert s["pandas_before"] is True  # imported once, in the server
        assert s["leak"] is False  # nothing of the first run in the second
        assert not alive(s["pid"])  # shut down after its notebook
    assert seen[0]["pid"] != seen[1]["pid"]


def test_the_kernel_writes_its_stderr_to_the_runs_log(tmp_path, monkeypatch):
    nb = notebook(tmp_path / "log.ipynb", "import os, sys\nos.write(2, b'kernel says hello\\n')\nprint('pandas' in sys.modules)")
    monkeypatch.setenv(config.OUTPUTS_ENV, str(tmp_path / "unused"))
    staging = tmp_path / "staging"
    staging.mkdir()
    task = RunTask(Run("loki", nb, {}), nb.read_bytes(), 60, KERNEL, {})
    outcome = execute_in(task, staging)
    assert outcome.error == "" and outcome.attempts == 1
    assert "kernel says hello" in (staging / "kernel.log").read_text(encoding="utf-8")
    assert outputs(staging / "executed.ipynb") == ["True\n"]  # the refresh's kernels are forks of the server


def test_a_cell_that_overruns_is_interrupted_and_the_kernel_goes(tmp_path):
    nb = notebook(tmp_path / "slow.ipynb", "import os\nprint(os.getpid(), flush=True)", "import time\ntime.sleep(60)")
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    with pytest.raises(Exception, match="timed out|Timeout"):
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, execution_timeout=2,
                            kernel_manager_class=warm_kernels.WarmKernelManager)
    assert time.monotonic() - started < 30
    pid = int(outputs(out)[0].split()[0])
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)


def test_kernels_of_other_interpreters_and_a_missing_server_start_the_usual_way(tmp_path, monkeypatch, capfd):
    assert warm_kernels._ipykernel_command([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"]) == (
        ["-Xfrozen_modules=off"], ["-f", "c.json"])  # the server starts with the kernelspec's -X options
    assert warm_kernels._ipykernel_command(["/usr/bin/python3-other", "-m", "ipykernel_launcher", "-f", "c.json"]) is None
    assert warm_kernels._ipykernel_command([sys.executable, "-m", "some_other_kernel"]) is None
    monkeypatch.setenv(warm_kernels.WARM_ENV, "0")
    assert warm_kernels.fork_kernel([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"], dict(os.environ), str(tmp_path)) is None
    monkeypatch.delenv(warm_kernels.WARM_ENV)

    def broken(env, options=None):
        raise RuntimeError("the kernel server did not start within 60 s")

    monkeypatch.setattr(warm_kernels.client, "_server_for", broken)
    nb = notebook(tmp_path / "report.ipynb", REPORT)
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
    seen = json.loads(outputs(out)[0])
    assert seen["ppid"] == os.getpid() and seen["pandas_before"] is False  # started by this process, as usual
    assert "the kernel server did not start within 60 s; starting the kernel the usual way" in capfd.readouterr().err


def test_server_and_kernel_end_when_the_worker_dies(tmp_path):
    """A worker killed with SIGKILL leaves no kernel server, no kernel and no socket behind."""
    script = textwrap.dedent(f"""
        import json, os, sys
        from jupyter_client.manager import KernelManager
        from helpers.pipeline import warm_kernels
        km = warm_kernels.WarmKernelManager(kernel_name={KERNEL!r})
        import asyncio
        asyncio.run(km.start_kernel())
        print(json.dumps({{"server": warm_kernels.client._server.process.pid, "kernel": km.provisioner.pid,
                          "folder": warm_kernels.client._server.folder}}), flush=True)
        sys.stdin.read()
    """)
    worker = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        pids = json.loads(worker.stdout.readline())
        assert alive(pids["server"]) and alive(pids["kernel"])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 5
        while (alive(pids["server"]) or alive(pids["kernel"])) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(pids["server"]) and not alive(pids["kernel"])
        assert not os.path.exists(pids["folder"])  # the server's socket and folder are gone too
    finally:
        if worker.poll() is None:
            worker.kill()


def test_a_server_whose_parent_dies_while_it_imports_leaves_no_socket(tmp_path):
    """A refresh killed in its first seconds (the shared server still importing): the server ends when it finds its
    parent gone and removes its socket folder (it used to die on the ready line and leave the folder in /tmp)."""
    script = textwrap.dedent(f"""
        import json, os, signal
        from helpers.base import config
        from helpers.pipeline import warm_kernels
        server = warm_kernels.start_shared({KERNEL!r})
        print(json.dumps({{"server": server.process.pid, "folder": server.folder}}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    owner = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, timeout=60,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert owner.returncode == -signal.SIGKILL
    pids = json.loads(owner.stdout)
    deadline = time.monotonic() + 30  # the imports take a few seconds
    while alive(pids["server"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pids["server"])
    assert not os.path.exists(pids["folder"])


@pytest.fixture
def shared(monkeypatch):
    monkeypatch.delenv(warm_kernels.SHARED_ENV, raising=False)
    server = warm_kernels.start_shared(KERNEL)
    assert server is not None and os.environ[warm_kernels.SHARED_ENV]
    yield server
    warm_kernels.stop_shared(server)
    assert warm_kernels.SHARED_ENV not in os.environ and not server.alive() and not os.path.exists(server.folder)


def test_workers_fork_their_kernels_from_the_refreshs_shared_server(tmp_path, shared):
    """The refresh starts one server; a worker with the same settings asks it instead of starting its own."""
    nb = notebook(tmp_path / "report.ipynb", REPORT + "\nprint(os.environ.get('SOTE_KERNEL_SERVER'))")
    parents = []
    for i in range(2):
        out = tmp_path / f"out{i}.ipynb"
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
        report, server_env = outputs(out)[0].splitlines()
        parents.append(json.loads(report)["ppid"])
        assert server_env.strip() == "None"  # the kernel's environment is the run's, without the server's address
    assert parents == [shared.process.pid] * 2
    assert warm_kernels.client._server is None  # no server of the worker's own


def test_a_worker_with_other_settings_uses_a_server_of_its_own(tmp_path, shared, monkeypatch, capfd):
    monkeypatch.setenv("PYTHONHASHSEED", "7")  # read when an interpreter starts: the shared server did not have it
    monkeypatch.setattr(warm_kernels.client, "_failed_shared", set())
    nb = notebook(tmp_path / "report.ipynb", REPORT)
    for i in range(2):
        out = tmp_path / f"out{i}.ipynb"
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
        assert json.loads(outputs(out)[0])["ppid"] == warm_kernels.client._server.process.pid != shared.process.pid
    # said once, naming the setting, and kept for the worker's own log
    said = "the refresh's kernel server has other start-up settings (PYTHONHASHSEED); this worker starts a server of its own"
    assert capfd.readouterr().err.count(said) == 1
    assert warm_kernels.take_messages() == [said] and warm_kernels.take_messages() == []


def test_a_refresh_worker_says_why_it_has_its_own_server_in_the_runs_log_and_its_own(tmp_path, shared, monkeypatch, capfd):
    """The run's log is deleted when the run succeeds: the worker's own stderr (the refresh's terminal, a Dask
    worker's log) keeps the line too."""
    monkeypatch.setenv("PYTHONHASHSEED", "7")
    monkeypatch.setattr(warm_kernels.client, "_failed_shared", set())
    monkeypatch.setenv(config.OUTPUTS_ENV, str(tmp_path / "unused"))
    nb = notebook(tmp_path / "report.ipynb", REPORT)
    staging = tmp_path / "staging"
    staging.mkdir()
    outcome = execute_in(RunTask(Run("loki", nb, {}), nb.read_bytes(), 60, KERNEL, {}), staging)
    assert outcome.error == ""
    said = "the refresh's kernel server has other start-up settings (PYTHONHASHSEED); this worker starts a server of its own"
    assert said in (staging / "kernel.log").read_text(encoding="utf-8")
    assert f"worker {os.getpid()} (loki): {said}" in capfd.readouterr().err
    assert os.environ[config.OUTPUTS_ENV] == str(tmp_path / "unused")  # the run's settings are put back afterwards


def test_the_shared_servers_kernel_ends_when_the_worker_that_asked_for_it_dies(shared):
    """The server outlives a worker killed with SIGKILL; the kernel that worker was running does not."""
    script = textwrap.dedent(f"""
        import asyncio, json, os, sys
        from helpers.pipeline import warm_kernels
        km = warm_kernels.WarmKernelManager(kernel_name={KERNEL!r})
        asyncio.run(km.start_kernel())
        print(json.dumps({{"kernel": km.provisioner.pid, "own": warm_kernels.client._server is not None}}), flush=True)
        sys.stdin.read()
    """)
    worker = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ))  # the same settings as the server (PYTHONPATH included)
    try:
        pids = json.loads(worker.stdout.readline())
        assert pids["own"] is False and alive(pids["kernel"])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 5
        while alive(pids["kernel"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pids["kernel"])
        assert shared.alive()
    finally:
        if worker.poll() is None:
            worker.kill()


def test_a_server_that_cannot_start_is_not_tried_for_every_kernel(tmp_path, monkeypatch, capfd):
    fake = tmp_path / "fake" / "helpers"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('a broken install')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))  # the server's `import helpers` fails; ipykernel does not need it
    monkeypatch.setattr(warm_kernels.client, "_failed", {})
    starts = []
    real = warm_kernels.client._Server
    monkeypatch.setattr(warm_kernels.client, "_Server", lambda *a: starts.append(1) or real(*a))
    nb = notebook(tmp_path / "report.ipynb", REPORT)
    for i in range(2):
        out = tmp_path / f"out{i}.ipynb"
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
        assert json.loads(outputs(out)[0])["ppid"] == os.getpid()  # started the usual way
    assert starts == [1]
    err = capfd.readouterr().err
    assert err.count("the kernel server did not start (exit code 1); starting the kernel the usual way") == 2


def test_a_server_that_imported_other_code_is_replaced(tmp_path, monkeypatch):
    """After an edit (a new code fingerprint) or an install, kernels come from a server that imported the new code."""
    nb = notebook(tmp_path / "report.ipynb", REPORT)
    parents = []
    for state in ("before", "before", "after"):
        monkeypatch.setattr(warm_kernels.protocol, "_installed_state", lambda state=state: (state, 1))
        out = tmp_path / "out.ipynb"
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
        parents.append(json.loads(outputs(out)[0])["ppid"])
    assert parents[0] == parents[1] != parents[2]
    assert not alive(parents[0])  # the old server is stopped


def test_a_forked_kernel_sees_the_same_interpreter_as_a_usual_one(tmp_path):
    """sys.path (the working folder as '' where IPython puts it), interpreter flags and -X options, cwd."""
    nb = notebook(tmp_path / "env.ipynb", """
        import json, os, sys
        print(json.dumps({"path": sys.path, "flags": list(sys.flags), "x": sorted(sys._xoptions), "cwd": os.getcwd()}))
    """)
    seen = []
    for extra in ({}, {"kernel_manager_class": warm_kernels.WarmKernelManager}):
        out = tmp_path / "out.ipynb"
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, cwd=str(tmp_path), **extra)
        seen.append(json.loads(outputs(out)[0]))
    assert seen[1] == seen[0]


class _Channel:
    """A channel that hands out queued messages and is empty after them (as jupyter_client's get_msg)."""

    def __init__(self):
        self.queue = []

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.queue:
            raise Empty
        return self.queue.pop(0)


def test_ready_waits_for_the_idle_of_its_own_kernel_info_and_asks_again_when_iopub_missed_it():
    """The kernel answered the first kernel_info while IOPub was not yet subscribed (its idle was lost): the client
    asks again and is ready at the second idle - not at a stale reply or at another request's idle."""
    import asyncio

    client = warm_kernels.WarmKernelClient()
    shell, iopub = _Channel(), _Channel()
    sent = []

    def kernel_info():
        msg_id = f"k{len(sent)}"
        sent.append(msg_id)
        shell.queue.append({"msg_type": "kernel_info_reply", "parent_header": {"msg_id": msg_id}, "content": {}})
        if len(sent) == 1:
            return msg_id  # IOPub not joined yet: nothing published reaches the client
        iopub.queue.extend([{"msg_type": "status", "parent_header": {"msg_id": "other"}, "content": {"execution_state": "idle"}},
                            {"msg_type": "status", "parent_header": {"msg_id": msg_id}, "content": {"execution_state": "busy"}},
                            {"msg_type": "status", "parent_header": {"msg_id": msg_id}, "content": {"execution_state": "idle"}}])
        return msg_id

    async def is_alive():
        return True

    client.__dict__.update(kernel_info=kernel_info, is_alive=is_alive, _handle_kernel_info_reply=lambda msg: None)
    type(client).shell_channel = property(lambda self: shell)
    type(client).iopub_channel = property(lambda self: iopub)
    try:
        asyncio.run(client.wait_for_ready(timeout=5))
    finally:
        del type(client).shell_channel, type(client).iopub_channel
    assert sent == ["k0", "k1"]
    assert iopub.queue == []  # everything up to the idle was read: nbclient starts on a drained channel


def test_a_dead_kernel_is_reported_while_waiting_for_ready():
    import asyncio

    client = warm_kernels.WarmKernelClient()
    empty = _Channel()

    async def is_alive():
        return False

    client.__dict__.update(kernel_info=lambda: "k", is_alive=is_alive)
    type(client).shell_channel = property(lambda self: empty)
    type(client).iopub_channel = property(lambda self: empty)
    try:
        with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
            asyncio.run(client.wait_for_ready(timeout=5))
    finally:
        del type(client).shell_channel, type(client).iopub_channel


def test_forked_kernels_leave_the_servers_objects_out_of_garbage_collection(tmp_path):
    nb = notebook(tmp_path / "gc.ipynb", "import gc\nprint(gc.get_freeze_count() > 100000)")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
    assert outputs(out) == ["True\n"]


def test_forked_kernels_keep_their_input_history_in_memory_not_in_the_users_history_file(tmp_path):
    nb = notebook(tmp_path / "history.ipynb", "h = get_ipython().history_manager\nprint(h.hist_file, h.enabled)")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
    assert outputs(out) == [":memory: True\n"]


def test_forked_kernels_end_on_the_shutdown_request_without_a_sigterm(tmp_path):
    """ipykernel's exit handler stopped IOPub while the control thread still flushed through it: the kernel then hung
    until the client's SIGTERM (2.5 s later) in about 1 shutdown of 6. Each of these ends on the request itself."""
    from jupyter_client.manager import _ShutdownStatus

    managers = []

    class Recorded(warm_kernels.WarmKernelManager):  # the refresh's manager, each instance kept to look at after
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            managers.append(self)

    nb = notebook(tmp_path / "quick.ipynb", "print(1)")
    for _ in range(16):  # without the fix at least one of 16 hangs in 19 cases of 20 (5 of 29 measured)
        pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=Recorded)
    # SigtermRequest when the kernel was still there 2.5 s after the request
    assert [km._shutdown_status for km in managers] == [_ShutdownStatus.ShutdownRequest] * 16


def test_the_control_thread_is_stopped_and_joined_before_the_exit_handlers():
    from helpers.pipeline.warm_kernels.server import _end_control_thread

    calls = []

    class Thread:
        def is_alive(self):
            return True

        def stop(self):
            calls.append("stop")

        def join(self, timeout):
            calls.append(("join", timeout))

    class App:
        control_thread = Thread()
        up = True

        @classmethod
        def initialized(cls):
            return cls.up

        @classmethod
        def instance(cls):
            return cls()

    _end_control_thread(App, timeout=2.0)
    assert calls == ["stop", ("join", 2.0)]
    App.up = False
    _end_control_thread(App)  # a kernel that never started: nothing to end
    assert len(calls) == 2


def test_forked_kernels_share_the_servers_proj_lookups(tmp_path):
    """The CRS objects and the transformer every map draws with are made in the server (20-40 ms each in a kernel
    that meets them first): a kernel finds geopandas' transformer cache already holding them."""
    nb = notebook(tmp_path / "proj.ipynb", "from geopandas.array import TransformerFromCRS\nprint(TransformerFromCRS.cache_info().currsize >= 2)")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, kernel_manager_class=warm_kernels.WarmKernelManager)
    assert outputs(out) == ["True\n"]


def test_the_refresh_engine_saves_the_notebook_at_start_and_end_not_per_cell(tmp_path, monkeypatch):
    """A failing run's executed notebook still has every cell up to the error (written at the end), with fewer
    writes than papermill's two per cell."""
    import papermill.engines as engines

    from helpers.pipeline.executors import _register_engine

    writes = []
    real = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: (writes.append(path), real(nb, path)))
    nb = notebook(tmp_path / "fail.ipynb", "print('one')", "print('two')", "raise ValueError('stop here')", "print('never')")
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError, match="stop here"):
        pm.execute_notebook(str(nb), str(out), kernel_name=KERNEL, progress_bar=False, engine_name=_register_engine(),
                            kernel_manager_class=warm_kernels.WarmKernelManager)
    assert len(writes) == 2  # notebook start and end (papermill's own engine: 2 + 2 per cell = 12)
    assert outputs(out) == ["one\n", "two\n"]
    cells = [c for c in json.loads(out.read_text(encoding="utf-8"))["cells"] if "papermill" in c["metadata"]]  # not the error banner
    assert [c["metadata"]["papermill"]["status"] for c in cells] == ["completed", "completed", "completed", "failed", "pending"]


def test_the_clients_sockets_retry_a_kernel_still_binding_after_10_ms():
    # The client connects before the forked kernel has bound its ports: with ZeroMQ's default 100 ms between tries,
    # half of every kernel's start was this wait. The client makes its own context, not the manager's.
    import zmq

    manager = warm_kernels.WarmKernelManager(kernel_name=config.KERNEL_NAME)
    client = manager.client()
    for context in (client.context, manager.context):
        sock = context.socket(zmq.DEALER)
        try:
            assert sock.getsockopt(zmq.RECONNECT_IVL) == 10
        finally:
            sock.close(linger=0)
