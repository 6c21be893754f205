"""GET /readyz is not ready when the digest templates can't be loaded, and says which one."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jinja2 import DictLoader, Environment, PackageLoader

from bot.core.service import CommandService
from bot.runner import Runtime
from bot.settings import load_settings
from bot.web.health import readyz_handler, templates_ready
from db.engine import Database
from digest.render import TEMPLATE_NAMES


def _missing_all() -> Environment:
    return Environment(loader=DictLoader({}))


def _missing_email() -> Environment:
    """Everything but the email body, as a wheel that lost one file would have."""
    found = {name: "" for name in TEMPLATE_NAMES if name != "digest/email.mjml.j2"}
    return Environment(loader=DictLoader(found))


def _no_package() -> Environment:
    return Environment(loader=PackageLoader("no_such_templates_package", "."))


def test_the_shipped_templates_all_load():
    assert templates_ready() == (True, f"{len(TEMPLATE_NAMES)} loaded")


def test_a_missing_template_is_named():
    ok, detail = templates_ready(_missing_email)
    assert not ok
    assert detail == "cannot load digest/email.mjml.j2: TemplateNotFound"


def test_a_missing_templates_package_is_not_ready():
    ok, detail = templates_ready(_no_package)
    assert not ok and detail.startswith("cannot load digest/_macros.mjml.j2: ")


async def test_readyz_answers_503_naming_the_template(demo_database: Database):
    """The database answers, yet the process is not ready: every digest page would be a 500."""
    runtime = Runtime(load_settings(env_file=None), demo_database, CommandService(demo_database))
    app = web.Application()
    app.router.add_get("/readyz", readyz_handler(runtime, lambda: templates_ready(_missing_all)))
    app.router.add_get("/readyz-real", readyz_handler(runtime))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        broken = await client.get("/readyz")
        real = await client.get("/readyz-real")
        body = json.loads(await broken.text())
        assert broken.status == 503
        assert body["status"] == "not ready"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["templates"] == {
            "ok": False,
            "detail": "cannot load digest/_macros.mjml.j2: TemplateNotFound",
        }
        assert real.status == 200, await real.text()
