"""A minimal fast SMTP sink for the digest benchmark (not aiosmtpd: that one is too slow).

Speaks just enough ESMTP for aiosmtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
answers 250 to every message, and on SIGTERM writes one accepted recipient per
line to the output file. Run: python -m tests.bench.smtp_fast_sink PORTFILE OUTFILE
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

END = b"\r\n.\r\n"


class Sink:
    def __init__(self) -> None:
        self.accepted: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        recipient = b""
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 20000000\r\n")
                elif verb == b"RCPT":
                    recipient = line[line.index(b"<") + 1 : line.rindex(b">")]
                    writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go\r\n")
                    await reader.readuntil(END)
                    self.accepted.append(recipient)
                    writer.write(b"250 OK queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    return
                else:  # MAIL, RSET, NOOP, HELO
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            writer.close()


async def main(port_file: Path, out_file: Path) -> None:
    sink = Sink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0, limit=1 << 22)
    await asyncio.to_thread(port_file.write_text, str(server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()
    await asyncio.to_thread(out_file.write_bytes, b"\n".join(sink.accepted))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
