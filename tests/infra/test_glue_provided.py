"""`infra/wheels.py`'s GLUE_PROVIDED against AWS's own table of the Python modules Glue 5.1 provides
(vendored in glue-runtime/provided-5.1.txt with its source and date): every module the wheels leave to
Glue is one Glue lists, or Glue's Spark runtime itself; and the Glue 5.1 venv installs exactly the table."""

from __future__ import annotations

import re

from infra.wheels import GLUE_PROVIDED, normalize
from sparkify.pipeline import REPO_ROOT

TABLE = REPO_ROOT / "glue-runtime" / "provided-5.1.txt"
REQUIREMENTS = REPO_ROOT / "glue-runtime" / "requirements-5.1.txt"
# What Glue's Spark installation provides beside the table: PySpark, Py4J and awsglue.
SPARK_RUNTIME = {"pyspark", "py4j", "awsgluedataplanepython"}


def pins(text: str) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", text, flags=re.MULTILINE)
    return {normalize(name): version for name, version in found}


def test_the_vendored_table_names_its_source_and_holds_glue_5_1_s_versions() -> None:
    text = TABLE.read_text()
    assert "https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html" in text
    table = pins(text)
    assert len(table) == 60
    # The versions the December review read on the page (DESIGN notes), and scipy absent.
    assert (table["numpy"], table["pandas"], table["pyarrow"], table["requests"]) == (
        "2.3.4",
        "2.3.3",
        "22.0.0",
        "2.32.5",
    )
    assert "scipy" not in table


def test_every_module_left_to_glue_is_one_glue_5_1_provides() -> None:
    assert sorted(GLUE_PROVIDED - set(pins(TABLE.read_text())) - SPARK_RUNTIME) == []


def test_the_glue_venv_requirements_pin_exactly_the_table_and_awsglue() -> None:
    assert pins(REQUIREMENTS.read_text()) == {**pins(TABLE.read_text()), "awsgluedataplanepython": "5.1.0"}


def test_the_local_environment_locks_glue_5_1_s_numpy_pandas_and_pyarrow() -> None:
    locked = dict(
        re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', (REPO_ROOT / "uv.lock").read_text())
    )
    table = pins(TABLE.read_text())
    assert {name: locked[name] for name in ("numpy", "pandas", "pyarrow")} == {
        name: table[name] for name in ("numpy", "pandas", "pyarrow")
    }
