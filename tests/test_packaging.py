"""The wheel, installed into a fresh virtual environment, works without a checkout.

One module-scoped fixture builds the wheel from this checkout and installs it
(``--no-deps``) into a new venv whose dependencies come from the running
environment (a ``.pth`` line), then each test uses that venv from an empty
directory: only ``mlmath`` is installed at the top level, ``mlmath verify``
runs the installed property suite, ``pytest --pyargs mlmath.properties`` works,
``mlmath derive`` writes only where it is told, and mypy type-checks a user's
script against the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (REPO / "pyproject.toml").is_file(),
                                reason="needs the source checkout to build the wheel")


class Installed:
    """A fresh venv holding only the wheel, and an empty working directory."""

    def __init__(self, root: Path) -> None:
        self.wheel_dir = root / "wheel"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO),
                        "-w", str(self.wheel_dir)], check=True, capture_output=True, timeout=600)
        (self.wheel,) = self.wheel_dir.glob("mlmath-*.whl")
        env_dir = root / "venv"
        venv.create(env_dir, with_pip=False)
        self.python = env_dir / "bin" / "python"
        purelib = subprocess.run([str(self.python), "-c", "import sysconfig; print("
                                  "sysconfig.get_paths()['purelib'])"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        # Dependencies (numpy, scipy, sympy, hypothesis, pytest) from this environment;
        # the wheel itself is installed into the fresh venv, which comes first.
        Path(purelib, "_mlmath_test_deps.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--target", purelib, str(self.wheel)], check=True, capture_output=True,
                       timeout=600)
        self.cwd = root / "empty"
        self.cwd.mkdir()

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "MLMATH_IMPL")}
        return subprocess.run([str(self.python), *args], cwd=self.cwd, env=env, text=True,
                              capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return Installed(tmp_path_factory.mktemp("installed"))


def test_wheel_holds_only_the_mlmath_package(installed):
    """Top-level entries of the wheel: mlmath/ and its dist-info (with the LICENSE)."""
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"mlmath", installed.wheel.name.split("-py")[0]
                                                + ".dist-info"}
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "mlmath/properties/conftest.py" in names
    assert "mlmath/derivations/generated/losses.json" in names


def test_every_package_of_the_tree_is_listed_for_the_wheel():
    """pyproject's explicit package list covers every folder with an __init__.py."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    mapped = {v: k for k, v in config["setuptools"]["package-dir"].items()}
    found = set()
    for init in REPO.glob("**/__init__.py"):
        rel = init.parent.relative_to(REPO)
        top = rel.parts[0]
        if top in mapped and ".venv" not in rel.parts:
            found.add(".".join([mapped[top], *rel.parts[1:]]))
    assert found == listed


def test_the_installed_package_is_the_one_imported(installed):
    out = installed.run("-c", "import mlmath, mlmath.properties, mlmath.derivations; "
                              "print(mlmath.__file__)")
    assert out.returncode == 0, out.stderr
    assert "site-packages" in out.stdout and str(REPO) not in out.stdout


def test_verify_runs_the_installed_property_suite(installed):
    """`mlmath verify --profile dev` from an empty directory: PASS, every topic counted."""
    out = installed.run("-m", "mlmath", "verify", "--profile", "dev")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "installed package" in out.stdout and "verify: PASS" in out.stdout
    for topic in ("special", "information", "losses", "attention", "penalties"):
        assert any(line.split()[:1] == [topic] for line in out.stdout.splitlines()), topic


def test_pytest_pyargs_runs_the_properties(installed):
    """`pytest --pyargs mlmath.properties` works with the plugin's profile names."""
    out = installed.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs",
                        "mlmath.properties", "--hypothesis-profile=mlmath-dev", "-k", "special")
    assert out.returncode == 0, out.stdout[-3000:]
    assert " passed" in out.stdout


def test_derive_writes_only_where_it_is_told(installed):
    """Installed, `mlmath derive` needs --out (exit 2); with it, files land in DIR."""
    refused = installed.run("-m", "mlmath", "derive")
    assert refused.returncode == 2 and "--out DIR" in refused.stderr
    out = installed.run("-m", "mlmath", "derive", "--out", "gen", "--topic", "special")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (installed.cwd / "gen").iterdir()) == ["special.json",
                                                                          "special.md"]


def test_mypy_type_checks_a_user_script(installed):
    """mypy finds the installed package's types: a clean script passes, a wrong call fails."""
    pytest.importorskip("mypy", reason="mypy is in the dev extra")
    script = installed.cwd / "user_script.py"
    script.write_text("import numpy as np\nimport mlmath as mm\n\n"
                      "print(mm.entropy(mm.softmax(np.array([1.0, 2.0]))))\n", encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--no-incremental", "--python-executable",
               str(installed.python), script.name]
    clean = subprocess.run(command, cwd=installed.cwd, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stdout
    script.write_text("import mlmath as mm\n\nmm.softmax([1.0], axis='last')\n", encoding="utf-8")
    wrong = subprocess.run(command, cwd=installed.cwd, capture_output=True, text=True, check=False)
    assert wrong.returncode == 1 and "arg-type" in wrong.stdout, wrong.stdout
