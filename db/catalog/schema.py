"""What a catalog file may hold. Unknown keys are errors, so typos never pass silently."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriticEntry(_Strict):
    slug: Slug
    name: Line
    persona: Text = ""
    bio: Text = ""


class ReviewEntry(_Strict):
    score: int = Field(ge=0, le=100)
    verdict: Literal["ship", "skip"]
    reviewed: date
    text: Text


class ToolEntry(_Strict):
    slug: Slug
    name: Line
    aliases: list[Line] = []
    category: Line
    best_for: Text = ""
    description: Text = ""
    pricing: Text = ""
    entry_price: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    vendor: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    url: Annotated[str, StringConstraints(pattern=r"^(https?://\S+)?$", max_length=500)] = ""
    added: date
    reviews: dict[Slug, ReviewEntry] = {}


class CatalogFile(_Strict):
    critics: list[CriticEntry] = []
    tools: list[ToolEntry] = []


class Catalog(_Strict):
    """The union of every file, already checked for cross-file problems."""

    critics: tuple[CriticEntry, ...]
    tools: tuple[ToolEntry, ...]
