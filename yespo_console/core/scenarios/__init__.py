"""Scenarios: YAML/JSON files of steps (loader, schema, plan, CSV contacts, templating), the runner that sends
them with expectations, and past-events batches. Independent of the history package."""
