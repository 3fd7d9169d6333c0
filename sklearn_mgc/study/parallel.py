"""Independent cells of the study's grid trained in parallel processes.

:func:`plan_workers` chooses how many processes and how many torch threads each (never more
threads than cores); a :class:`TaskStream` runs a module-level function over picklable tasks
in that many loky processes (joblib's), started as the tasks are submitted while the caller
goes on, or in this process when there is one worker. A worker's log records on the
``sklearn_mgc`` loggers and its warnings are collected and replayed on this process's loggers
when its task returns, so the messages of a parallel run reach the same handlers as those of
a serial one.
"""

import copy
import functools
import heapq
import itertools
import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from .._io import get_logger
from ._scoped import torch_threads

__all__ = ["plan_workers", "TaskStream"]

_ROOT = "sklearn_mgc"
_logger = get_logger("sklearn_mgc.study")


def plan_workers(n_jobs, n_tasks, threads, *, cores=None):
    """Processes and torch threads per process for ``n_tasks`` independent tasks.

    Parameters
    ----------
    n_jobs : int or None
        As joblib's: -1 all cores, None 1.
    n_tasks : int
        Tasks to run (no more processes than tasks).
    threads : int or None
        Torch threads wished per task (None: as many as the cores allow).
    cores : int or None, default=None
        Cores available (None: :func:`joblib.cpu_count`).

    Returns
    -------
    n_workers : int
        At least 1; 1 means: run in this process.
    threads : int or None
        Torch threads per process, so that ``n_workers * threads <= cores`` (None only when
        there is one worker and ``threads`` is None: torch's setting is left alone).

    Examples
    --------
    >>> from sklearn_mgc.study.parallel import plan_workers
    >>> plan_workers(-1, 7, 1, cores=2), plan_workers(-1, 7, None, cores=2)
    ((2, 1), (2, 1))
    >>> plan_workers(2, 7, 4, cores=8), plan_workers(1, 7, 1, cores=8)
    ((2, 4), (1, 1))
    """
    import joblib

    cores = cores or joblib.cpu_count()
    wanted = joblib.effective_n_jobs(n_jobs) if n_jobs not in (None, 0) else 1
    n_workers = max(1, min(wanted, cores, n_tasks))
    if n_workers == 1:
        return 1, threads
    share = max(1, cores // n_workers)
    return n_workers, share if threads is None else max(1, min(int(threads), share))


class TaskStream:
    """Tasks run in ``n_workers`` processes as they are submitted, while the caller goes on.

    :meth:`submit` queues tasks and returns at once; the processes start the pending task
    with the smallest key whenever one of them is free (so tasks submitted later can still
    start first: the longest first balance the processes); :meth:`wait` returns the results
    of the tasks asked for, in their order. The study submits the cells of a representation
    as soon as it is extracted and extracts the next one while they train, so that no core
    waits for the extraction, the weight checks or the other serial steps.

    With one worker nothing runs in the background: :meth:`wait` runs the pending tasks in
    this process, smallest key first, with ``threads`` torch threads.

    Numpy arrays of more than 1 MiB held by a task (its attributes) are written once to a
    temporary folder and memory-mapped by the processes, so that the cells of one
    representation share its sequences instead of each receiving a copy. A worker's log
    records and warnings are replayed on this process's loggers when its task ends. The
    processes' native thread pools (OpenMP, OpenBLAS, MKL) are limited to ``threads``, as
    joblib limits its workers'.

    Parameters
    ----------
    func : callable
        A module-level function (picklable), called as ``func(task)``.
    n_workers : int
        Processes; 1 runs the tasks in this process.
    threads : int or None
        Torch threads while a task runs (None: torch's setting).

    Examples
    --------
    >>> from sklearn_mgc.study.parallel import TaskStream
    >>> with TaskStream(abs, n_workers=1, threads=None) as stream:
    ...     first = stream.submit([-1, 2], keys=[1, 0])
    ...     second = stream.submit([-3], keys=[2])
    ...     stream.wait(first + second)
    [1, 2, 3]
    """

    def __init__(self, func, *, n_workers, threads):
        self.func, self.n_workers, self.threads = func, n_workers, threads
        self._pending, self._results, self._running = [], {}, 0
        self._count = itertools.count()
        self._changed = threading.Condition()
        self._executor = self._dispatcher = self._folder = None
        self._closing = False
        self._shared = {}
        self._level = logging.getLogger(_ROOT).getEffectiveLevel()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(kill=exc_type is not None)

    def submit(self, tasks, keys):
        """Queue ``tasks`` (started smallest key first); return their handles."""
        if self.n_workers > 1:
            tasks = [self._share(task) for task in tasks]
            self._start_dispatcher()
        with self._changed:
            handles = []
            for task, key in zip(tasks, keys, strict=True):
                handles.append(next(self._count))
                heapq.heappush(self._pending, (key, handles[-1], task))
            self._changed.notify_all()
        return handles

    def wait(self, handles):
        """The results of the tasks ``handles`` name, in that order (once each)."""
        if self.n_workers == 1:
            self._run_here(set(handles))
        with self._changed:
            self._changed.wait_for(lambda: all(h in self._results for h in handles))
            results = [self._results.pop(h) for h in handles]
        for result in results:
            if isinstance(result, _Failed):
                raise result.error
        return results

    def close(self, kill=False):
        """Stop the processes (after their running tasks, or at once with ``kill``) and
        remove the shared arrays; tasks not started are dropped."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join()
            self._dispatcher = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, kill_workers=kill)
            self._executor = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder, self._shared = None, {}

    def _run_here(self, handles):
        while handles & {h for _, h, _ in self._pending}:
            _, handle, task = heapq.heappop(self._pending)
            self._results[handle] = _in_process(self.func, task, self.threads)

    def _start_dispatcher(self):
        if self._dispatcher is None:
            from joblib.externals.loky import ProcessPoolExecutor

            # as joblib does for its workers: native thread pools sized to the share of cores
            limit = str(self.threads or 1)
            env = dict.fromkeys(_THREAD_VARIABLES, limit)
            self._executor = ProcessPoolExecutor(max_workers=self.n_workers, env=env)
            self._dispatcher = threading.Thread(
                target=self._dispatch, name="sklearn-mgc-cells", daemon=True
            )
            self._dispatcher.start()

    def _dispatch(self):
        """The dispatcher thread: start the smallest pending key whenever a process is free.

        Only this thread submits to the executor, and never while holding the condition, which
        the executor's own thread takes to record a result: no two locks in opposite orders.
        """
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._closing or (self._pending and self._running < self.n_workers)
                )
                if self._closing:
                    return
                _, handle, task = heapq.heappop(self._pending)
                self._running += 1
            try:
                future = self._executor.submit(
                    _in_worker, self.func, task, self.threads, self._level
                )
            except BaseException as exc:  # the pool is broken: no task can start any more
                self._fail([handle], exc)
                return
            future.add_done_callback(functools.partial(self._finished, handle))

    def _finished(self, handle, future):
        try:
            result, records = future.result()
            _replay(records)
        except BaseException as exc:  # a worker died: wait() raises it
            self._fail([handle], exc)
            return
        with self._changed:
            self._results[handle] = result
            self._running -= 1
            self._changed.notify_all()

    def _fail(self, handles, error):
        """Record ``error`` for ``handles`` (started) and every pending task."""
        with self._changed:
            self._running -= len(handles)
            while self._pending:
                handles.append(heapq.heappop(self._pending)[1])
            self._results.update((h, _Failed(error)) for h in handles)
            self._changed.notify_all()

    def _share(self, task):
        """``task``, its large arrays replaced by memory-mapped files (each written once)."""

        def large(value):
            return isinstance(value, np.ndarray) and value.nbytes > _SHARE_BYTES

        return _replace_attributes(task, large, self._mapped)

    def _mapped(self, array):
        """The :class:`_Mapped` file of ``array``, written on its first use."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="sklearn-mgc-cells-")
        if id(array) not in self._shared:  # the array is kept, so its id stays its own
            path = os.path.join(self._folder.name, f"{len(self._shared)}.npy")
            np.save(path, array)
            self._shared[id(array)] = (_Mapped(path), array)
        return self._shared[id(array)][0]


_SHARE_BYTES = 2**20
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class _Mapped:
    """A shared array, as a task travels to a worker: the ``.npy`` file to memory-map."""

    path: str


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def _unshare(task):
    """``task`` with its shared arrays memory-mapped (read-only), in a worker."""

    def shared(value):
        return isinstance(value, _Mapped)

    return _replace_attributes(task, shared, lambda ref: np.load(ref.path, mmap_mode="r"))


def _replace_attributes(task, selected, convert):
    """A shallow copy of ``task`` whose ``selected`` attributes are ``convert``-ed (``task``
    itself when none is)."""
    chosen = [k for k, v in getattr(task, "__dict__", {}).items() if selected(v)]
    if not chosen:
        return task
    task = copy.copy(task)
    for name in chosen:
        setattr(task, name, convert(getattr(task, name)))
    return task


def _in_process(func, task, threads):
    with torch_threads(threads):
        return func(task)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        record.msg, record.args = record.getMessage(), None  # picklable whatever the args
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


def _in_worker(func, task, threads, level):
    """Run one task in a worker process; return its result and its log records."""
    root = logging.getLogger(_ROOT)
    handler, old = _Collect(), (root.level, root.propagate)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # each warning once per task and place
            result = _in_process(func, _unshare(task), threads)
        for w in caught:
            _logger.warning("%s: %s", w.category.__name__, w.message)
    finally:
        root.removeHandler(handler)
        root.setLevel(old[0])
        root.propagate = old[1]
    return result, handler.records


def _replay(records):
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)
