//! Saved views of `mlrs ui`: the SPA's state under a name, kept as the experiment tag
//! `mlrs.view.<name>` holding the state's JSON, so whoever opens the same file (or server) sees
//! the same views. The state is opaque here.

use crate::engine::backend::Backend;
use crate::engine::error::{Error, Result};

/// The tag prefix of saved views.
pub const VIEW_TAG_PREFIX: &str = "mlrs.view.";

/// The longest view name (the tag key, prefix included, stays within MLflow's 250 characters).
pub const MAX_VIEW_NAME: usize = 200;

fn check_name(name: &str) -> Result<()> {
    let length = name.chars().count();
    if length == 0 || length > MAX_VIEW_NAME {
        return Err(Error::invalid(format!(
            "A view name must have 1 to {MAX_VIEW_NAME} characters; got {length}."
        )));
    }
    Ok(())
}

/// The views of an experiment as (name, state JSON), sorted by name.
pub fn list(store: &dyn Backend, experiment_id: &str) -> Result<Vec<(String, String)>> {
    let experiment = store.get_experiment(experiment_id)?;
    let mut views: Vec<(String, String)> = experiment
        .tags
        .into_iter()
        .filter_map(|(key, value)| Some((key.strip_prefix(VIEW_TAG_PREFIX)?.to_owned(), value)))
        .collect();
    views.sort();
    Ok(views)
}

/// Saves (or replaces) a view; `state_json` is stored as given (MLflow's tag rules apply: at
/// most 20000 characters, an active experiment).
pub fn save(store: &dyn Backend, experiment_id: &str, name: &str, state_json: &str) -> Result<()> {
    check_name(name)?;
    store.set_experiment_tag(
        experiment_id,
        &format!("{VIEW_TAG_PREFIX}{name}"),
        state_json,
    )
}

pub fn delete(store: &dyn Backend, experiment_id: &str, name: &str) -> Result<()> {
    check_name(name)?;
    store
        .delete_experiment_tag(experiment_id, &format!("{VIEW_TAG_PREFIX}{name}"))
        .map_err(|e| match e.code() {
            crate::engine::ErrorCode::ResourceDoesNotExist => Error::not_found(format!(
                "No view named {name:?} in experiment {experiment_id}"
            )),
            _ => e,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::testing::open;

    #[test]
    fn views_round_trip_as_experiment_tags() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let id = store
            .create_experiment("e", None, Vec::new())
            .unwrap()
            .to_string();
        save(&store, &id, "loss only", r#"{"keys":["loss"]}"#).unwrap();
        save(&store, &id, "a", "{}").unwrap();
        save(&store, &id, "a", r#"{"x":1}"#).unwrap();
        assert_eq!(
            list(&store, &id).unwrap(),
            [
                ("a".to_owned(), r#"{"x":1}"#.to_owned()),
                ("loss only".to_owned(), r#"{"keys":["loss"]}"#.to_owned())
            ]
        );
        // A second store on the same file (a teammate) sees them.
        let other = open(&dir);
        assert_eq!(list(&other, &id).unwrap().len(), 2);
        let tags = other.get_experiment(&id).unwrap().tags;
        assert!(tags.iter().any(|(k, _)| k == "mlrs.view.loss only"));
        delete(&store, &id, "a").unwrap();
        assert_eq!(list(&store, &id).unwrap().len(), 1);
        let err = delete(&store, &id, "a").unwrap_err();
        assert_eq!(err.code(), crate::engine::ErrorCode::ResourceDoesNotExist);
        assert!(save(&store, &id, "", "{}").is_err());
        let too_long = "x".repeat(20_001);
        assert!(
            save(&store, &id, "big", &too_long).is_err(),
            "MLflow's tag limit"
        );
    }
}
