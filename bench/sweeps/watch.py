"""Watching the purge from outside and inside: how long its transactions run and what they lock.

- TransactionClock (the purging thread): wall time of every outermost transaction.atomic block,
  labelled with the Paraph function that opened it, and of every write outside one (a transaction
  of its own); and how much of it came after the first row lock.
- LockSampler (a second connection): every few milliseconds, pg_locks × pg_stat_activity for the
  purging backend; while it holds a lock on the envelopes table stronger than a plain read (SELECT …
  FOR UPDATE or a write, so it may hold row locks), the age of its transaction (clock_timestamp() -
  xact_start). The longest age seen is the longest lock held, to within one sampling interval.
- WriteProbe (a third connection): an unrelated UPDATE of an envelope that is not being purged,
  timed, to show whether other work waits on the purge.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass

from django.db import connection
from django.db.transaction import Atomic, get_connection
from django.utils import timezone

from envelopes.models import Envelope

WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class _Open:
    outermost: bool
    started: float
    label: str
    locking: float | None = None  # since when it may hold row locks


class TransactionClock:
    """Use as a context manager on the thread whose transactions are to be timed. `durations` holds
    each outermost transaction's wall time by label; `row_locks` the part of it from the first row
    lock on: the end of its first SELECT … FOR UPDATE (a sorted plan locks the rows it returns as it
    returns them, at the end; a streaming plan earlier, so this can fall short by that statement's
    time) or the start of its first write, whichever comes first."""

    def __init__(self) -> None:
        self.durations: dict[str, list[float]] = defaultdict(list)
        self.row_locks: dict[str, list[float]] = defaultdict(list)
        self._open: list[_Open] = []
        self._stack = ExitStack()

    def __enter__(self) -> TransactionClock:
        thread, enter, exit_ = threading.get_ident(), Atomic.__enter__, Atomic.__exit__
        clock = self

        def timed_enter(atomic):
            if threading.get_ident() == thread:
                outermost = not get_connection(atomic.using).in_atomic_block
                clock._open.append(_Open(outermost, time.perf_counter(), _caller() if outermost else ""))
            return enter(atomic)

        def timed_exit(atomic, exc_type, exc_value, traceback):
            try:
                return exit_(atomic, exc_type, exc_value, traceback)
            finally:
                if threading.get_ident() == thread:
                    block, ended = clock._open.pop(), time.perf_counter()
                    if block.outermost:
                        clock.durations[block.label].append(ended - block.started)
                        if block.locking is not None:
                            clock.row_locks[block.label].append(ended - block.locking)

        Atomic.__enter__, Atomic.__exit__ = timed_enter, timed_exit
        self._stack.callback(setattr, Atomic, "__exit__", exit_)
        self._stack.callback(setattr, Atomic, "__enter__", enter)
        self._stack.enter_context(connection.execute_wrapper(self._statement))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _statement(self, execute, sql, params, many, context):
        text = sql.lstrip().upper()
        write = text.startswith(WRITES)
        if context["connection"].in_atomic_block:
            block = self._open[0] if self._open else None
            if block is None or block.locking is not None or not (write or "FOR UPDATE" in text):
                return execute(sql, params, many, context)
            started = time.perf_counter()
            result = execute(sql, params, many, context)
            block.locking = started if write else time.perf_counter()
            return result
        if not write:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            self.durations["(single statement) " + _caller()].append(seconds)
            self.row_locks["(single statement) " + _caller()].append(seconds)


def _caller() -> str:
    """The innermost Paraph function on the stack (envelopes or providers)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("envelopes.", "providers.")):
            return f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back
    return "other"


LOCKS_SQL = """
SELECT a.xact_start, EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start)::float8,
       (SELECT count(*) FROM pg_stat_activity w WHERE w.datname = current_database() AND w.wait_event_type = 'Lock')
FROM (SELECT 1) AS one
LEFT JOIN pg_stat_activity a ON a.pid = %s AND a.xact_start IS NOT NULL AND EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.pid = a.pid AND l.granted AND l.relation = %s::regclass AND l.mode <> 'AccessShareLock'
)
"""


class _Watcher(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.error: BaseException | None = None
        self._stopping = threading.Event()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self.join()
        if self.error is not None:
            raise RuntimeError(f"{type(self).__name__} failed") from self.error

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self.once()
                self._stopping.wait(self.interval)
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread in __exit__)
            self.error = exc
        finally:
            connection.close()

    def once(self) -> None:
        raise NotImplementedError


class LockSampler(_Watcher):
    """Polls the locks of backend `pid` on the envelopes table (PostgreSQL)."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(interval)
        self.pid = pid
        self.samples = 0
        self.most_waiting = 0  # sessions of this database waiting for a lock, in one sample
        self.ages: dict[object, float] = {}  # transaction start -> oldest age seen while it held a lock

    def once(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(LOCKS_SQL, [self.pid, Envelope._meta.db_table])
            xact_start, age, waiting = cursor.fetchone()
        self.samples += 1
        self.most_waiting = max(self.most_waiting, waiting)
        if xact_start is not None:
            self.ages[xact_start] = max(age, self.ages.get(xact_start, 0.0))


class WriteProbe(_Watcher):
    """Times an UPDATE of envelope `pk` (one the purge does not touch) every `interval` seconds."""

    def __init__(self, pk: int, interval: float) -> None:
        super().__init__(interval)
        self.pk = pk
        self.latencies: list[float] = []

    def once(self) -> None:
        started = time.perf_counter()
        Envelope.objects.filter(pk=self.pk).update(updated_at=timezone.now())
        self.latencies.append(time.perf_counter() - started)
