"""The floor of the throughput bench: the same client libraries, no work of our own.

A minimal discord.py client (a command tree with /compare and /vote, and a handler for
button clicks) and a minimal slack-bolt app (the same slash commands and button clicks
over HTTP), both answering with one static card from memory: no database, no core, no
rendering. The throughput bench drives it with the same load as ``shiporskip run``, so
every row can say how far above the bare libraries we are.

It sends the messages the product must send, no fewer: a click is confirmed to the
clicker privately (issues 4 and 13), so the floor's clicks send that confirmation too
(a Discord followup, a Slack chat.postEphemeral) besides redrawing the card.
FLOOR_CONFIRMS=0 leaves it out, for comparing with the answer-only floor of earlier
sessions.

It runs on asyncio's own loop, as the bare libraries do; ``shiporskip run`` runs on
uvloop (bot.event_loop). FLOOR_UVLOOP=1 puts the floor on uvloop too, to see how much
of the distance is our code rather than the loop.

Run as ``python -m tests.bench.floor_bot``; configured from the environment the bench
gives ``shiporskip run`` (DISCORD_TOKEN, DISCORD_API_URL, DISCORD_GATEWAY_URL,
SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, HTTP_PORT).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Any

import aiohttp
import discord
from aiohttp import web
from discord import app_commands
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.discord_bot._discord_internals import set_api_base, set_gateway
from bot.event_loop import run_on

# One static card per platform, shaped like ours (an embed or blocks with vote buttons).
DISCORD_CARD = discord.Embed(
    title="Cursor vs GitHub Copilot",
    description="Panel verdict, scorecard and community votes.",
)
DISCORD_CARD.add_field(name="Cursor", value="Ship · 3 of 4 critics")
DISCORD_CARD.add_field(name="GitHub Copilot", value="Skip · 1 of 4 critics")


def discord_buttons() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for verdict in ("ship", "skip"):
        view.add_item(discord.ui.Button(label=verdict, custom_id=f"sos:v:{verdict}:1:1:2"))
    return view


SLACK_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Cursor vs GitHub Copilot"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Cursor*: Ship · 3 of 4 critics"},
    },
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": f"sos:vote:{verdict}:1",
                "value": "1:2",
                "text": {"type": "plain_text", "text": verdict},
            }
            for verdict in ("ship", "skip")
        ],
    },
]
SLACK_TEXT = "Cursor vs GitHub Copilot"


def confirms() -> bool:
    return os.environ.get("FLOOR_CONFIRMS", "1") != "0"


def build_discord(token: str) -> discord.AutoShardedClient:
    intents = discord.Intents.none()
    intents.guilds = True
    shard_count = os.environ.get("DISCORD_SHARD_COUNT")
    shard_ids = os.environ.get("DISCORD_SHARD_IDS")
    client = discord.AutoShardedClient(
        intents=intents,
        max_messages=None,
        chunk_guilds_at_startup=False,
        shard_count=int(shard_count) if shard_count else 1,
        **({"shard_ids": [int(s) for s in shard_ids.split(",")]} if shard_ids else {}),
    )
    tree = app_commands.CommandTree(client)

    @tree.command(name="compare", description="Two tools side by side")
    async def compare(interaction: discord.Interaction, first: str, second: str) -> None:
        await interaction.response.send_message(embed=DISCORD_CARD, view=discord_buttons())

    @tree.command(name="vote", description="Cast a vote")
    async def vote(interaction: discord.Interaction, tool: str, choice: str) -> None:
        await interaction.response.send_message(f"Counted: {choice}.", ephemeral=True)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await interaction.response.edit_message(embed=DISCORD_CARD, view=discord_buttons())
            if confirms():
                await interaction.followup.send("Counted: ship.", ephemeral=True)

    return client


def build_slack(http: aiohttp.ClientSession) -> AsyncApp:
    app = AsyncApp(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=AsyncWebClient(
            token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
        ),
        process_before_response=True,
    )

    async def card(ack: AsyncAck) -> None:
        await ack(response_type="in_channel", text=SLACK_TEXT, blocks=SLACK_BLOCKS)

    for command in ("/compare", "/tool"):
        app.command(command)(card)

    @app.action(re.compile(r"^sos:"))
    async def click(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

        async def redraw() -> None:
            payload = {"replace_original": True, "text": SLACK_TEXT, "blocks": SLACK_BLOCKS}
            async with http.post(body["response_url"], json=payload) as response:
                await response.read()

        async def confirm() -> None:
            await app.client.chat_postEphemeral(
                channel=body["channel"]["id"], user=body["user"]["id"], text="Counted: ship."
            )

        await asyncio.gather(redraw(), *([confirm()] if confirms() else []))

    return app


async def main() -> None:
    set_api_base(os.environ["DISCORD_API_URL"])
    set_gateway(os.environ["DISCORD_GATEWAY_URL"])
    http = aiohttp.ClientSession()
    slack = build_slack(http)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await slack.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    reuse = os.environ.get("HTTP_REUSE_PORT") == "1"
    site = web.TCPSite(runner, "127.0.0.1", int(os.environ["HTTP_PORT"]), reuse_port=reuse or None)
    await site.start()
    client = build_discord(os.environ["DISCORD_TOKEN"])
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    bot = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
    try:
        await stop.wait()
    finally:
        await client.close()
        bot.cancel()
        await runner.cleanup()
        await http.close()


if __name__ == "__main__":
    run_on("uvloop" if os.environ.get("FLOOR_UVLOOP") == "1" else "asyncio", main)
