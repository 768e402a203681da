"""Long work shows progress: `plankg build` and `plankg validate` tell each stage on stderr, as
bars on a terminal and as plain, throttled lines elsewhere; stdout ends with each stage's time
and count. The real command, as a process: on a pipe, and on a pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import termios
import time
from pathlib import Path

import pytest

from conftest import PLANKG, SEED, run_plankg
from plankg.build.progress import Stages
from plankg.build.sources import read_registry
from plankg.progress_display import LINE_INTERVAL_S, LineDisplay

BUILD_STAGES = ["vocabularies", "parse", "link+map plans", "map+link budgets, laws", "alignment", "ntriples", "shacl",
                "dumps+meta", "load"]
VALIDATE_STAGES = BUILD_STAGES[:-2]
STAGE = "|".join(re.escape(s) for s in BUILD_STAGES)
# build: shacl 9/9 graphs, done (5.6 s) | build: dumps+meta done (4.4 s) | build: shacl 5/9 graphs (5.0 s)
LINE = re.compile(rf"^(build|validate): ({STAGE})(?: ([\d,]+)/([\d,]+) (\w+?)s?)?(,? done|,? stopped)? \((\d+\.\d) s\)$")
# time: vocabularies 98 ms, parse 759 ms (5 sources), …, load 1041 ms (23 graphs); total 16.0 s
TIMED = re.compile(rf"({STAGE}) (\d+) ms(?: \(([\d,]+) (\w+?)s?\))?(?:, |;)")


def stage_lines(stderr: str) -> dict[str, list[re.Match]]:
    """The progress lines of stderr by stage; every line of stderr must be one."""
    out: dict[str, list[re.Match]] = {}
    for line in stderr.splitlines():
        m = LINE.match(line)
        assert m, f"not a progress line: {line!r}"
        out.setdefault(m[2], []).append(m)
    return out


def time_line(stdout: str) -> dict[str, tuple[int, int | None, str | None]]:
    """Stage -> (ms, count, unit) of stdout's `time:` line."""
    [line] = [x for x in stdout.splitlines() if x.startswith("time: ")]
    assert re.search(r"; total \d+\.\d s$", line), line
    return {m[1]: (int(m[2]), int(m[3].replace(",", "")) if m[3] else None, m[4]) for m in TIMED.finditer(line)}


@pytest.fixture(scope="module")
def registry_build(tmp_path_factory) -> subprocess.CompletedProcess:
    """The bundled registry built by `plankg build`, stderr a pipe (as in CI)."""
    proc = run_plankg("build", "--store", str(tmp_path_factory.mktemp("progress") / "store"), check=True)
    return proc


def test_off_a_terminal_each_stage_ends_with_a_line_of_its_count_and_time(registry_build):
    lines = stage_lines(registry_build.stderr)
    assert list(lines) == BUILD_STAGES  # in the order they ran
    for stage, found in lines.items():
        end = found[-1]
        assert end[1] == "build" and end[6].endswith("done"), end[0]
        assert all(not m[6] for m in found[:-1]), [m[0] for m in found]  # the others are on the way
        if end[3] is not None:
            assert end[3] == end[4], end[0]  # all of its items done
    assert lines["parse"][-1][3] == str(len(read_registry())) and lines["parse"][-1][5] == "source"
    assert lines["shacl"][-1][4] == lines["ntriples"][-1][4]  # each graph written once is validated
    assert lines["dumps+meta"][-1][3] is None and lines["vocabularies"][-1][3] is None  # one step each
    assert "\r" not in registry_build.stderr and "[#" not in registry_build.stderr  # no bar off a terminal


def test_off_a_terminal_a_stage_is_not_a_flood_of_lines(registry_build):
    for stage, found in stage_lines(registry_build.stderr).items():
        seconds = float(found[-1][7])
        assert len(found) <= 1 + seconds / LINE_INTERVAL_S, [m[0] for m in found]


def test_the_summary_names_every_stage_with_its_time_and_count(registry_build):
    timed = time_line(registry_build.stdout)
    assert list(timed) == BUILD_STAGES
    ended = {stage: found[-1] for stage, found in stage_lines(registry_build.stderr).items()}
    for stage, (ms, count, unit) in timed.items():
        m = ended[stage]
        expected = (int(m[3].replace(",", "")), m[5]) if m[3] is not None else (None, None)
        assert (count, unit) == expected, stage  # the same count on stderr and stdout
    assert timed["load"][1] > timed["shacl"][1] > 1  # the registry: several graphs, and the vocabularies' too
    assert "SHACL: conforms" in registry_build.stdout and "published to" in registry_build.stdout


def run_on_a_terminal(tmp_path: Path, *args: str, columns: int = 120) -> tuple[int, str, str]:
    """`plankg ARGS` with stderr on a pseudo-terminal: (exit code, what the terminal showed, stdout)."""
    master, slave = pty.openpty()
    termios.tcsetwinsize(slave, (40, columns))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")}
    out = tmp_path / "stdout"
    with open(out, "wb") as stdout:
        proc = subprocess.Popen([str(PLANKG), *args], stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave, env=env)
    os.close(slave)
    shown = bytearray()
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1.0)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the terminal's other end has closed it
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    code = proc.wait(timeout=60)
    return code, shown.decode("utf-8"), out.read_text(encoding="utf-8")


def test_on_a_terminal_each_stage_has_a_bar(tmp_path):
    code, shown, stdout = run_on_a_terminal(tmp_path, "build", "--store", str(tmp_path / "s"), str(SEED))
    assert code == 0, shown
    for stage in BUILD_STAGES:
        assert re.search(rf"build: {re.escape(stage)} +\[#+\] .*100%", shown), stage  # its bar, full at the end
    assert re.search(r"build: shacl +\[-+\] +0/\d+ +0%", shown)  # empty at its start, with its count
    assert shown.count("\r") > 2 * len(BUILD_STAGES)  # a bar is drawn again over itself as it moves
    assert shown.count("\r\n") == len(BUILD_STAGES)  # each bar stays on a line of its own
    assert "done" not in shown  # not the plain lines
    assert list(time_line(stdout)) == BUILD_STAGES and "published to" in stdout


def test_no_progress_shows_nothing_on_a_terminal(tmp_path):
    code, shown, stdout = run_on_a_terminal(tmp_path, "validate", "--no-progress", str(SEED))
    assert (code, shown) == (0, "") and "conforms" in stdout


def test_a_failing_build_shows_where_it_stopped_then_its_one_line_error(tmp_path):
    plan = tmp_path / "empty.txt"
    plan.write_text("", encoding="utf-8")
    proc = run_plankg("build", "--store", str(tmp_path / "s"), str(plan))
    *shown, error = proc.stderr.splitlines()
    assert proc.returncode == 2 and error.startswith(f"plankg: error: {plan}") and "empty" in error
    assert list(stage_lines("\n".join(shown))) == ["vocabularies", "parse"]
    assert re.fullmatch(r"build: parse 0/1 source, stopped \(\d+\.\d s\)", shown[-1]), shown
    assert not (tmp_path / "s").exists()


def test_validate_shows_its_stages_too():
    proc = run_plankg("validate", str(SEED), check=True)
    assert list(stage_lines(proc.stderr)) == VALIDATE_STAGES
    assert all(m[1] == "validate" for found in stage_lines(proc.stderr).values() for m in found)


class Clock:
    """The time a test says it is."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_are_throttled_to_one_per_interval_and_one_at_the_end():
    clock, out = Clock(), io.StringIO()
    shown = LineDisplay("build", out, interval=5.0, clock=clock)
    with shown.stage("shacl", 25, "graph"):
        for _ in range(25):  # a graph every 0.5 s: 12.5 s
            clock.now += 0.5
            shown.advance()
    assert out.getvalue().splitlines() == [
        "build: shacl 10/25 graphs (5.0 s)",
        "build: shacl 20/25 graphs (10.0 s)",
        "build: shacl 25/25 graphs, done (12.5 s)",
    ]


def test_a_short_stage_and_a_stage_without_a_count_are_one_line_each():
    clock, out = Clock(), io.StringIO()
    shown = LineDisplay("build", out, interval=5.0, clock=clock)
    with shown.stage("parse", 3, "source"):
        for _ in range(3):
            clock.now += 1.0
            shown.advance()
    with shown.stage("dumps+meta"):
        clock.now += 12.0
    with shown.stage("alignment", 1, "plan"):
        clock.now += 6.0
        shown.advance()
    assert out.getvalue().splitlines() == [
        "build: parse 3/3 sources, done (3.0 s)",
        "build: dumps+meta done (12.0 s)",
        "build: alignment 1/1 plan (6.0 s)",  # its only advance came after the interval
        "build: alignment 1/1 plan, done (6.0 s)",
    ]


def test_a_stage_an_exception_ends_says_where_it_stopped():
    clock, out = Clock(), io.StringIO()
    shown = LineDisplay("build", out, clock=clock)
    with pytest.raises(KeyboardInterrupt):
        with shown.stage("shacl", 9, "graph"):
            shown.advance(4)
            clock.now += 2.5
            raise KeyboardInterrupt
    assert out.getvalue() == "build: shacl 4/9 graphs, stopped (2.5 s)\n"


def test_stages_record_times_and_counts_and_tell_the_watcher():
    clock, out = Clock(), io.StringIO()
    with Stages(LineDisplay("build", out, clock=clock)) as stages:
        stages.begin("vocabularies")
        stages.begin("parse", 2, "source")
        stages.advance()
        stages.advance()
        with stages.stage("shacl", 3, "graph"):
            stages.advance(3)
        stages.begin("load", 5, "graph")
        stages.advance(5)
    assert list(stages.timings) == ["vocabularies", "parse", "shacl", "load"]
    assert all(t >= 0 for t in stages.timings.values())
    assert stages.counts == {"parse": (2, "source"), "shacl": (3, "graph"), "load": (5, "graph")}
    assert out.getvalue().splitlines() == ["build: vocabularies done (0.0 s)", "build: parse 2/2 sources, done (0.0 s)",
                                           "build: shacl 3/3 graphs, done (0.0 s)", "build: load 5/5 graphs, done (0.0 s)"]


def test_stages_end_the_running_stage_with_the_exception_that_stops_the_work():
    out = io.StringIO()
    with pytest.raises(ValueError):
        with Stages(LineDisplay("validate", out, clock=Clock())) as stages:
            stages.begin("parse", 2, "source")
            stages.advance()
            raise ValueError("a source does not read")
    assert out.getvalue() == "validate: parse 1/2 sources, stopped (0.0 s)\n"
    assert stages.counts == {"parse": (1, "source")}
