"""The abstention calibration scripts (bench/calibrate_abstention.py, bench/crossval_abstention.py): the pure parts
that decide what is chosen, what is held out and what docs/calibration.md shows."""

from __future__ import annotations

from pathlib import Path

from bench.calibrate_abstention import HAND_WRITTEN, Row, shown_path, with_hand_written
from bench.crossval_abstention import HELD_OUT_KEY, crossvalidated
from bot.answering.extractive import CoverageRule

ROOT = Path(__file__).resolve().parent.parent


def test_paths_are_shown_relative_to_the_repository() -> None:
    assert shown_path(ROOT / "tests" / "data" / "freeform_local.json") == "tests/data/freeform_local.json"
    assert shown_path(ROOT.parent / "shared" / "data" / "multihop-rag" / "dev.json") == (
        "../shared/data/multihop-rag/dev.json"), "the shared data is a sibling of the repository"


def test_rewriting_the_calibration_keeps_the_hand_written_error_analysis() -> None:
    old = f"# Abstention calibration\n\nold numbers\n\n{HAND_WRITTEN}\n\nWhat the errors are.\n"
    assert with_hand_written("# Abstention calibration\n\nnew numbers\n", old) == (
        f"# Abstention calibration\n\nnew numbers\n\n{HAND_WRITTEN}\n\nWhat the errors are.\n")
    assert with_hand_written("new\n", "no analysis yet\n") == "new\n"


LENIENT, STRICT = (0.25, CoverageRule(max_absent=1.0)), (0.25, CoverageRule(max_absent=0.25))


def _row(null: bool, strict_abstains: bool) -> Row:
    """A question that the lenient rule answers and the strict one abstains on when ``strict_abstains``."""
    return Row("large.json", null, False, {LENIENT: False, STRICT: strict_abstains})


def test_each_fold_is_scored_by_a_choice_made_without_it() -> None:
    # Fold 0 holds absent topics only the strict rule refuses; fold 1 answerable questions it wrongly refuses.
    # Chosen on fold 1 alone, the lenient rule wins, and fold 0 must be scored with it (no leak of fold 0).
    fold0 = [_row(True, True) for _ in range(3)]
    fold1 = [_row(False, True) for _ in range(20)]
    scored, chosen = crossvalidated([*fold0, *fold1], [0] * 3 + [1] * 20, 2, [], 3.0, 1.0)
    assert chosen == [LENIENT, STRICT], chosen
    assert [r.gaps[HELD_OUT_KEY] for r in scored[:3]] == [False] * 3, "fold 0 judged by the rule fold 1 chose"
    assert all(r.gaps[HELD_OUT_KEY] for r in scored[3:]), "fold 1 judged by the rule fold 0 chose"


def test_each_variant_is_reported_offered_and_forced_in_the_same_folds() -> None:
    from dataclasses import replace

    from bench.crossval_abstention import VARIANT_BASE, VARIANTS, variants_report

    rules = {*VARIANT_BASE, *(replace(r, **o) for r in VARIANT_BASE for opts in VARIANTS.values() for o in opts)}

    def row(null: bool, file: str = "large.json") -> Row:
        # Only the focus check abstains, and on every question: it refuses all 4 absent topics (cost 0 instead
        # of 12) and the 2 answerable questions (cost 2), so offered it is chosen in every fold.
        return Row(file, null, False, {(0.25, r): r.focus for r in rules})

    rows = [*(row(True) for _ in range(4)), *(row(False) for _ in range(2)), row(True, "dev.json"),
            row(False, "dev.json")]
    lines = variants_report(rows, {"large.json"}, "dev.json", [], [0, 1, 0, 1, 0, 1], 2)
    by_name = {(cells[1].strip(), cells[2].strip()): cells for cells in (line.split("|") for line in lines[2:])}
    assert len(lines) == 2 + 1 + 2 * len(VARIANTS), "a header, the base grid, each variant offered and forced"
    assert by_name[("shipped rule's options only", "-")][3].strip() == "0.000 / 0.000"
    focus = next(name for name in VARIANTS if "focus" in name)
    assert by_name[(focus, "forced")][3].strip() == "1.000 / 1.000"
    assert by_name[(focus, "offered")][5].strip() == "2 of 2", "each fold chose the focus check"
    assert by_name[(next(iter(VARIANTS)), "forced")][5].strip() == "2 of 2"
    assert by_name[(next(iter(VARIANTS)), "forced")][3].strip() == "0.000 / 0.000", "paraphrases abstain on none"
