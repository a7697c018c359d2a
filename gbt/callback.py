"""Training callbacks: hooks around the boosting loop (XGBoost's TrainingCallback shape).

``after_iteration`` returns True to stop training. ``evals_log`` is
``{data_name: {metric_name: [value per round]}}``; an objective with state (FairGBM's
multipliers) adds ``evals_log["objective"]``, which early stopping never watches.
"""
from __future__ import annotations

import sys
import time

OBJECTIVE_LOG = "objective"


class TrainingCallback:
    """Base class: override any of the hooks."""

    def before_training(self, model):
        return model

    def after_iteration(self, model, epoch: int, evals_log: dict) -> bool:
        return False

    def after_training(self, model):
        return model


class EarlyStopping(TrainingCallback):
    """Stop when a metric has not improved for ``rounds`` rounds.

    Parameters
    ----------
    rounds : int
    metric_name : str, optional
        Default: the last metric of the data set.
    data_name : str, optional
        Default: the last evaluation set.
    maximize : bool, optional
        Default: from the metric (AUC maximises).
    min_delta : float
        Improvement smaller than this does not count.
    """

    def __init__(self, rounds: int, metric_name=None, data_name=None, maximize=None,
                 min_delta: float = 0.0):
        if rounds < 1:
            raise ValueError(f"early stopping rounds must be >= 1; got {rounds}.")
        self.rounds = rounds
        self.metric_name = metric_name
        self.data_name = data_name
        self.maximize = maximize
        self.min_delta = min_delta
        self.best_score = None
        self.best_iteration = 0

    def before_training(self, model):
        self.best_score = None
        self.best_iteration = 0
        return model

    def after_iteration(self, model, epoch, evals_log):
        sets = [name for name in evals_log if name != OBJECTIVE_LOG]
        if not sets:
            raise ValueError("Early stopping needs at least one evaluation set in evals.")
        data = self.data_name or sets[-1]
        if data not in evals_log:
            raise ValueError(f"Early stopping data {data!r} is not among {list(evals_log)}.")
        metric = self.metric_name or list(evals_log[data])[-1]
        score = evals_log[data][metric][-1]
        maximize = self.maximize
        if maximize is None:
            from .metrics import get_metric
            try:
                maximize = get_metric(metric, model.objective).higher_is_better
            except ValueError:  # a callable's metric: lower is better unless told
                maximize = False
        improved = self.best_score is None or (
            score > self.best_score + self.min_delta if maximize
            else score < self.best_score - self.min_delta)
        if improved:
            self.best_score, self.best_iteration = score, epoch
        model.best_iteration = self.best_iteration
        model.best_score = float(self.best_score)
        return epoch - self.best_iteration >= self.rounds


class EvaluationMonitor(TrainingCallback):
    """Print the evaluation results every ``period`` rounds (and the last one)."""

    def __init__(self, period: int = 1, stream=None):
        self.period = max(1, int(period))
        self.stream = stream
        self._last = ""

    def after_iteration(self, model, epoch, evals_log):
        parts = [f"{d}-{m}:{v[-1]:.6f}" for d, ms in evals_log.items() for m, v in ms.items()]
        self._last = f"[{epoch}]\t" + "\t".join(parts)
        if parts and epoch % self.period == 0:
            print(self._last, file=self.stream or sys.stdout)
            self._last = ""
        return False

    def after_training(self, model):
        if self._last:
            print(self._last, file=self.stream or sys.stdout)
        return model


class ProgressBar(TrainingCallback):
    """A one-line progress bar with the latest evaluation values, redrawn in place on
    ``stream`` (default stderr) at most every ``min_interval`` seconds. Silent when the stream
    is not a terminal (logs, pipes, schedulers) unless ``force=True``.

    Parameters
    ----------
    total : int
        The number of rounds asked for.
    """

    def __init__(self, total: int, stream=None, force: bool = False, width: int = 24,
                 min_interval: float = 0.1):
        self.total = max(1, int(total))
        self.stream = stream
        self.force = force
        self.width = width
        self.min_interval = min_interval
        self._enabled = False
        self._start = self._drawn_at = 0.0
        self._line = ""

    def _out(self):
        return self.stream or sys.stderr

    def before_training(self, model):
        out = self._out()
        self._enabled = self.force or (hasattr(out, "isatty") and out.isatty())
        self._start = self._drawn_at = time.perf_counter()
        self._line = ""
        return model

    def after_iteration(self, model, epoch, evals_log):
        if not self._enabled:
            return False
        now = time.perf_counter()
        done = epoch + 1
        filled = int(self.width * min(done, self.total) / self.total)
        values = [f"{d}-{m} {v[-1]:.5g}" for d, ms in evals_log.items() if d != OBJECTIVE_LOG
                  for m, v in ms.items()]
        self._line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} "
                      f"{now - self._start:.1f}s " + " ".join(values[-2:]))
        if now - self._drawn_at >= self.min_interval or done >= self.total:
            self._out().write(self._line)
            self._out().flush()
            self._drawn_at = now
        return False

    def after_training(self, model):
        if self._enabled and self._line:
            self._out().write(self._line + "\n")
            self._out().flush()
        return model
