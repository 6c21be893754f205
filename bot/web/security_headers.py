"""Headers every response carries, error pages included.

Set on ``on_response_prepare`` rather than in a middleware, so the router's own 404
and 405 answers and the body-size 413 get them too.
"""

from __future__ import annotations

from aiohttp import web

# Our pages have no script at all; styles are inline in the rendered digest (MJML).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# No library name or version for scanners to match against advisories.
SERVER_NAME = "shiporskip"
HSTS = "max-age=31536000"


def install_security_headers(app: web.Application, *, https: bool) -> None:
    """Add the headers to every response of ``app``; HSTS only when served over https."""
    fixed = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
    if https:
        fixed["Strict-Transport-Security"] = HSTS

    async def add_headers(_request: web.Request, response: web.StreamResponse) -> None:
        for name, value in fixed.items():
            response.headers.setdefault(name, value)
        # aiohttp has filled in its "Python/x aiohttp/y" by now (3.14 runs this signal
        # after preparing headers, before writing them): replace it.
        response.headers["Server"] = SERVER_NAME

    app.on_response_prepare.append(add_headers)
