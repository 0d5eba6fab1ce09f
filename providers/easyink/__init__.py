"""EasyInk: OAuth 2 with PKCE, a signing session built step by step (resumable), tracked by polling."""
