"""From a finding's JSON path to the form field it concerns.

Form keys: "eventTypeKey", "keyValue", a locator or scalar param name ("email", "search"), a nested
field ("product.price"), a list item field ("products[1].quantity"), a whole param ("products"), and
"extra[j]" for the j-th param the catalog does not know.
"""

from __future__ import annotations

import re
from typing import Any

from yespo_console.core.events.payload import item_slots
from yespo_console.core.events.profiles import BUILTIN, Profile

_PARAM_PATH = re.compile(r"params\[(\d+)\](.*)")
_REST = re.compile(r"\.value(?:\[(\d+)\])?(?:\.(.+))?")


def form_key(body: dict[str, Any] | None, path: str, profile: Profile = BUILTIN) -> str | None:
    """The form key for `path` in `body`, or None when the path points at no form field."""
    if path in ("eventTypeKey", "keyValue"):
        return path
    match = _PARAM_PATH.fullmatch(path)
    if body is None or match is None:
        return None
    params = body.get("params")
    index, rest = int(match.group(1)), match.group(2)
    if not isinstance(params, list) or index >= len(params):
        return None
    spec = profile.spec(body.get("eventTypeKey") if isinstance(body.get("eventTypeKey"), str) else None)
    slot = item_slots(spec, params)[index]
    if slot.startswith("extra["):
        return slot
    name = slot
    detail = _REST.fullmatch(rest) if rest else None
    if detail is None or (detail.group(1) is None and detail.group(2) is None):
        return name
    item, key = detail.group(1), detail.group(2)
    if item is not None:
        return f"{name}[{item}].{key}" if key else f"{name}[{item}]"
    return f"{name}.{key}"
