"""``python -m index``: build, sync, add, delete and stats, each taking ``--config PATH``.

Exit status: 0 done; 3 done, but some records were skipped (the summary says
how many and why); 1 failed, nothing changed; 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index.settings import Config, load_config_or_exit

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C
ADD_BATCH = 500


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from index.sources import SourceError
    from index.store import BuildBusy, IndexMissing, IndexStore
    from index.writer import WriteFailed, WriterBusy

    store = IndexStore(config.path("index.path"))
    try:
        return args.func(args, config, store)
    except (SourceError, IndexMissing, BuildBusy, WriterBusy, WriteFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: the live index is unchanged", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="TOML config file (default: config.toml of the project)")
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__.split("\n")[0], parents=[common])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("build", parents=[common], help="index sources into a new generation and switch to it")
    p.add_argument("sources", nargs="*", help="files or folders (default: index.sources of the config)")
    p.add_argument("--procs", type=int, help="indexing processes (default: index.procs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("sync", parents=[common], help="write only what changed in the sources since the index had them")
    p.add_argument("sources", nargs="*", help="files or folders (default: index.sources of the config)")
    p.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    p.add_argument("--watch", type=float, metavar="SECONDS", help="sync again every SECONDS until Ctrl-C or SIGTERM")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("add", parents=[common], help="add or replace (by id) the articles of SOURCES")
    p.add_argument("sources", nargs="+", help="files or folders")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("delete", parents=[common], help="delete articles by id")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("stats", parents=[common], help="document count, date span, size on disk")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stats)
    return parser


def _print_problem(problem) -> None:
    print(problem, file=sys.stderr)


def cmd_build(args, config: Config, store) -> int:
    from index.build import build

    sources = args.sources or [_config_relative(config, s) for s in config["index.sources"]]
    report = build(
        store,
        sources,
        procs=args.procs or config["index.procs"],
        memory_mb=config["index.memory_mb"],
        keep=config["index.keep_generations"],
        portal_source=config["index.portal_source"],
        write_timeout=config["index.write_timeout"],
        progress=not args.quiet,
        on_problem=_print_problem,
    )
    rate = report.indexed / report.seconds if report.seconds else 0.0
    print(
        f"built {report.generation}: {report.indexed} documents indexed, {report.skipped} skipped, "
        f"{report.duplicates} duplicate ids ignored, {report.warnings} warnings, "
        f"{report.replayed} journalled writes replayed, in {report.seconds:.1f} s ({rate:.0f} docs/s)"
    )
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def cmd_sync(args, config: Config, store) -> int:
    """One sync, or (``--watch``) one every SECONDS until SIGINT or SIGTERM.

    A signal only sets a flag: while the sources are read it ends the round
    with nothing written; during the commit it is acted on once the commit is
    done, so a batch is never half applied.
    """
    import signal
    import threading

    if args.watch is not None and args.watch <= 0:
        print("error: --watch needs a positive number of seconds", file=sys.stderr)
        return EXIT_USAGE
    sources = args.sources or [_config_relative(config, s) for s in config["index.sources"]]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            status = _sync_once(args, config, store, sources, stop)
            if args.watch is None:
                return status
            if stop.wait(args.watch) or status == EXIT_INTERRUPTED:
                print("stopped: the index holds every sync reported above", flush=True)
                return EXIT_OK if status == EXIT_INTERRUPTED else status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _sync_once(args, config: Config, store, sources: list, stop) -> int:
    from index.build import _progress_bar, count_records
    from index.sources import SourceError, expand
    from index.store import BuildBusy, IndexMissing
    from index.sync import SyncStopped, sync
    from index.writer import WriteFailed, WriterBusy

    try:
        bar = _progress_bar(count_records(expand(sources)), not args.quiet)
        try:
            report = sync(
                store,
                sources,
                portal_source=config["index.portal_source"],
                write_timeout=config["index.write_timeout"],
                dry_run=args.dry_run,
                on_record=bar.update,
                on_problem=_print_problem,
                stop=stop.is_set,
            )
        finally:
            bar.close()
    except SyncStopped:
        print("interrupted: nothing of this sync was written", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except (SourceError, IndexMissing, BuildBusy, WriterBusy, WriteFailed) as exc:
        if args.watch is None:
            raise
        print(f"error: {exc}; trying again in {args.watch:g} s", file=sys.stderr, flush=True)  # a watch outlives it
        return EXIT_FAILED
    suffix = " (dry run: nothing written)" if args.dry_run else f" in {report.seconds:.1f} s"
    print(report.summary() + suffix, flush=True)
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def _config_relative(config: Config, source: str) -> Path:
    path = Path(source).expanduser()
    return path if path.is_absolute() else (config.base_dir / path)


def cmd_add(args, config: Config, store) -> int:
    from index.build import _progress_bar, count_records
    from index.sources import Problem, expand, read_with_origins
    from index.writer import upsert_entry, write

    files = expand(args.sources)
    bar = _progress_bar(count_records(files), not args.quiet)
    added = skipped = 0
    batch: list[dict] = []

    def flush() -> None:
        nonlocal added
        if batch:
            added += write(store, batch, config["index.write_timeout"]).upserted
            batch.clear()

    try:
        for origin, item in read_with_origins(files, config["index.portal_source"]):
            if isinstance(item, Problem):
                _print_problem(item)
                skipped += item.skipped
                bar.update(item.skipped)
                continue
            batch.append(upsert_entry(item, origin))
            bar.update(1)
            if len(batch) >= ADD_BATCH:
                flush()
        flush()
    finally:
        bar.close()
    print(f"added or replaced {added} documents, {skipped} skipped")
    return EXIT_SKIPPED if skipped else EXIT_OK


def cmd_delete(args, config: Config, store) -> int:
    from index.writer import delete_entry, write

    result = write(store, [delete_entry(i) for i in args.ids], config["index.write_timeout"])
    print(f"deleted {result.deleted} documents")
    for doc_id in result.missing:
        print(f"not found: {doc_id}", file=sys.stderr)
    return EXIT_OK if not result.missing else EXIT_SKIPPED


def cmd_stats(args, config: Config, store) -> int:
    import json

    from index.stats import index_stats

    stats = index_stats(store)
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2))
        return EXIT_OK
    span = f"{stats.first_day} .. {stats.last_day}" if stats.first_day else "no dated articles"
    print(f"index:       {store.path / stats.generation}")
    print(f"documents:   {stats.documents}")
    print(f"date span:   {span} ({stats.undated} undated)")
    print(f"size:        {stats.size_bytes / 1e6:.1f} MB on disk in {stats.segments} segment(s)")
    print(f"journal:     {stats.journal_bytes / 1e6:.1f} MB of incremental writes")
    return EXIT_OK
