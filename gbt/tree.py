"""Tree: one regression tree as a struct of arrays, and its JSON form.

Node ``0`` is the root. For node ``k``: ``left[k] == -1`` marks a leaf; otherwise rows with
``x[feature[k]] <= threshold[k]`` go to ``left[k]``, the others to ``right[k]``, and missing
values follow ``default_left[k]``. ``threshold_bin[k]`` is the same rule on binned data.
``value[k]`` is the node's row of (shrunk) leaf values, shape ``(n_nodes, n_outputs)``: one
column for an ordinary tree, K for a condensed multi-output tree (a vector leaf). Internal
nodes keep the values they had as leaves. ``gain``, ``cover`` (hessian sum over outputs) and
``count`` (rows) serve importances and inspection. In JSON a one-output tree's ``value`` is a
flat list and a vector tree's a list of rows.
"""
from __future__ import annotations

import numpy as np

# A threshold that every finite value is <= (used for "all values left, missing right").
MAX_THRESHOLD = float(np.finfo(np.float64).max)

_INT_FIELDS = ("feature", "threshold_bin", "left", "right")
_FLOAT_FIELDS = ("threshold", "value", "gain", "cover", "count")
_BOOL_FIELDS = ("default_left",)


class Tree:
    """A grown tree; construct through :meth:`from_arrays` or :meth:`from_dict`."""

    __slots__ = ("feature", "threshold", "threshold_bin", "default_left", "left", "right",
                 "value", "gain", "cover", "count")

    def __init__(self, n_nodes: int, n_outputs: int = 1):
        self.feature = np.full(n_nodes, -1, dtype=np.int32)
        self.threshold = np.zeros(n_nodes, dtype=np.float64)
        self.threshold_bin = np.full(n_nodes, -1, dtype=np.int32)
        self.default_left = np.zeros(n_nodes, dtype=np.bool_)
        self.left = np.full(n_nodes, -1, dtype=np.int32)
        self.right = np.full(n_nodes, -1, dtype=np.int32)
        self.value = np.zeros((n_nodes, n_outputs), dtype=np.float64)
        self.gain = np.zeros(n_nodes, dtype=np.float64)
        self.cover = np.zeros(n_nodes, dtype=np.float64)
        self.count = np.zeros(n_nodes, dtype=np.float64)

    @property
    def n_nodes(self) -> int:
        return self.feature.size

    @property
    def n_outputs(self) -> int:
        return self.value.shape[1]

    @property
    def n_leaves(self) -> int:
        return int((self.left == -1).sum())

    @property
    def is_leaf(self) -> np.ndarray:
        return self.left == -1

    def depth(self) -> int:
        depth = np.zeros(self.n_nodes, dtype=np.int64)
        for k in range(self.n_nodes):  # children always come after their parent
            if self.left[k] != -1:
                depth[self.left[k]] = depth[self.right[k]] = depth[k] + 1
        return int(depth.max())

    def to_dict(self) -> dict:
        out = {name: getattr(self, name).tolist() for name in _INT_FIELDS + _FLOAT_FIELDS}
        out["default_left"] = self.default_left.astype(int).tolist()
        if self.n_outputs == 1:
            out["value"] = self.value[:, 0].tolist()
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Tree":
        """Build and validate a tree from :meth:`to_dict` output; raises ``ValueError``."""
        if not isinstance(d, dict):
            raise ValueError("A tree entry must be an object.")
        missing = [k for k in _INT_FIELDS + _FLOAT_FIELDS + _BOOL_FIELDS if k not in d]
        if missing:
            raise ValueError(f"Tree entry lacks fields {missing}.")
        n = len(d["feature"])
        tree = cls(n)
        for name in _INT_FIELDS + _FLOAT_FIELDS + _BOOL_FIELDS:
            values = d[name]
            if not isinstance(values, list) or len(values) != n:
                raise ValueError(f"Tree field {name!r} must be a list of {n} entries.")
            try:
                arr = np.asarray(values, dtype=getattr(tree, name).dtype)
            except (TypeError, ValueError):
                raise ValueError(f"Tree field {name!r} holds non-numeric entries.") from None
            if name == "value":
                arr = arr.reshape(n, 1) if arr.ndim == 1 else arr
                if arr.ndim != 2 or arr.shape[1] == 0:
                    raise ValueError("Tree field 'value' must be a list of numbers or of "
                                     "equal-length rows of numbers.")
            setattr(tree, name, arr)
        tree.validate()
        return tree

    def validate(self, n_features: int | None = None) -> None:
        """Check the structure: children in range and after their parent, leaves well formed."""
        n = self.n_nodes
        if n == 0:
            raise ValueError("A tree needs at least one node.")
        internal = self.left != -1
        if ((self.left == -1) != (self.right == -1)).any():
            raise ValueError("Tree nodes must have both children or none.")
        idx = np.arange(n)
        for child in (self.left, self.right):
            c = child[internal]
            if ((c <= idx[internal]) | (c >= n)).any():
                raise ValueError("Tree child indices must point forward inside the tree.")
        if n_features is not None and ((self.feature[internal] < 0) |
                                       (self.feature[internal] >= n_features)).any():
            raise ValueError(f"Tree split features must lie in [0, {n_features}).")
        if not np.isfinite(self.value).all() or np.isnan(self.threshold).any():
            raise ValueError("Tree values must be finite and thresholds not NaN.")
        n_parents = np.bincount(np.r_[self.left[internal], self.right[internal]], minlength=n)
        if n_parents[0] != 0 or (n_parents[1:] != 1).any():
            raise ValueError("Every non-root tree node must have exactly one parent.")

