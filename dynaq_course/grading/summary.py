"""The end-of-run summary the instructor reads (plain text)."""

from __future__ import annotations

from dynaq_course.grading.batch import Summary

RULE = "=" * 78


def format_summary(s: Summary) -> str:
    lines = [RULE]
    graded = [p for p in s.planned if p.student in s.merged]
    lines.append(
        f"{s.assignment}: {len(graded)} submission(s) graded in {s.seconds:.1f} s"
        + (f" on {s.executor}" if s.executor else "")
        + f"; {len(s.up_to_date)} already up to date (use --force to re-grade them)."
    )
    for warning in s.warnings:
        lines.append(f"WARNING: {warning}")

    if s.scores:
        failed_by_student = {}
        for f in s.failures:
            failed_by_student.setdefault(f.student, []).append(f.notebook or "all")
        lines.append("")
        lines.append(f"{'student':<24} {'auto score':>10}  status")
        for student, (score, max_score) in sorted(s.scores.items()):
            status = "graded"
            if student in failed_by_student:
                status = "NOT FULLY GRADED (" + ", ".join(failed_by_student[student]) + " not scored)"
            if student in s.tampering:
                status += "; tampering suspected"
            lines.append(f"{student:<24} {score:>5g} / {max_score:<4g} {status}")

    if s.failures:
        students = sorted({f.student for f in s.failures})
        lines.append("")
        lines.append(
            f"COULD NOT BE GRADED - {len(s.failures)} notebook(s) of {len(students)} submission(s). "
            "These are NOT zeros:"
        )
        for f in sorted(s.failures, key=lambda f: (f.student, f.notebook or "")):
            lines.append(f"  {f.student:<20} {f.notebook or '(whole submission)':<28} {f.kind:<18} {f.detail}")
        for student, log in sorted(s.logs.items()):
            lines.append(f"  log of {student}: {log}")
        lines.append(
            "  Their grades in the gradebook are empty and marked 'needs manual grade' (formgrader lists them);"
        )
        lines.append("  `nbgrader export` would count them as 0 until they are graded by hand or re-run.")
        lines.append("  Fix the cause (or raise --timeout) and run the same command again: only these are re-graded.")
    if s.tampering:
        lines.append("")
        lines.append(
            "TAMPERING SUSPECTED - nbgrader gave points the trusted re-check did not confirm "
            "(those cells were set to 0 and marked 'needs manual grade'):"
        )
        for student, items in sorted(s.tampering.items()):
            for item in items:
                lines.append(f"  {student}: tampering suspected: {item}")
    lines.append("")
    lines.append(
        "Result: "
        + ("everything graded." if s.exit_status == 0 else "some submissions need your attention (exit status 1).")
    )
    lines.append(RULE)
    return "\n".join(lines)
