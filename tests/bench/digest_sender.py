"""One sending process for the digest benchmark: python -m tests.bench.digest_sender URL ISSUE PORT.

Several of these share one issue the way several `shiporskip digest send` would.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from functools import partial
from pathlib import Path

from bot.event_loop import run_on
from bot.settings import AppSettings
from db.engine import Database
from digest.delivery import send_issue
from digest.issues import find_issue
from digest.message import DigestMessages
from digest.render import render_issue
from digest.senders import RetryPolicy, SmtpSender, SmtpTarget
from digest.signing import DkimSigner
from digest.tokens import Tokens
from digest.verp import Verp

PUBLIC_URL = "https://sos.example"


async def main(url: str, week: str, port: int, dkim_key: str | None = None) -> None:
    """With ``dkim_key``: DKIM-signed, with VERP envelope senders, as a production set-up."""
    database = Database(url)
    sender = SmtpSender(
        SmtpTarget("127.0.0.1", port, False, None, None),
        rate=1_000_000,
        concurrency=8,
        retry=RetryPolicy(attempts=3, base_delay_s=0.05),
    )
    try:
        issue = await find_issue(database, week)
        assert issue is not None
        rendered = render_issue(
            issue.snapshot, PUBLIC_URL, "Ship or Skip, 1 Bench Street, 75001 Paris"
        )
        signer = bounce = None
        if dkim_key:
            signer = DkimSigner.from_files(
                domain="sos.example", selector="bench", key_file=Path(dkim_key)
            )
            verp = Verp("bench-secret", "bounces@sos.example")
            bounce = partial(verp.address, issue_id=issue.id)
        messages = DigestMessages(
            html_body=rendered.html,
            text_body=rendered.text,
            subject=rendered.subject,
            mail_from="Ship or Skip <digest@sos.example>",
            placeholders=rendered.placeholders,
            signer=signer,
            bounce_address=bounce,
        )
        tokens = Tokens(["bench-secret"])

        def unsubscribe_url(link_key: str) -> str:
            return f"{PUBLIC_URL}/unsubscribe/{tokens.unsubscribe_token(link_key)}"

        gc.freeze()  # as `shiporskip digest send` and `run` do before the hot loop
        cpu = time.process_time()
        summary = await send_issue(database, issue.id, sender, messages, unsubscribe_url, batch=100)
        cpu = time.process_time() - cpu
        print(json.dumps({"sent": summary.sent, "failed": summary.failed, "cpu_s": cpu}))
    finally:
        await sender.close()
        await database.dispose()


if __name__ == "__main__":
    key = sys.argv[4] if len(sys.argv) > 4 else None
    # On the loop `shiporskip digest send` runs on (EVENT_LOOP, default uvloop).
    choice = AppSettings().event_loop
    run_on(choice, partial(main, sys.argv[1], sys.argv[2], int(sys.argv[3]), key))
