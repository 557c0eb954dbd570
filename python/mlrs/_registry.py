"""The model registry: the client-side checks MLflow makes before its store, the engine's rows
as registry entities, `register_model`, and `models:/` URI resolution.

The registry lives in the tracking database (MLflow 3.18's registry tables); the engine
validates names, tags and aliases again and does every read and write.
"""

from __future__ import annotations

from mlrs import _runtime
from mlrs import _validation as check
from mlrs._tracking import create_page_token, parse_page_token
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import (
    ALREADY_EXISTS,
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)
from mlrs.store.entities.paged_list import PagedList

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import ModelVersionRow, RegisteredModelRow, Store
    from mlrs.entities.model_registry import ModelVersion, RegisteredModel

IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"
SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD = 1000
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10000
SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD = 200_000
DEFAULT_AWAIT_MAX_SLEEP_SECONDS = 300
MLMODEL_FILE_NAME = "MLmodel"
MODEL_VERSIONS_TAG = "mlflow.modelVersions"
STAGES_DEPRECATION_WARNING = (
    "Model registry stages will be removed in a future major release. To learn more about the "
    "deprecation of model registry stages, see our migration guide here: https://mlflow.org/docs/"
    "latest/model-registry.html#migrating-from-stages"
)


# ---- rows into entities ------------------------------------------------------------------


def over_rest(store: Store) -> bool:
    """True for a tracking server's registry: MLflow's REST client gives version numbers as
    the strings the API writes (`'1'`), its SQL store as ints."""
    return store.location.startswith(("http://", "https://"))


def model_version(row: ModelVersionRow, text_versions: bool = False) -> ModelVersion:
    from mlrs.entities.model_registry import ModelVersion, ModelVersionTag

    # `storage_location` stays out: MLflow's entity does not show it. Nullable columns reach
    # the entity as None, as MLflow's store passes them (hence the `type: ignore`s).
    return ModelVersion(
        row.name,
        str(row.version) if text_versions else row.version,
        row.creation_time,
        row.last_updated_time,
        row.description,
        row.user_id,
        row.current_stage,
        row.source,
        row.run_id,
        row.status,  # type: ignore[arg-type]
        row.status_message,
        [ModelVersionTag(key, value) for key, value in row.tags],  # type: ignore[arg-type]
        row.run_link,
        row.aliases,
        workspace=row.workspace,
    )


def registered_model(row: RegisteredModelRow, text_versions: bool = False) -> RegisteredModel:
    from mlrs.entities.model_registry import (
        RegisteredModel,
        RegisteredModelAlias,
        RegisteredModelTag,
    )

    return RegisteredModel(
        row.name,
        row.creation_time,
        row.last_updated_time,
        row.description,
        [model_version(v, text_versions) for v in row.latest_versions],
        [RegisteredModelTag(key, value) for key, value in row.tags],  # type: ignore[arg-type]
        [
            RegisteredModelAlias(alias, str(version) if text_versions else version)
            for alias, version in row.aliases
        ],
        workspace=row.workspace,
    )


# ---- MLflow's client-side checks -----------------------------------------------------------


def model_name(name: Any) -> str:
    """`_validate_model_name`'s type handling: None is a missing value, non-strings fail as
    they fail in MLflow (on `.strip()`); the engine checks the text."""
    if name is None:
        raise MlflowException(
            "Missing value for required parameter 'name'.", INVALID_PARAMETER_VALUE
        )
    if not isinstance(name, str):
        raise AttributeError(f"'{type(name).__name__}' object has no attribute 'strip'")
    return name


def version_number(version: Any) -> int:
    """`_validate_model_version`: `int(version)`, with MLflow's message for text that is not
    an integer."""
    try:
        return int(version)
    except ValueError:
        raise MlflowException(
            f"Parameter 'version' must be an integer, got '{version}'.", INVALID_PARAMETER_VALUE
        ) from None


def tag_key(key: Any) -> str:
    if key is None:
        raise MlflowException(
            "Missing value for required parameter 'key'.", INVALID_PARAMETER_VALUE
        )
    if not isinstance(key, str):
        raise TypeError(f"expected string or bytes-like object, got '{type(key).__name__}'")
    return key


def tag_pairs(tags: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Tag dicts as MLflow's registry client turns them into tag entities: values as `str()`."""
    return [(tag_key(key), str(value)) for key, value in (tags or {}).items()]


def alias_name(alias: Any) -> str:
    return "" if alias is None else str(alias)


def has_prompt_tag(tags: Any) -> bool:
    if isinstance(tags, dict):
        return IS_PROMPT_TAG_KEY in tags
    return any(getattr(tag, "key", None) == IS_PROMPT_TAG_KEY for tag in tags or [])


def model_not_found(name: str) -> MlflowException:
    """What MLflow's client raises for a prompt asked for as a registered model."""
    return MlflowException(
        f"Registered Model with name={name!r} not found.", RESOURCE_DOES_NOT_EXIST
    )


def raise_if_prompt(store: Store, name: Any) -> None:
    """MLflow's client reads the model first: a missing model or a prompt is refused here."""
    row = store.get_registered_model(model_name(name))
    if any(key == IS_PROMPT_TAG_KEY for key, _ in row.tags):
        raise model_not_found(name)


def refuse_prompt_tags(tags: dict[str, Any] | None) -> None:
    if has_prompt_tag(tags):
        raise MlflowException.invalid_parameter_value("Prompts cannot be registered as models.")


def stages_deprecated(method: str) -> None:
    import warnings

    warnings.warn(
        f"``mlrs.tracking.client.MlflowClient.{method}`` is deprecated since 2.9.0. "
        f"{STAGES_DEPRECATION_WARNING}",
        category=FutureWarning,
        stacklevel=3,
    )


def client_registry_uri(registry_uri: str | None, tracking_uri: str | None) -> str:
    """MLflow's order: the argument, `set_registry_uri`, `MLFLOW_REGISTRY_URI`, then the
    tracking URI."""
    import os

    return (
        registry_uri
        or _runtime._registry_uri
        or os.environ.get("MLFLOW_REGISTRY_URI")
        or tracking_uri
        or _runtime.get_tracking_uri()
    )


def eprint(message: str) -> None:
    """MLflow's `eprint`: a line on stderr, outside the logging system."""
    import sys

    print(message, file=sys.stderr)


# ---- the registry store's calls (`MlflowClient`'s registry methods and the fluent API) --------


_PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"


def registered_model_of(store: Store, row: RegisteredModelRow) -> RegisteredModel:
    return registered_model(row, over_rest(store))


def model_version_of(store: Store, row: ModelVersionRow) -> ModelVersion:
    return model_version(row, over_rest(store))


def _next_token(rows: list[Any], max_results: int, offset: int) -> bytes | None:
    return create_page_token(offset + max_results) if len(rows) == max_results + 1 else None


def create_registered_model_in(
    store: Store,
    name: str,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
) -> RegisteredModel:
    """A new registered model; RESOURCE_ALREADY_EXISTS when the name is taken."""
    refuse_prompt_tags(tags)
    row = store.create_registered_model(model_name(name), tag_pairs(tags), description)
    return registered_model_of(store, row)


def search_registered_models_page(
    store: Store,
    filter_string: str | None = None,
    max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    order_by: list[str] | None = None,
    page_token: str | bytes | None = None,
) -> PagedList[RegisteredModel]:
    """One page of registered models (prompts left out); `.token` fetches the next."""
    if "mlflow.prompt.is_prompt" not in (filter_string or ""):
        filter_string = f"{filter_string} AND {_PROMPT_FILTER}" if filter_string else _PROMPT_FILTER
    if max_results > SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            "Invalid value for request parameter max_results. It must be at most "
            f"{SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    offset = parse_page_token(page_token) if page_token else 0
    rows = store.search_registered_models(
        filter_string or "", list(order_by or []), max_results + 1, offset
    )
    models = [registered_model_of(store, r) for r in rows[:max_results]]
    return PagedList(models, _next_token(rows, max_results, offset))


def get_latest_versions_in(
    store: Store, name: str, stages: list[str] | None = None
) -> list[ModelVersion]:
    """The latest version of each (requested) stage (deprecated since MLflow 2.9: callers
    warn)."""
    raise_if_prompt(store, name)
    rows = store.get_latest_versions(name, list(stages or []))
    return [model_version_of(store, r) for r in rows]


def create_model_version_in(
    store: Store,
    name: str,
    source: str,
    run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    run_link: str | None = None,
    description: str | None = None,
    await_creation_for: int = 300,
    model_id: str | None = None,
) -> ModelVersion:
    refuse_prompt_tags(tags)
    row = store.create_model_version(
        model_name(name),
        str(source),
        run_id,
        tag_pairs(tags),
        run_link,
        description,
        model_id,
    )
    mv = model_version_of(store, row)
    # The SQL store creates versions READY at once: nothing to wait for. A server may
    # answer while the version is still pending, so MLflow's REST client waits.
    if await_creation_for and await_creation_for > 0 and over_rest(store):
        _await_creation(store, mv, await_creation_for)
    return mv


def _await_creation(store: Store, mv: ModelVersion, await_creation_for: int) -> None:
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
        mv = model_version_of(store, store.get_model_version(mv.name, int(mv.version)))
        if mv.status != "PENDING_REGISTRATION":
            break
        time.sleep(3)
    if mv.status != "READY":
        raise MlflowException(
            f"Model version creation failed for model name: {mv.name} version: "
            f"{mv.version} with status: {mv.status} and message: {mv.status_message}"
        )


def search_model_versions_page(
    store: Store,
    filter_string: str | None = None,
    max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    order_by: list[str] | None = None,
    page_token: str | bytes | None = None,
) -> PagedList[ModelVersion]:
    """One page of model versions (deleted ones and prompts left out)."""
    if not isinstance(max_results, int) or max_results < 1:
        raise MlflowException(
            f"Invalid value for max_results. It must be a positive integer, but got {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    if max_results > SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            "Invalid value for request parameter max_results. It must be at most "
            f"{SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    offset = parse_page_token(page_token) if page_token else 0
    rows = store.search_model_versions(
        filter_string or "", list(order_by or []), max_results + 1, offset
    )
    versions = [model_version_of(store, r) for r in rows[:max_results]]
    return PagedList(versions, _next_token(rows, max_results, offset))


def version_or_stage(store: Store, method: str, name: str, version: Any, stage: str | None) -> int:
    if version and stage:
        raise MlflowException("version and stage cannot be set together", INVALID_PARAMETER_VALUE)
    if not (version or stage):
        raise MlflowException("version or stage must be set", INVALID_PARAMETER_VALUE)
    raise_if_prompt(store, name)
    if stage:
        import warnings

        warnings.warn(
            f"The `stage` parameter of the `{method}` API is deprecated. "
            + STAGES_DEPRECATION_WARNING,
            category=FutureWarning,
            stacklevel=3,
        )
        stages_deprecated("get_latest_versions")
        latest = get_latest_versions_in(store, name, stages=[stage])
        if not latest:
            raise MlflowException(f"Could not find any model version for {stage} stage")
        version = latest[0].version
    return version_number(version)


def set_model_version_tag_in(
    store: Store,
    name: str,
    version: str | None = None,
    key: str | None = None,
    value: Any = None,
    stage: str | None = None,
) -> None:
    number = version_or_stage(store, "set_model_version_tag", name, version, stage)
    store.set_model_version_tag(name, number, tag_key(key), str(value))


# ---- register_model ------------------------------------------------------------------------


def _join_uri(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def parse_runs_uri(uri: str) -> tuple[str, str | None]:
    """`runs:/<run_id>/<path>` → (run_id, path or None), with MLflow's message otherwise."""
    from urllib.parse import urlparse

    improper = MlflowException(
        f"Not a proper runs:/ URI: {uri}. "
        "Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'"
    )
    parsed = urlparse(uri)
    if parsed.scheme != "runs" or not parsed.path.startswith("/") or len(parsed.path) <= 1:
        raise improper
    parts = parsed.path[1:].split("/")
    if parts[0] == "":
        raise improper
    artifact_path = "/".join(parts[1:]) or None
    return parts[0], artifact_path


def _holds_mlmodel(store: Store, directory: str) -> bool:
    """Whether the artifact directory has an MLmodel file: on disk, or listed by the tracking
    server's artifact proxy (as MLflow lists the run's artifacts to tell)."""
    import os
    import posixpath

    from mlrs._artifacts import local_location, remote_parent

    local = local_location(directory)
    if local is not None:
        return os.path.isfile(os.path.join(local, MLMODEL_FILE_NAME))
    remote = remote_parent(store, directory)
    if remote is None:
        return False
    root, name = remote
    return any(
        not is_dir and posixpath.basename(path) == MLMODEL_FILE_NAME
        for path, is_dir, _ in root.list(name or None)
    )


def _runs_uri_source(store: Store, uri: str) -> tuple[str, str, str | None]:
    """(source, run_id, model_id) for a `runs:/` URI: the run's artifact directory when it
    holds an MLmodel, else the logged model of that name the run made (logged at the largest
    step), as `models:/<model_id>`."""
    run_id, artifact_path = parse_runs_uri(uri)
    row = store.get_run(run_id)
    artifact_uri = row.artifact_uri or ""
    directory = _join_uri(artifact_uri, artifact_path) if artifact_path else artifact_uri
    if _holds_mlmodel(store, directory):
        return directory, run_id, None
    experiment_id = int(row.experiment_id)
    found = store.registry_logged_models_of_run(experiment_id, run_id, str(artifact_path))
    if not found:
        raise MlflowException(
            # MLflow passes the code's name where its exception expects a number, so the
            # code users see is INTERNAL_ERROR.
            f"Unable to find a logged_model with artifact_path {artifact_path} under run {run_id}"
        )
    model_id = found[0]
    source = f"models:/{model_id}"
    from mlrs import _log

    _log.logger().warning(
        f"Run with id {run_id} has no artifacts at artifact path {artifact_path!r}, "
        f"registering model based on {source} instead"
    )
    return source, run_id, model_id


def _model_id_of(store: Store, uri: str) -> str | None:
    """`_parse_model_id_if_present`: the logged model a `models:/` URI names, directly or
    through a model version."""
    if not uri.lower().startswith("models:"):
        return None
    parsed = parse_models_uri(uri)
    if parsed[0] is not None:
        return parsed[0]
    if parsed[1] is not None and parsed[2] is not None:
        store.get_model_version(parsed[1], version_number(parsed[2]))
    return None


def parse_models_uri(uri: str) -> tuple[str | None, str | None, str | None]:
    """(model_id, name, version) of a `models:/` URI, with MLflow's message when malformed."""
    from urllib.parse import urlparse

    improper = MlflowException(
        f"Not a proper models:/ URI: {uri}. Models URIs must be of the form "
        "'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the "
        "string 'latest' and where alias is a registered model alias. Only one of suffix or "
        "alias can be defined at a time."
    )
    parsed = urlparse(uri, allow_fragments=False)
    path = parsed.path
    if parsed.scheme != "models" or not path.startswith("/") or len(path) <= 1:
        raise improper
    parts = path.lstrip("/").split("/")
    if len(parts) > 2 or parts[0].strip() == "":
        raise improper
    if len(parts) == 2:
        if parts[1].strip() == "":
            raise improper
        return None, parts[0], parts[1] if parts[1].isdigit() else None
    if "@" in path:
        return None, parts[0].rsplit("@", 1)[0], None
    return parts[0], None, None


def register_model(
    model_uri: Any,
    name: Any,
    await_registration_for: int | None = DEFAULT_AWAIT_MAX_SLEEP_SECONDS,
    *,
    tags: dict[str, Any] | None = None,
    env_pack: Any = None,
) -> ModelVersion:
    """Creates a new version of registered model `name` (creating the model when needed) from
    `model_uri`: `runs:/<run_id>/<path>`, `models:/<model_id>`, `models:/<name>/<version>`, or
    a path. Returns the new :py:class:`ModelVersion`."""
    store = _runtime.get_store(client_registry_uri(None, None))
    try:
        created = create_registered_model_in(store, name)
        eprint(f"Successfully registered model '{created.name}'.")
    except MlflowException as e:
        if e.error_code not in (
            ErrorCode.Name(RESOURCE_ALREADY_EXISTS),
            ErrorCode.Name(ALREADY_EXISTS),
        ):
            raise
        eprint(f"Registered model {name!r} already exists. Creating a new version of this model...")
    if env_pack is not None:
        raise MlflowException.invalid_parameter_value(
            "mlrs does not pack environments for Databricks Model Serving (env_pack)."
        )
    source = str(model_uri)
    run_id: str | None = None
    model_id: str | None = None
    if source.startswith("runs:"):
        source, run_id, model_id = _runs_uri_source(store, source)
    if model_id is None:
        model_id = _model_id_of(store, source)
    version = create_model_version_in(
        store,
        name=name,
        source=source,
        run_id=run_id,
        tags=tags,
        await_creation_for=await_registration_for or 0,
        model_id=model_id,
    )
    eprint(f"Created version '{version.version}' of model '{version.name}'.")
    if model_id:
        linked = store.link_model_version_to_logged_model(model_id, version.name, version.version)
        if not linked:
            from mlrs import _log

            _log.logger().warning(
                "Unable to update logged model tags for model ID '%s': the logged model does not "
                "exist in the current workspace. No model version link will be recorded on the "
                "logged model.",
                model_id,
            )
    return version


# ---- models:/ URIs ---------------------------------------------------------------------------


def resolve_registry_uri(uri: str, registry_uri: str | None = None) -> str:
    """Where a `models:/` URI's files are: `models:/<name>/<version>`, `models:/<name>@<alias>`,
    `models:/<name>/latest` and `models:/<name>/<stage>` give the model version's storage
    location (else its source); `models:/<model_id>` gives the logged model's artifact location.
    Raises MLflow's exceptions for malformed URIs and missing models, versions or aliases."""
    store = _runtime.get_store(client_registry_uri(registry_uri, None))
    model_id, name, _ = parse_models_uri(uri)  # MLflow's message for a malformed URI
    if model_id is None and name is not None:
        raise_if_prompt(store, name)
    return store.resolve_models_uri(uri)


# ---- fluent search and tags ------------------------------------------------------------------


def _all_pages(fetch: Any, per_page: int, max_results: int | None) -> list[Any]:
    """`get_results_from_paginated_fn`: pages of `per_page` until `max_results` or the end."""
    results: list[Any] = []
    token = None
    while max_results is None or len(results) < max_results:
        wanted = per_page if max_results is None else min(per_page, max_results - len(results))
        page = fetch(wanted, token)
        results.extend(page)
        token = getattr(page, "token", None)
        if not token:
            break
    return results


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[RegisteredModel]:
    """Every registered model matching the filter (at most `max_results`), as a list."""
    store = _runtime.get_store(client_registry_uri(None, None))
    return _all_pages(
        lambda n, token: search_registered_models_page(
            store, max_results=n, filter_string=filter_string, order_by=order_by, page_token=token
        ),
        SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        max_results,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[ModelVersion]:
    """Every model version matching the filter (at most `max_results`), as a list."""
    store = _runtime.get_store(client_registry_uri(None, None))
    return _all_pages(
        lambda n, token: search_model_versions_page(
            store, max_results=n, filter_string=filter_string, order_by=order_by, page_token=token
        ),
        SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        max_results,
    )


def set_model_version_tag(
    name: str,
    version: str | None = None,
    key: str | None = None,
    value: Any = None,
) -> None:
    """Sets a tag on a model version."""
    store = _runtime.get_store(client_registry_uri(None, None))
    set_model_version_tag_in(store, name=name, version=version, key=key, value=value)


# The registry calls the client's methods and the fluent functions make get MLflow's exception
# for text that is not valid Unicode and integers past 64 bits, as `MlflowClient`'s do.
for _name in (
    "create_registered_model_in",
    "search_registered_models_page",
    "get_latest_versions_in",
    "create_model_version_in",
    "search_model_versions_page",
    "set_model_version_tag_in",
):
    globals()[_name] = check.mlflow_errors(globals()[_name])
del _name
