"""``ModelVersion``: one numbered version of a registered model."""

from __future__ import annotations

from mlrs.entities.model_registry._model_registry_entity import _ModelRegistryEntity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.model_registry.model_version_tag import ModelVersionTag

IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"


class ModelVersion(_ModelRegistryEntity):
    """MLflow entity for Model Version."""

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
        """String. Unique name within Model Registry."""
        return self._name

    @name.setter
    def name(self, new_name: str) -> None:
        self._name = new_name

    @property
    def version(self) -> Any:
        """Version"""
        return self._version

    @property
    def creation_timestamp(self) -> int | None:
        """Integer. Model version creation timestamp (milliseconds since the Unix epoch)."""
        return self._creation_time

    @property
    def last_updated_timestamp(self) -> int | None:
        """Integer. Timestamp of last update (milliseconds since the Unix epoch)."""
        return self._last_updated_timestamp

    @last_updated_timestamp.setter
    def last_updated_timestamp(self, updated_timestamp: int | None) -> None:
        self._last_updated_timestamp = updated_timestamp

    @property
    def description(self) -> str | None:
        """String. Description"""
        return self._description

    @description.setter
    def description(self, description: str | None) -> None:
        self._description = description

    @property
    def user_id(self) -> str | None:
        """String. User ID that created this model version."""
        return self._user_id

    @property
    def current_stage(self) -> str | None:
        """String. Current stage of this model version."""
        return self._current_stage

    @current_stage.setter
    def current_stage(self, stage: str | None) -> None:
        self._current_stage = stage

    @property
    def source(self) -> str | None:
        """String. Source path for the model."""
        return self._source

    @property
    def run_id(self) -> str | None:
        """String. MLflow run ID that generated this model."""
        return self._run_id

    @property
    def run_link(self) -> str | None:
        """String. Link to the run that generated this model version."""
        return self._run_link

    @property
    def status(self) -> str:
        """String. Current Model Registry status for this model."""
        return self._status

    @property
    def status_message(self) -> str | None:
        """String. Descriptive message for error status conditions."""
        return self._status_message

    @property
    def tags(self) -> dict[str, str]:
        """Dictionary of tag key (string) -> tag value for the current model version."""
        return self._tags

    def _is_prompt(self) -> bool:
        return str(self._tags.get(IS_PROMPT_TAG_KEY, "false")).lower() == "true"

    @property
    def aliases(self) -> list[str]:
        """List of aliases (string) for the current model version."""
        return self._aliases

    @aliases.setter
    def aliases(self, aliases: list[str]) -> None:
        self._aliases = aliases

    @property
    def model_id(self) -> str | None:
        """String. ID of the model associated with this version."""
        return self._model_id

    @property
    def params(self) -> list[Any] | None:
        """List of parameters associated with this model version."""
        return self._params

    @property
    def metrics(self) -> list[Any] | None:
        """List of metrics associated with this model version."""
        return self._metrics

    @property
    def deployment_job_state(self) -> Any:
        """Deployment job state for the current model version."""
        return self._deployment_job_state

    @property
    def workspace(self) -> str:
        return self._workspace

    def _add_tag(self, tag: ModelVersionTag) -> None:
        self._tags[tag.key] = tag.value
