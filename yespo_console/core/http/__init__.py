"""Talking HTTP to Yespo (or the sandbox): environments, secrets and masking, the async client, its sending
types, explanations of statuses and transport errors, the history writes of sends, rate limit and retry,
exchanges and their outcomes."""
