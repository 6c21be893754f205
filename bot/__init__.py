"""Ship or Skip chat bot: a platform-neutral command core and its front ends."""
