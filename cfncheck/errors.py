"""Input errors and exit codes.

Every problem with what the user handed us (a missing file, malformed JSON or YAML, a broken
manifest, a bad policy or config file) is raised as :class:`InputError`, which names the file and,
where known, the line. The CLI prints it as one line and exits with :data:`EXIT_INPUT`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class InputError(Exception):
    """A problem with user input. ``str()`` is a one-line message: ``file:line:col: message``."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, kind: str = "input"):
        super().__init__(message)
        self.message = " ".join(str(message).split())  # always one line
        self.file = file
        self.line = line
        self.column = column
        self.kind = kind

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.message}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "line": self.line, "column": self.column,
                "message": self.message}
