"""`shiporskip mail`: the DNS records to publish for the configured DKIM key, and new keys."""

from __future__ import annotations

import os
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import Settings
from digest.signing import SigningError, generate_key_pem, load_private_key, public_key_record

mail_app = typer.Typer(no_args_is_help=True, help="Deliverability: DKIM keys and DNS records.")


def dns_records(settings: Settings) -> list[tuple[str, str, str]]:
    """(name, type, value) of the DKIM, SPF and DMARC records for this configuration."""
    mail = settings.mail
    if not (mail.dkim_selector and mail.dkim_domain and mail.dkim_private_key_file):
        raise SigningError("set DKIM_SELECTOR, DKIM_DOMAIN and DKIM_PRIVATE_KEY_FILE first")
    key = load_private_key(mail.dkim_private_key_file)
    from_domain = (parseaddr(mail.mail_from)[1] or "").rpartition("@")[2] or mail.dkim_domain
    bounce_domain = (mail.bounce_address or "").rpartition("@")[2] or from_domain
    return [
        (f"{mail.dkim_selector}._domainkey.{mail.dkim_domain}", "TXT", public_key_record(key)),
        # SPF is checked on the envelope sender's domain: the bounce domain when VERP is on.
        (bounce_domain, "TXT", "v=spf1 mx a ~all"),
        (
            f"_dmarc.{from_domain}",
            "TXT",
            f"v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:dmarc@{from_domain}",
        ),
    ]


@mail_app.command("dns")
def dns() -> None:
    """Print the DNS records to publish (DKIM, SPF, DMARC) for the configured key."""
    from bot.cli import settings_or_exit

    settings = settings_or_exit()
    try:
        records = dns_records(settings)
    except SigningError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for name, kind, value in records:
        # TXT strings are limited to 255 characters: split the DKIM key into several.
        chunks = " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))
        typer.echo(f"{name}.\tIN\t{kind}\t{chunks}")
    typer.echo(
        "; SPF: replace 'mx a' with your mail provider's include: if it sends for you.",
    )


@mail_app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the new PEM key.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a new 2048-bit RSA DKIM key, readable by its owner only (0600)."""
    if path.exists() and not force:
        typer.echo(f"error: {path} exists (use --force to replace it)", err=True)
        raise typer.Exit(2)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(generate_key_pem(2048))
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
    typer.echo(f"wrote {path}; set DKIM_PRIVATE_KEY_FILE={path} and run `shiporskip mail dns`")
