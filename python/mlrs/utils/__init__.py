"""`mlrs.utils`, at MLflow's import path: the helper modules users import (`mlflow_tags`,
`time`)."""
