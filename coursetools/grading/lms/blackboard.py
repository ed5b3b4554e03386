"""Blackboard Learn: its bulk download (no roster reader, no import file of its own).

*Grade Center -> the lab's column -> Assignment File Download*, one flat folder:
``Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS_original`` and, per attempt, a receipt
``Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS.txt`` whose ``Name: Full Name (username)``
line gives the name (and the username, which may itself hold underscores); the time in the
name is the hand-in time. A receipt alone is a text-only submission. For the grades, take the
``student`` and ``points`` columns of ``grades.csv`` into the Grade Center's upload.
"""
from __future__ import annotations

import dataclasses
import re

from coursetools.grading.lms.platform import Claim, File, Platform
from coursetools.grading.records import Scheme

NAME = re.compile(r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_"
                  r"(?P<when>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<original>.+)|\.txt)$")
RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()]+)\)\s*$", re.MULTILINE)


class Blackboard(Platform):
    name, title = "blackboard", "Blackboard Learn"

    def claim(self, parts):
        if len(parts) != 1:
            return None
        match = NAME.match(parts[0])
        if not match:
            return None
        when = match["when"]
        day, time = when[:10], when[11:].replace("-", ":")
        return Claim(match["user"], "",
                     Scheme.BLACKBOARD if match["original"] else Scheme.BLACKBOARD_TEXT,
                     order=int(when.replace("-", "")), original=match["original"] or "",
                     user=match["user"], prefix=parts[0][: match.end("when")],
                     submitted=f"{day}T{time}")

    def prepare(self, files: list[File], warnings: list[str]):
        """The receipts: read, and taken out when their attempt has a file (a receipt alone is
        kept, so that a text-only submission still gets a row); each attempt's claim gets the
        username and name its receipt gives."""
        attempts: dict[str, list[File]] = {}
        for file in files:
            claim = self.claim(file.path.parts)
            if claim is not None:
                attempts.setdefault(claim.prefix, []).append(file)
        people, read = {}, []
        for prefix, group in attempts.items():
            receipt = next((f for f in group if f.path.name == f"{prefix}.txt"), None)
            if receipt is None or receipt.raw is None:
                continue
            match = RECEIPT_NAME.search(receipt.raw.decode("utf-8", errors="replace"))
            if match:
                people[prefix] = (match["user"].strip(), match["name"].strip())
            if len(group) > 1:
                read.append(receipt)

        def refine(claim: Claim) -> Claim:
            if claim.scheme.platform != self.name or claim.prefix not in people:
                return claim
            user, name = people[claim.prefix]
            return dataclasses.replace(claim, key=user, user=user, name=name)

        read_ids = {id(r) for r in read}
        return [f for f in files if id(f) not in read_ids], refine
