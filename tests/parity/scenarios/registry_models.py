"""Registered models: create, get, rename, update, delete, tags, aliases, entities, repr."""

from _parity import call, captured_logs, mlflow, record, until
from _registry_parity import rcall

client = mlflow.MlflowClient()
MR = mlflow.entities.model_registry

rcall("create plain", lambda: client.create_registered_model("plain"))
rcall(
    "create with tags and description",
    lambda: client.create_registered_model("tagged", tags={"team": "ml", "n": 3}, description="d"),
)
rcall("get tagged", lambda: client.get_registered_model("tagged"))
rcall("get missing", lambda: client.get_registered_model("missing"))
rcall("duplicate", lambda: client.create_registered_model("plain"))
rcall("names are case-sensitive", lambda: client.create_registered_model("PLAIN"))
rcall("unicode name", lambda: client.create_registered_model("modèle ü-1.0"))

rcall("update description", lambda: client.update_registered_model("tagged", description="new"))
rcall("update to None", lambda: client.update_registered_model("tagged"))
rcall("update missing", lambda: client.update_registered_model("missing", description="x"))

call("set tag", lambda: client.set_registered_model_tag("plain", "k", "v"))
call("set int tag", lambda: client.set_registered_model_tag("plain", "i", 5))
call("overwrite tag", lambda: client.set_registered_model_tag("plain", "k", "v2"))
call("delete tag", lambda: client.delete_registered_model_tag("plain", "i"))
call("delete absent tag", lambda: client.delete_registered_model_tag("plain", "nope"))
call("set tag missing model", lambda: client.set_registered_model_tag("missing", "k", "v"))
rcall("tags after", lambda: client.get_registered_model("plain").tags)

client.create_model_version("plain", "/tmp/src1")
client.create_model_version("plain", "/tmp/src2")
call("alias v1", lambda: client.set_registered_model_alias("plain", "champion", "1"))
call("alias int version", lambda: client.set_registered_model_alias("plain", "challenger", 2))
call("alias moves", lambda: client.set_registered_model_alias("plain", "champion", "2"))
rcall("model aliases", lambda: client.get_registered_model("plain").aliases)
rcall("by alias", lambda: client.get_model_version_by_alias("plain", "champion"))
rcall("by alias latest", lambda: client.get_model_version_by_alias("plain", "latest"))
rcall("by alias LATEST", lambda: client.get_model_version_by_alias("plain", "LATEST"))
call("delete alias", lambda: client.delete_registered_model_alias("plain", "challenger"))
call("delete absent alias", lambda: client.delete_registered_model_alias("plain", "nope"))
rcall("by deleted alias", lambda: client.get_model_version_by_alias("plain", "challenger"))

rcall("rename returns", lambda: client.rename_registered_model("plain", "renamed"))
rcall("renamed model", lambda: client.get_registered_model("renamed"))
rcall("old name gone", lambda: client.get_registered_model("plain"))
rcall("renamed version", lambda: client.get_model_version("renamed", "2"))
rcall(
    "rename onto existing",
    lambda: client.rename_registered_model("renamed", "tagged"),
    msg=until("already exists."),
)
rcall("rename to blank", lambda: client.rename_registered_model("renamed", "  "))
rcall("rename missing", lambda: client.rename_registered_model("missing", "other"))

call("delete model", lambda: client.delete_registered_model("renamed"))
rcall("deleted model", lambda: client.get_registered_model("renamed"))
rcall("deleted model versions", lambda: client.get_model_version("renamed", "1"))
call("delete missing", lambda: client.delete_registered_model("renamed"))
rcall("recreate after delete", lambda: client.create_registered_model("renamed"))
rcall("versions restart at 1", lambda: client.create_model_version("renamed", "/x").version)

# Entities at their import paths, with their reprs.
record("alias repr", repr(MR.RegisteredModelAlias("a", "1")))
record("rm tag repr", repr(MR.RegisteredModelTag("k", "v")))
record("mv tag repr", repr(MR.ModelVersionTag("k", "v")))
record("tag eq", MR.RegisteredModelTag("k", "v") == MR.RegisteredModelTag("k", "v"))
record("tag ne other kind", MR.RegisteredModelTag("k", "v") == MR.ModelVersionTag("k", "v"))
rm = MR.RegisteredModel("n", 1, 2, "d", [], [MR.RegisteredModelTag("t", "v")])
record("rm repr", repr(rm))
record("rm dict", sorted(dict(rm)))
mv = MR.ModelVersion("n", "3", 1, 2, source="s", tags=[MR.ModelVersionTag("a", "b")])
record("mv repr", repr(mv))
record(
    "mv eq", mv == MR.ModelVersion("n", "3", 1, 2, source="s", tags=[MR.ModelVersionTag("a", "b")])
)
record("entity modules", [MR.RegisteredModel.__name__, MR.ModelVersion.__name__])

# register_model: prints (not logs) its messages.
with captured_logs() as logs:
    rcall("register new name", lambda: mlflow.register_model("/tmp/some/model", "fresh"))
    rcall(
        "register existing name",
        lambda: mlflow.register_model("/tmp/other", "fresh", tags={"a": 1}),
    )
record("register messages", [line for line in logs.getvalue().splitlines() if line])
