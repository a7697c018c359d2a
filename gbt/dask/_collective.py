"""The cluster side of distributed training: pinned tasks, the histogram all-reduce, faults.

Setup messages (loading partitions, sketches, binning) go to every worker that holds a shard
as tasks pinned to it (``workers=[address]``, no stealing), so rows are read where they live.
The per-level messages of tree growing go to one Dask *actor* per worker
(:class:`gbt.dask._shard.ShardActor`), called directly without the scheduler (a scheduled
task costs tens of milliseconds of round trip, an actor call a few). The driver and the actors
form a binary reduction tree: the driver is the root, its children are workers 0 and 1, and
worker i's children are workers 2i + 2 and 2i + 3. Each worker forwards the message to its
children, runs it on its own shard and adds its children's replies to its own, so each
partial sum moves once, worker to worker, and the driver receives two: ``W`` replies' worth of
bytes in all, ``ceil(log2(W + 2)) - 1`` hops deep (1 for two workers, 6 for a hundred).

Faults: while waiting, the driver polls the scheduler's worker list, and an actor call that
cannot reach its worker makes the driver ask the scheduler which one left. A worker that left
(crashed, killed, restarted by its nanny) raises :class:`WorkerLostError` naming it, instead of
waiting for a reply that can never come; ``timeout`` bounds any one message.
"""
from __future__ import annotations

import time

import numpy as np

from . import _shard

# How often a waiting driver checks that its workers are still there (seconds).
POLL_SECONDS = 1.0
# How long the scheduler gets to notice a worker that stopped answering.
LOST_WORKER_GRACE_SECONDS = 15.0


class WorkerLostError(RuntimeError):
    """A worker holding training rows left the cluster mid-training."""


class DistributedTimeoutError(TimeoutError):
    """A training message took longer than the ``timeout`` option."""


def sum_replies(a: dict, b: dict) -> dict:
    """Element-wise sum of two reply dicts (same keys; arrays or numbers)."""
    if a.keys() != b.keys():
        raise RuntimeError(f"Workers replied with different fields: {sorted(a)} vs {sorted(b)}.")
    return {k: a[k] + b[k] for k in a}


class Collective:
    """Messages to a fixed set of workers, summed replies, fault detection.

    Parameters
    ----------
    client : distributed.Client
    workers : list of str, worker addresses, one shard each, in a fixed order
    timeout : float or None, seconds one message may take
    """

    def __init__(self, client, workers, timeout=None):
        self.client = client
        self.workers = list(workers)
        self.timeout = timeout
        self.bytes_reduced = 0  # bytes of partial sums moved between workers and to the driver
        self.actors = None

    def start_actors(self):
        """One :class:`ShardActor` per worker, connected as a binary reduction tree under
        the driver."""
        futures = [self.client.submit(_shard.ShardActor, workers=[w], actor=True,
                                      allow_other_workers=False, pure=False)
                   for w in self.workers]
        self._actor_futures = futures
        self.actors = self.results(futures, "actor setup")
        n = len(self.actors)
        self._wait_actor([self.actors[i].connect([self.actors[j] for j in (2 * i + 2, 2 * i + 3)
                                                  if j < n]) for i in range(n)], "actor setup")

    # -- tasks --------------------------------------------------------------------------------
    def submit(self, worker, fn, *args):
        """``fn(*args)`` as a task pinned to ``worker``."""
        return self.client.submit(fn, *args, workers=[worker], allow_other_workers=False,
                                  pure=False)

    def each(self, fn, *args):
        """``fn(*args)`` once on every worker; a list of futures in worker order."""
        return [self.submit(w, fn, *args) for w in self.workers]

    # -- waiting ------------------------------------------------------------------------------
    def result(self, future, what="message"):
        """The future's value; raises WorkerLostError or DistributedTimeoutError instead of
        hanging when a worker is gone or the message takes too long."""
        return self.results([future], what)[0]

    def results(self, futures, what="message"):
        """Values of ``futures`` (see :meth:`result`)."""
        from distributed import wait
        start = time.monotonic()
        while True:
            poll = self._poll_seconds(start, what)
            try:
                wait(futures, timeout=poll)
            except TimeoutError:
                self.check_workers()
                continue
            errors = [f for f in futures if f.status == "error"]
            if errors:
                self.check_workers()
                errors[0].result()  # raises the worker's exception here
            return self.client.gather(futures)

    def _poll_seconds(self, start, what):
        """How long the next wait may block: POLL_SECONDS, or what is left of the timeout
        since ``start``; raises DistributedTimeoutError (or WorkerLostError) when none is."""
        if self.timeout is None:
            return POLL_SECONDS
        left = self.timeout - (time.monotonic() - start)
        if left <= 0:
            self.check_workers()
            raise DistributedTimeoutError(
                f"Distributed training: a {what} took longer than timeout={self.timeout:g} s "
                f"(workers {self.workers}).")
        return min(POLL_SECONDS, left)

    def check_workers(self):
        """Raise WorkerLostError if any of this run's workers has left the cluster."""
        alive = set(self.client.scheduler_info(n_workers=-1)["workers"]) \
            if _takes_n_workers(self.client) else set(self.client.scheduler_info()["workers"])
        lost = [w for w in self.workers if w not in alive]
        if lost:
            raise WorkerLostError(
                f"Worker {lost[0]} was lost during distributed training (it held a shard of "
                f"the training rows, which are gone with it); {len(alive)} workers remain. "
                "Restart training on the remaining workers.")

    # -- all-reduce ---------------------------------------------------------------------------
    def allreduce(self, key, ops, what="tree level"):
        """Run ``ops`` on every shard of ``key`` and return the summed reply."""
        if self.actors is None:  # before the actors exist: scheduled tasks, summed here
            total = self.results(self.each(_shard.run_ops, key, ops), what)
            out = total[0]
            for reply in total[1:]:
                out = sum_replies(out, reply)
            return out
        # The driver is the tree's root: workers 0 and 1 answer with their subtrees' sums.
        parts = self._wait_actor([a.reduce(key, ops) for a in self.actors[:2]], what)
        total = parts[0] if len(parts) == 1 else sum_replies(parts[0], parts[1])
        self.bytes_reduced += _reply_bytes(total) * len(self.workers)
        return total

    def _wait_actor(self, futures, what):
        """Results of actor futures, polling for lost workers and the timeout meanwhile."""
        start = time.monotonic()
        out = []
        for future in futures:
            while True:
                poll = self._poll_seconds(start, what)
                try:
                    out.append(future.result(timeout=poll))
                    break
                except TimeoutError:
                    self.check_workers()
                except (OSError, ConnectionError) as err:  # an actor's worker is unreachable
                    self._blame_lost_worker(err, what)
        return out

    def _blame_lost_worker(self, err, what):
        """A worker could not be reached: give the scheduler a moment to notice which one
        left, and raise WorkerLostError naming it (else a RuntimeError with the cause)."""
        deadline = time.monotonic() + LOST_WORKER_GRACE_SECONDS
        while time.monotonic() < deadline:
            self.check_workers()
            time.sleep(0.2)
        raise RuntimeError(f"Distributed training: a {what} failed because a worker could not "
                           f"be reached ({err}); workers {self.workers}.") from err

    def gather_ops(self, key, ops, what="message"):
        """Run ``ops`` on every shard of ``key``; the replies in worker order (not summed)."""
        return self.results(self.each(_shard.run_ops, key, ops), what)

    def call(self, key, method, *args, what="message"):
        """``shard.method(*args)`` on every shard of ``key``; results in worker order."""
        if self.actors is not None:
            return self._wait_actor([a.call(key, method, *args) for a in self.actors], what)
        return self.results(self.each(_shard.call, key, method, *args), what)

    def close(self):
        """Release the actors (their workers drop them with the last reference)."""
        self.actors = None
        self._actor_futures = None

    def drop(self, *keys):
        """Forget the run's shards on every worker still there (best effort)."""
        try:
            alive = set(self.client.scheduler_info()["workers"])
            futures = [self.submit(w, _shard.drop, k) for w in self.workers if w in alive
                       for k in keys]
            from distributed import wait
            wait(futures, timeout=10)
        except Exception:  # cleanup must never mask the training error
            pass


def _reply_bytes(reply: dict) -> int:
    return int(sum(np.asarray(v).nbytes for v in reply.values()))


def _takes_n_workers(client) -> bool:
    import inspect
    return "n_workers" in inspect.signature(client.scheduler_info).parameters
