"""``RegisteredModel``: a named model in the registry, with its tags, aliases and latest
versions."""

from __future__ import annotations

from mlrs.entities.model_registry._model_registry_entity import _ModelRegistryEntity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.model_registry.model_version import ModelVersion
    from mlrs.entities.model_registry.registered_model_alias import RegisteredModelAlias
    from mlrs.entities.model_registry.registered_model_tag import RegisteredModelTag

IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"


class RegisteredModel(_ModelRegistryEntity):
    """A named model in the registry, with its description, tags, aliases and (as
    returned by some calls) its latest versions. Compares by value."""

    def __init__(
        self,
        name: str,
        creation_timestamp: int | None = None,
        last_updated_timestamp: int | None = None,
        description: str | None = None,
        latest_versions: list[ModelVersion] | None = None,
        tags: list[RegisteredModelTag] | None = None,
        aliases: list[RegisteredModelAlias] | None = None,
        deployment_job_id: str | None = None,
        deployment_job_state: str | None = None,
        workspace: str | None = None,
    ) -> None:
        self._name = name
        self._creation_time = creation_timestamp
        self._last_updated_timestamp = last_updated_timestamp
        self._description = description
        self._latest_version = latest_versions
        self._tags: dict[str, str] = {tag.key: tag.value for tag in (tags or [])}
        self._aliases: dict[str, Any] = {alias.alias: alias.version for alias in (aliases or [])}
        self._deployment_job_id = deployment_job_id
        self._deployment_job_state = deployment_job_state
        self._workspace = workspace or "default"

    @property
    def name(self) -> str:
        """The unique name of the model."""
        return self._name

    @name.setter
    def name(self, new_name: str) -> None:
        self._name = new_name

    @property
    def creation_timestamp(self) -> int | None:
        """When the model was created, in ms since the epoch."""
        return self._creation_time

    @property
    def last_updated_timestamp(self) -> int | None:
        """When the model or one of its versions last changed, in ms since the epoch."""
        return self._last_updated_timestamp

    @last_updated_timestamp.setter
    def last_updated_timestamp(self, updated_timestamp: int | None) -> None:
        self._last_updated_timestamp = updated_timestamp

    @property
    def description(self) -> str | None:
        """Free text about the model, or None."""
        return self._description

    @description.setter
    def description(self, description: str | None) -> None:
        self._description = description

    @property
    def latest_versions(self) -> list[ModelVersion] | None:
        """The latest :py:class:`ModelVersion` of each stage."""
        return self._latest_version

    @latest_versions.setter
    def latest_versions(self, latest_versions: list[ModelVersion] | None) -> None:
        self._latest_version = latest_versions

    @property
    def tags(self) -> dict[str, str]:
        """Dictionary of tag key (string) -> tag value, without the internal prompt marker."""
        return {k: v for k, v in self._tags.items() if k != IS_PROMPT_TAG_KEY}

    def _is_prompt(self) -> bool:
        return str(self._tags.get(IS_PROMPT_TAG_KEY, "false")).lower() == "true"

    @property
    def aliases(self) -> dict[str, Any]:
        """The model's aliases as ``{alias: version}``."""
        return self._aliases

    @property
    def workspace(self) -> str:
        """The workspace the model lives in (``default``)."""
        return self._workspace

    def _add_tag(self, tag: RegisteredModelTag) -> None:
        self._tags[tag.key] = tag.value

    def _add_alias(self, alias: RegisteredModelAlias) -> None:
        self._aliases[alias.alias] = alias.version

    @property
    def deployment_job_id(self) -> str | None:
        """The ID of a deployment job (not used by the SQL store)."""
        return self._deployment_job_id

    @deployment_job_id.setter
    def deployment_job_id(self, deployment_job_id: str | None) -> None:
        self._deployment_job_id = deployment_job_id

    @property
    def deployment_job_state(self) -> str | None:
        """The state of that deployment job (not used by the SQL store)."""
        return self._deployment_job_state
