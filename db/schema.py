"""Every table of the shared database on one MetaData: what migrations are checked against."""

from __future__ import annotations

# Imported for their side effect: each module registers its tables on Base.metadata.
import db.bounce_models
import db.digest_models
import db.live_models
import db.slack_tables
import db.tally_tables  # noqa: F401
from db.models import Base

metadata = Base.metadata
__all__ = ["metadata"]
