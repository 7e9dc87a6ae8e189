"""The instructor's course folder as nbgrader sees it: its config and paths."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path


class CourseError(RuntimeError):
    """The course folder cannot be graded as it is; the message says what to do."""


@dataclass
class Course:
    root: Path
    config_py: Path
    coursedir: object  # nbgrader.coursedir.CourseDirectory

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def folder(self, kind: str, student: str, assignment: str) -> Path:
        """kind: 'submitted' | 'autograded' | 'source' (student '.' for source)."""
        directory = {
            "submitted": self.coursedir.submitted_directory,
            "autograded": self.coursedir.autograded_directory,
            "source": self.coursedir.source_directory,
        }[kind]
        return Path(self.coursedir.format_path(directory, student, assignment))

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a submitted/<student>/<assignment>/ folder (as nbgrader finds them)."""
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, "*", assignment)
        regexp = self.coursedir.format_path(
            self.coursedir.submitted_directory, "(?P<student_id>.*)", assignment, escape=True
        )
        students = set()
        for path in glob.glob(pattern):
            match = re.match(regexp, path)
            if match and os.path.isdir(path):
                students.add(match.group("student_id"))
        exclude = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        return sorted(students - exclude)

    def timestamp(self, folder: Path):
        return self.coursedir.get_existing_timestamp(str(folder))


def load_course(root: Path) -> Course:
    """Read nbgrader_config.py from ``root`` the way nbgrader does (traitlets' Python config loader)."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    config_py = root / "nbgrader_config.py"
    if not config_py.is_file():
        raise CourseError(
            f"no nbgrader_config.py in {root}: run this command from the course folder "
            "(the one with source/, submitted/ and gradebook.db) or pass --course"
        )
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    if "root" not in cfg.CourseDirectory:
        cfg.CourseDirectory.root = str(root)
    coursedir = CourseDirectory(config=cfg)
    return Course(root, config_py, coursedir)


def assignment_notebooks(course: Course, assignment: str) -> list[str]:
    """The assignment's notebooks as the gradebook knows them (from generate_assignment)."""
    from nbgrader.api import Gradebook, MissingEntry

    db = course.db_url
    if db.startswith("sqlite:///") and not Path(db[len("sqlite:///") :]).exists():
        raise CourseError(
            f"no gradebook at {db[len('sqlite:///') :]}: run `nbgrader generate_assignment {assignment}` first"
        )
    with Gradebook(db, course.course_id) as gb:
        try:
            return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            raise CourseError(
                f"assignment {assignment!r} is not in the gradebook: "
                f"run `nbgrader generate_assignment {assignment}` first"
            ) from None


def could_not_be_graded(notebook) -> bool:
    """A submitted notebook (nbgrader's gradebook ``SubmittedNotebook``) whose test cells have no score at
    all, automatic or manual: the autograder could not grade it. Such a notebook is "not graded", never 0."""
    code = [g for g in notebook.grades if g.cell_type == "code"]
    return bool(code) and all(g.auto_score is None and g.manual_score is None for g in code)
