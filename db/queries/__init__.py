"""Queries shared by the bot, the digest and the web app. Each takes an AsyncSession."""
