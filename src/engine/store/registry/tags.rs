//! Tags of registered models and of model versions, and aliases (a name for one version of a
//! model).

use rusqlite::{Connection, params};

use super::ModelVersion;
use super::read::{existing_model, existing_version, version_by_alias};
use crate::engine::error::Result;
use crate::engine::model::DEFAULT_WORKSPACE;
use crate::engine::store::Store;
use crate::engine::validate::{
    validate_alias_name, validate_alias_not_reserved, validate_model_name, validate_registry_tag,
    validate_registry_tag_key,
};

pub(super) fn upsert_model_tag(tx: &Connection, name: &str, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (workspace, key, name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value, name, DEFAULT_WORKSPACE])?;
    Ok(())
}

pub(super) fn upsert_version_tag(
    tx: &Connection,
    name: &str,
    version: i64,
    key: &str,
    value: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO model_version_tags (key, value, name, version, workspace) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace, key, name, version) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value, name, version, DEFAULT_WORKSPACE])?;
    Ok(())
}

impl Store {
    pub fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag(key, value)?;
        let (name, key, value) = (name.to_owned(), key.to_owned(), value.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            upsert_model_tag(tx, &name, &key, &value)
        })
    }

    /// Deletes the tag if the model has it (a missing tag is not an error).
    pub fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag_key(key)?;
        let (name, key) = (name.to_owned(), key.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            tx.execute(
                "DELETE FROM registered_model_tags WHERE workspace = ?1 AND name = ?2 AND key = ?3",
                params![DEFAULT_WORKSPACE, name, key],
            )?;
            Ok(())
        })
    }

    pub fn set_model_version_tag(
        &self,
        name: &str,
        version: i64,
        key: &str,
        value: &str,
    ) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag(key, value)?;
        let (name, key, value) = (name.to_owned(), key.to_owned(), value.to_owned());
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            upsert_version_tag(tx, &name, version, &key, &value)
        })
    }

    pub fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag_key(key)?;
        let (name, key) = (name.to_owned(), key.to_owned());
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            tx.execute(
                "DELETE FROM model_version_tags WHERE workspace = ?1 AND name = ?2 \
                 AND version = ?3 AND key = ?4",
                params![DEFAULT_WORKSPACE, name, version, key],
            )?;
            Ok(())
        })
    }

    pub fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        validate_model_name(name)?;
        validate_alias_name(alias)?;
        validate_alias_not_reserved(alias)?;
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            tx.execute(
                "INSERT INTO registered_model_aliases (alias, version, name, workspace) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (workspace, name, alias) \
                 DO UPDATE SET version = excluded.version",
                params![alias, version, name, DEFAULT_WORKSPACE],
            )?;
            Ok(())
        })
    }

    pub fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_alias_name(alias)?;
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE workspace = ?1 AND name = ?2 \
                 AND alias = ?3",
                params![DEFAULT_WORKSPACE, name, alias],
            )?;
            Ok(())
        })
    }

    /// The version an alias points at; `latest` (any case) is the highest live version.
    pub fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        self.read(|conn| version_by_alias(conn, name, alias))
    }
}
