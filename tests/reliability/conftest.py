"""Fixtures borrowed from the front ends' suites (the same fakes, the same real app)."""

from tests.discord.conftest import bot, fake
from tests.slack.conftest import fake_slack, start_app
from tests.slack.test_socket_mode import socket_app

__all__ = ["bot", "fake", "fake_slack", "socket_app", "start_app"]
