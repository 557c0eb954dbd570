"""``Model``: the MLmodel file (flavors, signature, ids, times), and ``ModelInfo``: what
``log_model`` returns. Written as MLflow 3.18 writes them, so each side loads the other's.

Users import both from ``mlrs.models.model`` (MLflow's path, which also has
``get_model_info``); they live here, below the logged models and model URIs, so that
``_logged_models`` can write an MLmodel file without importing what imports it."""

from __future__ import annotations

import os

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.metric import Metric
    from mlrs.models.signature import ModelSignature

MLMODEL_FILE_NAME = "MLmodel"

# The `mlflow_version` mlrs writes into MLmodel files: the MLflow release whose model format
# mlrs writes and whose loaders read it (`mlflow.<flavor>` loader modules, key names, files).
# MLflow only records this value; it is what `mlflow.models.Model.load(...).mlflow_version` shows.
MLFLOW_FORMAT_VERSION = "3.18.0"


def _utc_now() -> str:
    from datetime import datetime, timezone

    return str(datetime.now(timezone.utc).replace(tzinfo=None))


class Model:
    """An MLflow Model: the contents of an MLmodel file."""

    __module__ = "mlrs.models.model"  # where users import it from, and pickles name it

    def __init__(
        self,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: dict[str, Any] | None = None,
        signature: ModelSignature | None = None,
        saved_input_example_info: dict[str, Any] | None = None,
        model_uuid: str | None = None,
        mlflow_version: str | None = MLFLOW_FORMAT_VERSION,
        metadata: dict[str, Any] | None = None,
        model_size_bytes: int | None = None,
        model_id: str | None = None,
        prompts: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        import uuid

        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or _utc_now()
        self.flavors: dict[str, Any] = flavors if flavors is not None else {}
        self.signature = signature
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid if model_uuid is not None else uuid.uuid4().hex
        self.mlflow_version = mlflow_version
        self.metadata = metadata
        self.model_size_bytes = model_size_bytes
        self.model_id = model_id
        self.prompts = prompts
        # Keys this version does not know, kept so a load/save round trip loses nothing.
        self._extra = kwargs

    def add_flavor(self, name: str, **params: Any) -> Model:
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Any:
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Any:
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> Any:
        return self.signature.params if self.signature is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The MLmodel keys, leaving out those MLflow leaves out when empty."""
        res: dict[str, Any] = dict(self._extra)
        res.update(
            flavors=self.flavors,
            mlflow_version=self.mlflow_version,
            model_id=self.model_id,
            model_uuid=self.model_uuid,
            prompts=self.prompts,
            utc_time_created=self.utc_time_created,
        )
        if self.artifact_path is not None:
            res["artifact_path"] = self.artifact_path
        if self.run_id is not None:
            res["run_id"] = self.run_id
        if self.signature is not None:
            res["signature"] = self.signature.to_dict()
            res["is_signature_from_type_hint"] = self.signature._is_signature_from_type_hint
            res["type_hint_from_example"] = self.signature._is_type_hint_from_example
        if self.saved_input_example_info is not None:
            res["saved_input_example_info"] = self.saved_input_example_info
        if self.mlflow_version is None:
            res.pop("mlflow_version")
        if self.metadata is not None:
            res["metadata"] = self.metadata
        if self.model_size_bytes is not None:
            res["model_size_bytes"] = self.model_size_bytes
        return res

    def to_yaml(self, stream: Any = None) -> Any:
        import yaml

        return yaml.safe_dump(self.to_dict(), stream=stream, default_flow_style=False)

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict())

    def __str__(self) -> str:
        return str(self.to_yaml())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the MLmodel YAML file."""
        with open(path, "w") as out:
            self.to_yaml(out)

    @classmethod
    def from_dict(cls, model_dict: dict[str, Any]) -> Model:
        from mlrs.models.signature import ModelSignature

        d = dict(model_dict)
        signature = d.pop("signature", None)
        from_hint = d.pop("is_signature_from_type_hint", False)
        hint_from_example = d.pop("type_hint_from_example", False)
        d.setdefault("mlflow_version", None)
        model = cls(**d)
        if signature is not None:
            model.signature = ModelSignature.from_dict(signature)
            model.signature._is_signature_from_type_hint = bool(from_hint)
            model.signature._is_type_hint_from_example = bool(hint_from_example)
        return model

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Reads an MLmodel file, or the one in a model directory."""
        import yaml

        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, MLMODEL_FILE_NAME)
        if not os.path.exists(path):
            raise MlflowException(
                f'Could not find an "{MLMODEL_FILE_NAME}" configuration file at "{path}"',
                RESOURCE_DOES_NOT_EXIST,
            )
        with open(path) as f:
            return cls.from_dict(yaml.safe_load(f.read()) or {})

    def get_model_info(self, logged_model: LoggedModel | None = None) -> ModelInfo:
        return ModelInfo(
            artifact_path=self.artifact_path,  # type: ignore[arg-type]
            flavors=self.flavors,
            model_uri=(
                f"models:/{self.model_id}"
                if self.model_id
                else f"runs:/{self.run_id}/{self.artifact_path}"
            ),
            model_uuid=self.model_uuid,
            run_id=self.run_id,  # type: ignore[arg-type]
            saved_input_example_info=self.saved_input_example_info,
            signature=self.signature,
            utc_time_created=self.utc_time_created,
            mlflow_version=self.mlflow_version,  # type: ignore[arg-type]
            metadata=self.metadata,
            prompts=self.prompts,
            logged_model=logged_model,
        )


class ModelInfo:
    """What ``log_model`` returns: where the model is and what it is."""

    __module__ = "mlrs.models.model"

    def __init__(
        self,
        artifact_path: str,
        flavors: dict[str, Any],
        model_uri: str,
        model_uuid: str,
        run_id: str,
        saved_input_example_info: dict[str, Any] | None,
        signature: Any,
        utc_time_created: str,
        mlflow_version: str,
        metadata: dict[str, Any] | None = None,
        registered_model_version: int | str | None = None,
        env_vars: list[str] | None = None,
        prompts: list[str] | None = None,
        logged_model: LoggedModel | None = None,
    ) -> None:
        self._artifact_path = artifact_path
        self._flavors = flavors
        self._model_uri = model_uri
        self._model_uuid = model_uuid
        self._run_id = run_id
        self._saved_input_example_info = saved_input_example_info
        self._signature = signature
        self._utc_time_created = utc_time_created
        self._mlflow_version = mlflow_version
        self._metadata = metadata
        self._prompts = prompts
        self._registered_model_version = registered_model_version
        self._env_vars = env_vars
        self._logged_model = logged_model

    @property
    def artifact_path(self) -> str:
        return self._artifact_path

    @property
    def flavors(self) -> dict[str, Any]:
        return self._flavors

    @property
    def model_uri(self) -> str:
        return self._model_uri

    @property
    def model_uuid(self) -> str:
        return self._model_uuid

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def saved_input_example_info(self) -> dict[str, Any] | None:
        return self._saved_input_example_info

    @property
    def signature(self) -> Any:
        return self._signature

    @property
    def utc_time_created(self) -> str:
        return self._utc_time_created

    @property
    def mlflow_version(self) -> str:
        return self._mlflow_version

    @property
    def env_vars(self) -> list[str] | None:
        return self._env_vars

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._metadata

    @property
    def prompts(self) -> list[str] | None:
        return self._prompts

    @property
    def registered_model_version(self) -> int | str | None:
        return self._registered_model_version

    @registered_model_version.setter
    def registered_model_version(self, value: int | str | None) -> None:
        self._registered_model_version = value

    @property
    def model_id(self) -> str | None:
        return self._logged_model.model_id if self._logged_model else None

    @property
    def metrics(self) -> list[Metric] | None:
        return self._logged_model.metrics if self._logged_model else None

    @property
    def params(self) -> dict[str, str] | None:
        return self._logged_model.params if self._logged_model else None

    @property
    def tags(self) -> dict[str, str] | None:
        return self._logged_model.tags if self._logged_model else None

    @property
    def creation_timestamp(self) -> int | None:
        return self._logged_model.creation_timestamp if self._logged_model else None

    @property
    def name(self) -> str | None:
        return self._logged_model.name if self._logged_model else None
