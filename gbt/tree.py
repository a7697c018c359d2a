"""Tree: one regression tree as a struct of arrays, and its JSON form.

Node ``0`` is the root. For node ``k``: ``left[k] == -1`` marks a leaf; otherwise rows with
``x[feature[k]] <= threshold[k]`` go to ``left[k]``, the others to ``right[k]``, and missing
values follow ``default_left[k]``. ``threshold_bin[k]`` is the same rule on binned data.
``value[k]`` is the node's row of (shrunk) leaf values, shape ``(n_nodes, n_outputs)``: one
column for an ordinary tree, K for a condensed multi-output tree (a vector leaf). Internal
nodes keep the values they had as leaves. ``gain``, ``cover`` (hessian sum over outputs) and
``count`` (rows) serve importances and inspection. In JSON a one-output tree's ``value`` is a
flat list and a vector tree's a list of rows.

Categorical splits: where ``is_categorical[k]``, ``x[feature[k]]`` is a category code and rows
whose code is in node ``k``'s set go LEFT, every other code right. The set is the bitset row
``cat_bits[k]`` (``(n_nodes, n_words)`` uint32; code ``c`` is bit ``c % 32`` of word
``c // 32``); ``cat_count[k]`` is the number of categories the feature had in training. A
missing value, and a code that is not one of those categories (negative, not an integer, or
``>= cat_count[k]``: an unseen category), follows ``default_left[k]``. ``threshold`` is 0 and
``threshold_bin`` -1 at such nodes. Trees without categorical splits have ``n_words = 0`` and
their JSON has no categorical fields; with them, JSON adds ``cat_nodes`` (node indices),
``cat_count`` and ``cat_left`` (each node's left categories, a sorted list of codes).
"""
from __future__ import annotations

import numpy as np

# A threshold that every finite value is <= (used for "all values left, missing right").
MAX_THRESHOLD = float(np.finfo(np.float64).max)

_INT_FIELDS = ("feature", "threshold_bin", "left", "right")
_FLOAT_FIELDS = ("threshold", "value", "gain", "cover", "count")
_BOOL_FIELDS = ("default_left",)
_CAT_FIELDS = ("cat_nodes", "cat_count", "cat_left")
# The per-node arrays but ``value`` and ``cat_bits``: (name, dtype, initial value).
_NODE_ARRAYS = (("feature", np.int32, -1), ("threshold", np.float64, 0.0),
                ("threshold_bin", np.int32, -1), ("default_left", np.bool_, False),
                ("left", np.int32, -1), ("right", np.int32, -1), ("gain", np.float64, 0.0),
                ("cover", np.float64, 0.0), ("count", np.float64, 0.0),
                ("is_categorical", np.bool_, False), ("cat_count", np.int32, 0))
# What the grower writes for every node of a grown tree (grow.fill_tree).
_FILLED_BY_GROWER = frozenset(("feature", "threshold_bin", "default_left", "left", "right",
                               "gain", "cover", "count", "value"))
# Most categories a categorical split may hold (binned codes are uint16 at most).
MAX_CATEGORIES = 65534


class Tree:
    """A grown tree; construct through :meth:`from_arrays` or :meth:`from_dict`."""

    __slots__ = ("feature", "threshold", "threshold_bin", "default_left", "left", "right",
                 "value", "gain", "cover", "count", "is_categorical", "cat_count", "cat_bits")

    def __init__(self, n_nodes: int, n_outputs: int = 1):
        self._allocate(n_nodes, n_outputs, unset=())

    @classmethod
    def _to_fill(cls, n_nodes: int, n_outputs: int) -> "Tree":
        """A Tree for ``grow.fill_tree`` to write: the arrays it writes for every node are
        left unset (``np.empty``), the others are as :meth:`__init__` makes them. A fit of a
        hundred small trees spends its time in such per-tree costs: about 8 -> 5 µs a tree."""
        tree = cls.__new__(cls)
        tree._allocate(n_nodes, n_outputs, unset=_FILLED_BY_GROWER)
        return tree

    def _allocate(self, n_nodes: int, n_outputs: int, unset) -> None:
        """Every array, at its initial value or, for the names in ``unset``, left unset."""
        for name, dtype, initial in _NODE_ARRAYS:
            if name in unset:
                array = np.empty(n_nodes, dtype=dtype)
            elif initial:
                array = np.full(n_nodes, initial, dtype=dtype)
            else:
                array = np.zeros(n_nodes, dtype=dtype)
            setattr(self, name, array)
        shape = (n_nodes, n_outputs)
        self.value = np.empty(shape) if "value" in unset else np.zeros(shape)
        self.cat_bits = np.zeros((n_nodes, 0), dtype=np.uint32)

    @property
    def has_categorical(self) -> bool:
        return bool(self.is_categorical.any())

    def set_categorical(self, node: int, n_categories: int, left_categories) -> None:
        """Make ``node`` a categorical split: codes in ``left_categories`` go left."""
        codes = np.asarray(left_categories, dtype=np.int64).reshape(-1)
        n_categories = int(n_categories)
        if not 1 <= n_categories <= MAX_CATEGORIES:
            raise ValueError(f"A categorical split needs 1 to {MAX_CATEGORIES} categories; got "
                             f"{n_categories}.")
        if codes.size and (codes.min() < 0 or codes.max() >= n_categories):
            raise ValueError(f"Categorical split codes must lie in [0, {n_categories}).")
        words = (n_categories + 31) // 32
        if words > self.cat_bits.shape[1]:
            grown = np.zeros((self.n_nodes, words), dtype=np.uint32)
            grown[:, :self.cat_bits.shape[1]] = self.cat_bits
            self.cat_bits = grown
        self.is_categorical[node] = True
        self.cat_count[node] = n_categories
        self.threshold[node] = 0.0
        self.threshold_bin[node] = -1
        self.cat_bits[node] = 0
        np.bitwise_or.at(self.cat_bits[node], codes // 32,
                         np.left_shift(np.uint32(1), (codes % 32).astype(np.uint32)))

    def left_categories(self, node: int) -> list:
        """The sorted category codes a categorical ``node`` sends left."""
        if not self.is_categorical[node]:
            raise ValueError(f"Node {node} is not a categorical split.")
        bits = np.unpackbits(self.cat_bits[node].astype("<u4").view(np.uint8),
                             bitorder="little")
        return np.flatnonzero(bits[:self.cat_count[node]]).tolist()

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
        if self.has_categorical:
            nodes = np.flatnonzero(self.is_categorical)
            out["cat_nodes"] = nodes.tolist()
            out["cat_count"] = self.cat_count[nodes].tolist()
            out["cat_left"] = [self.left_categories(k) for k in nodes]
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Tree":
        """Build and validate a tree from :meth:`to_dict` output; raises ``ValueError``."""
        if not isinstance(d, dict):
            raise ValueError("A tree entry must be an object.")
        missing = [k for k in _INT_FIELDS + _FLOAT_FIELDS + _BOOL_FIELDS if k not in d]
        if missing:
            raise ValueError(f"Tree entry lacks fields {missing}.")
        if not isinstance(d["feature"], list):
            raise ValueError("Tree field 'feature' must be a list.")
        n = len(d["feature"])
        tree = cls(n)
        for name in _INT_FIELDS + _FLOAT_FIELDS + _BOOL_FIELDS:
            values = d[name]
            if not isinstance(values, list) or len(values) != n:
                raise ValueError(f"Tree field {name!r} must be a list of {n} entries.")
            try:
                arr = np.asarray(values, dtype=getattr(tree, name).dtype)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"Tree field {name!r} holds entries that are not numbers of "
                                 "its type.") from None
            if name != "value" and arr.ndim != 1:
                raise ValueError(f"Tree field {name!r} must be a flat list of numbers.")
            if name == "value":
                arr = arr.reshape(n, 1) if arr.ndim == 1 else arr
                if arr.ndim != 2 or arr.shape[1] == 0:
                    raise ValueError("Tree field 'value' must be a list of numbers or of "
                                     "equal-length rows of numbers.")
            setattr(tree, name, arr)
        _categorical_from_dict(tree, d)
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
        if (self.is_categorical & ~internal).any():
            raise ValueError("Only internal tree nodes can be categorical splits.")
        if self.has_categorical and ((self.cat_count[self.is_categorical] < 1).any() or
                                     self.cat_bits.shape[1] * 32 <
                                     self.cat_count[self.is_categorical].max()):
            raise ValueError("Categorical tree nodes need a category count that fits their "
                             "bitset.")
        n_parents = np.bincount(np.r_[self.left[internal], self.right[internal]], minlength=n)
        if n_parents[0] != 0 or (n_parents[1:] != 1).any():
            raise ValueError("Every non-root tree node must have exactly one parent.")



def _categorical_from_dict(tree: Tree, d: dict) -> None:
    """Read the optional categorical fields of a tree entry into ``tree``; ``ValueError`` when
    they are malformed."""
    present = [k for k in _CAT_FIELDS if k in d]
    if not present:
        return
    if len(present) != len(_CAT_FIELDS):
        raise ValueError(f"Tree entry has {present} but needs all of {list(_CAT_FIELDS)}.")
    nodes, counts, lefts = (d[k] for k in _CAT_FIELDS)
    if not (isinstance(nodes, list) and isinstance(counts, list) and isinstance(lefts, list)
            and len(nodes) == len(counts) == len(lefts)):
        raise ValueError("Tree fields 'cat_nodes', 'cat_count' and 'cat_left' must be lists of "
                         "equal length.")

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    seen = set()
    for node, count, left in zip(nodes, counts, lefts):
        if not is_int(node) or not 0 <= node < tree.n_nodes or node in seen:
            raise ValueError(f"Tree field 'cat_nodes' holds {node!r}: expected distinct node "
                             f"indices in [0, {tree.n_nodes}).")
        seen.add(node)
        if tree.left[node] == -1:
            raise ValueError(f"Tree node {node} is a leaf and cannot be a categorical split.")
        if not is_int(count) or not 1 <= count <= MAX_CATEGORIES:
            raise ValueError(f"Tree field 'cat_count' holds {count!r}: expected an integer in "
                             f"[1, {MAX_CATEGORIES}].")
        if not isinstance(left, list) or not all(is_int(c) and 0 <= c < count for c in left) \
                or len(set(left)) != len(left):
            raise ValueError(f"Tree field 'cat_left' of node {node} must list distinct category "
                             f"codes in [0, {count}).")
        tree.set_categorical(node, count, left)
