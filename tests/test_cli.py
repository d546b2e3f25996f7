"""Tests for the command-line layer: one-line errors and exit codes through the real entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENTRY = [sys.executable, "-c", "from geostrike.cli import main; main()"]


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRY, *args], capture_output=True, text=True, input=stdin)


@pytest.mark.parametrize(
    "args",
    [
        ("geocode",),
        ("check", "claims.csv"),
        ("map",),
        ("geocode", "--bogus", "x"),
        ("no-such-command",),
        ("check", "--tolerance-km", "-3", "c.csv", "--zones", "z.gpkg"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    out = _run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_input_errors_name_the_file(tmp_path) -> None:
    missing = tmp_path / "nope.csv"
    out = _run("check", str(missing), "--zones", str(tmp_path / "z.gpkg"))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert "nope.csv" in out.stderr or "z.gpkg" in out.stderr


def test_help_and_version_exit_0() -> None:
    assert _run("--help").returncode == 0
    version = _run("--version")
    assert version.returncode == 0 and "geostrike" in version.stdout


def test_extract_names_a_nul_byte_far_into_a_report(tmp_path) -> None:
    report = tmp_path / "aden.txt"
    text = b"Coalition aircraft struck Houthi positions in Aden on Sunday.\n" * 2000
    report.write_bytes(text + b"Strikes hit Ta\x00izz.\n")
    out = _run("extract", str(report), "--date", "2015-05-10")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"aden.txt: has a NUL byte at line 2001 (offset {len(text) + 14})" in lines[0]
