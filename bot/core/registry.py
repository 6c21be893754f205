"""Every chat command, declared once.

Text parsing, dispatch, each platform's /help, the Discord command tree, Slack's
commands and the Slack app manifest are all derived from ``REGISTRY``. A new command
(say ``/link [code]``) is one more ``CommandSpec`` here plus its core handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.core.context import CommandContext
from bot.core.views import ErrorView, HelpEntry, HelpView, Reply

if TYPE_CHECKING:
    from bot.core.service import CommandService

Platform = Literal["discord", "slack", "console"]
Visibility = Literal["public", "private"]
# How the text after the command word becomes its options (console, Slack):
# none (no options), rest (all of it is the one option), pair (two tool names),
# vote (a tool and ship|skip), choice (one word out of the option's choices).
TextForm = Literal["none", "rest", "pair", "vote", "choice"]
PLATFORMS: tuple[Platform, ...] = ("discord", "slack", "console")
EVERYWHERE = frozenset(PLATFORMS)
CHATS: frozenset[Platform] = frozenset({"discord", "slack"})
SLACK: frozenset[Platform] = frozenset({"slack"})
DM_ONLY_DIGEST = ErrorView("usage", "The weekly digest can be posted in server channels only.")


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of a command; every option is text today (Discord type STRING)."""

    name: str
    description: str
    type: Literal["string"] = "string"
    choices: tuple[str, ...] = ()
    required: bool = True
    # Offer tool names while typing (Discord autocomplete).
    autocomplete: bool = False


@dataclass(frozen=True, slots=True)
class Invocation:
    """One call of a command, whatever the platform: who, the option values, where.

    ``args`` follow the spec's options in order. ``channel_id`` is None outside a
    server channel (a Discord DM); ``is_admin`` is asked only by admin commands
    because on Slack it costs an API call.
    """

    ctx: CommandContext
    args: tuple[str, ...] = ()
    channel_id: str | None = None
    is_admin: Callable[[], Awaitable[bool]] | None = None

    async def admin(self) -> bool:
        return self.is_admin is not None and await self.is_admin()


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's reply and who sees it."""

    reply: Reply
    visibility: Visibility


Handler = Callable[["CommandService", Invocation], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command's whole declaration: what users see and what runs."""

    name: str
    usage: str
    summary: str
    handler: Handler
    options: tuple[OptionSpec, ...] = ()
    aliases: tuple[str, ...] = ()
    # public: a card shown to the channel; private: only its author sees the answer.
    # Errors are always private, whatever the command.
    visibility: Visibility = "private"
    admin_only: bool = False
    platforms: frozenset[Platform] = EVERYWHERE
    text_form: TextForm = "none"
    # Slack's usage hint in the manifest (what follows the command).
    example: str = ""
    # A front end's text door (Slack's /shiporskip): its text is any other command.
    text_only: bool = False
    # Platforms where the command is typed through that door only, not as its own
    # slash command (Slack has a built-in /help).
    door_only_on: frozenset[Platform] = frozenset()

    def is_slash_on(self, platform: Platform) -> bool:
        """Whether ``platform`` gets this command as a slash command of its own."""
        return platform in self.platforms and platform not in self.door_only_on

    def visibility_of(self, reply: Reply) -> Visibility:
        """Who sees ``reply``: a public command's card goes to the channel, errors never do."""
        return "private" if isinstance(reply, ErrorView) else self.visibility


async def _compare(service: CommandService, call: Invocation) -> Reply:
    return await service.compare(call.ctx, call.args[0], call.args[1])


async def _vote(service: CommandService, call: Invocation) -> Reply:
    return await service.vote(call.ctx, call.args[0], call.args[1])


async def _bookmark(service: CommandService, call: Invocation) -> Reply:
    return await service.bookmark(call.ctx, call.args[0])


async def _bookmarks(service: CommandService, call: Invocation) -> Reply:
    return await service.bookmarks(call.ctx)


async def _tool(service: CommandService, call: Invocation) -> Reply:
    return await service.tool(call.ctx, call.args[0])


async def _help(service: CommandService, call: Invocation) -> Reply:
    return service.help(call.ctx.platform)


async def _subscribe(service: CommandService, call: Invocation) -> Reply:
    return await service.subscribe(call.ctx, call.args[0])


async def _link(service: CommandService, call: Invocation) -> Reply:
    # Discord sends an absent option as "", text as no argument: both mean "give me a code".
    return await service.link(call.ctx, call.args[0] if call.args and call.args[0] else None)


async def _unlink(service: CommandService, call: Invocation) -> Reply:
    return await service.unlink(call.ctx)


async def _digest(service: CommandService, call: Invocation) -> Reply:
    if call.channel_id is None:
        return DM_ONLY_DIGEST
    return await service.digest_channel(
        call.ctx, call.channel_id, enable=call.args[0] == "here", is_admin=await call.admin()
    )


TOOL = OptionSpec("tool", "The tool", autocomplete=True)
REGISTRY: tuple[CommandSpec, ...] = (
    CommandSpec(
        "compare",
        "/compare <tool> vs <tool>",
        "Two tools side by side: panel verdict, scorecard, community.",
        _compare,
        options=(
            OptionSpec("first", "A tool", autocomplete=True),
            OptionSpec("second", "The tool to weigh it against", autocomplete=True),
        ),
        aliases=("cmp", "vs"),
        visibility="public",
        text_form="pair",
        example="cursor vs copilot",
    ),
    CommandSpec(
        "vote",
        "/vote <tool> ship|skip",
        "Cast or change your community vote.",
        _vote,
        options=(TOOL, OptionSpec("choice", "Ship it or skip it", choices=("ship", "skip"))),
        text_form="vote",
        example="cursor ship",
    ),
    CommandSpec(
        "bookmark",
        "/bookmark <tool>",
        "Save a tool for later (again to remove it).",
        _bookmark,
        options=(OptionSpec("tool", "The tool to save (again to remove it)", autocomplete=True),),
        text_form="rest",
        example="cursor",
    ),
    CommandSpec(
        "bookmarks",
        "/bookmarks",
        "Your saved tools with their current verdicts.",
        _bookmarks,
        aliases=("saved",),
    ),
    CommandSpec(
        "tool",
        "/tool <tool>",
        "One tool's card, shown to the channel.",
        _tool,
        options=(TOOL,),
        aliases=("info",),
        visibility="public",
        text_form="rest",
        example="cursor",
    ),
    CommandSpec(
        "subscribe",
        "/subscribe <email>",
        "Get the weekly verdict digest by email.",
        _subscribe,
        options=(OptionSpec("email", "Where to send the weekly verdict digest"),),
        text_form="rest",
        example="you@example.com",
    ),
    CommandSpec(
        "digest",
        "/digest here|off",
        "Post the weekly verdict digest in this channel (admins only).",
        _digest,
        options=(
            OptionSpec(
                "where",
                "here: post the weekly digest in this channel; off: stop",
                choices=("here", "off"),
            ),
        ),
        admin_only=True,
        platforms=CHATS,
        text_form="choice",
        example="here | off",
    ),
    CommandSpec(
        "link",
        "/link [CODE]",
        "Count your Discord and Slack accounts as one person (no code: get one).",
        _link,
        options=(
            OptionSpec(
                "code", "The 8-character code /link gave you on the other account", required=False
            ),
        ),
        platforms=CHATS,
        text_form="rest",
        example="[CODE]",
    ),
    CommandSpec(
        "unlink",
        "/unlink",
        "Split this account off from the accounts it is linked to.",
        _unlink,
        platforms=CHATS,
    ),
    CommandSpec(
        "help",
        "/help",
        "What Ship or Skip can do.",
        _help,
        aliases=("?",),
        door_only_on=SLACK,
    ),
    CommandSpec(
        "shiporskip",
        "/shiporskip <command>",
        "Help, or any command as text.",
        _help,
        platforms=SLACK,
        example="help",
        text_only=True,
    ),
)
BY_NAME = {spec.name: spec for spec in REGISTRY}
# Words typed as a command (names and aliases) -> spec; /shiporskip is Slack's door, not a word.
WORDS = {
    word: spec for spec in REGISTRY if not spec.text_only for word in (spec.name, *spec.aliases)
}


def commands_for(platform: Platform) -> tuple[CommandSpec, ...]:
    """The slash commands ``platform`` registers, in registry order."""
    return tuple(spec for spec in REGISTRY if spec.is_slash_on(platform))


def help_for(platform: str) -> HelpView:
    """/help on ``platform``: exactly the commands that exist there, as they are typed there."""
    known = platform if platform in PLATFORMS else "console"
    door = next((s for s in REGISTRY if s.text_only and known in s.platforms), None)
    entries = []
    for spec in REGISTRY:
        if known not in spec.platforms:
            continue
        usage = spec.usage
        if door is not None and known in spec.door_only_on:
            usage = f"/{door.name} {spec.usage.removeprefix('/')}"
        entries.append(HelpEntry(usage, spec.summary))
    return HelpView(entries=tuple(entries))
