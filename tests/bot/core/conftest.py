"""The registry tests drive the real front ends, so they borrow the Discord and Slack fakes."""

from tests.discord.conftest import bot, fake
from tests.slack.conftest import fake_slack, start_app

__all__ = ["bot", "fake", "fake_slack", "start_app"]
