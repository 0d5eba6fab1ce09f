"""Webhook intake through a real HTTP server: see __main__.py."""
