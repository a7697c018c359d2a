"""How protein's test RMSE moves with where the bin edges fall.

bench_fit.py's protein case used to judge its metric bar (0.1%) on the mean test RMSE over
the 5 standard splits, where gbt was 1.0024x LightGBM; it now judges the median over 100
random splits. This script fits gbt on the standard splits with other bin edges and shows
that the gap between the two libraries there is the edges, not the trees:

* gbt with its own edges (``WeightedQuantileSummary.cut_points``) at 253 to 256 bins, and with
  the plain weighted quantiles it used before (several edges on a heavy value collapse into
  one, so bins go unused);
* gbt with LightGBM's rule (its greedy binning, re-implemented here, at 254 bins: LightGBM
  keeps one of 255 for zero), with that rule but LightGBM's own edges on feature 6 (where the
  two differ by one row at 0), and with LightGBM's own edges, read from a LightGBM tree grown
  to one leaf per bin;
* LightGBM with its own edges and with gbt's (``forcedbins_filename`` at max_bin 256: LightGBM
  keeps a bin for zero beside forced bins, and at 255 it would drop each feature's top edge
  to make room; how many of gbt's edges it kept is counted).

Then how far the test sample alone moves gbt's mean RMSE over LightGBM's (a paired bootstrap
of each split's test rows); both libraries, and gbt on LightGBM's edges, at every bin count
from 245 to 265 (how far the edges alone move each library); gbt with LightGBM's greedy rule,
and with LightGBM's own edges, against its own on the four UCI sets of over 5,000 rows and
the three smaller ones whose models differ; on random 90/10 splits of the four large sets,
gbt against LightGBM and LightGBM's own edges in gbt against gbt's (what the 5 standard
splits alone say); the comparison of the first table on
the 8 other UCI regression sets, with gbt also grown on LightGBM's own edges there, and where
those trees and LightGBM's first part (tree_parting.py: at near-equal gains, whose exact
values say which choice was higher).
Then bench_fairness.py's bar (a) fit (FairGBTClassifier, FPR, its default multiplier rate, on
Adult) at 250 to 260 bins, with gbt's edges and with plain weighted quantiles: how far one
fit's test FPR ratio moves with the edges.

Every protein fit: 100 rounds, 255 leaves, learning rate 0.1, 2 threads, bench_fit.py's
settings. No timings, so one run is enough: every fit is deterministic.

How to run (from the repository root; about sixteen minutes):
    .venv/bin/python bench/bench_bins.py              # writes its section of RESULTS.md
    .venv/bin/python bench/bench_bins.py --no-write
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import functools
import itertools
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import bench_fit as bf  # noqa: E402
from results_file import write_section  # noqa: E402
from tree_parting import EXACT_TIE, first_parting, summarise  # noqa: E402

from tests.peer_trees import lightgbm_trees  # noqa: E402

TASK = bf.Task(kind="regression")
TREES, THREADS, MAX_BIN = 100, 2, 255


# -- bin edges: each rule maps training column x (feature j) to its finite edges, increasing ---
def gbt_edges(max_bin):
    from gbt.sketch import WeightedQuantileSummary
    return lambda x, j: WeightedQuantileSummary.from_data(x).cut_points(max_bin)[:-1]


def quantile_edges(x, j, max_bin=MAX_BIN):
    """gbt's edges before equal-weight bins: with more than ``max_bin`` values, the values at
    ranks ``k W / max_bin``."""
    from gbt.sketch import WeightedQuantileSummary, midpoints
    s = WeightedQuantileSummary.from_data(x)
    if len(s) <= max_bin:
        return midpoints(s.value[:-1], s.value[1:])
    q = np.unique(s.query(np.arange(1, max_bin) * (s.total_weight / max_bin)))
    return q[q < s.value[-1]]


def lightgbm_rule_edges(x, j, max_bin=MAX_BIN - 1):
    """LightGBM's greedy binning of a column with more than ``max_bin`` values: a value in at
    least ``1 / max_bin`` of the rows is "big"; bins close once they reach the rows still to
    place over the bins still free, before a big value at half that, and after a big value;
    edges halfway between neighbouring values."""
    values, counts = np.unique(x[~np.isnan(x)], return_counts=True)
    if values.size <= max_bin:  # LightGBM's other path: a bin per value
        return 0.5 * (values[:-1] + values[1:])
    big = counts >= counts.sum() / max_bin
    free, left = max_bin - int(big.sum()), float(counts.sum() - counts[big].sum())
    share = left / free
    edges, in_bin = [], 0.0
    for i in range(values.size - 1):
        if not big[i]:
            left -= counts[i]
        in_bin += counts[i]
        if big[i] or in_bin >= share or (big[i + 1] and in_bin >= max(1.0, 0.5 * share)):
            edges.append(0.5 * (values[i] + values[i + 1]))
            if len(edges) >= max_bin - 1:
                break
            in_bin = 0.0
            if not big[i]:
                free -= 1
                share = left / free if free > 0 else np.inf
    return np.array(edges)


def lightgbm_edges(x, j, forced=None, max_bin=MAX_BIN):
    """The edges LightGBM itself chose for column ``x`` (with ``forced`` given as forced bins:
    every edge it then used): one tree on ``x`` alone against its rank, one row a leaf at
    least, splits at every bin edge (each has a positive gain)."""
    import lightgbm as lgb
    params = dict(objective="regression", num_leaves=max_bin + 1, min_data_in_leaf=1,
                  min_sum_hessian_in_leaf=0.0, learning_rate=1.0, max_bin=max_bin, verbose=-1)
    rank = np.argsort(np.argsort(x)).astype(np.float64)
    with forced_bins_file([] if forced is None else [forced]) as path:
        if path is not None:
            params["forcedbins_filename"] = path
        tree = lgb.train(params, lgb.Dataset(x[:, None], rank, params=params), 1)
    edges, stack = [], [tree.dump_model()["tree_info"][0]["tree_structure"]]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            edges.append(node["threshold"])
            stack += [node["left_child"], node["right_child"]]
    edges = np.sort(edges)
    return edges[edges > x.min()]  # LightGBM's bin for zero, below every value, is no edge


@contextlib.contextmanager
def forced_bins_file(edges_by_feature):
    """A LightGBM ``forcedbins_filename`` giving feature j the upper bounds
    ``edges_by_feature[j]``; None when the list is empty."""
    if not edges_by_feature:
        yield None
        return
    forced = [{"feature": j, "bin_upper_bound": [float(e) for e in edges]}
              for j, edges in enumerate(edges_by_feature)]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(forced, f)
        f.flush()
        yield f.name


# LightGBM keeps a bin for zero beside forced bins; at max_bin 255 it drops the top one of
# gbt's 254 edges on every protein feature to make room, at 256 it keeps them all (protein
# has no negative values; where a column has, LightGBM bounds zero on both sides).
FORCED_MAX_BIN = MAX_BIN + 1


def forced_edges_kept(Xtr):
    """gbt's edges on training columns ``Xtr`` as LightGBM forced bins at FORCED_MAX_BIN:
    ``(given, kept, added)``: how many gbt gave, how many of those LightGBM used, and how
    many edges it used besides (its bin for zero)."""
    rule = gbt_edges(MAX_BIN)
    given = kept = added = 0
    for j in range(Xtr.shape[1]):
        ours = rule(Xtr[:, j], j)
        theirs = lightgbm_edges(Xtr[:, j], j, forced=ours, max_bin=FORCED_MAX_BIN)
        found = int(np.isclose(ours[:, None], theirs[None, :], rtol=1e-12, atol=0.0)
                    .any(axis=1).sum())
        given, kept, added = given + ours.size, kept + found, added + theirs.size - found
    return given, kept, added


def on_features(features, rule, elsewhere):
    """``rule`` on ``features``, ``elsewhere`` on the others."""
    return lambda x, j: rule(x, j) if j in features else elsewhere(x, j)


# -- fits ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def gbt_cuts(rule):
    """gbt fits inside the block bin each numeric column at ``rule(column, feature)`` (None:
    gbt's own edges)."""
    from gbt.binning import BinMapper
    original = BinMapper.fit

    def fit(self, features, *args, **kwargs):
        original(self, features, *args, **kwargs)
        X = features.values
        for j in range(X.shape[1]):
            if j not in self.categorical:
                self.cuts[j] = np.append(rule(np.asarray(X[:, j], np.float64), j), np.inf)
        return self

    if rule is not None:
        BinMapper.fit = fit
    try:
        yield
    finally:
        BinMapper.fit = original


def gbt_fit_on(rule, Xtr, ytr, max_bin=MAX_BIN):
    """gbt at bench_fit.py's settings, binned at ``rule``'s edges (None: its own)."""
    import gbt
    params = {**bf.gbt_params(THREADS, TASK), "max_bin": max_bin}
    with gbt_cuts(rule):
        return gbt.train(params, gbt.Dataset(Xtr, ytr), TREES)


def gbt_rmse(rule, Xtr, ytr, Xte, yte, max_bin=MAX_BIN):
    return bf.score(TASK, yte, gbt_fit_on(rule, Xtr, ytr, max_bin).predict(Xte))


def lightgbm_rmse(rule, Xtr, ytr, Xte, yte, max_bin=MAX_BIN):
    """LightGBM, its own edges at ``max_bin`` (rule None) or ``rule``'s through
    ``forcedbins_filename`` (at FORCED_MAX_BIN)."""
    import lightgbm as lgb
    with forced_bins_file([] if rule is None else
                          [rule(Xtr[:, j], j) for j in range(Xtr.shape[1])]) as path:
        params = {**bf.lgb_params(THREADS, TASK), "max_bin": max_bin}
        if path is not None:
            params.update(forcedbins_filename=path, max_bin=FORCED_MAX_BIN)
        # max_bin in both parameter sets: the training one would override the Dataset's
        model = lgb.train(params, lgb.Dataset(Xtr, ytr, params=params), TREES)
    return bf.score(TASK, yte, model.predict(Xte))


# -- how far the test sample alone moves bench_fit.py's RMSE ratio -------------------------
RESAMPLES = 1000


def own_edge_fits(splits):
    """gbt and LightGBM, each on its own edges, fitted on every split: [(gbt, lightgbm)]."""
    return [(gbt_fit_on(None, Xtr, ytr), bf.lgb_fit(Xtr, ytr, TREES, THREADS, TASK))
            for Xtr, ytr, _, _ in splits]


def paired_bootstrap(splits, fits):
    """gbt's mean test RMSE over ``splits`` over LightGBM's (``fits``: their models from
    :func:`own_edge_fits`), with each split's test rows resampled with replacement (the same
    rows for both; seed 0; each split on its own, though the standard splits' test sets
    overlap), ``RESAMPLES`` times. Returns dict(ratio on the test sets as they are, lo / hi:
    its 5% and 95% quantiles over the resamples, share: of resamples at or below
    bench_fit.py's bar, gbt / lightgbm: the mean RMSEs, same: whether the two predict alike
    on every split, to float32 rounding)."""
    preds = [(yte, ours.predict(Xte), theirs.predict(Xte))
             for (_, _, Xte, yte), (ours, theirs) in zip(splits, fits)]
    rng = np.random.default_rng(0)

    def mean_rmse(library, rows_of):  # library 1: gbt, 2: LightGBM
        return float(np.mean([bf.score(TASK, split[0][rows], split[library][rows])
                              for split, rows in zip(preds, rows_of)]))

    def ratio(rows_of):
        return mean_rmse(1, rows_of) / mean_rmse(2, rows_of)
    boot = np.array([ratio([rng.integers(0, y.size, y.size) for y, _, _ in preds])
                     for _ in range(RESAMPLES)])
    lo, hi = np.quantile(boot, [0.05, 0.95])
    everything = [slice(None)] * len(preds)
    return dict(ratio=ratio(everything), lo=float(lo), hi=float(hi),
                share=float(np.mean(boot <= bf.BAR_RMSE_RATIO)),
                gbt=mean_rmse(1, everything), lightgbm=mean_rmse(2, everything),
                same=all(np.allclose(a, b, rtol=1e-6, atol=0.0) for _, a, b in preds))


# The other UCI regression sets of ../shared/data (protein is above), at the same settings.
OTHER_UCI = ("boston_housing", "concrete", "energy", "kin8nm", "naval_propulsion",
             "power_plant", "wine_quality_red", "yacht")


def other_uci_lines():
    """gbt against LightGBM on OTHER_UCI, each on its own edges, with the paired bootstrap."""
    lines = ["", "### The other UCI regression sets, the same settings", "",
             "gbt and LightGBM each on their own edges; mean test RMSE over each set's "
             "standard splits, gbt's over LightGBM's, and that ratio over "
             f"{RESAMPLES} resamples of the test rows (the same rows for both). Last columns: "
             "gbt grown on LightGBM's own edges, its mean test RMSE over LightGBM's and the "
             "largest gap between the two libraries' predictions on the training rows. Near "
             "zero, both grew the same trees, and test rows part only where a split sits "
             "inside a run of bins empty in its node (a tie in gain that gbt breaks at the "
             "run's lowest edge and LightGBM at its highest); larger, the trees part "
             "somewhere else as well (the next table). *Same model*: "
             "every column has so few values that both libraries bin each value alone and "
             "grow the same trees (the same predictions on every split).", "",
             "| dataset | rows × features | splits | gbt | LightGBM | gbt / LightGBM | "
             "5% to 95% | gbt on LightGBM's edges / LightGBM | its training predictions "
             "apart by |", "|---|---|---:|---:|---:|---:|---|---:|---:|"]
    differ, on_theirs, partings = {}, {}, {}
    for name in OTHER_UCI:
        splits = list(bf.uci_splits(name))
        fits = own_edge_fits(splits)
        b = paired_bootstrap(splits, fits)
        test_rmse, train_apart = [], 0.0  # gbt on LightGBM's edges
        partings[name] = []
        for (Xtr, ytr, Xte, yte), (_, lightgbm) in zip(splits, fits):
            model = gbt_fit_on(lightgbm_edges, Xtr, ytr)
            test_rmse.append(bf.score(TASK, yte, model.predict(Xte)))
            apart = np.max(np.abs(model.predict(Xtr) - lightgbm.predict(Xtr)))
            train_apart = max(train_apart, float(apart))
            partings[name].append(first_parting(
                model, lightgbm_trees(lightgbm), Xtr, ytr,
                their_predictions=lambda t, m=lightgbm, X=Xtr: m.predict(X, num_iteration=t)))
        mean_on_theirs = float(np.mean(test_rmse))
        rows = splits[0][0].shape[0] + splits[0][2].shape[0]
        label = f"{name} (same model)" if b["same"] else name
        lines.append(f"| {label} | {rows} × {splits[0][0].shape[1]} | {len(splits)} | "
                     f"{b['gbt']:.4g} | {b['lightgbm']:.4g} | {b['ratio']:.4f}× | "
                     f"{b['lo']:.4f}× to {b['hi']:.4f}× | "
                     f"{mean_on_theirs / b['lightgbm']:.4f}× | {train_apart:.1e} |")
        if not b["same"]:
            differ[name] = b["ratio"]
            on_theirs[name] = mean_on_theirs / b["lightgbm"]
        print(f"[bins] {name}: {b['ratio']:.4f} ({b['lo']:.4f} to {b['hi']:.4f})",
              file=sys.stderr, flush=True)
    ratios, same_edges_ratios = list(differ.values()), list(on_theirs.values())
    lines += ["", f"- the {len(ratios)} sets where the models differ: gbt / LightGBM median "
              f"{np.median(ratios):.4f}× ({min(ratios):.4f}× to {max(ratios):.4f}×), gbt "
              f"below LightGBM on {sum(r < 1 for r in ratios)} of them; gbt on LightGBM's "
              f"edges / LightGBM {min(same_edges_ratios):.4f}× to "
              f"{max(same_edges_ratios):.4f}×"]
    return lines + parting_lines(partings)


def parting_lines(partings):
    """The table of where gbt on LightGBM's edges and LightGBM first grow different trees
    (``partings``: set name -> :func:`tree_parting.first_parting` of each train/test split)."""
    lines = ["", "### Where gbt on LightGBM's edges and LightGBM grow different trees", "",
             "The same fits: gbt on LightGBM's own edges against LightGBM, each tree walked "
             "from the root while both split a node and send the same training rows left, "
             "to the first tree with a node where they do not (tree_parting.py). Each gain "
             "is recomputed exactly (float64) on gbt's gradients and on LightGBM's before "
             "that tree, and the worse case for gbt is kept. Gaps are relative. *Split "
             "part*: both split the node, differently; how often gbt's choice has at least "
             "LightGBM's gain, how many are exact ties (equal to float64 rounding), and the "
             "largest gap between the two. *Order part*: where the parting tree has no split "
             "part, LightGBM splits nodes where gbt has leaves (the leaf budget ran out "
             "elsewhere); the gap from such a split's gain to the splits gbt made while that "
             "leaf was open (negative: gbt took a lower one), the smallest in the tree, the "
             "largest over fits. Order parts in a tree with a split part are taken to follow "
             "from it and are not counted. Train/test splits counted as in the table above; "
             "trees numbered from 0.", "",
             "| dataset | train/test splits whose trees part | first parting tree (median) "
             "| parting at split parts | split parts | gbt's gain at least LightGBM's | exact "
             "ties | largest gap | parting at order parts only | largest gap |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    totals = dict(split_gaps=[], at_least=0, ties=0, order_gaps=[], gbt_only=0)
    for name, found in partings.items():
        s = summarise(found)
        first = "–" if s["first_tree"] is None else f"{s['first_tree']:.0f}"
        lines.append(f"| {name} | {s['parted']} of {len(found)} | {first} | {s['at_splits']} "
                     f"| {len(s['split_gaps'])} | {s['at_least']} | {s['ties']} | "
                     f"{_largest(s['split_gaps'])} | {s['order_only']} | "
                     f"{_largest(s['order_gaps'])} |")
        for key in totals:
            totals[key] += s[key]
    gaps = totals["split_gaps"]
    lines += ["", f"- split parts: {len(gaps)}, gbt's choice at least as high as LightGBM's "
              f"at {totals['at_least']}; exact ties: {totals['ties']}, which the two libraries "
              f"break differently; the others at most "
              f"{_largest([g for g in gaps if g >= EXACT_TIE])} apart. Fits parting at order "
              f"parts only: {len(totals['order_gaps'])}, gaps "
              f"{_smallest(totals['order_gaps'])} to {_largest(totals['order_gaps'])}."
              + (f" Fits parting only where gbt splits a leaf LightGBM does not: "
                 f"{totals['gbt_only']}." if totals["gbt_only"] else "")]
    return lines


def _largest(values):
    return f"{max(values):.1e}" if values else "–"


def _smallest(values):
    return f"{min(values):.1e}" if values else "–"


def same_edges(a, b):
    """Equal up to the last bits of the halfway sums."""
    return a.size == b.size and np.allclose(a, b, rtol=1e-12, atol=0.0)


VARIANTS = [  # (library, bins, how to fit one split)
    ("lightgbm", "its own", lambda *s: lightgbm_rmse(None, *s)),
    ("lightgbm", f"gbt's (255), as forced bins (max_bin {FORCED_MAX_BIN}: gbt's edges and "
     "LightGBM's bin for zero)",
     lambda *s: lightgbm_rmse(gbt_edges(MAX_BIN), *s)),
    ("gbt", "its own (255, the default)", lambda *s: gbt_rmse(None, *s)),
    *[("gbt", f"its own, {n} bins", lambda *s, n=n: gbt_rmse(None, *s, max_bin=n))
      for n in (253, 254, 256)],
    ("gbt", "plain weighted quantiles (before equal-weight bins)",
     lambda *s: gbt_rmse(quantile_edges, *s)),
    ("gbt", "LightGBM's rule (254 bins)", lambda *s: gbt_rmse(lightgbm_rule_edges, *s)),
    ("gbt", "LightGBM's rule (254 bins), LightGBM's own edges on feature 6",
     lambda *s: gbt_rmse(on_features({6}, lightgbm_edges, lightgbm_rule_edges), *s)),
    ("gbt", "LightGBM's own edges", lambda *s: gbt_rmse(lightgbm_edges, *s)),
]


# -- gbt's mean test RMSE on a UCI set at n bins, kept: the sweep and the rule table share fits --
# splits per set (None: all): the UCI sets over 5,000 rows on their first 5 (protein has only
# 5), the smaller ones (those whose models differ, OTHER_UCI less energy and yacht) on all 20 to
# even out the noise
RULE_SETS = {"protein": 5, "kin8nm": 5, "naval_propulsion": 5, "power_plant": 5,
             "boston_housing": None, "concrete": None, "wine_quality_red": None}
EDGE_RULES = {  # how gbt bins at n bins: its own edges, LightGBM's greedy rule, LightGBM's edges
    "own": lambda n: None,
    "greedy": lambda n: (lambda x, j: lightgbm_rule_edges(x, j, max_bin=n)),
    "theirs": lambda n: (lambda x, j: lightgbm_edges(x, j, max_bin=n)),
}


@functools.lru_cache(maxsize=None)
def set_splits(name):
    """The splits of UCI set ``name`` that the sweep and the rule table fit (RULE_SETS)."""
    return tuple(itertools.islice(bf.uci_splits(name), RULE_SETS[name]))


@functools.lru_cache(maxsize=None)
def gbt_mean_rmse(name, edges, n):
    """gbt's mean test RMSE over :func:`set_splits` of ``name`` at ``max_bin`` n, binned by
    EDGE_RULES[edges]; kept, so each fit runs once per script."""
    rule = EDGE_RULES[edges](n)
    return float(np.mean([gbt_rmse(rule, *split, max_bin=n) for split in set_splits(name)]))


# -- protein's gap against the number of bins -------------------------------------------------
SWEEP_MAX_BINS = tuple(range(245, 266))


def bin_count_sweep():
    """Both libraries at each of SWEEP_MAX_BINS, each on its own edges, and gbt on LightGBM's:
    ``[(max_bin, lightgbm, gbt, gbt on LightGBM's edges)]``, mean test RMSEs over protein's
    splits."""
    rows = []
    for n in SWEEP_MAX_BINS:
        lightgbm = float(np.mean([lightgbm_rmse(None, *split, max_bin=n)
                                  for split in set_splits("protein")]))
        row = (n, lightgbm, gbt_mean_rmse("protein", "own", n),
               gbt_mean_rmse("protein", "theirs", n))
        rows.append(row)
        print(f"[bins] protein at {n} bins: LightGBM {row[1]:.5f}, gbt {row[2]:.5f}, gbt on "
              f"LightGBM's edges {row[3]:.5f}", file=sys.stderr, flush=True)
    return rows


def sweep_summary(rows, bar=bf.BAR_RMSE_RATIO, at=MAX_BIN):
    """What :func:`bin_count_sweep`'s rows say: medians and ranges of gbt / LightGBM at the
    same bin count, on gbt's edges (``own``) and on LightGBM's (``theirs``); at how many bin
    counts gbt's own is within ``bar``; LightGBM's and gbt's RMSE at ``at`` bins over
    LightGBM's median over the bin counts."""
    n, lightgbm, ours, theirs = (np.array(c, dtype=np.float64) for c in zip(*rows))
    own, on_theirs = ours / lightgbm, theirs / lightgbm
    median_lightgbm = float(np.median(lightgbm))
    return dict(own=(float(np.median(own)), float(own.min()), float(own.max())),
                theirs=(float(np.median(on_theirs)), float(on_theirs.min()),
                        float(on_theirs.max())),
                within_bar=int((own <= bar).sum()), counts=int(n.size),
                lightgbm_at=float(lightgbm[n == at][0]) / median_lightgbm,
                gbt_at=float(ours[n == at][0]) / median_lightgbm)


def sweep_lines(rows):
    s = sweep_summary(rows)
    lines = ["", "### Protein's gap against the number of bins", "",
             f"Both libraries at each `max_bin` from {SWEEP_MAX_BINS[0]} to "
             f"{SWEEP_MAX_BINS[-1]}, each on its own edges, and gbt on LightGBM's own edges at "
             "that `max_bin` (read as above); mean test RMSE over the 5 splits. Each bin count "
             "moves most edges a little, so this shows how far the edges alone move each "
             "library and the ratio at bench_fit.py's resolution.", "",
             "| max_bin | LightGBM | gbt | gbt / LightGBM | gbt on LightGBM's edges / "
             "LightGBM |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {n} | {lgb_rmse:.5f} | {ours:.5f} | {ours / lgb_rmse:.4f}× | "
              f"{theirs / lgb_rmse:.4f}× |" for n, lgb_rmse, ours, theirs in rows]
    (own, own_lo, own_hi), (th, th_lo, th_hi) = s["own"], s["theirs"]
    return lines + [
        "",
        f"- gbt / LightGBM at the same bin count: median {own:.4f}× ({own_lo:.4f}× to "
        f"{own_hi:.4f}×); at or below bench_fit.py's bar of {bf.BAR_RMSE_RATIO}× at "
        f"{s['within_bar']} of {s['counts']} bin counts",
        f"- gbt on LightGBM's edges / LightGBM: median {th:.4f}× ({th_lo:.4f}× to "
        f"{th_hi:.4f}×)",
        f"- at {MAX_BIN} bins, over LightGBM's median RMSE across the bin counts: LightGBM "
        f"{s['lightgbm_at']:.4f}×, gbt {s['gbt_at']:.4f}×"]


# -- LightGBM's edges in gbt, against gbt's own, at the same bin count -------------------------
RULE_MAX_BINS = tuple(range(250, 261))


def closing_rule_spread():
    """gbt's mean test RMSE on each of RULE_SETS at ``n`` bins, for each ``n`` of
    RULE_MAX_BINS, with LightGBM's greedy rule (:func:`lightgbm_rule_edges`, ``"greedy"``) and
    with LightGBM's own edges (:func:`lightgbm_edges`, ``"theirs"``), each over gbt's own
    edges at ``n`` (:func:`gbt_mean_rmse`; protein's come from the sweep):
    ``{set: {"splits": count, "greedy": [ratio], "theirs": [ratio]}}``."""
    spread = {}
    for name in RULE_SETS:
        spread[name] = {"splits": len(set_splits(name))}
        for kind in ("greedy", "theirs"):
            spread[name][kind] = [gbt_mean_rmse(name, kind, n) / gbt_mean_rmse(name, "own", n)
                                  for n in RULE_MAX_BINS]
        print(f"[bins] {name}: over gbt's own edges, LightGBM's rule "
              f"{np.median(spread[name]['greedy']):.4f}, LightGBM's edges "
              f"{np.median(spread[name]['theirs']):.4f} (medians)", file=sys.stderr, flush=True)
    return spread


def closing_rule_lines(spread):
    lines = ["", "### LightGBM's greedy rule and LightGBM's own edges in gbt, against gbt's "
             "own rule", "",
             "gbt at `max_bin` n with LightGBM's greedy binning (re-implemented as above, with "
             "n bins, as gbt has, and without LightGBM's bin for zero and its "
             "`min_data_in_bin=3`) and with LightGBM's own edges at n (read as above, so with "
             "both), each over gbt with its own edges at n, for n from "
             f"{RULE_MAX_BINS[0]} to {RULE_MAX_BINS[-1]}; mean test RMSE over each set's "
             "splits (the sets over 5,000 rows: the first 5; the smaller: all). The greedy "
             "rule and gbt's differ in when a bin closes: LightGBM's once it holds its share, "
             "gbt's once the next value's middle lies past it (and gbt gives each value its "
             "own bin once values left are no more than bins left). Below 1: LightGBM's edges "
             "do better.", "",
             "| dataset | splits | LightGBM's rule / gbt's, median | range | lower at | "
             "LightGBM's own edges / gbt's, median | range | lower at |",
             "|---|---:|---:|---|---:|---:|---|---:|"]

    for name, ratios in spread.items():
        lines.append(f"| {name} | {ratios['splits']} | {ratio_cells(ratios['greedy'])} | "
                     f"{ratio_cells(ratios['theirs'])} |")
    return lines


def ratio_cells(ratios):
    """Table cells for ratios: median | lowest to highest | how many below 1."""
    return (f"{np.median(ratios):.4f}× | {min(ratios):.4f}× to {max(ratios):.4f}× | "
            f"{sum(r < 1 for r in ratios)} of {len(ratios)}")


# -- the same comparisons on random splits: what the 5 standard splits alone say ----------------
RANDOM_SPLIT_SETS = ("protein", "kin8nm", "naval_propulsion", "power_plant")
RANDOM_SPLITS = 40


def random_split_ratios():
    """On RANDOM_SPLITS random splits of each of RANDOM_SPLIT_SETS (bench_fit.random_splits:
    90/10, seed 0, so protein's are bench_fit.py's first ones) at MAX_BIN, per split: gbt over
    LightGBM (``"gbt"``), gbt on LightGBM's own edges over gbt on its own (``"theirs_own"``)
    and over LightGBM (``"theirs_lightgbm"``): ``{set: {kind: [ratio]}}``."""
    theirs = EDGE_RULES["theirs"](MAX_BIN)
    out = {}
    for name in RANDOM_SPLIT_SETS:
        X, y = bf.uci_rows(name)
        ratios = out[name] = {"gbt": [], "theirs_own": [], "theirs_lightgbm": []}
        for split in bf.random_splits(X, y, RANDOM_SPLITS):
            own, on_theirs = gbt_rmse(None, *split), gbt_rmse(theirs, *split)
            lightgbm = lightgbm_rmse(None, *split)
            ratios["gbt"].append(own / lightgbm)
            ratios["theirs_own"].append(on_theirs / own)
            ratios["theirs_lightgbm"].append(on_theirs / lightgbm)
        print(f"[bins] {name}, {RANDOM_SPLITS} random splits: gbt / LightGBM "
              f"{np.median(ratios['gbt']):.4f}, LightGBM's edges / gbt's "
              f"{np.median(ratios['theirs_own']):.4f} (medians)", file=sys.stderr, flush=True)
    return out


def random_split_lines(ratios):
    lines = ["", "### The same on random splits", "",
             f"The four sets over 5,000 rows, each on {RANDOM_SPLITS} random 90/10 train/test "
             "splits of all its rows (bench_fit.py's `random_splits`, seed 0: protein's are the "
             f"first {RANDOM_SPLITS} of bench_fit.py's), both libraries at {MAX_BIN} bins on "
             "their own edges and gbt also on LightGBM's own edges; the ratios of test RMSE "
             "split by split. Below 1: the first does better.", "",
             "| dataset | random splits | gbt / LightGBM, median | range | lower at | gbt on "
             "LightGBM's edges / on its own, median | range | lower at | gbt on LightGBM's "
             "edges / LightGBM, median | range | lower at |",
             "|---|---:|---:|---|---:|---:|---|---:|---:|---|---:|"]
    for name, r in ratios.items():
        lines.append(f"| {name} | {len(r['gbt'])} | {ratio_cells(r['gbt'])} | "
                     f"{ratio_cells(r['theirs_own'])} | {ratio_cells(r['theirs_lightgbm'])} |")
    return lines


# -- Adult: bench_fairness.py's bar (a) against the number of bins -----------------------------
ADULT_MAX_BINS = (250, 252, 254, 255, 256, 258, 260)


def adult_fairness_spread():
    """bench_fairness.py's bar (a) fit (FairGBTClassifier, FPR, default multiplier rate, on
    Adult) at each of ADULT_MAX_BINS, with gbt's edges and with plain weighted quantiles.
    Returns ``(columns with more than 255 values, {rule: [(max_bin, auc, fpr_ratio)]})``, or
    None without the fairness data."""
    import bench_fairness as fair

    import gbt
    if not fair.FAIR_DIR.is_dir():
        return None
    data = fair.load_adult()
    numeric = data["X_train"].select_dtypes("number")
    many = [c for c in numeric if numeric[c].nunique() > MAX_BIN]
    spread = {}
    for rule_name, rule in (("gbt's own", None), ("plain weighted quantiles", quantile_edges)):
        spread[rule_name] = []
        for max_bin in ADULT_MAX_BINS:
            edges = None if rule is None else (lambda x, j, n=max_bin: rule(x, j, n))
            model = gbt.FairGBTClassifier(constraint_type="FPR", max_bin=max_bin,
                                          **fair.gbt_tree_params(THREADS))
            with gbt_cuts(edges):
                model.fit(data["X_train"], data["y_train"], constraint_group=data["g_train"])
            score = fair.scores(model, data)
            spread[rule_name].append((max_bin, score["auc"], score["fpr"]))
            print(f"[bins] adult, {rule_name}, max_bin {max_bin}: AUC {score['auc']:.4f}, "
                  f"FPR ratio {score['fpr']:.3f}", file=sys.stderr, flush=True)
    return many, spread


def adult_lines(result):
    import bench_fairness as fair
    if result is None:
        return ["", f"Adult: skipped ({fair.FAIR_DIR} is missing)."]
    many, spread = result
    (a, rows_a), (b, rows_b) = spread.items()
    lines = [
        "",
        "### Adult: bench_fairness.py's bar (a) against the number of bins",
        "",
        "FairGBTClassifier(constraint_type=\"FPR\") at its default multiplier rate with "
        "bench_fairness.py's settings, at other `max_bin`; bar (a) asks for a test FPR ratio "
        f"of at least {fair.BAR_FPR_RATIO} (and AUC {fair.BAR_AUC}) at 255. Columns with more "
        f"than {MAX_BIN} values, the only ones whose edges the rule changes: "
        f"{', '.join(many) or 'none'}.",
        "",
        f"| max_bin | {a}: AUC | FPR ratio | {b}: AUC | FPR ratio |",
        "|---:|---:|---:|---:|---:|",
    ]
    for (n, auc_a, fpr_a), (_, auc_b, fpr_b) in zip(rows_a, rows_b):
        lines.append(f"| {n} | {auc_a:.4f} | {fpr_a:.3f} | {auc_b:.4f} | {fpr_b:.3f} |")
    lines.append("")
    for name, rows in spread.items():
        fpr = [r[2] for r in rows]
        lines.append(f"- {name}: FPR ratio median {np.median(fpr):.3f} over the "
                     f"{len(fpr)} bin counts ({min(fpr):.3f} to {max(fpr):.3f})")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = ap.parse_args(argv)
    if not (bf.DATA_DIR / "uci_regression").is_dir():
        sys.exit(f"bench_bins: {bf.DATA_DIR / 'uci_regression'} is missing (set GBT_DATA_DIR)")
    splits = list(bf.uci_splits("protein"))
    Xtr = splits[0][0]
    differ = [j for j in range(Xtr.shape[1])
              if not same_edges(lightgbm_rule_edges(Xtr[:, j], j), lightgbm_edges(Xtr[:, j], j))]
    zeros = [int((Xtr[:, j] == 0).sum()) for j in differ]
    given, kept, added = forced_edges_kept(Xtr)
    rows = []
    for library, bins, fit in VARIANTS:
        per_split = [fit(*split) for split in splits]
        rows.append((library, bins, per_split))
        print(f"[bins] {library}, {bins}: {' / '.join(f'{r:.5f}' for r in per_split)}",
              file=sys.stderr, flush=True)
    reference = float(np.mean(rows[0][2]))
    boot = paired_bootstrap(splits, own_edge_fits(splits))
    lines = [
        "## bench_bins.py: protein's test RMSE against where the bin edges fall",
        "",
        f"Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        "Command (from the repository root):",
        "",
        "```",
        bf.command_line(),
        "```",
        "",
        f"UCI protein, its 5 standard splits; every fit {TREES} rounds, {bf.LEAVES} leaves "
        f"loss-guided, learning rate 0.1, {THREADS} threads, bench_fit.py's other settings. "
        "Mean test RMSE over the splits, and its ratio to LightGBM's on its own edges. "
        "On the first split, LightGBM's rule at 254 bins gives LightGBM's own edges on "
        f"{Xtr.shape[1] - len(differ)} of {Xtr.shape[1]} features"
        + (f" (not on features {differ}, with {zeros} rows at 0: LightGBM gives 0 a bin of "
           "its own)." if differ else ".")
        + f" Given gbt's edges as forced bins at max_bin {FORCED_MAX_BIN} (LightGBM keeps a "
        f"bin for zero beside them; at {MAX_BIN} it drops each feature's top edge), LightGBM "
        f"used {kept} of the {given} and {added} more of its own (first split).",
        "",
        "| library | bin edges | RMSE per split | mean | vs LightGBM |",
        "|---|---|---|---:|---:|",
    ]
    for library, bins, per_split in rows:
        mean = float(np.mean(per_split))
        lines.append(f"| {library} | {bins} | {' / '.join(f'{r:.4f}' for r in per_split)} "
                     f"| {mean:.5f} | {mean / reference:.4f}× |")
    lines += ["", f"The test sample alone: gbt's mean RMSE over LightGBM's, both on their own "
              f"edges, is {boot['ratio']:.4f}×; with each split's test rows resampled "
              f"{RESAMPLES} times (the same rows for both) it runs {boot['lo']:.4f}× to "
              f"{boot['hi']:.4f}× (5% to 95%), at or below bench_fit.py's bar of "
              f"{bf.BAR_RMSE_RATIO}× in {boot['share']:.0%} of the resamples."]
    lines += sweep_lines(bin_count_sweep())
    lines += closing_rule_lines(closing_rule_spread())
    lines += random_split_lines(random_split_ratios())
    lines += other_uci_lines()
    lines += adult_lines(adult_fairness_spread())
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_section(REPO / "bench" / "RESULTS.md", "bench_bins", text)


if __name__ == "__main__":
    main()
