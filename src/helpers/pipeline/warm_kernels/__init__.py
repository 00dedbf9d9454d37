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

# The names the refresh, its workers, the benchmarks and the tests use. The modules: protocol (settings and server key
# shared by both sides), server (the server's own process), client (the worker's side; the module state such as the
# worker's own server, ``client._server``, lives there: patch and read it there, not here). ``serve`` is the server's
# command line (client._Server, shown by ps): python -c "from helpers.pipeline.warm_kernels import serve; ...".
from helpers.pipeline.warm_kernels.client import (
    SHARED_ENV,
    WarmKernelClient,
    WarmKernelManager,
    _ipykernel_command,
    fork_kernel,
    start_shared,
    stop_server,
    stop_shared,
    take_messages,
)
from helpers.pipeline.warm_kernels.protocol import WARM_ENV, enabled
from helpers.pipeline.warm_kernels.server import serve

__all__ = [
    "SHARED_ENV",
    "WARM_ENV",
    "WarmKernelClient",
    "WarmKernelManager",
    "_ipykernel_command",
    "enabled",
    "fork_kernel",
    "serve",
    "start_shared",
    "stop_server",
    "stop_shared",
    "take_messages",
]
