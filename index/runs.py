"""A build process's postings sorted through runs written and read in batches.

Whoosh's ``SegmentWriter`` collects every posting of the documents it indexes in a
``PostingPool``, an external merge sort: when the pool holds ``limitmb`` of them it sorts
them and writes them to a temporary file (a *run*), and when the segment is finished it merges
the runs back.  Whoosh writes and reads a run one posting at a time, a ``pickle.dump`` and a
``pickle.load`` per posting, in Python: in a build of news-00, reading the runs back was 30 s
of the processes' 83 s finishing their segments, a tenth of the build's CPU (a sampled profile,
BENCHMARKS.md, issue 16's fourteenth round).

:class:`BatchedPostingPool` writes a run as lists of :data:`BATCH` postings, one pickle each, and
reads them back a list at a time: the same postings in the same order, the per-posting work
left to pickle's C loop.  The runs are the process's own temporary files, written moments before
and deleted once read, never bytes from outside.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from whoosh.multiproc import SubWriterTask
from whoosh.writing import PostingPool

BATCH = 4096  # postings a pickle: with 128 runs open at a merge, half a million in memory


class BatchedPostingPool(PostingPool):
    """Whoosh's ``PostingPool`` whose runs are written and read :data:`BATCH` postings at a time."""

    def _write_run(self, f, items: Iterable[Any]) -> None:
        items = iter(items)
        while batch := list(islice(items, BATCH)):
            pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    batch = pickle.load(f)  # this process's own run (see the module's docstring)
                except EOFError:
                    return
                yield from batch
        finally:
            f.close()
            self._remove_run(path)


class BatchedSubWriterTask(SubWriterTask):
    """Whoosh's build process, its postings sorted through a :class:`BatchedPostingPool`."""

    def _process_file(self, filename, doc_count):
        writer = self.writer  # Whoosh's SegmentWriter, made by run() before the first job
        if type(writer.pool) is PostingPool:  # the first job: nothing added to the pool yet
            pool = BatchedPostingPool(writer._tempstorage, writer.newsegment)
            pool.limit = writer.pool.limit
            writer.pool = pool
        super()._process_file(filename, doc_count)
