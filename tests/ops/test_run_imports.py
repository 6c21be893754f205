"""What `shiporskip run` loads: libraries only some deployments use stay out of memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Imported where used: DKIM signing (digest.signing) and OAuth installs' token cipher
# (bot.slack_bot.tokens); together about 10 MB of a running bot.
LAZY = ("cryptography", "dkim")
RUN = (
    "bot.cli",
    "bot.runner",
    "bot.discord_bot.client",
    "bot.slack_bot.app",
    "bot.web.app",
    "digest.runtime",
    "digest.message",
    "digest.subscribers",
)


def test_run_does_not_load_signing_or_token_libraries() -> None:
    code = (
        f"import sys\nfor m in {RUN!r}: __import__(m)\n"
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_they_load_when_used(tmp_path: Path) -> None:
    # The cipher and a signer still work, importing what they need on first use.
    code = (
        "import sys\n"
        "from bot.slack_bot.tokens import TokenCipher\n"
        "from digest.signing import DkimSigner, generate_key_pem\n"
        "c = TokenCipher('k' * 40)\n"
        "assert c.decrypt(c.encrypt('xoxb-1')) == 'xoxb-1'\n"
        f"open({str(tmp_path / 'k.pem')!r}, 'wb').write(generate_key_pem(1024))\n"
        "from pathlib import Path\n"
        f"s = DkimSigner.from_files(domain='e.com', selector='s', key_file=Path({str(tmp_path / 'k.pem')!r}))\n"
        "signed = s.sign(b'From: a@e.com\\r\\nSubject: x\\r\\n\\r\\nbody\\r\\n')\n"
        "assert signed.startswith(b'DKIM-Signature: v=1;')\n"
        "print(sorted(m for m in ('cryptography', 'dkim') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "['cryptography', 'dkim']", done.stdout + done.stderr
