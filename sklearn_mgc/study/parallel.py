"""Independent cells of the study's grid trained in parallel processes.

:func:`plan_workers` chooses how many processes and how many torch threads each (never more
threads than cores); :func:`run_tasks` runs a module-level function over picklable tasks in
that many loky processes (joblib), or in this process when there is one worker, and returns
the results in the order of the tasks. A worker's log records on the ``sklearn_mgc`` loggers
and its warnings are collected and replayed on this process's loggers when its task returns,
so the messages of a parallel run reach the same handlers as those of a serial one.
"""

import logging
import warnings

from .._io import get_logger
from ._scoped import torch_threads

__all__ = ["plan_workers", "run_tasks"]

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


def run_tasks(func, tasks, *, n_workers, threads, order=None):
    """``[func(task) for task in tasks]``, in ``n_workers`` processes with ``threads`` each.

    Parameters
    ----------
    func : callable
        A module-level function (picklable), called as ``func(task)``.
    tasks : list
        Picklable arguments; numpy arrays in them are shared with the processes by joblib
        (memory-mapped above 1 MB).
    n_workers : int
        1 runs in this process, with ``threads`` torch threads.
    threads : int or None
        Torch threads while a task runs.
    order : list of int or None, default=None
        The order in which to start the tasks (the longest first balance the processes);
        the results come back in the order of ``tasks`` whatever it is.

    Returns
    -------
    results : list

    Examples
    --------
    >>> from sklearn_mgc.study.parallel import run_tasks
    >>> run_tasks(abs, [-1, 2, -3], n_workers=1, threads=None, order=[2, 0, 1])
    [1, 2, 3]
    """
    order = list(range(len(tasks))) if order is None else list(order)
    if n_workers == 1:
        done = [_in_process(func, tasks[i], threads) for i in order]
    else:
        from joblib import Parallel, delayed

        level = logging.getLogger(_ROOT).getEffectiveLevel()
        parallel = Parallel(n_jobs=n_workers, backend="loky", batch_size=1, pre_dispatch="all")
        done = []
        for result, records in parallel(
            delayed(_in_worker)(func, tasks[i], threads, level) for i in order
        ):
            _replay(records)
            done.append(result)
    results = [None] * len(tasks)
    for i, result in zip(order, done):
        results[i] = result
    return results


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
            result = _in_process(func, task, threads)
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
