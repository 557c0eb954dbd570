"""The model registry: the client-side checks MLflow makes before its store, the engine's rows
as registry entities, `register_model`, and `models:/` URI resolution.

The registry lives in the tracking database (MLflow 3.18's registry tables); the engine
validates names, tags and aliases again and does every read and write.
"""

from __future__ import annotations

from mlrs import _runtime
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import (
    ALREADY_EXISTS,
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import Store
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


def model_version(row: tuple[Any, ...], text_versions: bool = False) -> ModelVersion:
    from mlrs.entities.model_registry import ModelVersion, ModelVersionTag

    core, storage_location, workspace, tags, aliases = row
    (name, version, created, updated, description, user_id, stage, source, run_id) = core[:9]
    status, status_message, run_link = core[9:]
    del storage_location  # MLflow's entity does not show it
    return ModelVersion(
        name,
        str(version) if text_versions else version,
        created,
        updated,
        description,
        user_id,
        stage,
        source,
        run_id,
        status,
        status_message,
        [ModelVersionTag(key, value) for key, value in tags],
        run_link,
        list(aliases),
        workspace=workspace,
    )


def registered_model(row: tuple[Any, ...], text_versions: bool = False) -> RegisteredModel:
    from mlrs.entities.model_registry import (
        RegisteredModel,
        RegisteredModelAlias,
        RegisteredModelTag,
    )

    name, created, updated, description, tags, aliases, latest, workspace = row
    return RegisteredModel(
        name,
        created,
        updated,
        description,
        [model_version(v, text_versions) for v in latest],
        [RegisteredModelTag(key, value) for key, value in tags],
        [
            RegisteredModelAlias(alias, str(version) if text_versions else version)
            for alias, version in aliases
        ],
        workspace=workspace,
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
    if any(key == IS_PROMPT_TAG_KEY for key, _ in row[4]):
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
    info = store.get_run(run_id)[0]
    artifact_uri = info[8] or ""
    directory = _join_uri(artifact_uri, artifact_path) if artifact_path else artifact_uri
    if _holds_mlmodel(store, directory):
        return directory, run_id, None
    experiment_id = int(info[2])
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
    from mlrs.tracking import MlflowClient

    client = MlflowClient()
    try:
        created = client.create_registered_model(name)
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
    store = client._registry_store
    source = str(model_uri)
    run_id: str | None = None
    model_id: str | None = None
    if source.startswith("runs:"):
        source, run_id, model_id = _runs_uri_source(store, source)
    if model_id is None:
        model_id = _model_id_of(store, source)
    version = client._create_model_version(
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
    from mlrs.tracking import MlflowClient

    client = MlflowClient()
    return _all_pages(
        lambda n, token: client.search_registered_models(
            max_results=n, filter_string=filter_string, order_by=order_by, page_token=token
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
    from mlrs.tracking import MlflowClient

    client = MlflowClient()
    return _all_pages(
        lambda n, token: client.search_model_versions(
            max_results=n, filter_string=filter_string, order_by=order_by, page_token=token
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
    from mlrs.tracking import MlflowClient

    MlflowClient().set_model_version_tag(name=name, version=version, key=key, value=value)
