"""Reads the whole registry back through the public API and records it."""

from _parity import call, mlflow, record
from _registry_parity import reg

client = mlflow.MlflowClient()

models = client.search_registered_models(max_results=1000)
record("models", reg(list(models)))
for model in models:
    name = model.name
    record(f"{name}: get", reg(client.get_registered_model(name)))
    versions = client.search_model_versions(f"name = '{name}'", order_by=["version_number"])
    record(f"{name}: versions", reg(list(versions)))
    for version in versions:
        record(f"{name} v{version.version}", reg(client.get_model_version(name, version.version)))
        record(
            f"{name} v{version.version} download",
            client.get_model_version_download_uri(name, version.version),
        )
    for alias in sorted(model.aliases):
        record(f"{name}@{alias}", reg(client.get_model_version_by_alias(name, alias)))
    call(f"{name}@latest", lambda name=name: reg(client.get_model_version_by_alias(name, "latest")))
    call(f"{name} v1", lambda name=name: reg(client.get_model_version(name, "1")))
record("search by tag", [m.name for m in client.search_registered_models("tags.team = 'ml'")])
record(
    "versions by run", [(v.name, v.version) for v in client.search_model_versions("run_id != ''")]
)
call("deleted model", lambda: client.get_registered_model("gone"))
