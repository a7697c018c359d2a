"""Right censoring for survival distributions: labels ``(n, 2)`` = (time, event), event 1 when
the time was observed and 0 when it was censored (the event happens later)."""
from __future__ import annotations

import numpy as np

from .base import Distribution


class CensoredMixin:
    """Turns a distribution's log score into the right-censored one. The subclass supplies
    ``_survival_nll(t, theta)`` = -log S(t) and its gradient ``_d_survival_nll``."""

    is_censored = True
    rules = ("log",)

    def check_label(self, y):
        if y.ndim != 2 or y.shape[1] != 2:
            raise ValueError(f"Survival labels must be (n_samples, 2): time and event; got "
                             f"shape {y.shape}.")
        if not np.isin(y[:, 1], (0.0, 1.0)).all():
            raise ValueError("The event column must hold only 0 (censored) and 1 (observed).")
        if (y[:, 0] <= 0).any():
            raise ValueError(f"The {self.name} survival distribution needs times > 0.")
        return y

    def _marginal_start(self, y, weight):
        return super()._marginal_start(y[:, 0], weight)

    # No closed form with censoring: minimise the censored score from the uncensored fit.
    fit_marginal = Distribution.fit_marginal

    def nll(self, y, theta):
        t, event = y[:, 0], y[:, 1]
        return np.where(event == 1, super().nll(t, theta), self._survival_nll(t, theta))

    def d_nll(self, y, theta):
        t, event = y[:, 0], y[:, 1]
        return np.where((event == 1)[:, None], super().d_nll(t, theta),
                        self._d_survival_nll(t, theta))

    def sample(self, theta, rng):
        """Uncensored draws (used by the Monte Carlo Fisher check), as (time, event=1)."""
        t = super().sample(theta, rng)
        return np.column_stack([t, np.ones_like(t)])
