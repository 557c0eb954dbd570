"""Multipart uploads through a real `mlflow server`'s artifact proxy, its artifact store an S3
served by moto on 127.0.0.1: parts go straight to the storage at presigned URLs, fall back to
one `PUT` where the store has no multipart upload, and a failed part aborts the upload."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from _remote import S3_ENV, FaultProxy, mlflow_server, moto_s3

import mlrs
from mlrs.exceptions import MlflowException

pytestmark = pytest.mark.slow

boto3 = pytest.importorskip("boto3", reason="boto3 is needed to look into moto's S3")
pytest.importorskip("moto", reason="moto's S3 server (moto[server]) is not installed")

BUCKET = "mlrs-artifacts"
MiB = 1024 * 1024
CHUNK = 5 * MiB  # S3's smallest part but the last
SIZE = 11 * MiB + 123  # three parts, the last one short


@pytest.fixture(scope="module")
def s3_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultProxy]:
    """moto's S3, behind a proxy that sees (and can fail) every request to it: the server's
    own and the parts' uploads to presigned URLs."""
    with moto_s3(tmp_path_factory.mktemp("moto")) as url:
        s3 = boto3.client("s3", endpoint_url=url, **_credentials())
        s3.create_bucket(Bucket=BUCKET)
        proxy = FaultProxy(url)
        yield proxy
        proxy.close()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, s3_proxy: FaultProxy) -> Iterator[str]:
    """`mlflow server` storing artifacts in the S3 and advertising multipart uploads."""
    env = {
        **S3_ENV,
        "MLFLOW_S3_ENDPOINT_URL": s3_proxy.url,
        "AWS_ENDPOINT_URL": s3_proxy.url,
        "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
    }
    directory = tmp_path_factory.mktemp("mlflow-s3-server")
    destination = f"s3://{BUCKET}/mlartifacts"
    with mlflow_server(directory, artifacts_destination=destination, env=env) as url:
        yield url


@pytest.fixture
def server_proxy(s3_server: str) -> Iterator[FaultProxy]:
    """A proxy in front of the server, to see what the client asks of it."""
    proxy = FaultProxy(s3_server)
    yield proxy
    proxy.close()


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """MLflow's multipart settings scaled down so that a few-MB file takes three parts; the
    file to log."""
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(CHUNK))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLRS_SPOOL_DIR", str(tmp_path / "spool"))
    source = tmp_path / "src" / "weights.bin"
    source.parent.mkdir()
    source.write_bytes(os.urandom(SIZE))
    return source


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_ENV["AWS_DEFAULT_REGION"],
    }


def _s3(proxy: FaultProxy) -> Any:
    return boto3.client("s3", endpoint_url=f"http://{proxy.upstream}", **_credentials())


def _key(run_id: str, path: str) -> str:
    """The object of a run's artifact: experiment 0's runs live under `<root>/0/<run>`."""
    return f"mlartifacts/0/{run_id}/artifacts/{path}"


def _log_with_mlrs(tracking_uri: str, source: Path, artifact_path: str | None) -> str:
    mlrs.set_tracking_uri(tracking_uri)
    with mlrs.start_run(experiment_id="0") as run:
        mlrs.log_artifact(str(source), artifact_path)
    return cast(str, run.info.run_id)


def test_a_large_file_goes_in_parts_and_comes_back_whole(
    server_proxy: FaultProxy, s3_proxy: FaultProxy, small_parts: Path, tmp_path: Path
) -> None:
    """The server advertises multipart uploads: the file goes in three parts straight to the
    storage (not through the server), and mlrs and mlflow both read back the same bytes."""
    run_id = _log_with_mlrs(server_proxy.url, small_parts, "model")
    s3 = _s3(s3_proxy)
    head = s3.head_object(Bucket=BUCKET, Key=_key(run_id, "model/weights.bin"))
    assert head["ContentLength"] == SIZE
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    parts = [line for line in s3_proxy.seen if line.startswith("PUT ") and "partNumber=" in line]
    assert len(parts) == 3, s3_proxy.seen
    to_server = [line.split(" ")[0:2] for line in server_proxy.seen]
    assert [m for m, p in to_server if "/mpu/create/" in p] == ["POST"]
    assert [m for m, p in to_server if "/mpu/complete/" in p] == ["POST"]
    assert not [p for m, p in to_server if m == "PUT"], "no byte went through the proxy"
    info = [p for _, p in to_server if p.startswith("/api/3.0/mlflow/server-info")]
    assert len(info) == 1, to_server

    expected = small_parts.read_bytes()
    got = mlrs.artifacts.download_artifacts(
        run_id=run_id, artifact_path="model/weights.bin", dst_path=str(tmp_path / "mlrs")
    )
    assert Path(got).read_bytes() == expected
    import mlflow

    mlflow.set_tracking_uri(server_proxy.url)
    try:
        got = mlflow.MlflowClient().download_artifacts(
            run_id, "model/weights.bin", str(tmp_path / "mlflow")
        )
    finally:
        cast(Any, mlflow).set_tracking_uri(None)
    assert Path(got).read_bytes() == expected


def test_the_stored_object_matches_mlflows_upload(
    s3_server: str, s3_proxy: FaultProxy, small_parts: Path
) -> None:
    """mlflow's client, with the same settings, stores the same object: same bytes, same parts
    (so the same multipart ETag)."""
    import mlflow

    mlflow.set_tracking_uri(s3_server)
    try:
        # Experiment 0 named: mlflow's fluent state may hold another server's experiment.
        with mlflow.start_run(experiment_id="0") as run:
            mlflow.log_artifact(str(small_parts))
        mlflow_run_id = run.info.run_id
    finally:
        cast(Any, mlflow).set_tracking_uri(None)
    mlrs_run_id = _log_with_mlrs(s3_server, small_parts, None)
    s3 = _s3(s3_proxy)
    stored = []
    for run_id in (mlflow_run_id, mlrs_run_id):
        got = s3.get_object(Bucket=BUCKET, Key=_key(run_id, "weights.bin"))
        stored.append((got["ETag"], got["ContentLength"], got["Body"].read()))
    assert stored[0][0].strip('"').endswith("-3")
    assert stored[0] == stored[1]


def test_a_store_without_multipart_gets_one_put(
    tracking_server: str, small_parts: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Multipart forced on against a server whose artifacts are local files: the server answers
    that its store has none (501), and the file goes as one streamed PUT."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    proxy = FaultProxy(tracking_server)
    try:
        run_id = _log_with_mlrs(proxy.url, small_parts, "model")
        asked = [line.split(" ")[:2] for line in proxy.seen]
        got = mlrs.artifacts.download_artifacts(
            run_id=run_id, artifact_path="model/weights.bin", dst_path=str(tmp_path / "d")
        )
    finally:
        proxy.close()
    assert [m for m, p in asked if "/mpu/create/" in p] == ["POST"]
    puts = [p for m, p in asked if m == "PUT"]
    assert len(puts) == 1
    assert puts[0].endswith("/model/weights.bin")
    assert Path(got).read_bytes() == small_parts.read_bytes()


@pytest.mark.parametrize(
    ("fault", "said"),
    [(("status", 403), "403 Client Error"), (("lost", 0), "PUT http://127.0.0.1:")],
    ids=["refused", "connection-reset"],
)
def test_a_failed_part_aborts_the_upload(
    s3_server: str,
    s3_proxy: FaultProxy,
    small_parts: Path,
    fault: tuple[str, float],
    said: str,
) -> None:
    """The storage refuses part 2, or resets the connection instead of answering: the upload
    is aborted (no object, no upload left open) and the call raises MlflowException without
    the presigned URL's signature in its message."""
    s3_proxy.fail_matching("partNumber=2", *fault)
    mlrs.set_tracking_uri(s3_server)
    with mlrs.start_run(experiment_id="0") as run:
        with pytest.raises(MlflowException, match="Failed to upload at least one part") as raised:
            mlrs.log_artifact(str(small_parts), "broken")
        assert said in str(raised.value)
        assert "X-Amz-Signature" not in str(raised.value)
    s3 = _s3(s3_proxy)
    key = _key(run.info.run_id, "broken/weights.bin")
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=key)
    uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert [u for u in uploads if u["Key"] == key] == []
    assert any(line.startswith("DELETE ") and key in line for line in s3_proxy.seen)


_MEMORY_SCRIPT = """
import os, sys
import mlrs

def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

server, work, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
big = os.path.join(work, "big.bin")
with open(big, "wb") as f:  # a MB at a time: the script's own peak stays low
    for _ in range(size // (1024 * 1024)):
        f.write(os.urandom(1024 * 1024))
mlrs.set_tracking_uri(server)
with mlrs.start_run(experiment_id="0") as run:
    mlrs.log_text("warm", "warm.txt")
    before = peak_kb()
    mlrs.log_artifact(big, "blobs")
print(run.info.run_id, before, peak_kb())
"""


def test_parts_stream_in_flat_memory(s3_server: str, s3_proxy: FaultProxy, tmp_path: Path) -> None:
    """64 MB in 5 MB parts, several in flight: the process's peak RSS grows by far less than
    the file (parts stream from the file to the socket)."""
    size = 64 * MiB
    env = {
        **os.environ,
        "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(MiB),
        "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE": str(CHUNK),
        "MLRS_SPOOL_DIR": str(tmp_path / "spool"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, s3_server, str(tmp_path), str(size)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_id, before, after = done.stdout.split()[-3:]
    head = _s3(s3_proxy).head_object(Bucket=BUCKET, Key=_key(run_id, "blobs/big.bin"))
    assert head["ContentLength"] == size
    assert head["ETag"].strip('"').endswith("-13"), head["ETag"]
    grown_mb = (int(after) - int(before)) / 1024
    print(f"peak RSS grown by {grown_mb:.1f} MB over a {size // MiB} MB multipart upload")
    assert grown_mb < 16, (before, after)
