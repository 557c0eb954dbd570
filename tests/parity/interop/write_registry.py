"""Writes a varied model registry (run by mlflow or mlrs, for test_interop_registry)."""

import time

from _parity import mlflow

client = mlflow.MlflowClient()


def tick() -> None:
    time.sleep(0.003)  # distinct update times: searches order by them


with mlflow.start_run(run_name="trainer") as run:
    mlflow.log_param("p", 1)
run_id = run.info.run_id

client.create_registered_model("plain")
tick()
client.create_registered_model(
    "rich", tags={"team": "ml", "unicode": "héllo ✓"}, description="a *rich* model"
)
tick()
for i in range(3):
    client.create_model_version(
        "rich",
        f"/models/rich/{i}",
        run_id=run_id,
        tags={"i": str(i)},
        run_link=f"http://link/{i}",
        description=f"v{i + 1}",
    )
    tick()
client.set_registered_model_alias("rich", "champion", "2")
client.set_registered_model_alias("rich", "challenger", "3")
client.set_model_version_tag("rich", "1", "stage", "old")
client.delete_model_version("rich", "1")
tick()
client.update_model_version("rich", "3", description="latest and greatest")
tick()
client.create_registered_model("to-rename", tags={"k": "v"})
client.create_model_version("to-rename", "/models/r")
client.set_registered_model_alias("to-rename", "a", "1")
client.rename_registered_model("to-rename", "renamed")
tick()
client.create_registered_model("gone")
client.create_model_version("gone", "/models/gone")
client.delete_registered_model("gone")
mlflow.register_model("/models/registered", "via-register", tags={"src": "path"})
tick()
mlflow.register_model("/models/registered2", "via-register")
