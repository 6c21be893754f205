"""App Home: bookmarks with verdicts, the user's votes, this week's trends, the digest."""

from __future__ import annotations

from typing import Any

from db.digest_models import DigestIssue
from tests.slack.conftest import RunningApp
from tests.slack.signing import event_body
from tests.slack.test_commands import command


async def open_home(app: RunningApp, user: str = "U0ADA") -> dict[str, Any]:
    before = len(app.fake.named("views.publish"))
    response = await app.post(event_body({"type": "app_home_opened", "user": user, "tab": "home"}))
    assert response.status == 200
    published = await app.fake.wait_calls("views.publish", before + 1)
    return published[-1].payload


def home_text(payload: dict[str, Any]) -> str:
    return str(payload["view"]["blocks"])


async def test_home_shows_bookmarks_votes_and_trends(running: RunningApp) -> None:
    await command(running, "/compare", "cursor vs copilot", "c1")
    await command(running, "/compare", "cursor vs windsurf", "c2")
    await command(running, "/bookmark", "copilot", "b")
    await command(running, "/vote", "cursor skip", "v")
    payload = await open_home(running)
    assert payload["user_id"] == "U0ADA" and payload["view"]["type"] == "home"
    text = home_text(payload)
    assert "*GitHub Copilot*: Ship · 4 ship / 0 skip" in text
    assert "*Cursor*: skip" in text
    assert "*Cursor*: 2× compared" in text
    assert "None yet" in text


async def test_home_of_a_new_user_explains_what_to_do(running: RunningApp) -> None:
    text = home_text(await open_home(running, user="U0NEW"))
    assert "No bookmarks yet" in text and "No votes yet" in text


async def test_home_shows_the_newest_digest(running: RunningApp) -> None:
    async with running.runtime.database.write() as session:
        session.add(DigestIssue(week="2026-W47", subject="Old <news>", snapshot={}))
        session.add(DigestIssue(week="2026-W48", subject="Cursor & friends", snapshot={}))
    text = home_text(await open_home(running))
    assert "2026-W48: Cursor &amp; friends" in text
    assert "/digests/2026-W48|Read it>" in text
