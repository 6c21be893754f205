"""Discord front end: slash commands and live Ship/Skip buttons over the core.

Started by ``shiporskip run`` when DISCORD_TOKEN is set (``part.discord_part``);
``shiporskip discord sync`` registers the commands deliberately.
"""
