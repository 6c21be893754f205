"""The attack: slow and many clients holding file descriptors open forever."""

from __future__ import annotations

import asyncio
import time

from tests.web.conftest import LIMITS, Serve


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return False
    return True


async def test_client_dribbling_headers_is_dropped(serve_app: Serve) -> None:
    """Headers sent a byte at a time never complete: closed within the header timeout."""
    served = await serve_app()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    started = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    closed = False
    for byte in request:
        if reader.at_eof() or writer.is_closing():
            closed = True
            break
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            closed = True
            break
        if await _closed_within(reader, 0.05):
            closed = True
            break
    took = time.monotonic() - started
    writer.close()
    assert closed and took < LIMITS.header_timeout_s + 1.5, took


async def test_client_that_never_sends_is_dropped(serve_app: Serve) -> None:
    served = await serve_app()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    assert await _closed_within(reader, LIMITS.header_timeout_s + 1.5)
    writer.close()


async def test_slow_body_gets_408(serve_app: Serve) -> None:
    """Headers promise a body that never fully arrives: 408 within the body timeout."""
    served = await serve_app()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
        b"\r\nContent-Length: 1000\r\n\r\nemail=a"
    )
    await writer.drain()
    async with asyncio.timeout(LIMITS.body_timeout_s + 2):
        status = await reader.readline()
    writer.close()
    assert b" 408 " in status


async def test_connections_beyond_the_cap_are_refused(serve_app: Serve) -> None:
    served = await serve_app()
    idle = [await asyncio.open_connection("127.0.0.1", served.port) for _ in range(30)]
    await asyncio.sleep(0.1)
    answers = []
    for reader, _writer in idle[LIMITS.max_connections :]:
        async with asyncio.timeout(2):
            answers.append(await reader.readline())
    assert answers and all(b" 503 " in line for line in answers)
    for _reader, writer in idle:
        writer.close()
