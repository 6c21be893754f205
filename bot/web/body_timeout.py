"""A request body must arrive within a deadline, or the request gets 408.

aiohttp has no body read timeout of its own: a client that sends headers and then a
byte a minute would hold a handler (and a file descriptor) forever. Reading the body
here, under a deadline, caches it; handlers' ``read()``/``post()`` then return at once.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web.health import Handler

# Multipart is parsed from the stream by aiohttp, which a cached body would starve;
# none of our routes takes it, so it passes through to be refused by the handler.
_STREAMED = "multipart/"


def body_timeout_middleware(seconds: float) -> web.middleware:  # type: ignore[valid-type]
    @web.middleware
    async def read_body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists and not request.content_type.startswith(_STREAMED):
            try:
                async with asyncio.timeout(seconds):
                    await request.read()
            except TimeoutError:
                raise web.HTTPRequestTimeout(text="request body too slow") from None
        return await handler(request)

    return read_body_in_time
