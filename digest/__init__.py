"""The weekly verdict digest: snapshot, render, send, record (each step restartable)."""
