"""Datasets and run inputs: mlflow.data constructors (digests, schemas, profiles, sources),
log_input/log_inputs/MlflowClient.log_inputs, what get_run and search_runs show, the errors."""

import warnings

import numpy as np
import pandas as pd

from _parity import call, mlflow, record

warnings.simplefilter("ignore")  # mlflow warns about integer columns and ambiguous sources

Dataset = mlflow.entities.Dataset
DatasetInput = mlflow.entities.DatasetInput
InputTag = mlflow.entities.InputTag

rng = np.random.default_rng(7)
FRAMES = {
    "basic": pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": ["x", "y", "z"]}),
    "mixed": pd.DataFrame(
        {
            "i32": np.array([1, 2], dtype="int32"),
            "u64": np.array([1, 2], dtype="uint64"),
            "f32": np.array([1.0, np.nan], dtype="float32"),
            "flag": [True, False],
            "when": pd.to_datetime(["2020-01-01", "2021-06-01"]),
            "text": ["a", None],
            "lists": [[1, 2], [3]],
            "dicts": [{"k": 1}, {"k": 2, "z": "x"}],
            "raw": [b"a", b"b"],
            "nothing": [None, None],
            "cat": pd.Categorical(["p", "q"]),
            "nullable": pd.array([1, None], dtype="Int64"),
        }
    ),
    "numbered columns": pd.DataFrame(np.arange(6).reshape(2, 3)),
    "empty": pd.DataFrame(),
    # More rows than the digest looks at: the row count still changes the digest.
    "large": pd.DataFrame({"x": rng.normal(size=12_000), "s": rng.choice(["p", "q"], 12_000)}),
}
for label, frame in FRAMES.items():
    call(
        f"from_pandas {label}", lambda f=frame: mlflow.data.from_pandas(f, source="d.csv").to_dict()
    )
call(
    "large frame, one more row",
    lambda: mlflow.data.from_pandas(pd.concat([FRAMES["large"]] * 2).head(12_001)).digest,
)
ds = mlflow.data.from_pandas(FRAMES["basic"], targets="a", name="iris", predictions="b")
record("pandas attrs", [ds.name, ds.digest, ds.targets, ds.predictions, ds.profile])
record("pandas json", ds.to_json())
record(
    "default source", [type(ds.source).__name__, ds.source._get_source_type(), ds.source.to_dict()]
)
call("missing targets", lambda: mlflow.data.from_pandas(FRAMES["basic"], targets="nope"))
call("missing predictions", lambda: mlflow.data.from_pandas(FRAMES["basic"], predictions="p"))
call("given digest", lambda: mlflow.data.from_pandas(FRAMES["basic"], digest="abc").digest)
call("unnamed", lambda: mlflow.data.from_pandas(FRAMES["basic"]).name)

for source in ["data/train.csv", "/abs/x.parquet", "file:///abs/x.csv", "https://e.com/d.csv",
               "http://e.com/x", "s3://bucket/key", "gs://b/k", "wasbs://c@a.blob.core.windows.net/x",
               "hdfs://h/x", "runs:/abc/x", "dbfs:/x", "foo://bar"]:  # fmt: skip
    call(
        f"source {source}",
        lambda s=source: (
            lambda d: [type(d.source).__name__, d.source._get_source_type(), d.source.to_json()]
        )(mlflow.data.from_pandas(FRAMES["basic"], source=s)),
    )

ARRAYS = {
    "2d": (rng.normal(size=(5, 3)), None),
    "with targets": (rng.normal(size=(4, 2)), rng.integers(0, 2, size=4)),
    "dict": ({"b": np.ones((2, 3), dtype="float32"), "a": np.arange(4)}, {"y": np.zeros(2)}),
    "strings": (np.array(["a", "bb"]), None),
    "3d ints": (rng.integers(0, 9, size=(2, 5, 4)), None),
    "large": (rng.normal(size=(6_000, 2)), rng.integers(0, 3, size=6_000)),
}
for label, (x, y) in ARRAYS.items():
    call(
        f"from_numpy {label}",
        lambda x=x, y=y: mlflow.data.from_numpy(x, targets=y, source="s3://b/k").to_dict(),
    )
arr = mlflow.data.from_numpy(np.ones((3, 2)), targets=np.zeros(3), name="arr")
record("numpy attrs", [arr.name, arr.digest, arr.profile, arr.features.shape, arr.targets.shape])

client = mlflow.MlflowClient()
with mlflow.start_run() as run:
    call("log_input", lambda: mlflow.log_input(ds, context="training", tags={"zz": "1", "aa": "2"}))
    call("log_input again", lambda: mlflow.log_input(ds, context="other", tags={"new": "x"}))
    call("log_input numpy", lambda: mlflow.log_input(arr, context="train"))
    call("log_input nothing", lambda: mlflow.log_input())
    call("log_input context only", lambda: mlflow.log_input(context="x"))
    call(
        "log_inputs",
        lambda: mlflow.log_inputs(
            [mlflow.data.from_pandas(FRAMES["mixed"], name="m"), arr],
            contexts=["eval", None],
            tags_list=[None, {"k": "v"}],
        ),
    )
    call("log_inputs lengths", lambda: mlflow.log_inputs([ds], contexts=[]))
    call("log_inputs context without dataset", lambda: mlflow.log_inputs([None], ["c"], [None]))
    call("log_inputs models", lambda: mlflow.log_inputs([], [], [], models=[object()]))
record("inputs", mlflow.get_run(run.info.run_id).inputs.to_dictionary())
run_inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
record("input tags", [[(t.key, t.value) for t in d.tags] for d in run_inputs])

# The same dataset in a second run of the experiment: one datasets row, a second input.
other = client.create_run(run.info.experiment_id)
entity = Dataset("shared", "d1", "local", '{"uri": "x.csv"}', None, None)
call(
    "client log_inputs",
    lambda: client.log_inputs(
        other.info.run_id,
        [DatasetInput(entity, [InputTag("mlflow.data.context", "test")]), DatasetInput(entity)],
    ),
)
call("client log_inputs nothing", lambda: client.log_inputs(other.info.run_id))
call(
    "client log_inputs dataset ds",
    lambda: client.log_inputs(other.info.run_id, [DatasetInput(ds._to_mlflow_entity())]),
)
record("second run inputs", client.get_run(other.info.run_id).inputs.to_dictionary())
record(
    "dataset entity",
    [entity.name, entity.digest, entity.source_type, entity.source, entity.schema, entity.profile],
)
record(
    "entity equality",
    [
        entity == Dataset("shared", "d1", "local", '{"uri": "x.csv"}'),
        InputTag("a", "b") == InputTag("a", "b"),
    ],
)
found = client.search_runs([run.info.experiment_id], order_by=["start_time"])
record("search_runs inputs", [r.inputs.to_dictionary() for r in found])
record(
    "get_source",
    type(
        mlflow.data.get_source(client.get_run(other.info.run_id).inputs.dataset_inputs[0])
    ).__name__,
)

rid = other.info.run_id


def bad(label, dataset=entity, tags=(), run_id=None, raw=None):
    call(
        label,
        lambda: client.log_inputs(
            run_id or rid, raw if raw is not None else [DatasetInput(dataset, list(tags))]
        ),
    )


bad("name too long", Dataset("n" * 501, "d", "code", "{}"))
bad("name at limit", Dataset("n" * 500, "d", "code", "{}"))
bad("digest too long", Dataset("n", "d" * 37, "code", "{}"))
bad("source too long", Dataset("n", "d", "code", "s" * 65_536))
bad("tag key too long", tags=[InputTag("k" * 256, "v")])
bad("tag value too long", tags=[InputTag("k", "v" * 501)])
bad("tag value at limit", Dataset("n2", "d", "code", "{}"), tags=[InputTag("k", "v" * 500)])
bad("name None", Dataset(None, "d", "code", "{}"))
bad("digest None", Dataset("n", None, "code", "{}"))
bad("source None", Dataset("n", "d", "code", None))
bad("tag value None", tags=[InputTag("k", None)])
bad("dataset None", None)
bad("not a list", raw=(DatasetInput(entity),))
bad("bad run id", run_id="a/b")
bad("unknown run", run_id="0123456789abcdef0123456789abcdef")
client.delete_run(rid)
bad("deleted run")
client.restore_run(rid)
client.set_terminated(rid)
bad("finished run", Dataset("after", "end", "code", "{}"))
record("after errors", [d.dataset.name for d in client.get_run(rid).inputs.dataset_inputs])
