"""`mlrs.tracking.request_header`, at MLflow's import path: the shape of a request header
provider. Give one to `mlrs.set_request_header_provider`."""
