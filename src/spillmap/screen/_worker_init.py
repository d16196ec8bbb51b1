"""Run at the start of each local Dask worker process (distributed's worker ``preload``):
the worker ignores SIGINT.

A terminal's Ctrl-C goes to the whole foreground process group, the local cluster's worker
processes included, and each worker then printed a ``KeyboardInterrupt`` traceback (from
distributed's nanny and asyncio) before or after spillmap's one-line "interrupted" message.
The interrupt is the main process's business: it stops the run, removes its temporary
output and closes the cluster, which ends the workers.  Only the local cluster that
:func:`spillmap.screen._engine.dask_client` starts loads this module; a user's own cluster
or scheduler is left as it is.
"""
from __future__ import annotations

import signal
import threading

if threading.current_thread() is threading.main_thread():  # signal.signal works only there
    signal.signal(signal.SIGINT, signal.SIG_IGN)
