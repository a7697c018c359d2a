"""Peer models as gbt Trees, for the tests and benchmarks that run our kernels on a peer's own
trees (tests/test_explain.py, bench/bench_shap.py)."""
from __future__ import annotations

from gbt.tree import Tree


def lightgbm_trees(model) -> list:
    """The trees of a LightGBM binary/regression model as gbt Trees, with LightGBM's row
    counts as cover (LightGBM's TreeSHAP weighs children by counts). Only numerical splits
    with NaN/None missing handling are supported (``ValueError`` otherwise)."""
    trees = []
    for info in model.dump_model()["tree_info"]:
        order = []

        def visit(nd):  # pre-order: children get larger indices than their parent
            k = len(order)
            order.append(nd)
            if "split_index" in nd:
                nd["_left"] = visit(nd["left_child"])
                nd["_right"] = visit(nd["right_child"])
            return k

        visit(info["tree_structure"])
        tree = Tree(len(order))
        for k, nd in enumerate(order):
            if "split_index" in nd:
                if nd["decision_type"] != "<=" or nd["missing_type"] == "Zero":
                    raise ValueError("only numerical splits with NaN/None missing handling")
                tree.feature[k], tree.threshold[k] = nd["split_feature"], nd["threshold"]
                tree.default_left[k] = nd["default_left"]
                tree.left[k], tree.right[k] = nd["_left"], nd["_right"]
                tree.value[k, 0], tree.cover[k] = nd["internal_value"], nd["internal_count"]
            else:
                tree.value[k, 0], tree.cover[k] = nd["leaf_value"], nd.get("leaf_count", 1)
        tree.validate()
        trees.append(tree)
    return trees
