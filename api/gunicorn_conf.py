"""gunicorn's settings for kb: `make run` and the tests' servers (tests/helpers.py) start it with
``-c api/gunicorn_conf.py``; the command line adds the address, the number of workers and the app.

- The app is preloaded: the KB and jieba's dictionary load once in the master, before it forks (sync workers).
- Logs: the app's and gunicorn's error log on stderr, the access log on stdout, every line with its request id;
  plain text, or one JSON object a line with KB_LOG_FORMAT=json (api/logs.py).
- Metrics: prometheus_client's multiprocess mode, so that /metrics sums every worker: each worker writes its
  numbers to files in PROMETHEUS_MULTIPROC_DIR (made here, emptied at start, removed at exit if made here),
  and a worker that exits is marked dead there (its live gauges dropped; its counts stay in the sums).
- SIGTERM stops gracefully: the master stops listening, and each worker finishes the request it is handling
  (for up to ``graceful_timeout`` seconds, KB_GRACEFUL_TIMEOUT) before it exits.

Read by gunicorn at start (and again on SIGHUP), never imported by the app.
"""

import os
import shutil
import tempfile
from pathlib import Path

from api.logs import ACCESS, gunicorn_logging

_METRICS = "PROMETHEUS_MULTIPROC_DIR"
# this config's own marks in the environment (no settings): the master that prepared the metrics dir (a reload
# on SIGHUP keeps the dir and its numbers), and whether it made the dir (then it removes it at exit)
_MADE_BY = "KB_METRICS_DIR_MASTER"
_MADE = "KB_METRICS_DIR_MADE"

preload_app = True
worker_class = "sync"
limit_request_line = 8190  # a percent-encoded term of 200 characters fits (api.views.MAX_TERM)
graceful_timeout = int(os.environ.get("KB_GRACEFUL_TIMEOUT", "30"))
accesslog = "-"
access_log_format = ACCESS
logconfig_dict = gunicorn_logging(os.environ.get("KB_LOG_FORMAT", "text").lower())


def _metrics_dir() -> None:
    """The multiprocess dir, ready before the app is loaded (prometheus_client reads it when it is imported)."""
    if os.environ.get(_MADE_BY) == str(os.getpid()):
        return
    given = os.environ.get(_METRICS)
    if given:  # the operator's: emptied, since numbers of an earlier run would be summed in
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        os.environ[_METRICS] = tempfile.mkdtemp(prefix="kb-metrics-")
        os.environ[_MADE] = "1"
    os.environ[_MADE_BY] = str(os.getpid())


_metrics_dir()


def child_exit(server, worker) -> None:
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server) -> None:
    if os.environ.pop(_MADE, None):
        shutil.rmtree(os.environ[_METRICS], ignore_errors=True)
