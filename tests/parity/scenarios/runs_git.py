"""Git tags: the scenario makes its own directory a git repository with a remote, then runs.

mlflow looks at the repository that holds ``sys.argv[0]`` (this script) once per process, so
the repository is set up before the first run starts.
"""

import os
import subprocess

from _parity import mlflow, record

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "parity",
    "GIT_AUTHOR_EMAIL": "parity@example.com",
    "GIT_COMMITTER_NAME": "parity",
    "GIT_COMMITTER_EMAIL": "parity@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], env=GIT_ENV, capture_output=True, text=True, check=True)
    return done.stdout.strip()


git("init", "-q", "-b", "trunk")
git("remote", "add", "origin", "https://user:secret@example.com/team/project.git")
git("remote", "add", "backup", "git@example.com:team/backup.git")
with open(".gitignore", "w") as ignore:
    ignore.write("mlflow.db\nhome/\n")
git("add", "-A")
git("commit", "-q", "-m", "initial")
head = git("rev-parse", "HEAD")
with open("dirty.txt", "w") as dirty:
    dirty.write("uncommitted change\n")

with mlflow.start_run() as run:
    pass
tags = mlflow.get_run(run.info.run_id).data.tags
record("git commit is HEAD", tags.get("mlflow.source.git.commit") == head)
record(
    "tags",
    {key: value for key, value in tags.items() if key != "mlflow.source.git.commit"},
)
record("no dirty tag", "mlflow.source.git.dirty" not in tags)

with mlflow.start_run(nested=False, tags={"mlflow.source.git.branch": "override"}) as run:
    pass
record(
    "user tag overrides git tag",
    mlflow.get_run(run.info.run_id).data.tags.get("mlflow.source.git.branch"),
)

client_run = mlflow.MlflowClient().create_run("0")
record("client create_run adds no git tags", sorted(client_run.data.tags))
