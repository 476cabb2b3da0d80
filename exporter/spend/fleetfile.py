"""The fleet file (`fleet:`): which models the team runs, how good each is at what, and
which roles they fill. Read from the config; nothing here fetches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter.defaults import default

DIMENSIONS = ("coding", "reasoning", "creativity", "speed")
STATUSES = ("active", "standby", "disabled")


@dataclass(frozen=True, slots=True)
class Assignment:
    role: str
    priority: int


@dataclass(frozen=True, slots=True)
class FleetModel:
    id: str
    provider: str
    # The catalog model id: the `model` label, as in llm_model_* and the usage ledger.
    model: str
    status: str = "active"
    scores: tuple[tuple[str, float], ...] = ()
    roles: tuple[Assignment, ...] = ()

    def score(self, dimension: str) -> float | None:
        return dict(self.scores).get(dimension)


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    min_scores: tuple[tuple[str, float], ...] = ()
    capabilities: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    include_free: bool = False

    def meets(self, model: FleetModel | None) -> bool:
        """Whether a model's scores reach every minimum. A model without fleet scores meets
        only a role that sets no minimum."""
        if not self.min_scores:
            return True
        if model is None:
            return False
        return all((model.score(d) or 0) >= low for d, low in self.min_scores)

    def quality(self, model: FleetModel | None) -> float | None:
        """The mean score over the role's dimensions (all four when it sets none)."""
        if model is None or not model.scores:
            return None
        dims = [d for d, _ in self.min_scores] or [d for d in DIMENSIONS if model.score(d) is not None]
        values = [v for d in dims if (v := model.score(d)) is not None]
        return None if not values or len(values) < len(dims) else sum(values) / len(values)


@dataclass(frozen=True, slots=True)
class FleetFile:
    models: tuple[FleetModel, ...] = ()
    roles: tuple[Role, ...] = ()

    def by_model(self, model: str) -> FleetModel | None:
        return next((m for m in self.models if m.model == model), None)

    def role_for(self, task: str) -> Role | None:
        """The first role (in config order) whose tasks include the task."""
        return next((r for r in self.roles if task in r.tasks), None)


def fleet_file_from(doc: Mapping[str, Any] | None, problems: list[str]) -> FleetFile:
    doc = doc or {}
    roles = tuple(
        Role(
            name=name,
            min_scores=tuple((d, float(v)) for d, v in (spec.get("min_scores") or {}).items()),
            capabilities=tuple(spec.get("capabilities") or ()),
            tasks=tuple(spec.get("tasks") or ()),
            include_free=bool(spec.get("include_free", False)),
        )
        for name, spec in (doc.get("roles") or {}).items()
    )
    known = {r.name for r in roles}
    models = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(doc.get("models") or ()):
        path = f"fleet.models[{i}]"
        if raw["model"] in seen:
            first = seen[raw["model"]]
            problems.append(f"{path}.model: {raw['model']!r} is already in the fleet (fleet.models[{first}])")
        seen.setdefault(raw["model"], i)
        assignments = []
        for j, role in enumerate(raw.get("roles") or ()):
            if role["name"] not in known:
                problems.append(f"{path}.roles[{j}].name: role {role['name']!r} is not defined under fleet.roles")
            priority = role.get("priority", default("fleet.models[].roles[].priority"))
            assignments.append(Assignment(role["name"], int(priority)))
        models.append(FleetModel(
            id=raw["id"], provider=raw["provider"], model=raw["model"],
            status=raw.get("status", default("fleet.models[].status")),
            scores=tuple((d, float(v)) for d, v in (raw.get("scores") or {}).items()),
            roles=tuple(assignments),
        ))
    return FleetFile(models=tuple(models), roles=roles)
