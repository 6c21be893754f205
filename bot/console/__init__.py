"""The terminal front end: the same commands and answers as the chat platforms."""
