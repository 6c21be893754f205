"""Link preview images and Atom feeds."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import date

from PIL import Image

from bot.core.context import CommandContext
from bot.runner import Runtime
from db.models import ReviewVersion
from digest.issues import ensure_issue
from digest.weeks import parse_week
from tests.bot.web.conftest import PUBLIC_URL, Client, local

PAIR = "/compare/claude-4-sonnet-vs-smolvlm2-turbo"
ATOM = "{http://www.w3.org/2005/Atom}"


async def _image_url(client: Client) -> str:
    html = await (await client.get(PAIR)).text()
    found = re.search(r'property="og:image" content="([^"]+)"', html)
    assert found
    return local(found[1].replace("&amp;", "&"))


async def test_og_image_is_a_1200_by_630_png(client: Client) -> None:
    response = await client.get(await _image_url(client))
    assert response.status == 200
    assert response.content_type == "image/png"
    assert "immutable" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(await response.read()))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


async def test_og_image_version_follows_the_verdicts(client: Client, runtime: Runtime) -> None:
    """Community votes leave the picture alone; a panel change makes a new version."""
    before = await _image_url(client)
    await runtime.service.vote(CommandContext("slack", "T", "U"), "claude-4-sonnet", "skip")
    assert await _image_url(client) == before
    async with runtime.database.write() as session:
        from sqlalchemy import update

        from db.models import Review

        tool_id = runtime.service.index.by_slug["claude-4-sonnet"].id
        await session.execute(
            update(Review).where(Review.tool_id == tool_id).values(verdict="skip", score=10)
        )
    await runtime.service.index.refresh(runtime.database, force=True)
    after = await _image_url(client)
    assert after != before
    stale = await client.get(before)
    assert stale.status == 200 and "immutable" not in stale.headers["Cache-Control"]


def _feed(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip(), required
        assert entry.find(f"{ATOM}link").get("href")  # type: ignore[union-attr]
    return root


async def test_digest_feed_lists_issues(client: Client, runtime: Runtime) -> None:
    empty = _feed(await (await client.get("/digests.atom")).text())
    assert empty.findall(f"{ATOM}entry") == []
    await ensure_issue(runtime.database, parse_week("2026-W21"))
    response = await client.get("/digests.atom")
    assert response.content_type == "application/atom+xml"
    entries = _feed(await response.text()).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [f"{PUBLIC_URL}/digests/2026-W21"]


async def test_tool_feed_lists_verdict_changes(client: Client, runtime: Runtime) -> None:
    await runtime.service.index.refresh(runtime.database)
    cursor = runtime.service.index.by_slug["cursor"]
    async with runtime.database.write() as session:
        session.add(
            ReviewVersion(
                tool_id=cursor.id,
                critic_id=1,
                score=40,
                verdict="skip",
                text="<b>old</b>",
                reviewed=date(2024, 1, 2),
            )
        )
    root = _feed(await (await client.get("/tools/cursor.atom")).text())
    assert root.findtext(f"{ATOM}id") == f"{PUBLIC_URL}/tools/cursor.atom"
    titles = [e.findtext(f"{ATOM}title") or "" for e in root.findall(f"{ATOM}entry")]
    assert len(titles) == 1 and "40/100 · skip →" in titles[0]
    assert (await client.get("/tools/nope.atom")).status == 404
