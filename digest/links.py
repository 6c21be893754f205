"""Where each digest item points on the web, with the campaign tags of its issue.

The URL shapes are the web app's, from bot/core/links.py: a comparison lives at
``/compare/<a>-vs-<b>`` with the two slugs in alphabetical order, so both orders of a
request land on one page, and a tool at ``/tools/<slug>``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot.core.links import compare_path, tool_path


def campaign(url: str, week: str) -> str:
    """``url`` tagged so the web app can count visits that came from this issue."""
    tags = urlencode({"utm_source": "digest", "utm_medium": "email", "utm_campaign": week})
    return f"{url}{'&' if '?' in url else '?'}{tags}"


class IssueLinks:
    """Absolute, campaign-tagged links for one issue; templates call these."""

    def __init__(self, public_url: str, week: str) -> None:
        self.public_url = public_url.rstrip("/")
        self.week = week

    def tool(self, slug: str) -> str:
        return campaign(self.public_url + tool_path(slug), self.week)

    def compare(self, first_slug: str, second_slug: str) -> str:
        return campaign(self.public_url + compare_path(first_slug, second_slug), self.week)

    @property
    def home(self) -> str:
        return campaign(f"{self.public_url}/", self.week)

    @property
    def archive(self) -> str:
        """The issue in a browser (the "View in browser" link)."""
        return campaign(f"{self.public_url}/digests/{self.week}", self.week)

    @property
    def subscribe(self) -> str:
        return campaign(f"{self.public_url}/subscribe", self.week)

    @property
    def all_issues(self) -> str:
        return campaign(f"{self.public_url}/digests", self.week)
