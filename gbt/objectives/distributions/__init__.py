"""Distributions for NGBoost-style probabilistic boosting (see ``base.py`` for the protocol).

:func:`get_distribution` builds one by name: ``normal``, ``lognormal``, ``laplace``,
``studentt`` (option ``df``), ``exponential``, ``gamma``, ``poisson``, ``bernoulli`` and
``categorical`` (option ``n_classes``); with ``censored=True``, the right-censored survival
versions of ``lognormal`` and ``exponential``.
"""
from __future__ import annotations

from .base import Distribution
from .categorical import Bernoulli, Categorical
from .exponential import CensoredExponential, Exponential
from .gamma import Gamma
from .laplace import Laplace
from .lognormal import CensoredLogNormal, LogNormal
from .natural import NaturalGradient
from .normal import Normal
from .poisson import Poisson
from .prediction import DistributionPrediction
from .studentt import StudentT

DISTRIBUTIONS = {cls.name: cls for cls in (Normal, LogNormal, Laplace, StudentT, Exponential,
                                           Gamma, Poisson, Bernoulli, Categorical)}
CENSORED = {"lognormal": CensoredLogNormal, "exponential": CensoredExponential}


def get_distribution(name: str, *, censored: bool = False, df: float = 3.0,
                     n_classes: int = 2) -> Distribution:
    """A distribution by name; ``df`` is StudentT's, ``n_classes`` Categorical's."""
    table = CENSORED if censored else DISTRIBUTIONS
    if not isinstance(name, str) or name.lower() not in table:
        kind = "censored (survival) distribution" if censored else "distribution"
        raise ValueError(f"Unknown {kind} {name!r}; expected one of {sorted(table)}.")
    cls = table[name.lower()]
    if cls is StudentT:
        return StudentT(df)
    if cls is Categorical:
        return Categorical(n_classes)
    return cls()


__all__ = ["Distribution", "DistributionPrediction", "NaturalGradient", "get_distribution",
           "DISTRIBUTIONS", "CENSORED", "Normal", "LogNormal", "Laplace", "StudentT",
           "Exponential", "Gamma", "Poisson", "Bernoulli", "Categorical", "CensoredLogNormal",
           "CensoredExponential"]
