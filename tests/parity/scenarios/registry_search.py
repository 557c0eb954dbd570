"""search_registered_models and search_model_versions: filters, order_by, paging, fluent."""

import time

from _parity import call, mlflow, record, until
from _registry_parity import names, rcall

client = mlflow.MlflowClient()


def tick() -> None:
    time.sleep(0.005)  # distinct update times, so orderings by time are not ties


for name, tags in [
    ("alpha", {"team": "a", "env": "prod"}),
    ("Beta", {"team": "b"}),
    ("gamma_1", {"team": "a", "env": "dev"}),
    ("delta%", {}),
    ("epsilon", {"team": "A"}),
]:
    client.create_registered_model(name, tags=tags)
    tick()
for name, count in [("alpha", 3), ("Beta", 1), ("gamma_1", 2)]:
    for i in range(count):
        client.create_model_version(
            name, f"/src/{name}/{i}", run_id=f"run{i}", tags={"i": str(i), "even": str(i % 2 == 0)}
        )
        tick()
client.delete_model_version("alpha", "2")
tick()
client.update_model_version("gamma_1", "1", description="touched")


def models(label: str, *args: object, **kwargs: object) -> None:
    call(label, lambda: names(client.search_registered_models(*args, **kwargs)))


def versions(label: str, *args: object, **kwargs: object) -> None:
    call(label, lambda: names(client.search_model_versions(*args, **kwargs)))


models("all models")
models("name =", "name = 'alpha'")
models("name = double quotes", 'name = "alpha"')
models("name !=", "name != 'alpha'")
models("name LIKE", "name LIKE '%a%'")
models("name LIKE case-sensitive", "name LIKE 'b%'")
models("name ILIKE", "name ILIKE 'b%'")
models("name like lower-case op", "name like 'a%'")
models("name LIKE escape-free %", "name LIKE 'delta%'")
models("name IN", "name IN ('alpha', 'Beta', 'zz')")
models("name NOT IN", "name NOT IN ('alpha', 'Beta')")
models("tag =", "tags.team = 'a'")
models("tag = with tag. prefix", "tag.team = 'a'")
models("tag ILIKE", "tags.team ILIKE 'a'")
models("two tags", "tags.team = 'a' AND tags.env = 'prod'")
models("tag !=", "tags.team != 'a'")
models("tag and name", "tags.team = 'a' AND name LIKE 'g%'")
models("backticked tag", "tags.`team` = 'b'")
models("attribute prefix", "attribute.name = 'Beta'")
models("order name DESC", order_by=["name DESC"])
models("order timestamp", order_by=["timestamp"])
models("order last_updated_timestamp DESC", order_by=["last_updated_timestamp DESC"])
models("order timestamp DESC, name", order_by=["timestamp DESC", "name"])
rcall("full entities", lambda: client.search_registered_models("name = 'alpha'"))

for label, filter_string in [
    ("bad attribute", "description = 'x'"),
    ("bad entity", "params.x = 'y'"),
    ("bad comparator", "name > 'a'"),
    ("tag IN", "tags.team IN ('a')"),
    ("tag >", "tags.team > 'a'"),
    ("IS NULL", "tags.team IS NULL"),
    ("number value", "name = 5"),
    ("unquoted value", "name = alpha"),
    ("OR", "name = 'a' OR name = 'b'"),
    ("empty list", "name IN ()"),
    ("number list", "name IN (1, 2)"),
]:
    call(f"models filter {label}", lambda f=filter_string: client.search_registered_models(f))
for label, order in [
    ("creation_timestamp", ["creation_timestamp"]),
    ("bogus", ["bogus"]),
    ("duplicate", ["timestamp", "last_updated_timestamp"]),
    ("bad direction", ["name sideways"]),
]:
    call(
        f"models order {label}",
        lambda o=order: client.search_registered_models(order_by=o),
        msg=until("specified"),
    )

# Paging: tokens carry on until the last page.
page = client.search_registered_models(max_results=2)
pages = [names(page)]
while page.token:
    page = client.search_registered_models(max_results=2, page_token=page.token)
    pages.append(names(page))
record("model pages", pages)
record("last page token", page.token)
record("exact page has token", bool(client.search_registered_models(max_results=5).token))
call("fluent search_registered_models", lambda: names(mlflow.search_registered_models()))
call("fluent max_results", lambda: names(mlflow.search_registered_models(max_results=2)))
call(
    "fluent filter and order",
    lambda: names(
        mlflow.search_registered_models(filter_string="name LIKE '%a%'", order_by=["name DESC"])
    ),
)

versions("all versions")
versions("versions of alpha", "name = 'alpha'")
versions("version_number =", "name = 'alpha' AND version_number = 2")
versions("version_number >", "version_number > 1")
versions("version_number string", "version_number = '1'")
versions("run_id =", "run_id = 'run0'")
versions("run_id IN", "run_id IN ('run1', 'run2')")
versions("name IN", "name IN ('Beta', 'gamma_1')")
versions("source_path LIKE", "source_path LIKE '/src/alpha/%'")
versions("source_path ILIKE", "source_path ILIKE '/SRC/BETA/%'")
versions("version tag", "tags.even = 'True'")
versions("version tag and name", "tags.i = '0' AND name != 'alpha'")
versions("order version_number", order_by=["version_number"])
versions("order name DESC", order_by=["name DESC"])
versions("order creation_timestamp DESC", order_by=["creation_timestamp DESC"])
versions("order last_updated", order_by=["last_updated_timestamp"])
rcall("version entities", lambda: client.search_model_versions("name = 'gamma_1'"))
for label, filter_string in [
    ("bad attribute", "description = 'x'"),
    ("version_number LIKE", "version_number LIKE '1'"),
    ("version_number float", "version_number = 1.5"),
    ("version_number text", "version_number = 'one'"),
    ("numeric name", "name = 1"),
    ("source_path IN", "source_path IN ('/a')"),
    ("tag IN", "tags.i IN ('0')"),
    ("IS NULL", "tags.i IS NULL"),
    ("bad entity", "metrics.x = 'y'"),
]:
    call(f"versions filter {label}", lambda f=filter_string: client.search_model_versions(f))
for label, order in [
    ("bogus", ["bogus"]),
    ("tag", ["tags.i"]),
    ("duplicate", ["name", "name DESC"]),
]:
    call(
        f"versions order {label}",
        lambda o=order: client.search_model_versions(order_by=o),
        msg=until("specified"),
    )
page = client.search_model_versions(max_results=2, order_by=["name", "version_number"])
pages = [names(page)]
while page.token:
    page = client.search_model_versions(
        max_results=2, order_by=["name", "version_number"], page_token=page.token
    )
    pages.append(names(page))
record("version pages", pages)
call(
    "fluent search_model_versions",
    lambda: names(mlflow.search_model_versions(filter_string="name = 'alpha'")),
)
call("fluent versions max_results", lambda: names(mlflow.search_model_versions(max_results=1)))
