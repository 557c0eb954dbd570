"""`MlflowClient`'s model registry methods (mixed into `mlrs.tracking.MlflowClient`)."""

from __future__ import annotations

from mlrs import _registry, _runtime
from mlrs._registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    model_name,
    raise_if_prompt,
    version_number,
)
from mlrs.exceptions import MlflowException
from mlrs.store.entities.paged_list import PagedList

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import ModelVersionRow, RegisteredModelRow, Store
    from mlrs.entities.model_registry import ModelVersion, RegisteredModel


class RegistryClientMixin:
    """The registry half of `MlflowClient`: registered models, versions, tags and aliases,
    kept in the registry URI's database (by default the tracking database)."""

    _registry_uri: str
    _tracking_uri: str

    @property
    def _registry_store(self) -> Store:
        # `MlflowClient.__init__` resolved the URI (argument, `set_registry_uri`,
        # `MLFLOW_REGISTRY_URI`, tracking URI), as MLflow does. Kept, so that a registry in a
        # file of its own stays open as long as the client does.
        store: Store | None = getattr(self, "_registry_store_cache", None)
        if store is None or store.closed:
            store = _runtime.get_store(self._registry_uri)
            self._registry_store_cache = store
        return store

    def _model(self, row: RegisteredModelRow) -> RegisteredModel:
        return _registry.registered_model_of(self._registry_store, row)

    def _version(self, row: ModelVersionRow) -> ModelVersion:
        return _registry.model_version_of(self._registry_store, row)

    # ---- registered models -------------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Creates a registered model; RESOURCE_ALREADY_EXISTS when the name is taken."""
        return _registry.create_registered_model_in(self._registry_store, name, tags, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        model = self._model(self._registry_store.get_registered_model(model_name(name)))
        if _registry.has_prompt_tag(model._tags):
            raise _registry.model_not_found(name)
        return model

    def rename_registered_model(self, name: str, new_name: str) -> None:
        """Renames a model; its versions, tags and aliases move with it. Returns None, as
        MLflow's client does."""
        store = self._registry_store
        raise_if_prompt(store, name)
        if new_name.strip() == "":
            raise MlflowException("The name must not be an empty string.")
        store.rename_registered_model(name, new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        store = self._registry_store
        raise_if_prompt(store, name)
        return self._model(store.update_registered_model(name, description))

    def delete_registered_model(self, name: str) -> None:
        store = self._registry_store
        raise_if_prompt(store, name)
        store.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | bytes | None = None,
    ) -> PagedList[RegisteredModel]:
        """One page of registered models (prompts left out); `.token` fetches the next."""
        return _registry.search_registered_models_page(
            self._registry_store, filter_string, max_results, order_by, page_token
        )

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """Deprecated since MLflow 2.9: the latest version of each (requested) stage."""
        _registry.stages_deprecated("get_latest_versions")
        return _registry.get_latest_versions_in(self._registry_store, name, stages)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        store = self._registry_store
        raise_if_prompt(store, name)
        store.set_registered_model_tag(name, _registry.tag_key(key), str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        store = self._registry_store
        raise_if_prompt(store, name)
        store.delete_registered_model_tag(name, _registry.tag_key(key))

    # ---- model versions ----------------------------------------------------------------------

    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        local_model_path: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        return _registry.create_model_version_in(
            self._registry_store,
            name,
            source,
            run_id,
            tags,
            run_link,
            description,
            await_creation_for,
            model_id,
        )

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Creates the next version of a registered model from `source`."""
        return self._create_model_version(
            name=name,
            source=source,
            run_id=run_id,
            tags=tags,
            run_link=run_link,
            description=description,
            await_creation_for=await_creation_for,
            model_id=model_id,
        )

    def update_model_version(
        self, name: str, version: str, description: str | None = None
    ) -> ModelVersion:
        if description is None:
            raise MlflowException("Attempting to update model version with no new field values.")
        store = self._registry_store
        raise_if_prompt(store, name)
        row = store.update_model_version(name, version_number(version), description)
        return self._version(row)

    def transition_model_version_stage(
        self, name: str, version: str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Deprecated since MLflow 2.9: moves a version to another stage."""
        _registry.stages_deprecated("transition_model_version_stage")
        store = self._registry_store
        raise_if_prompt(store, name)
        if stage.strip() == "":
            raise MlflowException("The stage must not be an empty string.")
        row = store.transition_model_version_stage(
            name, version_number(version), stage, bool(archive_existing_versions)
        )
        return self._version(row)

    def delete_model_version(self, name: str, version: str) -> None:
        store = self._registry_store
        raise_if_prompt(store, name)
        store.delete_model_version(name, version_number(version))

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        store = self._registry_store
        mv = self._version(store.get_model_version(model_name(name), version_number(version)))
        if _registry.has_prompt_tag(mv._tags):
            raise _registry.model_not_found(name)
        return mv

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        store = self._registry_store
        raise_if_prompt(store, name)
        return store.get_model_version_download_uri(name, version_number(version))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | bytes | None = None,
    ) -> PagedList[ModelVersion]:
        """One page of model versions (deleted ones and prompts left out)."""
        return _registry.search_model_versions_page(
            self._registry_store, filter_string, max_results, order_by, page_token
        )

    def get_model_version_stages(self, name: str, version: str) -> list[str]:
        """Deprecated since MLflow 2.9: every stage name."""
        _registry.stages_deprecated("get_model_version_stages")
        from mlrs.entities.model_registry.model_version_stages import ALL_STAGES

        return list(ALL_STAGES)

    def _version_or_stage(self, method: str, name: str, version: Any, stage: str | None) -> int:
        return _registry.version_or_stage(self._registry_store, method, name, version, stage)

    def set_model_version_tag(
        self,
        name: str,
        version: str | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        _registry.set_model_version_tag_in(self._registry_store, name, version, key, value, stage)

    def delete_model_version_tag(
        self,
        name: str,
        version: str | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        number = self._version_or_stage("delete_model_version_tag", name, version, stage)
        self._registry_store.delete_model_version_tag(name, number, _registry.tag_key(key))

    # ---- aliases -----------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        """Points `alias` at a version (`latest` and `v<n>` are reserved)."""
        from mlrs._core import Store

        Store.validate_model_name(model_name(name))
        Store.validate_alias_name(_registry.alias_name(alias))
        number = version_number(version)
        store = self._registry_store
        raise_if_prompt(store, name)
        store.set_registered_model_alias(name, _registry.alias_name(alias), number)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        from mlrs._core import Store

        Store.validate_model_name(model_name(name))
        Store.validate_alias_name(_registry.alias_name(alias))
        store = self._registry_store
        raise_if_prompt(store, name)
        store.delete_registered_model_alias(name, _registry.alias_name(alias))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version `alias` points at; `latest` is the newest live version."""
        from mlrs._core import Store

        Store.validate_model_name(model_name(name))
        row = self._registry_store.get_model_version_by_alias(name, _registry.alias_name(alias))
        mv = self._version(row)
        if _registry.has_prompt_tag(mv._tags):
            raise _registry.model_not_found(name)
        return mv
