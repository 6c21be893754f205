"""The one aiohttp web application: Slack endpoints, newsletter pages, health."""
