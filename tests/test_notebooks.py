"""The example notebooks run from top to bottom without an error (nbclient), and their cells
are the ones notebooks/make_notebooks.py writes."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

from .conftest import DATA_DIR  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NEEDS_DATA = {"03_fairness_constraints": "fairness/adult.data.gz"}


def _load_maker():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _load_maker()


@pytest.mark.parametrize("name", sorted(MAKER.NOTEBOOKS))
def test_committed_notebook_matches_its_source(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [c.source for c in nb.cells] == [c.source for c in MAKER.build(
        name, MAKER.NOTEBOOKS[name]).cells], "rerun notebooks/make_notebooks.py --execute"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "the notebook is not executed"
    assert any(o.output_type == "display_data" and "image/png" in o.get("data", {})
               for c in code for o in c.outputs), "the notebook has no plot"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MAKER.NOTEBOOKS))
def test_notebook_executes_without_error(name, monkeypatch):
    if name in NEEDS_DATA and not (DATA_DIR / NEEDS_DATA[name]).exists():
        pytest.skip(f"{name} needs {NEEDS_DATA[name]} in {DATA_DIR} (set GBT_DATA_DIR or "
                    "check out ../shared/data)")
    monkeypatch.setenv("GBT_DATA_DIR", str(DATA_DIR))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    MAKER.execute(nb)  # raises CellExecutionError on any failing cell
