"""The `--profile` option of every command that builds or judges events: which account's event types to use."""

from __future__ import annotations

import argparse

from yespo_console.core.events.profiles import BUILTIN, Profile

PROFILE_HELP = ("the account's event types: a profile file (YAML/JSON), or a name in the profiles folder or among "
                "the bundled examples (`yespo-console profile list`); default: the built-in profile")


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="FILE|NAME", help=PROFILE_HELP)


def chosen_profile(args: argparse.Namespace) -> Profile:
    """The profile `--profile` names (InputError when it cannot be read); the built-in one without it."""
    if getattr(args, "profile", None) is None:
        return BUILTIN
    from yespo_console.core.profiles.folder import find_profile  # YAML and the schema load only when asked

    return find_profile(args.profile, getattr(args, "data_dir", None))
