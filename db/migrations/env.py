"""Alembic environment: always run through db.migrate with a live connection."""

from alembic import context

import db.digest_models  # noqa: F401  (registers the digest tables on Base.metadata)
from db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `shiporskip db upgrade`, not the alembic CLI.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
