"""The typed snapshot: old stored JSON still loads and renders the same, new versions refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from db.engine import Database
from db.queries.digest_issues import insert_issue
from digest.channels import digest_post
from digest.issues import ensure_issue, find_issue
from digest.message import EMAIL_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, Placeholders
from digest.render import render_text
from digest.snapshot_model import SNAPSHOT_VERSION, DigestSnapshot, SnapshotVersionError
from tests.digest.conftest import PUBLIC_URL, WEEK, seed_week

DATA = Path(__file__).parent / "data"
# Stored by the release whose snapshot was a plain dict, with the text part it rendered then.
OLD_JSON = DATA / "snapshot_v1_2026-W21.json"
OLD_TEXT = DATA / "snapshot_v1_2026-W21.txt"


def _old() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(OLD_JSON.read_text(encoding="utf-8"))
    return data


def test_an_old_stored_snapshot_loads_and_writes_back_unchanged() -> None:
    """JSON from the dict era round-trips key for key through the dataclasses."""
    snapshot = DigestSnapshot.from_json(_old())
    assert snapshot.version == 1
    assert snapshot.new_verdicts[0].name == "Claude 4 Sonnet"
    assert snapshot.to_json() == _old()


# The issue's random placeholders, fixed so the text part can be compared byte for byte.
MARKS = Placeholders(UNSUBSCRIBE_PLACEHOLDER, EMAIL_PLACEHOLDER)


def test_an_old_snapshot_renders_the_text_it_rendered_then() -> None:
    """The text part of the stored issue is byte for byte the golden file.

    The golden changes only when the templates change on purpose (the editorial and
    footer redesign of issue 16 did); an old snapshot must keep rendering in full.
    """
    snapshot = DigestSnapshot.from_json(_old())
    text = render_text(snapshot, PUBLIC_URL, placeholders=MARKS)
    assert text == OLD_TEXT.read_text(encoding="utf-8")
    post = digest_post(snapshot, PUBLIC_URL)
    assert post.week == "2026-W21" and post.sections[0].title == "New verdicts"


async def test_an_old_row_in_the_database_reads_back_typed(database: Database) -> None:
    """An issue row written with the old JSON is found and read as a DigestSnapshot."""
    async with database.write() as session:
        assert await insert_issue(session, "2026-W21", "old subject", _old())
    issue = await find_issue(database, "2026-W21")
    assert issue is not None and isinstance(issue.snapshot, DigestSnapshot)
    assert issue.snapshot.to_json() == _old()
    text = render_text(issue.snapshot, PUBLIC_URL, placeholders=MARKS)
    assert text == OLD_TEXT.read_text(encoding="utf-8")


async def test_a_built_issue_round_trips_through_the_database(demo_database: Database) -> None:
    """What is stored reads back equal, field for field, on both databases."""
    await seed_week(demo_database)
    issue, built = await ensure_issue(demo_database, WEEK)
    assert built
    assert DigestSnapshot.from_json(json.loads(json.dumps(issue.snapshot.to_json()))) == (
        issue.snapshot
    )
    assert issue.subject == issue.snapshot.subject


def test_a_newer_version_is_refused_with_a_clear_message() -> None:
    """A snapshot written by a later release is not half-read."""
    newer = SNAPSHOT_VERSION + 1
    with pytest.raises(SnapshotVersionError, match=f"version {newer}"):
        DigestSnapshot.from_json({**_old(), "version": newer})


def test_a_missing_field_names_itself() -> None:
    """A broken entry says which field it lacks."""
    broken = _old()
    del broken["comparisons"][0]["decision"]
    with pytest.raises(ValueError, match="Comparison in the snapshot lacks decision"):
        DigestSnapshot.from_json(broken)
