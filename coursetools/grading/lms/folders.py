"""Folders and files named after students (GitHub Classroom, your own), and plain CSV rosters.

- Download: a folder per student (``alice/lab1.ipynb``; GitHub Classroom's
  ``<assignment>-<user>/...``), or one file per student at the top (``alice.ipynb``).
- Roster: a GitHub Classroom roster (``identifier, github_username``), or any CSV with an id
  column (``id``, ``student``, ``username``, ``email``...) and a name column (``name``, or
  ``first name`` and ``last name``).
No import file: ``grades.csv`` is the gradebook.
"""
from __future__ import annotations

from coursetools.grading.lms import roster as rostermod
from coursetools.grading.lms.platform import Claim, Platform, stem
from coursetools.grading.records import Scheme

ID_ALIASES = ("id", "student id", "student_id", "studentid", "sid", "student number",
              "username", "user name", "login", "login id", "email", "email address", "e-mail",
              "identifier", "student")
NAME_ALIASES = ("name", "full name", "fullname", "student name", "display name")


def file_claim(name: str) -> Claim:
    """The last resort for a file at the top: its name (without suffix) is the student."""
    return Claim(stem(name), original=name)


class Folders(Platform):
    name, title = "folder", "Folders per student"
    roster_formats = ("github", "plain")
    roster_help = "a GitHub Classroom roster, or any CSV with an id and a name column"

    def claim(self, parts):
        if len(parts) < 2:
            return None
        return Claim(parts[0], scheme=Scheme.FOLDER, original="/".join(parts[1:]))

    def recognises(self, files):
        return False     # a folder per student is what a wrapping folder looks like too

    def read_roster(self, header, rows, source):
        github = all(rostermod.column(header, n) is not None
                     for n in ("identifier", "github_username"))
        column = rostermod.column
        id_column, name_column = column(header, *ID_ALIASES), column(header, *NAME_ALIASES)
        first = column(header, "first name", "firstname", "given name")
        last = column(header, "last name", "lastname", "surname", "family name")
        if id_column is None or (name_column is None and (first is None or last is None)):
            raise rostermod.RosterError(
                f"{source}: a roster needs an id column ({', '.join(ID_ALIASES[:6])}, ...) and "
                "a name column (name, or first name and last name); its header is: "
                f"{', '.join(header)}")
        extra = [column(header, n) for n in ("github_username", "email", "email address",
                                             "sis id", "username")]
        students = []
        for row in rows:
            get = rostermod.reader(row)
            if not get(id_column):
                continue
            name = get(name_column) or f"{get(first)} {get(last)}".strip()
            keys = sorted({rostermod.normal_id(get(i)) for i in [id_column, *extra] if get(i)})
            students.append(rostermod.Student(get(id_column), name or get(id_column), keys,
                                              rostermod.name_forms(get(first), get(last), name),
                                              {}))
        return rostermod.Roster("github" if github else "plain", students)
