"""KRM function results (``results`` of the output ResourceList)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Result:
    message: str
    severity: str = INFO
    resource_ref: dict[str, str] | None = None
    field: dict[str, str] | None = None
    file: dict[str, str | int] | None = None
    tags: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_data(self) -> dict:
        out: dict = {"message": self.message, "severity": self.severity}
        if self.resource_ref:
            out["resourceRef"] = self.resource_ref
        if self.field:
            out["field"] = self.field
        if self.file:
            out["file"] = self.file
        if self.tags:
            out["tags"] = self.tags
        return out

    def line(self) -> str:
        """One line for a person: ``[error] apps/v1/Deployment shop/api: message``."""
        where = ""
        if self.resource_ref:
            r = self.resource_ref
            ns = f"{r['namespace']}/" if r.get("namespace") else ""
            where = f" {r.get('apiVersion', '')}/{r.get('kind', '')} {ns}{r.get('name', '')}"
            if self.field:
                where += f" {self.field['path']}"
            where += ":"
        return f"[{self.severity}]{where} {self.message}"
