"""``ModelVersion``: one numbered version of a registered model."""

from __future__ import annotations

from mlrs.entities.model_registry._model_registry_entity import _ModelRegistryEntity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.model_registry.model_version_tag import ModelVersionTag

IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"


class ModelVersion(_ModelRegistryEntity):
    """One numbered version of a registered model: where its files are, the run and logged
    model it came from, its tags and aliases. Compares by value."""

    def __init__(
        self,
        name: str,
        version: Any,
        creation_timestamp: int | None,
        last_updated_timestamp: int | None = None,
        description: str | None = None,
        user_id: str | None = None,
        current_stage: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
        status: str = "READY",
        status_message: str | None = None,
        tags: list[ModelVersionTag] | None = None,
        run_link: str | None = None,
        aliases: list[str] | None = None,
        model_id: str | None = None,
        params: list[Any] | None = None,
        metrics: list[Any] | None = None,
        deployment_job_state: Any = None,
        workspace: str | None = None,
    ) -> None:
        self._name = name
        self._version = version
        self._creation_time = creation_timestamp
        self._last_updated_timestamp = last_updated_timestamp
        self._description = description
        self._user_id = user_id
        self._current_stage = current_stage
        self._source = source
        self._run_id = run_id
        self._run_link = run_link
        self._status = status
        self._status_message = status_message
        self._tags: dict[str, str] = {tag.key: tag.value for tag in (tags or [])}
        self._aliases: list[str] = aliases or []
        self._model_id = model_id
        self._params = params
        self._metrics = metrics
        self._deployment_job_state = deployment_job_state
        self._workspace = workspace or "default"

    @property
    def name(self) -> str:
        """The registered model this is a version of."""
        return self._name

    @name.setter
    def name(self, new_name: str) -> None:
        self._name = new_name

    @property
    def version(self) -> Any:
        """The version number (counted from 1 per registered model)."""
        return self._version

    @property
    def creation_timestamp(self) -> int | None:
        """When the version was registered, in ms since the epoch."""
        return self._creation_time

    @property
    def last_updated_timestamp(self) -> int | None:
        """When the version last changed, in ms since the epoch."""
        return self._last_updated_timestamp

    @last_updated_timestamp.setter
    def last_updated_timestamp(self, updated_timestamp: int | None) -> None:
        self._last_updated_timestamp = updated_timestamp

    @property
    def description(self) -> str | None:
        """Free text about the version, or None."""
        return self._description

    @description.setter
    def description(self, description: str | None) -> None:
        self._description = description

    @property
    def user_id(self) -> str | None:
        """Who registered the version (None in the SQL store)."""
        return self._user_id

    @property
    def current_stage(self) -> str | None:
        """The deprecated stage (``None``, ``Staging``, ``Production`` or ``Archived``)."""
        return self._current_stage

    @current_stage.setter
    def current_stage(self, stage: str | None) -> None:
        self._current_stage = stage

    @property
    def source(self) -> str | None:
        """The URI the version was registered from (e.g. ``models:/m-<id>``)."""
        return self._source

    @property
    def run_id(self) -> str | None:
        """The run the model came from, or None."""
        return self._run_id

    @property
    def run_link(self) -> str | None:
        """A link to that run, if one was given."""
        return self._run_link

    @property
    def status(self) -> str:
        """The registration state, ``READY`` once registered."""
        return self._status

    @property
    def status_message(self) -> str | None:
        """Why the registration failed, when it did."""
        return self._status_message

    @property
    def tags(self) -> dict[str, str]:
        """The version's tags as ``{key: value}``."""
        return self._tags

    def _is_prompt(self) -> bool:
        return str(self._tags.get(IS_PROMPT_TAG_KEY, "false")).lower() == "true"

    @property
    def aliases(self) -> list[str]:
        """The aliases that point at this version."""
        return self._aliases

    @aliases.setter
    def aliases(self, aliases: list[str]) -> None:
        self._aliases = aliases

    @property
    def model_id(self) -> str | None:
        """The logged model (``m-<id>``) behind the version, when known."""
        return self._model_id

    @property
    def params(self) -> list[Any] | None:
        """The logged model's params, when loaded with it."""
        return self._params

    @property
    def metrics(self) -> list[Any] | None:
        """The logged model's metrics, when loaded with it."""
        return self._metrics

    @property
    def deployment_job_state(self) -> Any:
        """The state of a deployment job (not used by the SQL store)."""
        return self._deployment_job_state

    @property
    def workspace(self) -> str:
        return self._workspace

    def _add_tag(self, tag: ModelVersionTag) -> None:
        self._tags[tag.key] = tag.value
