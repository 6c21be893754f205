"""Fixtures borrowed from the front ends' suites (the same fakes, the same real app)."""

from tests.slack.conftest import fake_slack
from tests.slack.test_socket_mode import socket_app

__all__ = ["fake_slack", "socket_app"]
