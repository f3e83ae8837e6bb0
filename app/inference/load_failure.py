"""What the window does when a model fails to load: the policy, apart from the widgets.

Nothing serving and the writer's choice failed: fall back to the bundled model, so there is
always something to write with (the setting stays, so the next start tries the choice again).
Nothing serving and the bundled model failed: say so. A model still serving: keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from penwright.models.sources.remote_spec import remote_source_name
from penwright.models.spec import DEFAULT_MODEL, ModelInfo, ModelSpec


class LoadFailureAction(Enum):
    LOAD_BUNDLED = "load the bundled model instead"
    NO_MODEL = "write without a model"
    KEEP_SERVING = "keep the model that serves"


@dataclass(frozen=True)
class LoadFailureOutcome:
    action: LoadFailureAction
    notice: str  # what to tell the writer


def after_load_failure(
    failed: ModelSpec, serving: ModelInfo | None, message: str
) -> LoadFailureOutcome:
    if serving is None and failed != ModelSpec():
        name = "the bundled model" if failed.source == DEFAULT_MODEL else _named(failed)
        return LoadFailureOutcome(
            LoadFailureAction.LOAD_BUNDLED,
            f"Could not load {name}: {message}\nUsing the bundled model instead; "
            "choose another in Preferences > Model.",
        )
    if serving is None:
        return LoadFailureOutcome(
            LoadFailureAction.NO_MODEL, f"The model could not be loaded: {message}"
        )
    return LoadFailureOutcome(
        LoadFailureAction.KEEP_SERVING,
        f"Could not switch to {_named(failed)}: {message}\nStill using {serving.name}.",
    )


def _named(spec: ModelSpec) -> str:
    server = remote_source_name(spec)
    return f"the remote server {server}" if server is not None else spec.source
