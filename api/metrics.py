"""Prometheus metrics at /metrics, served by prometheus-flask-exporter (content negotiation, the exposition
format, and under gunicorn the sum of every worker's numbers through prometheus_client's multiprocess mode).

Requests are counted and timed by route (the URL rule: /terms/<path:term> is one series) and status in the
outermost WSGI layer (api.observe), not in Flask's hooks as the exporter's own defaults are: the answers of the
fast paths (api.answers, api.fastlink) never reach Flask, and they are most of the traffic. The KB's gauges are
read when /metrics is asked (kb's readiness check): the store's revision, how far the search index is behind,
and how long the last `kb build` took (the CLI notes it in the store, so any process can read it).
"""

from __future__ import annotations

import functools
import math
import os

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

from api.state import get_kb
from kb.errors import KBNotBuilt

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"  # set by api/gunicorn_conf.py: every worker writes its numbers there
PATH = "/metrics"
# a cached answer takes well under a millisecond, a search or a first lookup some milliseconds, a build seconds
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "(unmatched)"  # the route of a request no URL rule took (a 404): never the raw path, one series
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LABELS = ("method", "route", "status")


class Metrics:
    """The app's metrics and its /metrics endpoint."""

    def __init__(self, app: Flask):
        if os.environ.get(MULTIPROCESS):  # under gunicorn: /metrics sums every worker's files
            exporter: PrometheusMetrics = GunicornInternalPrometheusMetrics(
                app, path=PATH, export_defaults=False, metrics_decorator=self._fresh)
        else:  # one process (the test client, `flask run`): a registry of this app's own
            exporter = PrometheusMetrics(app, path=PATH, export_defaults=False, registry=CollectorRegistry(),
                                         metrics_decorator=self._fresh)
        registry = exporter.registry
        self.requests = Counter("kb_http_requests", "HTTP requests answered, by method, route (URL rule) and status",
                                LABELS, registry=registry)
        self.latency = Histogram("kb_http_request_duration_seconds", "Time to answer an HTTP request, by method, "
                                 "route (URL rule) and status", LABELS, buckets=BUCKETS, registry=registry)
        # what any worker reads from the store at a scrape: the latest reading is the truth
        gauge = functools.partial(Gauge, registry=registry, multiprocess_mode="mostrecent")
        self.store_revision = gauge("kb_store_revision", "The store's revision (its latest change)")
        self.index_lag = gauge("kb_index_lag", "Revisions of content the search index is behind the KB (0: current)")
        self.last_build = gauge("kb_last_build_seconds", "How long the last `kb build` took (NaN: not noted)")
        self.ready = gauge("kb_ready", "1 when /readyz would answer 200, else 0")
        self._series: dict[tuple[str, str, str], tuple] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """One answered request (api.observe calls this for every response, the fast paths' too)."""
        key = (method if method in METHODS else "other", route or UNMATCHED, str(status))
        series = self._series.get(key)
        if series is None:  # a few dozen (methods, rules, statuses): kept, not looked up under a lock each time
            series = self._series[key] = (self.requests.labels(*key), self.latency.labels(*key))
        series[0].inc()
        series[1].observe(seconds)

    def _fresh(self, view):
        """The exporter's view, with the KB's gauges read first."""

        @functools.wraps(view)
        def metrics(*args, **kwargs):
            self.read_gauges()
            return view(*args, **kwargs)

        return metrics

    def read_gauges(self) -> None:
        try:
            readiness = get_kb().readiness()
        except KBNotBuilt:
            self.ready.set(0)
            return
        self.ready.set(1 if readiness.ready else 0)
        if readiness.store_revision is not None:
            self.store_revision.set(readiness.store_revision)
        self.index_lag.set(readiness.index_lag)
        seconds = readiness.last_build_seconds
        self.last_build.set(math.nan if seconds is None else seconds)
