"""lms.registry: one class per platform, and what derives from the list (claims, rosters, the
assignment column, the results folder's known files, the command line's help)."""
from __future__ import annotations

import argparse

import pytest

from coursetools.grading import cli
from coursetools.grading.lms import registry, roster
from coursetools.grading.lms.platform import Column, Platform
from coursetools.grading.records import Scheme
from coursetools.grading.results import outdir
from tests.conftest import FILES

FILES = FILES / "lms"


def canvas_roster(*columns: tuple[str, str]) -> roster.Roster:
    """A Canvas gradebook export with these (column, points possible) assignments."""
    header = "Student,ID,SIS User ID,SIS Login ID,Section," + ",".join(f'"{c}"' for c, _ in columns)
    points = "    Points Possible,,,,," + ",".join(p for _, p in columns)
    student = '"Smith, Bob",12345,S1001,bsmith,Section A' + "," * len(columns)
    return registry.parse_roster("\n".join([header, points, student]) + "\n", "grades.csv")


def test_every_scheme_but_a_plain_file_has_its_platform():
    assert all(isinstance(p, Platform) for p in registry.PLATFORMS)
    names = {p.name for p in registry.PLATFORMS}
    assert {s.platform for s in Scheme} - names == {"file"}
    assert len(names) == len(registry.PLATFORMS)


def test_the_results_folder_knows_every_file_a_platform_writes(tmp_path):
    assert outdir.LMS_FILES == registry.export_files()
    assert set(registry.export_files()) == {"canvas.csv", "feedback-canvas.zip", "moodle.csv",
                                            "feedback-moodle.zip", "brightspace.csv"}
    for name in registry.export_files():       # a Brightspace run's folder is graded into again
        (tmp_path / name).write_bytes(b"x")
    outdir.check(tmp_path)


def test_the_command_lines_help_comes_from_the_registry():
    parser = argparse.ArgumentParser()
    cli.add_parsers(parser.add_subparsers())
    grade = parser._subparsers._group_actions[0].choices["grade"]
    text = " ".join(grade.format_help().split())
    for platform in registry.PLATFORMS:
        assert " ".join(platform.roster_help.split()) in text
    assert "OUT/brightspace.csv" in text


@pytest.mark.parametrize("path, platform", [
    (("Eve Müller_1234567_assignsubmission_file", "lab.ipynb"), "moodle"),
    (("84512-304 - Ann Ng - Mar 2, 2026 1205 AM", "lab1.ipynb"), "brightspace"),
    (("alice", "lab1.ipynb"), "folder"),
    (("Lab 1_b_smith_attempt_2026-03-01-21-48-05_lab1.ipynb",), "blackboard"),
    (("smithbob_12345_78955_lab1.ipynb",), "canvas"),
    (("alice.ipynb",), "file"),
])
def test_a_path_is_claimed_by_the_first_platform_that_knows_it(path, platform):
    assert registry.claim(path).scheme.platform == platform


def test_rosters_are_read_by_their_platform():
    assert {name: registry.load_roster(FILES / name).format for name in (
        "canvas_gradebook.csv", "moodle_participants.csv", "moodle_worksheet.csv",
        "brightspace_roster.csv", "github_roster.csv", "plain_roster.csv")} == {
        "canvas_gradebook.csv": "canvas", "moodle_participants.csv": "moodle",
        "moodle_worksheet.csv": "moodle-worksheet", "brightspace_roster.csv": "brightspace",
        "github_roster.csv": "github", "plain_roster.csv": "plain"}


def test_canvas_column_found_by_its_name_and_id_with_its_points_possible():
    found = canvas_roster(("Lab 1: One neuron (4520)", "5.00"), ("Lab 4: XOR layers (8812)", "10.00"),
                          ("Lab 40 bonus (8813)", "2.00"), ("Quiz 4 (8814)", "3.00"))
    assert found.points["Lab 4: XOR layers (8812)"] == 10.0
    assert registry.assignment_column(found, "lab4_xor", "canvas") == Column(
        "Lab 4: XOR layers (8812)", 10.0)
    assert registry.assignment_column(found, "lab4_xor", "canvas",
                                      points_possible=8) == Column("Lab 4: XOR layers (8812)", 8)


def test_canvas_column_equal_to_the_lab_id_wins_over_the_number():
    found = canvas_roster(("Lab 4: quiz (1)", "2"), ("lab4_xor (2)", "31"))
    assert registry.assignment_column(found, "lab4_xor", "canvas").name == "lab4_xor (2)"


@pytest.mark.parametrize("columns, says", [
    ((("Lab 1 (1)", "5"), ("Lab 40 (2)", "5")), "the roster has no column for lab4_xor"),
    ((("Lab 4: layers (1)", "5"), ("Lab 4 redo (2)", "5")), "several columns of the roster"),
])
def test_no_column_or_several_stop_and_ask_for_assignment(columns, says):
    with pytest.raises(registry.ColumnError, match=says) as stop:
        registry.assignment_column(canvas_roster(*columns), "lab4_xor", "canvas")
    assert "--assignment" in str(stop.value) and repr(columns[0][0]) in str(stop.value)


def test_without_a_roster_canvas_needs_the_column_and_moodle_maps_it_by_hand():
    with pytest.raises(registry.ColumnError, match="without a Canvas roster"):
        registry.assignment_column(None, "lab4_xor", "canvas")
    assert registry.assignment_column(None, "lab4_xor", "canvas", "Lab 4 (8812)", 10) == Column(
        "Lab 4 (8812)", 10)
    assert registry.assignment_column(None, "lab4_xor", "moodle") == Column("lab4_xor")
    participants = registry.load_roster(FILES / "moodle_participants.csv")
    assert registry.assignment_column(participants, "lab1_scalar", "moodle").name == "lab1_scalar"


def test_moodle_and_brightspace_columns_in_their_own_naming():
    moodle = registry.parse_roster("First name,Last name,Email address,Assignment: Lab 1: scalar "
                                   "(Real),Course total (Real)\nEve,M,e@x,,\n")
    assert registry.assignment_column(moodle, "lab1_scalar", "moodle").name == \
        "Assignment: Lab 1: scalar (Real)"
    brightspace = registry.load_roster(FILES / "brightspace_roster.csv")
    assert registry.assignment_column(brightspace, "lab1_scalar", "brightspace") == Column(
        "Lab 1: scalar Points Grade <Numeric MaxPoints:20 Category:Labs>", 20.0)
    assert registry.assignment_column(brightspace, "lab2_vector", "brightspace").points_possible \
        == 24.0
