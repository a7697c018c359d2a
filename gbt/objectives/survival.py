"""Survival objectives with XGBoost's names and label conventions: Cox proportional hazards
(``survival:cox``) and accelerated failure time (``survival:aft``).

``survival:cox``
    The label is the observed time; a **negative** label is a row right-censored at ``|label|``
    (XGBoost's convention). A label of 0 counts as censored at time 0, as in XGBoost (only
    ``label > 0`` is an event); NaN or inf labels raise ``ValueError``. The margin is the log
    hazard ratio; ``transform`` (a prediction) is the hazard ratio ``exp(margin)``, and
    ``output_margin=True`` gives the log hazard. The loss is Breslow's negative partial
    log-likelihood

        -sum_{events k} [eta_k - log S_k],   S_k = sum_{j : |t_j| >= t_k} exp(eta_j),

    (tied times share one risk set) divided by the number of events (XGBoost's
    ``cox-nloglik``, the default metric). The gradient and hessian diagonal are its exact
    derivatives (times the number of events), computed in O(n log n) after one sort by time:

        g_i = exp(eta_i) R_i - delta_i,   h_i = exp(eta_i) R_i - exp(eta_i)^2 Q_i,
        R_i = sum_{events k : t_k <= |t_i|} 1 / S_k,  Q_i = sum_{same k} 1 / S_k^2.

    This is XGBoost's ``CoxRegression`` formula. Without tied times it is XGBoost's gradient
    to the last bit of rounding; with tied times XGBoost walks the tied rows in their row
    order and leaves out of ``R_i`` the tied events that come after row ``i``, so its
    gradient depends on the row order and is not the derivative of its own metric. Here every
    row of a tie group sees all the group's events (the true Breslow derivative). Sample
    weights multiply each row's gradient and hessian, as in XGBoost (the risk sets are not
    weighted); ``cox-nloglik`` is unweighted, as in XGBoost. The model starts from margin 0
    (the partial likelihood does not depend on a common shift of the margins).

``survival:aft``
    Interval labels ``[lower, upper]`` given as ``Dataset(X, label_lower_bound=...,
    label_upper_bound=...)``: ``lower == upper`` is an observed time, ``upper = inf`` a
    right-censored row, ``lower = 0`` a left-censored one, anything else an interval. The
    model is ``log T = margin + sigma Z`` with ``Z`` from ``aft_loss_distribution``
    (``normal``, ``logistic`` or ``extreme``: the Gumbel minimum) and ``sigma =
    aft_loss_distribution_scale``. The loss is the negative log-likelihood: ``-log(f(z) /
    (sigma T))`` for an observed time, ``-log(F(z_upper) - F(z_lower))`` for an interval, both
    floored inside the log at 1e-12 (XGBoost's ``aft-nloglik``, the default metric, a weighted
    mean over rows). Gradients and hessians are XGBoost's (Barnwal, Cho and Hocking, 2022):
    the gradient clipped to [-15, 15] and the hessian to [1e-16, 15]; where an interval's
    probability underflows the gradient takes its limit as the margin leaves the interval.
    ``transform`` is the predicted time ``exp(margin)``. The model starts from the weighted
    mean of ``log`` of the positive lower bounds.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, log_ndtr, ndtr

from ..data import check_aft_bounds
from .losses import Objective

AFT_DISTRIBUTIONS = ("normal", "logistic", "extreme")
AFT_EPS = 1e-12  # XGBoost's kEps: floor of a likelihood inside the log
AFT_MIN_GRAD, AFT_MAX_GRAD = -15.0, 15.0
AFT_MIN_HESS, AFT_MAX_HESS = 1e-16, 15.0


# -- Cox ----------------------------------------------------------------------------------------
def check_cox_label(y, name="survival:cox") -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"{name} needs a 1-D label (time; negative = right-censored); got "
                         f"shape {y.shape}.")
    if not np.isfinite(y).all():
        raise ValueError(f"{name} needs finite labels (time; negative = right-censored); got "
                         "NaN or inf.")
    return y


class _CoxIndex:
    """What depends on the labels only: the rows sorted by time and their time groups."""

    def __init__(self, y):
        t = np.abs(y)
        self.event = y > 0
        self.order = np.argsort(t, kind="stable")
        ts = t[self.order]
        new_time = ts[1:] != ts[:-1]
        self.starts = np.flatnonzero(np.r_[True, new_time])  # first sorted row of each time
        self.group = np.cumsum(np.r_[False, new_time])        # time group of each sorted row
        self.D_group = np.add.reduceat(self.event[self.order].astype(np.float64), self.starts)


def _cox_parts(y, eta, index=None):
    """Pieces shared by the loss and the gradient.

    Returns ``(e, S_row, event, R_row, Q_row, shift)``: ``e = exp(eta - shift)`` per row,
    ``S_row`` each row's risk-set sum at its own time (scaled by the same shift), and the
    cumulated ``R`` and ``Q`` of each row (see the module docstring)."""
    ix = _CoxIndex(y) if index is None else index
    shift = float(np.max(eta)) if eta.size else 0.0
    e = np.exp(eta - shift)
    es = e[ix.order]
    tail = np.cumsum(es[::-1])[::-1]  # sum of e over the sorted rows from i on
    S_group = tail[ix.starts]         # risk-set sum of each time
    R_group = np.cumsum(ix.D_group / S_group)
    Q_group = np.cumsum(ix.D_group / (S_group * S_group))
    S_row, R_row, Q_row = (np.empty_like(e) for _ in range(3))
    S_row[ix.order] = S_group[ix.group]
    R_row[ix.order] = R_group[ix.group]
    Q_row[ix.order] = Q_group[ix.group]
    return e, S_row, ix.event, R_row, Q_row, shift


def cox_grad_hess(y, eta, index=None):
    """(g, h) of Breslow's negative partial log-likelihood (summed over events) in ``eta``."""
    e, _, event, R, Q, _ = _cox_parts(y, eta, index)
    g = e * R - event
    h = e * R - e * e * Q
    return g, h


def cox_nloglik(y, eta, index=None) -> float:
    """XGBoost's ``cox-nloglik``: Breslow's negative partial log-likelihood per event (nan
    without events)."""
    e, S, event, _, _, shift = _cox_parts(y, eta, index)
    n_events = int(event.sum())
    if n_events == 0:
        return float("nan")
    return float(-np.sum((eta - shift)[event] - np.log(S[event])) / n_events)


class CoxRegression(Objective):
    """``survival:cox``: Cox proportional hazards on the log hazard ratio (Breslow ties)."""

    name = "survival:cox"
    default_metric = "cox-nloglik"

    def check_label(self, y):
        return check_cox_label(y)

    def init_score(self, y, weight):
        return np.zeros(1)

    def _index(self, y):
        """The labels' sort, kept for the same label array (the training labels)."""
        cached = getattr(self, "_cached", None)
        if cached is None or cached[0] is not y:
            cached = self._cached = (y, _CoxIndex(y))
        return cached[1]

    def grad_hess(self, y, raw, weight, out_g, out_h):
        g, h = cox_grad_hess(y, raw[:, 0], self._index(y))
        if weight is not None:
            g, h = g * weight, h * weight
        out_g[:, 0] = g
        out_h[:, 0] = h

    def transform(self, raw):
        return np.exp(raw[:, 0])

    def loss(self, y, raw, weight):
        value = cox_nloglik(y, raw[:, 0], self._index(y))
        return 0.0 if np.isnan(value) else value


# -- AFT ----------------------------------------------------------------------------------------
def _dist_terms(dist, z):
    """(pdf, d pdf / dz, d2 pdf / dz2, cdf) of the standard distribution at ``z``."""
    if dist == "normal":
        pdf = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
        return pdf, -z * pdf, (z * z - 1.0) * pdf, ndtr(z)
    if dist == "logistic":
        s = expit(z)
        pdf = s * (1.0 - s)
        return pdf, pdf * (1.0 - 2.0 * s), pdf * (1.0 - 6.0 * s + 6.0 * s * s), s
    # extreme (Gumbel minimum): F(z) = 1 - exp(-exp(z))
    w = np.exp(np.minimum(z, 700.0))
    pdf = w * np.exp(-w)
    return pdf, (1.0 - w) * pdf, (w * w - 3.0 * w + 1.0) * pdf, -np.expm1(-w)


def _log_cdf_pieces(dist, z):
    """(log F(z), log(1 - F(z))), stable in the tails (for the loss)."""
    if dist == "normal":
        return log_ndtr(z), log_ndtr(-z)
    if dist == "logistic":
        return -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
    w = np.exp(np.minimum(z, 700.0))
    return np.log(-np.expm1(-w)), -w


def _limit_grad(dist, sigma, above):
    """The interval gradient's limit as the margin moves far above (``above``) or below the
    interval: its sign, and for logistic and extreme its finite size."""
    if dist == "normal":
        big = np.where(above, AFT_MAX_GRAD, AFT_MIN_GRAD)
        return big
    if dist == "logistic":
        return np.where(above, 1.0 / sigma, -1.0 / sigma)
    return np.where(above, 1.0 / sigma, AFT_MIN_GRAD)  # extreme: the left tail is doubly exp


class AcceleratedFailureTime(Objective):
    """``survival:aft``: ``log T = margin + sigma Z`` on interval-censored times."""

    name = "survival:aft"
    default_metric = "aft-nloglik"

    def __init__(self, aft_loss_distribution: str = "normal",
                 aft_loss_distribution_scale: float = 1.0):
        if aft_loss_distribution not in AFT_DISTRIBUTIONS:
            raise ValueError(f"aft_loss_distribution={aft_loss_distribution!r}: expected one of "
                             f"{AFT_DISTRIBUTIONS}.")
        scale = aft_loss_distribution_scale
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.number)) or \
                not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"aft_loss_distribution_scale={scale!r}: expected a number > 0.")
        self.aft_loss_distribution = aft_loss_distribution
        self.aft_loss_distribution_scale = float(scale)

    @classmethod
    def from_params(cls, params):
        return cls(params.get("aft_loss_distribution", "normal"),
                   params.get("aft_loss_distribution_scale", 1.0))

    def to_dict(self):
        return {"name": self.name, "aft_loss_distribution": self.aft_loss_distribution,
                "aft_loss_distribution_scale": self.aft_loss_distribution_scale}

    # -- labels -------------------------------------------------------------------------------
    def labels_of(self, dataset, training: bool) -> np.ndarray:
        """(n, 2) float64 labels: (lower, upper) bounds of each row's time."""
        lower = getattr(dataset, "label_lower_bound", None)
        upper = getattr(dataset, "label_upper_bound", None)
        if lower is None or upper is None:
            which = "the training" if training else "an evaluation"
            raise ValueError(f"{self.name} needs interval labels, and {which} Dataset has "
                             "none: give Dataset(..., label_lower_bound=..., "
                             "label_upper_bound=...) (upper = inf for right-censored rows).")
        return self.check_label(np.column_stack([lower, upper]))

    def check_label(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 2 or y.shape[1] != 2:
            raise ValueError(f"{self.name} needs (lower, upper) bounds: give Dataset(..., "
                             "label_lower_bound=..., label_upper_bound=...).")
        check_aft_bounds(y[:, 0], y[:, 1])
        return y

    # -- the protocol -------------------------------------------------------------------------
    def init_score(self, y, weight):
        lower = y[:, 0]
        pos = lower > 0
        if not pos.any():
            return np.zeros(1)
        w = None if weight is None else weight[pos]
        if w is not None and w.sum() <= 0:
            w = None
        return np.array([float(np.average(np.log(lower[pos]), weights=w))])

    def _z(self, bound, eta):
        with np.errstate(divide="ignore"):
            return (np.log(bound) - eta) / self.aft_loss_distribution_scale

    def grad_hess_1d(self, y, eta):
        """(g, h) per row, XGBoost's formulas and clipping."""
        dist, sigma = self.aft_loss_distribution, self.aft_loss_distribution_scale
        lower, upper = y[:, 0], y[:, 1]
        exact = lower == upper
        g = np.empty_like(eta)
        h = np.empty_like(eta)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # observed times
            z = self._z(lower, eta)
            pdf, dpdf, d2pdf, _ = _dist_terms(dist, z)
            ge = dpdf / (sigma * pdf)
            he = -(pdf * d2pdf - dpdf * dpdf) / (sigma * sigma * pdf * pdf)
            # intervals
            zu, zl = self._z(upper, eta), self._z(lower, eta)
            pdf_u, dpdf_u, _, cdf_u = _dist_terms(dist, zu)
            pdf_l, dpdf_l, _, cdf_l = _dist_terms(dist, zl)
            inf_u = np.isinf(upper)
            zero_l = lower <= 0
            pdf_u, dpdf_u, cdf_u = (np.where(inf_u, 0.0, pdf_u), np.where(inf_u, 0.0, dpdf_u),
                                    np.where(inf_u, 1.0, cdf_u))
            pdf_l, dpdf_l, cdf_l = (np.where(zero_l, 0.0, pdf_l),
                                    np.where(zero_l, 0.0, dpdf_l), np.where(zero_l, 0.0, cdf_l))
            dF, df, ddf = cdf_u - cdf_l, pdf_u - pdf_l, dpdf_u - dpdf_l
            gi = df / (sigma * dF)
            hi = -(dF * ddf - df * df) / (sigma * sigma * dF * dF)
            bad = (dF < AFT_EPS) & ~np.isfinite(gi)
            if bad.any():
                # far above the interval (z_upper -> -inf) or below it (z_lower -> +inf)
                above = ~inf_u & (zu < 0)
                gi = np.where(bad, _limit_grad(dist, sigma, above), gi)
                hi = np.where(bad, AFT_MIN_HESS, hi)
            # the uncensored formulas' far tails: use their limits, then clip
            ge = np.where(np.isfinite(ge), ge, np.where(eta > np.log(lower), AFT_MAX_GRAD,
                                                        AFT_MIN_GRAD))
            he = np.where(np.isfinite(he), he, AFT_MIN_HESS)
        g[:] = np.where(exact, ge, gi)
        h[:] = np.where(exact, he, hi)
        np.clip(g, AFT_MIN_GRAD, AFT_MAX_GRAD, out=g)
        h = np.nan_to_num(h, nan=AFT_MIN_HESS)
        np.clip(h, AFT_MIN_HESS, AFT_MAX_HESS, out=h)
        return g, h

    def grad_hess(self, y, raw, weight, out_g, out_h):
        g, h = self.grad_hess_1d(y, raw[:, 0])
        if weight is not None:
            g, h = g * weight, h * weight
        out_g[:, 0] = g
        out_h[:, 0] = h

    def transform(self, raw):
        return np.exp(raw[:, 0])

    def row_loss(self, y, eta):
        return aft_row_nloglik(y, eta, self.aft_loss_distribution,
                               self.aft_loss_distribution_scale)

    def loss(self, y, raw, weight):
        return float(np.average(self.row_loss(y, raw[:, 0]), weights=weight))


def aft_row_nloglik(y, eta, dist="normal", sigma=1.0):
    """Per-row AFT negative log-likelihood (XGBoost's, floored at ``AFT_EPS`` inside the log;
    computed in log space where the floor does not bite)."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != 2:
        raise ValueError("aft-nloglik needs (lower, upper) bounds as survival:aft gives them "
                         "(Dataset(..., label_lower_bound=..., label_upper_bound=...)); got "
                         f"labels of shape {y.shape}.")
    lower, upper = y[:, 0], y[:, 1]
    eta = np.asarray(eta, dtype=np.float64).reshape(len(lower), -1)[:, 0]
    exact = lower == upper
    log_eps = np.log(AFT_EPS)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        zl = (np.log(lower) - eta) / sigma
        zu = (np.log(upper) - eta) / sigma
        # observed: -log(pdf(z) / (sigma * t))
        if dist == "normal":
            log_pdf = -0.5 * zl * zl - 0.5 * np.log(2.0 * np.pi)
        elif dist == "logistic":
            log_pdf = -np.abs(zl) - 2.0 * np.log1p(np.exp(-np.abs(zl)))
        else:
            log_pdf = zl - np.exp(np.minimum(zl, 700.0))
        ll_exact = np.maximum(log_pdf - np.log(sigma * lower), log_eps)
        # interval: -log(F(zu) - F(zl))
        log_Fu, _ = _log_cdf_pieces(dist, zu)
        log_Fu = np.where(np.isinf(upper), 0.0, log_Fu)
        log_Fl, log_Sl = _log_cdf_pieces(dist, zl)
        log_Fl = np.where(lower <= 0, -np.inf, log_Fl)
        log_Sl = np.where(lower <= 0, 0.0, log_Sl)
        _, log_Su = _log_cdf_pieces(dist, zu)
        # F(zu) - F(zl) = exp(log_Fu) (1 - exp(log_Fl - log_Fu)), or from the upper tails
        a = log_Fu + np.log1p(-np.exp(np.minimum(log_Fl - log_Fu, 0.0)))
        b = log_Sl + np.log1p(-np.exp(np.where(np.isinf(upper), -np.inf,
                                               np.minimum(log_Su - log_Sl, 0.0))))
        log_dF = np.where(zl > 0, b, a)
        log_dF = np.where(np.isnan(log_dF), -np.inf, log_dF)
        ll_int = np.maximum(log_dF, log_eps)
    return -np.where(exact, ll_exact, ll_int)


__all__ = ["CoxRegression", "AcceleratedFailureTime", "cox_grad_hess", "cox_nloglik",
           "aft_row_nloglik", "check_cox_label", "check_aft_bounds", "AFT_DISTRIBUTIONS"]
