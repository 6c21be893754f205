"""Commands are counted in the Prometheus registry that /metrics serves."""

from __future__ import annotations

from prometheus_client import REGISTRY

from bot import metrics
from bot.core.context import CommandContext
from bot.core.guard import guarded
from bot.core.views import ErrorView


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_each_answer_is_counted_once_by_platform_command_and_outcome() -> None:
    async def answer(ctx: CommandContext, fail: bool) -> str | ErrorView:
        return ErrorView("unknown_tool", "No such tool.") if fail else "ok"

    handler = guarded("metrics_probe", answer)
    ctx = CommandContext(platform="discord", workspace="g1", user_id="u1", user_name="Ada")
    ok = {"platform": "discord", "command": "metrics_probe", "outcome": "ok"}
    failed = {**ok, "outcome": "unknown_tool"}
    seconds = {"command": "metrics_probe"}
    before = (
        _sample("shiporskip_commands_total", ok),
        _sample("shiporskip_commands_total", failed),
        _sample("shiporskip_command_seconds_count", seconds),
    )
    for fail in (False, False, True):
        await handler(ctx, fail)
    after = (
        _sample("shiporskip_commands_total", ok),
        _sample("shiporskip_commands_total", failed),
        _sample("shiporskip_command_seconds_count", seconds),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [2, 1, 3]


def test_labelled_children_are_the_metrics_own() -> None:
    child = metrics.labelled(metrics.VOTES, "slack", "counted")
    assert child is metrics.labelled(metrics.VOTES, "slack", "counted")
    assert child is metrics.VOTES.labels("slack", "counted")
