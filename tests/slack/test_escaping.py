"""No text a user types or the catalog holds can ping a channel or inject markup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack_bot.mrkdwn import escape, fit
from tests.slack.conftest import RunningApp
from tests.slack.fake_slack import message_problems
from tests.slack.test_commands import command


def test_escape_neutralises_mentions() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_escape_keeps_entities_literal() -> None:
    """Typing &lt;!here&gt; must not become <!here> once Slack decodes entities."""
    assert escape("&lt;!here&gt;") == "&amp;lt;!here&amp;gt;"


@given(
    st.text(alphabet=st.sampled_from(list("<>&!@chanelher ;tgl")), max_size=200),
    st.integers(5, 300),
)
def test_fit_never_breaks_an_entity_or_the_limit(text: str, limit: int) -> None:
    fitted = fit(text, limit)
    assert len(fitted) <= limit
    assert message_problems({"text": fitted}) == []
    stripped = fitted.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
    assert "<" not in stripped and ">" not in stripped


async def test_channel_ping_in_compare_is_shown_not_sent(running: RunningApp) -> None:
    answer = await command(running, "/compare", "<!channel> vs <!here|here>", "p")
    assert answer["response_type"] == "ephemeral"
    assert "&lt;!channel&gt;" in str(answer["text"])
    assert "<!channel>" not in str(answer) and "<!here" not in str(answer)


async def test_entity_tricks_stay_literal(running: RunningApp) -> None:
    answer = await command(running, "/vote", "&lt;!everyone&gt; ship", "q")
    assert "&amp;lt;!everyone&amp;gt;" in str(answer["text"])
    assert "link_names" not in answer


async def test_unknown_command_text_is_escaped(running: RunningApp) -> None:
    answer = await command(running, "/shiporskip", "<@U0BOSS> <!subteam^S1>", "r")
    assert "&lt;@U0BOSS&gt;" in str(answer["text"])
