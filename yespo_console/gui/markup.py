"""Rich-text labels: user and server text goes in escaped, so a `<` in a body never becomes markup."""

from html import escape


def html_text(text: str | None) -> str:
    return escape(text or "", quote=False)
