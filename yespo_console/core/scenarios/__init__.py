"""Scenarios: YAML/JSON files of steps (loader, problems, schema, plan, templating, recipes), the contacts a
run sends to, the runner and its results, and past-events batches. Independent of the history package."""
