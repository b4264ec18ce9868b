"""`yespo-console history`: list, show, export, import, prune and clear the exchanges sent.

Exit codes: 0 done, 1 `show` (or `export --id`) found no such exchange, 2 bad arguments, an unreadable file or a
history store that cannot be used (one line on standard error, never a traceback).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from yespo_console.cli.argtypes import whole_number
from yespo_console.cli.io import fail, print_json, say
from yespo_console.core.durations import parse_duration
from yespo_console.core.errors import InputError, StoreError, YespoConsoleError
from yespo_console.core.history import (
    FORMATS,
    MAX_RECORD_BYTES,
    Exchange,
    ExchangeSummary,
    HistoryFilter,
    HistoryStore,
    VerificationRecord,
    exchange_record,
    read_imports,
    summary_record,
    write_export,
)
from yespo_console.core.history.verifications import Imported, followed_text, to_record
from yespo_console.core.http.exchange import EXCHANGE_KINDS
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.terminal import printable
from yespo_console.core.textfiles import NotUtf8Error, open_file, stream_lines


def _when(text: str) -> datetime:
    """A moment: ISO 8601 (`2025-06-01`, `2025-06-01T14:30`, local time unless a zone is given), or a
    span back from now (`30m`, `2h`, `7d`, `1w`)."""
    span: timedelta | None = None
    with contextlib.suppress(ValueError):
        span = parse_duration(text)
    if span is not None:
        try:
            return datetime.now().astimezone() - span
        except OverflowError:  # before the year 1: datetime cannot hold it
            raise argparse.ArgumentTypeError(f"not a time: {text!r} (further back than the year 1)") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (use ISO 8601 like 2025-06-01T14:30, or 30m, 2h, 7d, 1w)") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _span(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use 30m, 12h, 30d, 4w)") from None


_FILTER_DEFAULTS: dict[str, Any] = {
    "event": None, "outcome": None, "status": None, "env": None, "since": None, "until": None,
    "run_id": None, "starred": False, "search": None, "kind": None, "verified": None,
}


def _add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--event", metavar="TYPE", help="only this eventTypeKey")
    group.add_argument("--outcome", action="append", choices=[o.value for o in Outcome], metavar="OUTCOME",
                       help="only this outcome (repeat for several): "
                       + ", ".join(o.value for o in Outcome))
    group.add_argument("--status", type=int, metavar="CODE", help="only this HTTP status")
    group.add_argument("--env", metavar="NAME", help="only this environment")
    group.add_argument("--since", type=_when, metavar="WHEN",
                       help="started at or after WHEN: ISO 8601 (local time) or 30m, 2h, 7d, 1w ago")
    group.add_argument("--until", type=_when, metavar="WHEN", help="started before WHEN")
    group.add_argument("--run-id", metavar="ID", help="only exchanges of this scenario run")
    group.add_argument("--starred", action="store_true", help="only starred exchanges")
    group.add_argument("--kind", choices=EXCHANGE_KINDS,
                       help="only sends (events the console sent), lookups (account reads and writes that follow "
                       "an event up) or proxied (a foreign client's requests relayed to Yespo)")
    group.add_argument("--search", metavar="TEXT",
                       help='search bodies and keyValue for any part of a word, number, email or id (3+ '
                       'characters; every word must be found; "a phrase" keeps its spaces)')
    verified = group.add_mutually_exclusive_group()
    verified.add_argument("--verified", dest="verified", action="store_const", const=True,
                          help="only exchanges verified (`yespo-console verify` or the window's Verification "
                          "dock), whatever followed them")
    verified.add_argument("--unverified", dest="verified", action="store_const", const=False,
                          help="only exchanges never verified")


def _filters(args: argparse.Namespace) -> HistoryFilter:
    return HistoryFilter(
        event_type=args.event, outcome=tuple(Outcome(o) for o in args.outcome) if args.outcome else None,
        status=args.status, environment=args.env, since=args.since, until=args.until, run_id=args.run_id,
        starred=True if args.starred else None, search=args.search, kind=args.kind, verified=args.verified,
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "history", help="list, show, export, import or clear the exchanges sent",
        description="The history of every exchange sent, in a SQLite file in the data folder "
        "(--data-dir, else $YESPO_CONSOLE_HOME, else the user data folder). Without an action: the "
        "latest 20. Exit codes: 0 done, 1 `show` found nothing, 2 bad arguments, unreadable file or "
        "unusable history store (or `show` of an exchange damaged in the file: lists and exports leave such "
        "a row out and name it on standard error).",
    )
    parser.set_defaults(func=_guarded(_list), limit=20, before_id=None, json=False, **_FILTER_DEFAULTS)
    actions = parser.add_subparsers(dest="history_action", metavar="ACTION")

    p = actions.add_parser("list", help="the latest exchanges, newest first",
                           description="The latest exchanges, newest first. For the next page, pass the "
                           "last id shown as --before-id. A send verified with `yespo-console verify` (or in the "
                           "window) is marked ✓ when something linked followed it, ✗ when nothing did, and a "
                           "FOLLOWED column says what in a few words (\"message email sent\", \"activity: "
                           "Abandoned cart\", \"contact not found\", \"nothing within 2m\"); in JSON: "
                           "`verification` (its status), `followed` and `verifiedAt`. --verified and "
                           "--unverified choose either.")
    _add_filters(p)
    p.add_argument("--limit", type=whole_number(1), default=20, metavar="N", help="at most N rows (default 20)")
    p.add_argument("--before-id", type=int, metavar="ID", help="only exchanges older than ID (paging)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_guarded(_list))

    p = actions.add_parser("show", help="one exchange in full", description="One exchange in full, with what "
                           "followed it when it was verified (`yespo-console verify`). Exit 1 when there is no "
                           "exchange with this id.")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true", help="one JSON object (the NDJSON export record)")
    p.set_defaults(func=_guarded(_show))

    p = actions.add_parser("export", help="write exchanges as NDJSON, HAR, a cURL script or httpx code",
                           description="Write the matching exchanges, oldest first. NDJSON and HAR carry each "
                           "verified exchange's verification (`verification` in the record, `_yespoVerification` in "
                           "the HAR entry: status, summary, verifiedAt, contactFound, the contact, the linked activity "
                           "with its workflow's name and the messages with channel, status and time). No credential "
                           "is written: scripts read $YESPO_API_KEY or $YESPO_TOKEN when they run.")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--id", type=int, action="append", metavar="ID",
                   help="only this exchange (repeat for several; the filters are then not used)")
    _add_filters(p)
    p.set_defaults(func=_guarded(_export))

    p = actions.add_parser("import", help="add exchanges from an NDJSON or HAR file",
                           description="Add exchanges from an NDJSON export or a HAR file (told apart by "
                           "content), with the verifications they carry. Exchanges already present are skipped. A "
                           "verification that does not read back (a wrong type, an unknown status, deeper or larger "
                           "than the verifier writes) is left out with a warning naming its line; its exchange is "
                           "imported all the same.")
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--format", choices=("ndjson", "har"), help="do not guess the format")
    p.set_defaults(func=_guarded(_import))

    p = actions.add_parser("prune", help="delete old exchanges (keep the latest N, or a recent span)")
    p.add_argument("--keep", type=whole_number(0), metavar="N", help="keep only the latest N exchanges")
    p.add_argument("--older-than", type=_span, metavar="AGE", help="delete exchanges older than AGE (30d)")
    p.set_defaults(func=_guarded(_prune))

    p = actions.add_parser("clear", help="delete every exchange",
                           description="Delete every exchange (except ones another running Yespo Console "
                           "is sending right now), then give the space back to the disk.")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_guarded(_clear))

    p = actions.add_parser("replay", help="send the matching exchanges' exact request bytes again",
                           conflict_handler="resolve",  # --env names the target here; --from-env filters
                           description="Send the matching exchanges again, oldest first, through the scenario "
                           "runner: the exact stored request bytes, within --rate, --concurrency at once, kept in "
                           "the history with a new run id. The target is --env or --url, else the environment they "
                           "were sent to. Exit 0 when every one was accepted, 1 when one was not (or none matched), "
                           "2 bad arguments, 3 when the only failures were network errors.")
    _add_filters(p)
    from yespo_console.cli.run_cmd import add_replay_arguments

    add_replay_arguments(p)
    p.set_defaults(func=_guarded(_replay))

    p = actions.add_parser("stats", help="how many exchanges, by outcome and event type, file size")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=_guarded(_stats))


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Every expected failure becomes one line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except YespoConsoleError as exc:
            return fail(str(exc))
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            name = f"{exc.filename}: " if exc.filename else ""
            return fail(f"{name}{exc.strerror or exc}")

    return run


def _open(args: argparse.Namespace) -> HistoryStore:
    return HistoryStore.open(getattr(args, "data_dir", None))


def _name_damaged(store: HistoryStore, what: str) -> None:
    for problem in store.damaged.values():
        say(f"yespo-console: warning: {problem}; {what}", file=sys.stderr)


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _cut(text: str | None, width: int) -> str:
    text = printable(text or "-")  # escaped before it is cut, so that the columns stay aligned
    return text if len(text) <= width else text[: width - 1] + "…"


# The mark of a verified send in `history list`: something linked followed it, or nothing did.
_VERIFIED = {True: "✓", False: "✗"}


def _row(summary: ExchangeSummary, verified: VerificationRecord | None = None) -> str:
    duration = "-" if summary.duration_ms is None else f"{summary.duration_ms:.0f}"
    status = "-" if summary.status is None else str(summary.status)
    star = "★" if summary.starred else " "
    mark = " " if verified is None else _VERIFIED[verified.linked]
    return (f"{summary.id:>7} {star}{mark} {_local(summary.started_at)}  {_cut(summary.environment, 10):<10} "
            f"{_cut(summary.event_type, 22):<22} {_cut(summary.key_value, 26):<26} {status:>6} "
            f"{summary.outcome.value:<16} {duration:>7}")


_FOLLOWED_WIDTH = 28


def _followed(verified: VerificationRecord | None) -> str:
    return "" if verified is None else _cut(followed_text(verified), _FOLLOWED_WIDTH)


def _list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rows = store.query(_filters(args), before_id=args.before_id, limit=args.limit)
        verified = store.verifications([summary.id for summary in rows])
    _name_damaged(store, "left out of the list")
    if args.json:
        for summary in rows:
            mark = verified.get(summary.id)
            extra = {} if mark is None else {"verification": mark.status, "followed": followed_text(mark),
                                             "verifiedAt": to_record(mark)["verifiedAt"]}
            print_json({**summary_record(summary), **extra})
        return 0
    if not rows:
        say("no exchanges found", file=sys.stderr)
        return 0
    # The column only when this page has a verified row: most sends are never verified.
    followed = f" {'FOLLOWED':<{_FOLLOWED_WIDTH}}" if verified else ""
    say(f"{'ID':>7}    {'TIME':<19}  {'ENV':<10} {'EVENT':<22} {'KEYVALUE':<26} {'STATUS':>6} "
        f"{'OUTCOME':<16} {'MS':>7}{followed}".rstrip())
    for summary in rows:
        mark = verified.get(summary.id)
        say(_row(summary, mark) + (f" {_followed(mark)}".rstrip() if verified else ""))
    if len(rows) == args.limit:
        say(f"more: --before-id {rows[-1].id}", file=sys.stderr)
    return 0


def _body_lines(body: bytes) -> list[str]:
    if not body:
        return ["  (empty)"]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return [f"  ({len(body)} bytes, not UTF-8; base64 below)", "  " + base64.b64encode(body).decode()]
    return ["  " + line for line in text.splitlines()] or ["  "]


def _show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        exchange = store.get(args.id)
        verification = store.verifications([args.id]).get(args.id)
    if exchange is None:
        return fail(f"no exchange #{args.id} in the history", 1)
    if args.json:
        print_json(exchange_record(exchange, verification))
        return 0
    for line in _describe(exchange):
        say(line)
    if verification is not None:
        for line in _verification_lines(verification):
            say(line)
    return 0


def _verification_lines(record: VerificationRecord) -> Iterator[str]:
    """What followed the send (`yespo-console verify`), from the kept detail; a detail of another shape
    shows as its summary alone."""
    yield f"Verification ({_local(record.verified_at)}): {record.status}"
    yield f"  {record.summary}"
    for entry in _entries(record.detail, "activities"):
        flow = entry.get("workflowName") or (f"workflow #{entry['workflow_id']}" if entry.get("workflow_id") else "-")
        yield (f"  activity  {entry.get('time') or '-'}  {entry.get('status') or '-'}  "
               f"{entry.get('media_type') or '-'}  {flow}")
    for entry in _entries(record.detail, "messages"):
        yield f"  message   {entry.get('time') or '-'}  {entry.get('channel') or '-'}  {entry.get('status') or '-'}"


def _entries(detail: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = detail.get(name)
    return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []


def _describe(ex: Exchange) -> Iterator[str]:
    yield f"Exchange #{ex.id}{'  ★' if ex.starred else ''}"
    duration = "" if ex.duration_ms is None else f"   ({ex.duration_ms:.1f} ms)"
    yield f"  time         {_local(ex.started_at)}{duration}"
    yield f"  environment  {ex.environment}"
    yield f"  request      {ex.method} {ex.url}"
    source = f"  (from {ex.key_value_source})" if ex.key_value_source else ""
    yield f"  event        {ex.event_type or '-'}   keyValue {ex.key_value or '-'}{source}"
    status = "" if ex.status is None else f" ({ex.status})"
    yield f"  outcome      {ex.outcome.label}{status}"
    if ex.error:
        yield f"  error        {ex.error}"
    if ex.kind != "send":
        yield f"  kind         {ex.kind}"
    if ex.run_id:
        yield f"  run          {ex.run_id}"
    if ex.note:
        yield f"  note         {ex.note}"
    if ex.diagnostics:
        yield "Diagnostics at send time:"
        for finding in ex.diagnostics:
            yield "  " + " ".join(str(finding.get(k, "")) for k in ("severity", "code", "path", "message")).strip()
    yield "Request headers:"
    yield from (f"  {name}: {value}" for name, value in ex.request_headers)
    yield f"Request body ({len(ex.request_body)} bytes):"
    yield from _body_lines(ex.request_body)
    if ex.status is not None or ex.response_headers or ex.response_body:
        yield "Response headers:"
        yield from (f"  {name}: {value}" for name, value in ex.response_headers)
        yield f"Response body ({len(ex.response_body)} bytes):"
        yield from _body_lines(ex.response_body)


def _export(args: argparse.Namespace) -> int:
    with _open(args) as store:
        exchanges: Iterable[Exchange]
        if args.id:
            found = [store.get(exchange_id) for exchange_id in args.id]
            missing = [str(i) for i, exchange in zip(args.id, found, strict=True) if exchange is None]
            if missing:
                return fail(f"no exchange #{', #'.join(missing)} in the history", 1)
            exchanges = [exchange for exchange in found if exchange is not None]
        else:
            exchanges = store.iter_exchanges(_filters(args))
        if args.out is None:
            count = write_export(args.format, exchanges, sys.stdout, store.verifications)
        else:
            count = _write_file(Path(args.out),
                                lambda out: write_export(args.format, exchanges, out, store.verifications))
            if args.format == "curl":
                mode = Path(args.out).stat().st_mode
                Path(args.out).chmod(mode | ((mode & 0o444) >> 2))  # executable wherever readable
    _name_damaged(store, "not exported")
    where = "" if args.out is None else f" to {args.out}"
    say(f"exported {count} exchange(s){where}", file=sys.stderr)
    return 0


def _write_file(path: Path, write: Callable[[TextIO], int]) -> int:
    """Write through a temporary file beside the target, so a failed export never leaves half a file."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            count = write(out)
        Path(temp).chmod(0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return count


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _import(args: argparse.Namespace) -> int:
    source = "standard input" if args.file in (None, "-") else args.file
    with _import_stream(args.file) as stream:
        # The whole file is checked before any row is added, then read again to add them: a file of any
        # size is never held in memory whole.
        for _ in read_imports(stream, args.format, source):
            pass
        stream.seek(0)
        refused: list[str] = []
        with _open(args) as store:
            result = store.import_exchanges(_noting_refused(read_imports(stream, args.format, source), refused))
    for problem in refused:
        say(f"yespo-console: warning: {source}: {problem}", file=sys.stderr)
    verified = f" ({result.verifications} with their verification)" if result.verifications else ""
    say(f"imported {result.imported} exchange(s){verified}, skipped {result.skipped} already present")
    return 0


def _noting_refused(items: Iterable[Imported], refused: list[str]) -> Iterator[Imported]:
    """ITEMS as they are, each verification left out noted in REFUSED (its exchange comes in all the same)."""
    for item in items:
        if item.refused is not None:
            refused.append(item.refused)
        yield item


@contextlib.contextmanager
def _import_stream(file: str | None) -> Iterator[BinaryIO]:
    """The file to import, open for reading twice; standard input is copied to a temporary file first."""
    if file not in (None, "-"):
        with open_file(file, "history export") as stream:
            if not stream.seekable():  # a FIFO or a device: one pass only, so spooled like stdin
                with _spooled(stream, file) as copy:
                    yield copy
                return
            yield stream
        return
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("no input: give a FILE or pipe an export into standard input (use - for stdin)")
    with _spooled(sys.stdin.buffer, "standard input") as copy:
        yield copy


@contextlib.contextmanager
def _spooled(stream: BinaryIO, source: str) -> Iterator[BinaryIO]:
    """A temporary copy, line by line: each line within the cap and UTF-8 text, so that an endless device
    (/dev/zero, /dev/urandom) is refused at once instead of filling the disk."""
    with tempfile.TemporaryFile() as copy:
        for number, line in enumerate(stream_lines(stream, source, MAX_RECORD_BYTES), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                raise NotUtf8Error(source, number) from None
            copy.write(line)
        copy.seek(0)
        yield copy


def _prune(args: argparse.Namespace) -> int:
    if args.keep is None and args.older_than is None:
        return fail("prune needs --keep N, --older-than AGE, or both")
    with _open(args) as store:
        deleted = store.apply_retention(max_count=args.keep, max_age=args.older_than)
    say(f"deleted {deleted} exchange(s)")
    return 0


def _clear(args: argparse.Namespace) -> int:
    with _open(args) as store:
        if not args.yes:
            if sys.stdin is None or not sys.stdin.isatty():
                return fail("history clear deletes every exchange: add --yes to confirm")
            answer = input(f"Delete all {store.count()} exchange(s) in {store.path}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                say("nothing deleted")
                return 0
        deleted = store.clear()
        try:
            store.compact()
        except StoreError:
            say("note: the file could not be compacted now (in use); its space is reused later",
                  file=sys.stderr)
    say(f"deleted {deleted} exchange(s)")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from yespo_console.cli.run_cmd import replay

    return replay(args, replace(_filters(args), environment=args.from_env))


def _stats(args: argparse.Namespace) -> int:
    with _open(args) as store:
        stats = store.stats()
        path = store.path
    if args.json:
        print_json({
            "path": str(path), "total": stats.total, "pending": stats.pending, "by_outcome": stats.by_outcome,
            "by_event_type": stats.by_event_type, "file_bytes": stats.file_bytes,
            "oldest": None if stats.oldest is None else stats.oldest.isoformat(),
            "newest": None if stats.newest is None else stats.newest.isoformat(),
        })
        return 0
    say(f"history file  {path} ({stats.file_bytes / 1_048_576:.1f} MB)")
    say(f"exchanges     {stats.total}" + (f" ({stats.pending} pending)" if stats.pending else ""))
    if stats.oldest is not None and stats.newest is not None:
        say(f"from          {_local(stats.oldest)} to {_local(stats.newest)}")
    if stats.by_outcome:
        say("by outcome:")
        for outcome, count in sorted(stats.by_outcome.items(), key=lambda item: -item[1]):
            say(f"  {outcome:<18} {count}")
    if stats.by_event_type:
        say("by event type:")
        for event, count in stats.by_event_type.items():
            say(f"  {_cut(event, 40):<40} {count}")
    return 0
