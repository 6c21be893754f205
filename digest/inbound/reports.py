"""Reading delivery status notifications (RFC 3464) and ARF complaints (RFC 5965)."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from typing import Literal

Kind = Literal["hard", "soft", "complaint"]
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


@dataclass(frozen=True, slots=True)
class Report:
    """One recipient's fate: ``recipient`` is the address the report names, if any.

    ``envelope_hint`` is an address of ours the report quotes (ARF's Original-Mail-From,
    a returned Return-Path): where the VERP token is when the envelope lost it.
    """

    kind: Kind
    status: str
    recipient: str
    detail: str
    envelope_hint: str = ""


def parse_report(data: bytes) -> list[Report]:
    """The bounces or complaint in a message; empty for anything else (auto-replies...)."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return []
    report_type = (message.get_param("report-type") or "").__str__().lower()
    payload = message.get_payload()
    if not isinstance(payload, list):
        return []
    parts = [p for p in payload if isinstance(p, Message)]
    if report_type == "delivery-status":
        return _dsn(parts)
    if report_type == "feedback-report":
        return _arf(parts)
    return []


def _fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, str):
        return [HeaderParser().parsestr(block) for block in re.split(r"\r?\n\r?\n", payload)]
    return []


def _address(value: str | None) -> str:
    """``rfc822; user@example.com`` -> ``user@example.com``."""
    if not value:
        return ""
    return value.rpartition(";")[2].strip().strip("<>").strip()


def _returned_envelope(parts: list[Message]) -> str:
    for part in parts[2:]:
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, str):
                headers = HeaderParser().parsestr(inner)
            if isinstance(headers, Message):
                return _address(headers.get("Return-Path"))
    return ""


def _dsn(parts: list[Message]) -> list[Report]:
    status_part = next(
        (p for p in parts if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return []
    hint = _returned_envelope(parts)
    reports = []
    for block in _fields(status_part)[1:]:
        action = (block.get("Action") or "").strip().lower()
        status = _STATUS.search(block.get("Status") or "")
        code = status.group(0) if status else ""
        if action == "failed":
            kind: Kind = "hard" if code.startswith("5") else "soft"
        elif action == "delayed":
            kind = "soft"
        else:
            continue  # delivered, relayed, expanded: nothing went wrong
        recipient = _address(block.get("Final-Recipient")) or _address(
            block.get("Original-Recipient")
        )
        detail = " ".join((block.get("Diagnostic-Code") or "").split())[:500]
        reports.append(Report(kind, code, recipient, detail, hint))
    return reports


def _arf(parts: list[Message]) -> list[Report]:
    feedback = next((p for p in parts if p.get_content_type() == "message/feedback-report"), None)
    if feedback is None:
        return []
    blocks = _fields(feedback)
    if not blocks:
        return []
    fields = blocks[0]
    feedback_type = (fields.get("Feedback-Type") or "abuse").strip().lower()
    recipient = _address(fields.get("Original-Rcpt-To"))
    hint = _address(fields.get("Original-Mail-From")) or _returned_envelope(parts)
    return [Report("complaint", feedback_type, recipient, f"ARF {feedback_type}", hint)]
