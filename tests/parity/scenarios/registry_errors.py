"""Registry refusals: bad names, tags, versions and aliases, missing entities, prompts."""

import sqlite3

from _parity import call, mlflow
from _registry_parity import rcall

client = mlflow.MlflowClient()
client.create_registered_model("m")
client.create_model_version("m", "/src")

for label, name in [
    ("empty", ""),
    ("blank", "  "),
    ("None", None),
    ("slash", "a/b"),
    ("colon", "a:b"),
    ("dot", "."),
    ("dotdot", ".."),
    ("dotdot prefix", "..x"),
    ("trailing space", "x "),
    ("unicode", "é"),
]:
    rcall(f"create name {label}", lambda name=name: client.create_registered_model(name))
    rcall(f"get name {label}", lambda name=name: client.get_registered_model(name))

for label, key in [
    ("comma", "a,b"),
    ("dotdot", "../x"),
    ("empty", ""),
    ("None", None),
    ("long", "k" * 251),
    ("max", "k" * 250),
]:
    call(f"model tag key {label}", lambda key=key: client.set_registered_model_tag("m", key, "v"))
    call(
        f"version tag key {label}", lambda key=key: client.set_model_version_tag("m", "1", key, "v")
    )
    call(
        f"create with tag key {label}",
        lambda key=key, label=label: client.create_registered_model(f"t-{label}", tags={key: "v"}),
    )
call("model tag value too long", lambda: client.set_registered_model_tag("m", "k", "v" * 100_001))
call("model tag value max", lambda: client.set_registered_model_tag("m", "k", "v" * 100_000))
call(
    "version tag value too long", lambda: client.set_model_version_tag("m", "1", "k", "v" * 100_001)
)
call("version tag None value", lambda: client.set_model_version_tag("m", "1", "k", None))
call("version tag missing version", lambda: client.set_model_version_tag("m", "7", "k", "v"))
call("delete tag missing model", lambda: client.delete_registered_model_tag("nope", "k"))
call("delete version tag bad key", lambda: client.delete_model_version_tag("m", "1", "a,b"))

for label, alias in [
    ("latest", "latest"),
    ("Latest", "Latest"),
    ("v1", "v1"),
    ("V22", "V22"),
    ("v", "v"),
    ("v1a", "v1a"),
    ("empty", ""),
    ("None", None),
    ("space", "a b"),
    ("dot", "a.b"),
    ("unicode", "champ_é-1"),
    ("long", "a" * 256),
    ("max", "a" * 255),
]:
    call(
        f"set alias {label}", lambda alias=alias: client.set_registered_model_alias("m", alias, "1")
    )
    call(
        f"delete alias {label}",
        lambda alias=alias: client.delete_registered_model_alias("m", alias),
    )
    rcall(f"get alias {label}", lambda alias=alias: client.get_model_version_by_alias("m", alias))
call("alias on missing model", lambda: client.set_registered_model_alias("nope", "a", "1"))
call(
    "reserved alias on missing model",
    lambda: client.set_registered_model_alias("nope", "latest", "1"),
)
call("alias on missing version", lambda: client.set_registered_model_alias("m", "a", "5"))
call("alias on bad version", lambda: client.set_registered_model_alias("m", "a", "one"))
call("alias on float version", lambda: client.set_registered_model_alias("m", "fl", 1.7))
rcall("float alias target", lambda: client.get_model_version_by_alias("m", "fl"))
rcall("latest of missing model", lambda: client.get_model_version_by_alias("nope", "latest"))
client.create_registered_model("empty")
rcall("latest of empty model", lambda: client.get_model_version_by_alias("empty", "latest"))

for label, version in [
    ("text", "x"),
    ("float text", "1.5"),
    ("negative", "-1"),
    ("zero", 0),
    ("spaces", " 1 "),
]:
    rcall(f"get version {label}", lambda version=version: client.get_model_version("m", version))
    call(
        f"delete version {label}", lambda version=version: client.delete_model_version("m", version)
    )
rcall("create version bad name", lambda: client.create_model_version("a/b", "/x"))
rcall("create version bad tag", lambda: client.create_model_version("m", "/x", tags={"a,b": 1}))
rcall(
    "create version missing model_id",
    lambda: client.create_model_version("m", "/x", model_id="m-nope"),
)

rcall("search models bad max", lambda: client.search_registered_models(max_results=1001))
rcall("search versions zero max", lambda: client.search_model_versions(max_results=0))
rcall("search versions huge max", lambda: client.search_model_versions(max_results=200_001))
rcall("search models bad token", lambda: client.search_registered_models(page_token="!!"))

# Prompts share the tables: a model marked as a prompt is hidden from the model API.
call(
    "prompt tag refused",
    lambda: client.create_registered_model("p", tags={"mlflow.prompt.is_prompt": "true"}),
)
call(
    "prompt tag refused on version",
    lambda: client.create_model_version("m", "/x", tags={"mlflow.prompt.is_prompt": "true"}),
)
db = sqlite3.connect("mlflow.db")
with db:
    db.execute(
        "INSERT INTO registered_models (name, creation_time, last_updated_time, workspace) "
        "VALUES ('prompt1', 1, 1, 'default')"
    )
    db.execute(
        "INSERT INTO registered_model_tags (key, value, name, workspace) "
        "VALUES ('mlflow.prompt.is_prompt', 'true', 'prompt1', 'default')"
    )
    db.execute(
        "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
        "current_stage, source, status, workspace) "
        "VALUES ('prompt1', 1, 1, 1, 'None', 'x', 'READY', 'default')"
    )
    db.execute(
        "INSERT INTO model_version_tags (key, value, name, version, workspace) "
        "VALUES ('mlflow.prompt.is_prompt', 'true', 'prompt1', 1, 'default')"
    )
rcall("get prompt as model", lambda: client.get_registered_model("prompt1"))
rcall("get prompt version", lambda: client.get_model_version("prompt1", "1"))
rcall("delete prompt as model", lambda: client.delete_registered_model("prompt1"))
rcall("create over prompt", lambda: client.create_registered_model("prompt1"))
rcall("search hides prompts", lambda: [m.name for m in client.search_registered_models()])
rcall("search versions hides prompts", lambda: [v.name for v in client.search_model_versions()])
rcall(
    "search prompts explicitly",
    lambda: [
        m.name for m in client.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")
    ],
)
