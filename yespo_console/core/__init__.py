"""The Qt-free domain of Yespo Console: the event model (`events`), talking HTTP (`http`), the history
(`history`) and scenarios (`scenarios`), with a few shared modules (errors, text files, durations, paths).

Nothing under this package may import Qt; import-linter contracts in pyproject.toml enforce it and the layers.
"""
