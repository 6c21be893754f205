"""The Slack front end: slash commands, buttons and App Home over slack-bolt (async).

HTTP mode serves ``POST /slack/events`` on the shared web app; Socket Mode runs when
``SLACK_APP_TOKEN`` is set. Everything here only parses Slack input and renders the
core's view models as Block Kit.
"""
