"""search_experiments: view types, the simplest name filters, default order, client paging.

Richer filters and order_by belong to the search suite, not here.
"""

import time

from _parity import call, mlflow

client = mlflow.MlflowClient()
for name in ("alpha", "beta", "gamma", "Gamma ray", "delta"):
    mlflow.create_experiment(name, tags={"kind": name[0]})
    time.sleep(0.002)  # distinct creation times keep the default order well defined
mlflow.delete_experiment(mlflow.get_experiment_by_name("beta").experiment_id)


def names(**kwargs):
    return [e.name for e in mlflow.search_experiments(**kwargs)]


call("default (active, newest first)", names)
call("ACTIVE_ONLY", lambda: names(view_type=mlflow.entities.ViewType.ACTIVE_ONLY))
call("DELETED_ONLY", lambda: names(view_type=mlflow.entities.ViewType.DELETED_ONLY))
call("ALL", lambda: names(view_type=mlflow.entities.ViewType.ALL))
call(
    "ViewType values",
    lambda: (
        [int(v) for v in (1, 2, 3)]
        == [
            mlflow.entities.ViewType.ACTIVE_ONLY,
            mlflow.entities.ViewType.DELETED_ONLY,
            mlflow.entities.ViewType.ALL,
        ]
    ),
)
call("max_results=2", lambda: names(max_results=2))
call("max_results=None", lambda: names(max_results=None))
call("view_type given as a string", lambda: names(view_type="ALL"))
call("name = filter", lambda: names(filter_string="name = 'gamma'"))
call("name = filter on deleted", lambda: names(filter_string="name = 'beta'"))
call("name = filter on deleted, ALL", lambda: names(filter_string="name = 'beta'", view_type=3))
call("name LIKE filter", lambda: names(filter_string="name LIKE 'g%'"))
call("name LIKE is case-sensitive", lambda: names(filter_string="name LIKE 'G%'"))
call("result type", lambda: type(mlflow.search_experiments()).__name__)
call("full entities", lambda: mlflow.search_experiments(filter_string="name = 'alpha'"))

page1 = call("client page 1", lambda: client.search_experiments(max_results=2))
page2 = call(
    "client page 2", lambda: client.search_experiments(max_results=2, page_token=page1.token)
)
call("client page 3", lambda: client.search_experiments(max_results=2, page_token=page2.token))
call("client all in one page", lambda: client.search_experiments().token)
call("client max_results=0", lambda: client.search_experiments(max_results=0))
call("client max_results=50001", lambda: client.search_experiments(max_results=50001))
call("client bad page token", lambda: client.search_experiments(page_token="not base64!"))
