"""The platform-neutral command core: plain inputs in, view models out.

Nothing here imports discord.py, slack-bolt or rich.
"""
