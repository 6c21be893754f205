"""Walk the command registry: each command answers with its declared visibility everywhere."""

from __future__ import annotations

from typing import Any

from bot.core.context import CommandContext
from bot.core.registry import REGISTRY, CommandSpec, commands_for
from bot.core.service import CommandService
from db.engine import Database
from tests.discord.checks import is_ephemeral, text_of
from tests.discord.conftest import Bot
from tests.discord.payloads import admin_slash
from tests.slack.conftest import ADMIN, Starter
from tests.slack.test_commands import command

# One successful call per command, by option name. A new command must add its sample here.
SAMPLES: dict[str, dict[str, str]] = {
    "compare": {"first": "Cursor", "second": "GitHub Copilot"},
    "vote": {"tool": "cursor", "choice": "ship"},
    "bookmark": {"tool": "cursor"},
    "bookmarks": {},
    "tool": {"tool": "cursor"},
    "subscribe": {"email": "ada@example.com"},
    "digest": {"where": "here"},
    # A code nobody issued: a private "no such code" answer, like every /link answer.
    "link": {"code": "ABCD2345"},
    "unlink": {},
    "help": {},
    "shiporskip": {},
}


def text_of_sample(spec: CommandSpec) -> str:
    """The sample as typed after the command word (``cursor vs copilot``, ``cursor ship``)."""
    values = list(SAMPLES[spec.name].values())
    return " vs ".join(values) if spec.text_form == "pair" else " ".join(values)


def expected(spec: CommandSpec) -> str:
    # Without an email setup /subscribe answers a (private) error; errors are never public.
    return "private" if spec.name == "subscribe" else spec.visibility


def test_every_command_has_a_sample_and_public_means_a_card() -> None:
    assert set(SAMPLES) == {spec.name for spec in REGISTRY}
    assert {s.name for s in REGISTRY if s.visibility == "public"} == {"compare", "tool"}
    for spec in REGISTRY:
        assert set(SAMPLES[spec.name]) == {o.name for o in spec.options}, spec.name


async def test_discord_answers_each_command_with_its_visibility(bot: Bot) -> None:
    """Ephemeral flag on the interaction response matches the registry (admin for /digest)."""
    seen = {}
    for spec in commands_for("discord"):
        call = await bot.send(admin_slash(spec.name, **SAMPLES[spec.name]))
        assert call.body["type"] == 4, spec.name
        seen[spec.name] = "private" if is_ephemeral(call.body["data"]) else "public"
    assert seen == {spec.name: expected(spec) for spec in commands_for("discord")}


async def test_slack_answers_each_command_with_its_response_type(start_app: Starter) -> None:
    """response_type in_channel for public commands, ephemeral for the rest."""
    running = await start_app()
    seen = {}
    for spec in commands_for("slack"):
        answer = await command(
            running, f"/{spec.name}", text_of_sample(spec), spec.name, user=ADMIN
        )
        seen[spec.name] = "public" if answer["response_type"] == "in_channel" else "private"
        assert "There is no command" not in str(answer["text"]), spec.name
    assert seen == {spec.name: expected(spec) for spec in commands_for("slack")}


async def test_slack_text_door_takes_the_visibility_of_the_command_typed(
    start_app: Starter,
) -> None:
    running = await start_app()
    card = await command(running, "/shiporskip", "tool cursor", "door-tool")
    note = await command(running, "/shiporskip", "vote cursor ship", "door-vote")
    assert (card["response_type"], note["response_type"]) == ("in_channel", "ephemeral")


async def test_console_answers_each_command_with_its_visibility(demo_database: Database) -> None:
    service = CommandService(demo_database)
    ctx = CommandContext("console", "local", "ada", "ada")
    for spec in REGISTRY:
        line = f"/{spec.name} {text_of_sample(spec)}"
        answered = await service.run_text(ctx, line)
        if "console" in spec.platforms and not spec.text_only:
            assert answered.visibility == expected(spec), spec.name
        else:
            # Not a console command: a private "no such command", never a silent run.
            assert answered.visibility == "private", spec.name
            assert getattr(answered.reply, "code", None) == "unknown_command", spec.name


async def test_discord_help_lists_every_discord_command(bot: Bot) -> None:
    call = await bot.send(admin_slash("help"))
    shown = text_of(call.body["data"])
    names = {spec.name for spec in commands_for("discord")}
    assert "digest" in names
    for name in names:
        assert f"/{name}" in shown, name
    assert "/shiporskip" not in shown


async def test_slack_help_lists_every_slack_command(start_app: Starter) -> None:
    running = await start_app()
    answer = await command(running, "/shiporskip", "help", "help")
    shown = _all_text(answer)
    for spec in REGISTRY:
        if "slack" in spec.platforms:
            assert f"/{spec.name}" in shown or f"/shiporskip {spec.name}" in shown, spec.name
    assert "`/help`" not in shown  # Slack has its own /help; ours is /shiporskip help


async def test_discord_tree_is_built_from_the_registry(bot: Bot) -> None:
    synced = [c for scope in bot.fake.commands.values() for c in scope]
    by_name = {c["name"]: c for c in synced}
    for spec in commands_for("discord"):
        sent = by_name[spec.name]
        assert sent["description"] == spec.summary
        options = {o["name"]: o for o in sent["options"]}
        assert set(options) == {o.name for o in spec.options}
        for option in spec.options:
            assert options[option.name]["description"] == option.description
            assert bool(options[option.name].get("autocomplete")) == option.autocomplete
            choices = [c["value"] for c in options[option.name].get("choices", [])]
            assert choices == list(option.choices)
        assert (sent["default_member_permissions"] is not None) == spec.admin_only


def _all_text(message: dict[str, Any]) -> str:
    return str(message["text"]) + str(message["blocks"])
