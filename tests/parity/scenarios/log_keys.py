"""The key validation table, through every fluent logging call and the batch forms."""

from _parity import call, mlflow

KEYS = [
    "plain",
    "with space",
    "colon:ok",
    "dash-ok_under.dot",
    "nested/a/b",
    "é-unicode",
    "a,b",
    "a#b",
    "tab\tkey",
    "new\nline",
    "",
    ".",
    "..",
    "../a",
    "/abs",
    "a//b",
    "a/./b",
    "a/",
    "k" * 250,
    "k" * 251,
    None,
    1,
    1.5,
    b"bytes",
]


def short(key) -> str:
    text = repr(key)
    return text if len(text) < 30 else f"{text[:10]}...({len(key)} chars)"


with mlflow.start_run() as run:
    for key in KEYS:
        label = short(key)
        call(f"log_param {label}", lambda key=key: mlflow.log_param(key, "v"))
        call(f"log_metric {label}", lambda key=key: mlflow.log_metric(key, 1.0))
        call(f"set_tag {label}", lambda key=key: mlflow.set_tag(key, "v"))
        call(f"log_params {label}", lambda key=key: mlflow.log_params({"ok": "v", key: "v"}))
        call(f"log_metrics {label}", lambda key=key: mlflow.log_metrics({"ok": 1.0, key: 2.0}))
        call(f"set_tags {label}", lambda key=key: mlflow.set_tags({"ok": "v", key: "v"}))
        call(f"delete_tag {label}", lambda key=key: mlflow.delete_tag(key))

stored = mlflow.get_run(run.info.run_id).data
call("stored param keys", lambda: sorted(map(short, stored.params)))
call("stored metric keys", lambda: sorted(map(short, stored.metrics)))
call("stored tag keys", lambda: sorted(map(short, stored.tags)))
