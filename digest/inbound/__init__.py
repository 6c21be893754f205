"""Bounces and complaints coming back: DSN/ARF parsing, an SMTP/LMTP receiver, the SES webhook."""
