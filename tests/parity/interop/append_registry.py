"""Extends a registry the other implementation wrote: new versions, aliases, tags, deletes."""

from _parity import mlflow

client = mlflow.MlflowClient()
client.create_model_version("rich", "/models/rich/appended", tags={"by": "other"})
client.set_registered_model_alias("rich", "champion", "4")
client.delete_registered_model_alias("rich", "challenger")
client.set_registered_model_tag("rich", "appended", "yes")
client.delete_model_version("rich", "2")
client.rename_registered_model("renamed", "renamed-again")
client.create_registered_model("new-one")
mlflow.register_model("/models/new", "new-one")
