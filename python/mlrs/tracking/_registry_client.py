"""`MlflowClient`'s model registry methods (mixed into `mlrs.tracking.MlflowClient`)."""

from __future__ import annotations

from mlrs import _registry, _runtime
from mlrs._registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
    model_name,
    raise_if_prompt,
    version_number,
)
from mlrs._tracking import create_page_token, parse_page_token
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlrs.store.entities.paged_list import PagedList

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import Store
    from mlrs.entities.model_registry import ModelVersion, RegisteredModel

_PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"


def _page_token(token: str | bytes | None) -> int:
    return parse_page_token(token)


def _next_token(rows: list[Any], max_results: int, offset: int) -> bytes | None:
    return create_page_token(offset + max_results) if len(rows) == max_results + 1 else None


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

    def _model(self, row: tuple[Any, ...]) -> RegisteredModel:
        return _registry.registered_model(row, _registry.over_rest(self._registry_store))

    def _version(self, row: tuple[Any, ...]) -> ModelVersion:
        return _registry.model_version(row, _registry.over_rest(self._registry_store))

    # ---- registered models -------------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Creates a registered model; RESOURCE_ALREADY_EXISTS when the name is taken."""
        _registry.refuse_prompt_tags(tags)
        store = self._registry_store
        row = store.create_registered_model(
            model_name(name), _registry.tag_pairs(tags), description
        )
        return self._model(row)

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
        if "mlflow.prompt.is_prompt" not in (filter_string or ""):
            filter_string = (
                f"{filter_string} AND {_PROMPT_FILTER}" if filter_string else _PROMPT_FILTER
            )
        if max_results > SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD:
            raise MlflowException(
                "Invalid value for request parameter max_results. It must be at most "
                f"{SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        offset = _page_token(page_token) if page_token else 0
        rows = self._registry_store.search_registered_models(
            filter_string or "", list(order_by or []), max_results + 1, offset
        )
        models = [self._model(r) for r in rows[:max_results]]
        return PagedList(models, _next_token(rows, max_results, offset))

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """Deprecated since MLflow 2.9: the latest version of each (requested) stage."""
        _registry.stages_deprecated("get_latest_versions")
        store = self._registry_store
        raise_if_prompt(store, name)
        rows = store.get_latest_versions(name, list(stages or []))
        return [self._version(r) for r in rows]

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
        _registry.refuse_prompt_tags(tags)
        store = self._registry_store
        row = store.create_model_version(
            model_name(name),
            str(source),
            run_id,
            _registry.tag_pairs(tags),
            run_link,
            description,
            model_id,
        )
        mv = self._version(row)
        # The SQL store creates versions READY at once: nothing to wait for. A server may
        # answer while the version is still pending, so MLflow's REST client waits.
        if await_creation_for and await_creation_for > 0 and _registry.over_rest(store):
            self._await_creation(mv, await_creation_for)
        return mv

    def _await_creation(self, mv: ModelVersion, await_creation_for: int) -> None:
        """`_await_model_version_creation`: polls a pending version until it is READY (every
        3 s, as MLflow does), or raises when it failed or the time is up."""
        import time

        from mlrs import _log

        _log.logger().info(
            f"Waiting up to {await_creation_for} seconds for model version to finish creation. "
            f"Model name: {mv.name}, version {mv.version}"
        )
        deadline = time.monotonic() + await_creation_for
        while mv.status == "PENDING_REGISTRATION":
            if time.monotonic() > deadline:
                raise MlflowException(
                    f"Exceeded max wait time for model name: {mv.name} version: {mv.version} "
                    f"to become READY. Status: {mv.status} Wait Time: {await_creation_for}."
                )
            mv = self._version(self._registry_store.get_model_version(mv.name, int(mv.version)))
            if mv.status != "PENDING_REGISTRATION":
                break
            time.sleep(3)
        if mv.status != "READY":
            raise MlflowException(
                f"Model version creation failed for model name: {mv.name} version: "
                f"{mv.version} with status: {mv.status} and message: {mv.status_message}"
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
        if not isinstance(max_results, int) or max_results < 1:
            raise MlflowException(
                "Invalid value for max_results. It must be a positive integer,"
                f" but got {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        if max_results > SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD:
            raise MlflowException(
                "Invalid value for request parameter max_results. It must be at most "
                f"{SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        store = self._registry_store
        offset = _page_token(page_token) if page_token else 0
        rows = store.search_model_versions(
            filter_string or "", list(order_by or []), max_results + 1, offset
        )
        versions = [self._version(r) for r in rows[:max_results]]
        return PagedList(versions, _next_token(rows, max_results, offset))

    def get_model_version_stages(self, name: str, version: str) -> list[str]:
        """Deprecated since MLflow 2.9: every stage name."""
        _registry.stages_deprecated("get_model_version_stages")
        from mlrs.entities.model_registry.model_version_stages import ALL_STAGES

        return list(ALL_STAGES)

    def _version_or_stage(self, method: str, name: str, version: Any, stage: str | None) -> int:
        if version and stage:
            raise MlflowException(
                "version and stage cannot be set together", INVALID_PARAMETER_VALUE
            )
        if not (version or stage):
            raise MlflowException("version or stage must be set", INVALID_PARAMETER_VALUE)
        raise_if_prompt(self._registry_store, name)
        if stage:
            import warnings

            warnings.warn(
                f"The `stage` parameter of the `{method}` API is deprecated. "
                + _registry.STAGES_DEPRECATION_WARNING,
                category=FutureWarning,
                stacklevel=3,
            )
            latest = self.get_latest_versions(name, stages=[stage])
            if not latest:
                raise MlflowException(f"Could not find any model version for {stage} stage")
            version = latest[0].version
        return version_number(version)

    def set_model_version_tag(
        self,
        name: str,
        version: str | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        number = self._version_or_stage("set_model_version_tag", name, version, stage)
        self._registry_store.set_model_version_tag(name, number, _registry.tag_key(key), str(value))

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
