"""Prometheus metrics, served at GET /metrics. Names follow Prometheus conventions."""

from __future__ import annotations

import functools
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

M = TypeVar("M", bound=MetricWrapperBase)

COMMANDS = Counter(
    "shiporskip_commands_total",
    "Commands answered, by platform, command and outcome (ok or the error code).",
    ["platform", "command", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "shiporskip_command_seconds",
    "Time to answer a command in the core, by command.",
    ["command"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
VOTES = Counter(
    "shiporskip_votes_total", "Community votes counted or changed.", ["platform", "outcome"]
)
EMAILS = Counter(
    "shiporskip_emails_total",
    "Emails by kind (confirmation or digest) and result: sent, deferred (4xx) or failed.",
    ["kind", "result"],
)
DIGEST_BUILD_SECONDS = Histogram(
    "shiporskip_digest_build_seconds", "Time to build a weekly digest snapshot."
)
DIGEST_SEND_SECONDS = Histogram(
    "shiporskip_digest_send_seconds",
    "Time to deliver one digest issue to every subscriber.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600),
)
EVENT_LOOP = Gauge(
    "shiporskip_event_loop_info",
    "1 for the event loop this process runs on (uvloop or asyncio; EVENT_LOOP).",
    ["loop"],
)
DB_POOL_IN_USE = Gauge("shiporskip_db_pool_in_use", "Database connections checked out now.")
VOTE_SPIKE = Gauge(
    "shiporskip_vote_spike",
    "1 when a tool's last-24h votes exceed 3x its daily baseline (at least 10), else 0.",
    ["tool"],
)


@functools.cache
def labelled(metric: M, *values: str) -> M:
    """``metric.labels(*values)``, looked up once: every command counts itself three
    times, and ``labels`` validates and locks on each call. The label values are a
    small fixed set (platforms, commands, outcomes), and nothing here ever removes a
    child, so the cache cannot outgrow the metric or go stale."""
    return metric.labels(*values)
