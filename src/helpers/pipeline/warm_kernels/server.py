"""The kernel server's own process: imports what the notebooks use once, then forks one kernel per request on its
Unix socket and reports each kernel's exit; it cleans up its kernels and socket when its parent is gone."""

from __future__ import annotations

import atexit
import importlib
import json
import os
import selectors
import signal
import socket
import sys

from helpers.pipeline.warm_kernels.protocol import MAX_MESSAGE

# Imported once in the server: what the notebooks' first cells import (most of a fresh kernel's first second).
WARM_MODULES = (
    "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.display",
    "numpy", "pandas", "pyarrow.parquet", "shapely", "geopandas", "pandera.pandas", "jinja2", "plotly.graph_objects",
    "plotly.io", "nbformat", "requests_cache",
    "helpers.notebook", "helpers.site.boundary_pages", "helpers.geo.municipality_key", "helpers.tables.indicators", "helpers.figures.classify",
    "helpers.site.indicator_pages", "helpers.models.model_files", "helpers.site.build", "helpers.tables.surveys", "helpers.site.survey_pages",
    "helpers.models.metrics", "helpers.models.scorecard", "helpers.models.partitions",
    "helpers.models.findings", "helpers.models.site_data", "helpers.tables.table_cache", "helpers.pipeline.job",
    # imported on first use by the cells. Not mapclassify: its import compiles numba code (2.5 s on which the first
    # kernels of a refresh would wait); the maps' quantiles do without it (helpers.figures.classify.quantile_bounds).
    "scipy.spatial.distance", "narwhals", "pyarrow.dataset", "kaleido", "helpers.site.downloads", "helpers.tables.joins",
    "helpers.site.model_view",
    "helpers.figures.svgmap", "helpers.figures.export", "helpers.site.nav", "helpers.site.front_page",
    "helpers.tables.breaks", "helpers.tables.series", "helpers.models.evenness", "helpers.models.unit_indicators",
    "pandera.accessors", "plotly.colors", "encodings.utf_8_sig", "pandas.core.reshape.reshape", "pandas.io.formats.string",
    "pandas.core.arrays.arrow.extension_types", "pandas.io.formats.csvs", "pandas.core.methods.to_dict",
    # what ipykernel imports while a kernel initialises (completer, debugger, %store, tornado's asyncio loop)
    "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect", "IPython.extensions.storemagic",
    "IPython.utils.wildcard", "faulthandler", "tornado.platform.asyncio", "IPython.core.logger",
)


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
    # The run's input history stays in the kernel: a refresh's 42 kernels would otherwise each add a session to the
    # user's IPython history database, all writing to the one SQLite file as they start and end (20 ms a kernel).
    sys.argv = [request["argv0"], *request["args"], "--HistoryManager.hist_file=:memory:"]
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
    _end_control_thread(kernelapp.IPKernelApp)
    atexit._run_exitfuncs()
    return code


def _end_control_thread(app_class, timeout: float = 2.0) -> None:
    """Let the control thread finish its last message before ipykernel's exit handler stops the IOPub thread.

    After a shutdown_request the main loop ends at once, while the control thread still flushes stdout through IOPub
    (ipykernel 7's ``process_control``); ``IPKernelApp.close`` (at exit) stops IOPub first and then joins the control
    thread, whose flush then waits out its 10 s timeout - until the client's SIGTERM 2.5 s after the request. Seen in
    5 of 29 kernel shutdowns here (1 of 6 with the history in a file): 3.03 s instead of 0.1 s for the run. Stopped
    and joined while IOPub still runs, the control thread ends in milliseconds and the exit handler finds it gone."""
    if not app_class.initialized():
        return
    control = getattr(app_class.instance(), "control_thread", None)
    if control is not None and control.is_alive():
        control.stop()
        control.join(timeout)


def _warm_up() -> None:
    """What every run's first figure and page would pay again after the imports: plotly's trace classes and
    validators (loaded on first attribute access), its renderers, and the compiled page templates."""
    import plotly.graph_objects as go
    import plotly.io as pio

    go.Figure([go.Choropleth(marker={"line": {"width": 0}}), go.Bar(marker={"color": "#000"}, insidetextfont={"size": 1})],
              layout={"geo": {"lataxis": {}, "lonaxis": {}, "projection": {}}, "title": {"text": ""}, "margin": {},
                      "legend": {"title": {"text": ""}}, "annotations": [{"text": "", "font": {}}],
                      "xaxis": {"title": {"text": ""}}, "yaxis": {}}).to_dict()
    pio.renderers.default  # noqa: B018 - loads the renderer modules
    import pandas as pd
    import pandera.pandas as pa

    # pandera registers its validation backends on the first validation (about 30 modules)
    pa.DataFrameSchema({"a": pa.Column(int, pa.Check.ge(0))}).validate(pd.DataFrame({"a": [1]}))
    from jupyter_client import localinterfaces

    localinterfaces.localhost()  # the network interfaces, listed once (every kernel's connection set-up asks)
    # PROJ's database lookups: a forked kernel that meets them first pays 20 ms for each (a CRS from its EPSG code, the
    # transformer that geopandas caches per pair), measured; made here, every kernel drawing a map shares them.
    import geopandas as gpd
    import shapely

    from helpers.geo.groupings import PLOT_CRS
    from helpers.geo.layers import _CRS, CRS

    gpd.GeoSeries([shapely.Point(400_000, 7_000_000)], crs=_CRS).to_crs(PLOT_CRS).to_crs(CRS)
    from helpers.site.pages import environment

    env = environment()
    for name in env.list_templates():
        env.get_template(name)
    # Read once here for every kernel, each keyed by its files' modification times (a file changed after this is
    # read again): the code's fingerprint (every cached table asks it) and the model files (most runs parse all).
    from helpers.base import hashing
    from helpers.models.model_files import load_model, model_names

    hashing.code_version()
    for name in model_names():
        try:
            load_model(name)
        except Exception:  # noqa: BLE001 - a broken model file is the run's to report
            pass


def serve(path: str, parent: int, listen_fd: int) -> None:
    """The server's loop: import, say ready, fork a kernel per request, report each kernel's exit status."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN if sig == signal.SIGINT else signal.SIG_DFL)
    # No PR_SET_PDEATHSIG here: it follows the starting *thread* (a Dask task thread may end); the loop below
    # watches the parent instead.
    from helpers.base.config import skip_iri_grammars

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
