"""Account profiles as files: reading and writing them (`files`), finding them (`folder`) and building one
from evidence — a Yespo 400 body or the history of sent events (`evidence`)."""
