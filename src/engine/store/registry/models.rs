//! Registered models: creating, reading, renaming, updating, deleting and searching them.

use rusqlite::params;

use super::RegisteredModel;
use super::read::{
    MODEL_COLUMNS, complete_model, existing_model, model_from_row, model_row, qualified,
};
use super::tags::upsert_model_tag;
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::DEFAULT_WORKSPACE;
use crate::engine::search::registry::compile_registered_models;
use crate::engine::store::Store;
use crate::engine::validate::{
    py_repr, validate_model_name, validate_new_model_name, validate_registry_tag,
};

impl Store {
    pub fn create_registered_model(
        &self,
        name: &str,
        tags: Vec<(String, String)>,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        validate_model_name(name)?;
        for (key, value) in &tags {
            validate_registry_tag(key, value)?;
        }
        let name = name.to_owned();
        self.control(move |tx| {
            if let Some(existing) = model_row(tx, &name)? {
                let existing = complete_model(tx, existing)?;
                let was_prompt = existing
                    .tags
                    .iter()
                    .any(|(k, _)| k == crate::engine::search::registry::IS_PROMPT_TAG);
                return Err(if was_prompt {
                    Error::already_exists(format!(
                        "Tried to create a registered model with name {}, but the name is \
                         already taken by a prompt. MLflow does not allow creating a model and \
                         a prompt with the same name.",
                        py_repr(&name)
                    ))
                } else {
                    Error::already_exists(format!("Registered Model (name={name}) already exists."))
                });
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, \
                 description, workspace) VALUES (?1, ?2, ?2, ?3, ?4)",
                params![name, now, description, DEFAULT_WORKSPACE],
            )?;
            for (key, value) in &tags {
                upsert_model_tag(tx, &name, key, value)?;
            }
            existing_model(tx, &name)
        })
    }

    pub fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.read(|conn| existing_model(conn, name))
    }

    /// Renames the model; its versions, tags and aliases follow (the foreign keys cascade),
    /// and every version is stamped with the time of the rename, as MLflow does.
    pub fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        validate_new_model_name(new_name)?;
        let (name, new_name) = (name.to_owned(), new_name.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            let now = now_ms();
            if name != new_name && model_row(tx, &new_name)?.is_some() {
                return Err(Error::already_exists(format!(
                    "Registered Model (name={new_name}) already exists. Error: \
                     (sqlite3.IntegrityError) UNIQUE constraint failed: \
                     registered_models.workspace, registered_models.name"
                )));
            }
            tx.execute(
                "UPDATE registered_models SET name = ?1, last_updated_time = ?2 \
                 WHERE workspace = ?3 AND name = ?4",
                params![new_name, now, DEFAULT_WORKSPACE, name],
            )?;
            // SQLite cascades the new name to versions, tags and aliases through the foreign
            // keys; tables written by a store without them are updated here too.
            for table in [
                "model_versions",
                "registered_model_tags",
                "registered_model_aliases",
                "model_version_tags",
            ] {
                tx.execute(
                    &format!("UPDATE {table} SET name = ?1 WHERE workspace = ?2 AND name = ?3"),
                    params![new_name, DEFAULT_WORKSPACE, name],
                )?;
            }
            tx.execute(
                "UPDATE model_versions SET last_updated_time = ?1 WHERE workspace = ?2 \
                 AND name = ?3",
                params![now, DEFAULT_WORKSPACE, new_name],
            )?;
            existing_model(tx, &new_name)
        })
    }

    pub fn update_registered_model(
        &self,
        name: &str,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        let name = name.to_owned();
        self.control(move |tx| {
            existing_model(tx, &name)?;
            tx.execute(
                "UPDATE registered_models SET description = ?1, last_updated_time = ?2 \
                 WHERE workspace = ?3 AND name = ?4",
                params![description, now_ms(), DEFAULT_WORKSPACE, name],
            )?;
            existing_model(tx, &name)
        })
    }

    /// Deletes the model with all its versions, tags and aliases.
    pub fn delete_registered_model(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.control(move |tx| {
            existing_model(tx, &name)?;
            for table in [
                "model_version_tags",
                "registered_model_aliases",
                "registered_model_tags",
                "model_versions",
                "registered_models",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE workspace = ?1 AND name = ?2"),
                    params![DEFAULT_WORKSPACE, name],
                )?;
            }
            Ok(())
        })
    }

    /// Up to `limit` registered models from `offset`, in the search's order.
    pub fn search_registered_models(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisteredModel>> {
        let query = compile_registered_models(filter, order_by)?;
        self.read(|conn| {
            let sql = format!(
                "SELECT {} FROM registered_models WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
                qualified("registered_models", MODEL_COLUMNS),
                query.where_sql,
                query.order_sql,
                limit.max(0),
                offset.max(0)
            );
            let rows: Vec<RegisteredModel> = conn
                .prepare(&sql)?
                .query_map(rusqlite::params_from_iter(&query.params), model_from_row)?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|rm| complete_model(conn, rm))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::error::ErrorCode;

    use crate::engine::store::registry::testing::version;
    use crate::engine::store::testing::open;

    #[test]
    fn duplicate_and_missing_models_get_mlflows_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store
            .create_registered_model("m", Vec::new(), None)
            .unwrap();
        let err = store
            .create_registered_model("m", Vec::new(), None)
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ResourceAlreadyExists);
        assert_eq!(err.to_string(), "Registered Model (name=m) already exists.");
        let err = store.get_registered_model("nope").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ResourceDoesNotExist);
        assert_eq!(err.to_string(), "Registered Model with name=nope not found");
        assert!(
            store
                .create_registered_model("a/b", Vec::new(), None)
                .is_err()
        );
    }

    #[test]
    fn rename_moves_versions_tags_and_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store
            .create_registered_model("a", vec![("t".into(), "1".into())], None)
            .unwrap();
        let v = version(&store, "a", "/x");
        store
            .set_model_version_tag("a", v.version, "vt", "2")
            .unwrap();
        store.set_registered_model_alias("a", "champ", 1).unwrap();
        let rm = store.rename_registered_model("a", "b").unwrap();
        assert_eq!(rm.aliases, vec![("champ".into(), 1)]);
        let mv = store.get_model_version_by_alias("b", "champ").unwrap();
        assert_eq!(mv.tags, vec![("vt".into(), Some("2".into()))]);
        assert_eq!(mv.aliases, vec!["champ".to_owned()]);
        assert!(store.get_registered_model("a").is_err());
    }
}
