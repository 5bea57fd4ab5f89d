"""``python -m index``: build, sync, add, delete and stats, each taking ``--config PATH``.

In cluster mode (``cluster.database_url`` set) ``add`` and ``delete`` write to the log of
record (index/changelog.py) and print its sequence number, ``build`` reads the articles from
the database, ``follow`` applies the log to this node's index, and ``snapshot`` / ``restore``
copy a generation out and in (index/snapshot.py).

Exit status: 0 done; 3 done, but some records were skipped (the summary says
how many and why); 1 failed, nothing changed; 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import os
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
    except (SourceError, IndexMissing, BuildBusy, WriterBusy, WriteFailed, ClusterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: the live index is unchanged", file=sys.stderr)
        return EXIT_INTERRUPTED


class ClusterError(RuntimeError):
    """A cluster-mode command that cannot run: database unreachable, follower running, bad setting."""


def _changelog(config: Config):
    """The log of record in cluster mode, else None."""
    url = config["cluster.database_url"]
    if not url:
        return None
    from index.changelog import ChangeLog

    try:
        return ChangeLog(url)
    except ValueError as exc:
        raise ClusterError(str(exc)) from None


def _append(changelog, entries: list[dict]):
    from index.changelog import DatabaseUnavailable

    try:
        return changelog.append(entries)
    except DatabaseUnavailable as exc:
        raise ClusterError(f"{exc}; nothing of this batch was written") from None


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

    p = sub.add_parser(
        "follow", parents=[common], help="cluster mode: apply the log of record to this index until stopped"
    )
    p.set_defaults(func=cmd_follow)

    p = sub.add_parser("snapshot", parents=[common], help="copy the live generation, with its log sequence, to DIR")
    p.add_argument("directory", nargs="?", help="folder of snapshots (default: cluster.snapshots)")
    p.set_defaults(func=cmd_snapshot)

    p = sub.add_parser("restore", parents=[common], help="make the newest snapshot of DIR the live generation")
    p.add_argument("directory", nargs="?", help="folder of snapshots (default: cluster.snapshots)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("stats", parents=[common], help="document count, date span, size on disk")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stats)
    return parser


def _print_problem(problem) -> None:
    print(problem, file=sys.stderr)


def cmd_build(args, config: Config, store) -> int:
    from index.build import build
    from index.impacts import ImpactParams

    changelog = _changelog(config)
    if changelog is not None:
        return _rebuild_from_database(args, config, store, changelog)

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
        impacts=ImpactParams.from_config(config),
    )
    rate = report.indexed / report.seconds if report.seconds else 0.0
    print(
        f"built {report.generation}: {report.indexed} documents indexed, {report.skipped} skipped, "
        f"{report.duplicates} duplicate ids ignored, {report.warnings} warnings, "
        f"{report.replayed} journalled writes replayed, in {report.seconds:.1f} s ({rate:.0f} docs/s)"
    )
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def _rebuild_from_database(args, config: Config, store, changelog) -> int:
    from index.changelog import DatabaseUnavailable
    from index.follower import rebuild
    from index.impacts import ImpactParams

    if args.sources:
        print(
            "error: in cluster mode `build` reads the articles from the database; "
            "load files into it with `python -m index add FILES`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        report = rebuild(
            store,
            changelog,
            procs=args.procs or config["index.procs"],
            memory_mb=config["index.memory_mb"],
            keep=config["index.keep_generations"],
            write_timeout=config["index.write_timeout"],
            batch=config["cluster.batch"],
            impacts=ImpactParams.from_config(config),
        )
    except DatabaseUnavailable as exc:
        raise ClusterError(f"{exc}; the live index is unchanged") from None
    rate = report.indexed / report.seconds if report.seconds else 0.0
    print(
        f"built {report.generation} from the database: {report.indexed} documents read at log sequence "
        f"{report.read_at}, {report.caught_up} changes committed meanwhile applied, live at sequence "
        f"{report.seq}, in {report.seconds:.1f} s ({rate:.0f} docs/s)"
    )
    return EXIT_OK


def cmd_follow(args, config: Config, store) -> int:
    """Apply the log until SIGINT or SIGTERM (which end it between two batches)."""
    import logging
    import signal

    from index.follower import Follower, FollowerRunning

    changelog = _changelog(config)
    if changelog is None:
        print("error: `follow` needs cluster mode: set cluster.database_url", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO, format="follower %(process)d: %(message)s", stream=sys.stderr)
    snapshots = config.path("cluster.snapshots") if config["cluster.snapshots"] else None
    follower = Follower(
        store,
        changelog,
        batch=config["cluster.batch"],
        poll_seconds=config["cluster.poll_seconds"],
        commit_interval=config["cluster.commit_interval"],
        write_timeout=config["index.write_timeout"],
        snapshots=snapshots,
        keep=config["index.keep_generations"],
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: follower.stop())
    print(f"follower {os.getpid()}: applying the log to {store.path}", file=sys.stderr, flush=True)
    try:
        follower.run()
    except FollowerRunning as exc:
        raise ClusterError(str(exc)) from None
    return EXIT_OK


def _snapshot_dir(args, config: Config) -> Path | None:
    if args.directory:
        return Path(args.directory)
    return config.path("cluster.snapshots") if config["cluster.snapshots"] else None


def cmd_snapshot(args, config: Config, store) -> int:
    from index.snapshot import take

    directory = _snapshot_dir(args, config)
    if directory is None:
        print("error: give a folder, or set cluster.snapshots", file=sys.stderr)
        return EXIT_USAGE
    path, seq = take(store, directory, config["index.write_timeout"])
    print(f"snapshot {path}: generation {store.current()} at log sequence {seq}")
    return EXIT_OK


def cmd_restore(args, config: Config, store) -> int:
    from index.snapshot import newest, restore

    directory = _snapshot_dir(args, config)
    if directory is None:
        print("error: give a folder, or set cluster.snapshots", file=sys.stderr)
        return EXIT_USAGE
    found = newest(directory)
    if found is None:
        print(f"error: no snapshot in {directory}", file=sys.stderr)
        return EXIT_FAILED
    try:
        name, seq = restore(store, found, keep=config["index.keep_generations"])
    except ValueError as exc:
        raise ClusterError(str(exc)) from None
    print(f"restored {found} as {name}: the follower goes on from log sequence {seq}")
    return EXIT_OK


def cmd_sync(args, config: Config, store) -> int:
    """One sync, or (``--watch``) one every SECONDS until SIGINT or SIGTERM.

    A signal only sets a flag: while the sources are read it ends the round
    with nothing written; during the commit it is acted on once the commit is
    done, so a batch is never half applied.
    """
    import signal
    import threading

    if config["cluster.database_url"]:
        print(
            "error: `sync` does not write to the cluster's log yet: use `python -m index add` and `delete`",
            file=sys.stderr,
        )
        return EXIT_USAGE
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
    from index.build import count_records, progress_bar
    from index.sources import SourceError, expand
    from index.store import BuildBusy, IndexMissing
    from index.sync import SyncStopped, sync
    from index.writer import WriteFailed, WriterBusy

    try:
        bar = progress_bar(count_records(expand(sources)), not args.quiet)
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
    from index.build import count_records, progress_bar
    from index.sources import Problem, expand, read_with_origins
    from index.writer import upsert_entry, write

    files = expand(args.sources)
    changelog = _changelog(config)
    bar = progress_bar(count_records(files), not args.quiet)
    added = skipped = seq = 0
    batch: list[dict] = []

    def flush() -> None:
        nonlocal added, seq
        if batch and changelog is not None:
            appended = _append(changelog, batch)
            added += appended.upserted
            seq = appended.seq or seq
        elif batch:
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
    print(f"added or replaced {added} documents, {skipped} skipped" + (f" (log sequence {seq})" if seq else ""))
    return EXIT_SKIPPED if skipped else EXIT_OK


def cmd_delete(args, config: Config, store) -> int:
    from index.writer import delete_entry, write

    entries = [delete_entry(i) for i in args.ids]
    changelog = _changelog(config)
    if changelog is not None:
        result = _append(changelog, entries)
        print(f"deleted {result.deleted} documents" + (f" (log sequence {result.seq})" if result.seq else ""))
    else:
        result = write(store, entries, config["index.write_timeout"])
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
