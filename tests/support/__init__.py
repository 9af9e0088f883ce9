"""Test infrastructure: real databases, a real server, fake platform servers."""
