"""``mlmath audit`` as a user meets it: the real entry point, run in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _audit(*args: str, env: dict[str, str] | None = None,
           code: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ([sys.executable, "-c", code, *args] if code is not None
           else [sys.executable, "-m", "mlmath", "audit", *args])
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                          env=full_env)


def test_unknown_id_is_a_usage_error_naming_the_closest_ids():
    """--id NOPE exits 2, names the id and suggests the closest ones (difflib)."""
    proc = _audit("--id", "CE-2.2-P9")
    assert proc.returncode == 2
    assert "CE-2.2-P9" in proc.stderr and "did you mean CE-2.2-P" in proc.stderr
    assert proc.stdout == ""


def test_missing_hypothesis_says_what_to_install_and_exits_3():
    """Without Hypothesis: one line naming the extra, exit 3 (no traceback)."""
    block = ("import sys; sys.modules['hypothesis'] = None; from mlmath.cli import main; "
             "sys.exit(main(['audit']))")
    proc = _audit(code=block)
    assert proc.returncode == 3
    assert proc.stderr.strip() == 'mlmath audit needs hypothesis: pip install "mlmath[audit]"'


def test_json_selection_and_exit_0():
    """--format json: one record per selected claim, with verdict and basis; exit 0."""
    proc = _audit("--id", "REG-4", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert [r["id"] for r in records] == ["REG-4-l1", "REG-4-truncated"]
    assert {r["basis"] for r in records} == {"editorial"}


def test_text_table_has_a_header_and_fits_the_width():
    """The text table starts with a header row and no line exceeds COLUMNS."""
    proc = _audit("--id", "SA-3", env={"COLUMNS": "72"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "art", "basis", "verdict"]
    assert max(len(line) for line in lines) <= 72


def test_quiet_when_not_a_tty():
    """No progress on stderr when stderr is not a terminal."""
    proc = _audit("--id", "REG-1")
    assert proc.returncode == 0 and proc.stderr == ""


def test_check_compares_in_the_files_own_format(tmp_path):
    """--check infers the format from the suffix; a drifted file gives a short summary, exit 1."""
    good = tmp_path / "reg.json"
    assert _audit("--id", "REG-4", "--write", str(good)).returncode == 0
    json.loads(good.read_text(encoding="utf-8"))  # written as JSON, from the suffix
    assert _audit("--id", "REG-4", "--check", str(good)).returncode == 0
    records = json.loads(good.read_text(encoding="utf-8"))
    records[0]["verdict"] = "false"
    good.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    proc = _audit("--id", "REG-4", "--check", str(good))
    assert proc.returncode == 1
    assert "1 line(s) removed, 1 added" in proc.stdout and len(proc.stdout.splitlines()) < 15


def test_articles_must_be_a_directory(tmp_path):
    """--articles with a missing directory is a usage error."""
    proc = _audit("--id", "REG-4", "--articles", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_progress_on_a_terminal_and_not_with_quiet():
    """On a TTY, stderr shows [done/total] and elapsed seconds per claim; --quiet silences it."""
    import pty

    def stderr_of(*args: str) -> str:
        master, slave = pty.openpty()
        proc = subprocess.run([sys.executable, "-m", "mlmath", "audit", "--id", "REG", *args],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, check=False)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert proc.returncode == 0
        return b"".join(chunks).decode("utf-8", "replace")

    shown = stderr_of()
    assert "[1/" in shown and "REG-0-definition" in shown and "s " in shown
    assert stderr_of("--quiet") == ""


def test_docs_without_a_figures_block_is_a_usage_error(tmp_path):
    """--docs on a file without the generated block's markers exits 2 and says why."""
    page = tmp_path / "page.md"
    page.write_text("# nothing here\n", encoding="utf-8")
    proc = _audit("--id", "REG-4", "--docs", str(page))
    assert proc.returncode == 2 and "no figures block" in proc.stderr


def test_python_api_without_hypothesis_names_the_extra():
    """`import mlmath.audit` works without Hypothesis; running it says what to install."""
    block = ("import sys; sys.modules['hypothesis'] = None\nimport mlmath.audit\n"
             "try:\n    mlmath.audit.run_audit()\nexcept ModuleNotFoundError as exc:\n"
             "    print(exc)\n")
    proc = _audit(code=block)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == 'mlmath.audit needs hypothesis: pip install "mlmath[audit]"'
