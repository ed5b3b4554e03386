"""Gradescope: its "Export Submissions" download (no roster reader, no import file of its own).

A folder ``submission_<id>`` per submission and a ``submission_metadata.yml`` that names its
submitters (``:name:``, ``:sid:``, ``:email:``) and its time (``:created_at:``); a submitter's
SID (else e-mail, else name) is the id, and each member of a group submission gets a row
(graded once, from the same file).
"""
from __future__ import annotations

import dataclasses
import datetime

import yaml

from coursetools.grading.lms.platform import Claim, File, Platform
from coursetools.grading.records import Scheme

METADATA = "submission_metadata.yml"


def _claims(data) -> dict[str, Claim]:
    claims = {}
    for folder, info in (data or {}).items():
        people = [p for p in info.get(":submitters") or [] if isinstance(p, dict)]
        ids = [str(p.get(":sid") or p.get(":email") or p.get(":name") or folder)
               for p in people] or [str(folder)]
        names = [str(p.get(":name") or "") for p in people] or [""]
        when = info.get(":created_at")
        if isinstance(when, datetime.datetime):
            when = when.replace(tzinfo=None, microsecond=0).isoformat()
        claims[str(folder)] = Claim(ids[0], names[0], Scheme.GRADESCOPE, user=ids[0],
                                    submitted=str(when or "")[:19].replace(" ", "T"),
                                    group=tuple(zip(ids[1:], names[1:])))
    return claims


class Gradescope(Platform):
    name, title = "gradescope", "Gradescope"

    def recognises(self, files):
        return any(str(f.path) == METADATA for f in files)

    def prepare(self, files: list[File], warnings: list[str]):
        """The metadata file, taken out of the files: a claim per submission folder."""
        meta = next((f for f in files if str(f.path) == METADATA and f.raw), None)
        if meta is None:
            return files, lambda claim: claim
        rest = [f for f in files if f is not meta]
        try:
            claims = _claims(yaml.safe_load(meta.raw.decode("utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError) as error:
            warnings.append(f"{METADATA}: not read ({type(error).__name__}); the submission "
                            "folders keep their names")
            return rest, lambda claim: claim

        def refine(claim: Claim) -> Claim:
            if claim.scheme is Scheme.FOLDER and claim.key in claims:
                return dataclasses.replace(claims[claim.key], original=claim.original)
            return claim

        return rest, refine
