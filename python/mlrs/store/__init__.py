"""Store-side types at MLflow's import paths (``mlrs.store.entities.PagedList``)."""
