//! The model registry over a tracking server's REST API (`registered-models/*`,
//! `model-versions/*`), the requests MLflow's registry `RestStore` sends. The server checks
//! names, tags, stages and aliases and answers with MLflow's error codes; what MLflow's client
//! checks before sending, mlrs checks in its Python layer for every backend alike.

use percent_encoding::utf8_percent_encode;
use serde_json::{Value, json};

use crate::engine::error::{Error, Result};
use crate::engine::registry::Registry;
use crate::engine::remote::artifacts::SEGMENT;
use crate::engine::remote::{RemoteStore, json as entities};
use crate::engine::store::registry::{
    ModelUri, ModelVersion, NewModelVersion, RegisteredModel, parse_models_uri,
};

/// The server's page limits (`SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD`,
/// `SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD`): longer pages are asked for in parts.
const MAX_MODELS_PAGE: i64 = 1_000;
const MAX_VERSIONS_PAGE: i64 = 200_000;

fn field<'a>(answer: &'a Value, key: &str) -> &'a Value {
    answer.get(key).unwrap_or(&Value::Null)
}

fn versions_of(answer: &Value) -> Result<Vec<ModelVersion>> {
    answer
        .get("model_versions")
        .and_then(Value::as_array)
        .map_or(Ok(Vec::new()), |vs| {
            vs.iter().map(entities::model_version).collect()
        })
}

impl RemoteStore {
    /// Up to `limit` rows from `offset` of a registry search, in pages the server accepts
    /// (mlrs asks for one row more than a page to learn whether another follows).
    fn search_pages(
        &self,
        endpoint: &str,
        filter: &str,
        order_by: &[String],
        (limit, offset, max_page): (i64, i64, i64),
        items: &str,
    ) -> Result<Vec<Value>> {
        let mut found: Vec<Value> = Vec::new();
        loop {
            let got = i64::try_from(found.len()).unwrap_or(i64::MAX);
            if got >= limit {
                break;
            }
            let mut query = vec![
                ("filter", filter.to_owned()),
                ("max_results", (limit - got).min(max_page).to_string()),
            ];
            query.extend(order_by.iter().map(|o| ("order_by", o.clone())));
            if let Some(token) = entities::page_token(offset + got) {
                query.push(("page_token", token));
            }
            let answer = self.client.get(endpoint, &query)?;
            let page = answer.get(items).and_then(Value::as_array);
            let page_len = page.map_or(0, Vec::len);
            found.extend(page.into_iter().flatten().cloned());
            let more = answer
                .get("next_page_token")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty());
            if !more || page_len == 0 {
                break;
            }
        }
        Ok(found)
    }

    fn latest_version_number(&self, name: &str, stage: Option<&str>) -> Result<i64> {
        let stages: Vec<String> = stage.map(str::to_owned).into_iter().collect();
        let latest = Registry::get_latest_versions(self, name, &stages)?;
        latest.iter().map(|mv| mv.version).max().ok_or_else(|| {
            let stage_text = stage.map_or(String::new(), |s| format!(" and stage '{s}'"));
            Error::internal(format!(
                "No versions of model with name '{name}'{stage_text} found"
            ))
        })
    }
}

impl Registry for RemoteStore {
    fn create_registered_model(
        &self,
        name: &str,
        tags: Vec<(String, String)>,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        let mut body = json!({
            "name": name,
            "tags": entities::key_values_json(tags.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())))),
        });
        if let Some(description) = description {
            body["description"] = json!(description);
        }
        let answer = self.client.post("registered-models/create", &body)?;
        entities::registered_model(field(&answer, "registered_model"))
    }

    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let answer = self
            .client
            .get("registered-models/get", &[("name", name.to_owned())])?;
        entities::registered_model(field(&answer, "registered_model"))
    }

    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        let answer = self.client.post(
            "registered-models/rename",
            &json!({"name": name, "new_name": new_name}),
        )?;
        entities::registered_model(field(&answer, "registered_model"))
    }

    fn update_registered_model(
        &self,
        name: &str,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        let mut body = json!({"name": name});
        if let Some(description) = description {
            body["description"] = json!(description);
        }
        let answer = self
            .client
            .call("PATCH", "registered-models/update", &[], Some(&body))?;
        entities::registered_model(field(&answer, "registered_model"))
    }

    fn delete_registered_model(&self, name: &str) -> Result<()> {
        self.client.call(
            "DELETE",
            "registered-models/delete",
            &[],
            Some(&json!({"name": name})),
        )?;
        Ok(())
    }

    fn search_registered_models(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisteredModel>> {
        self.search_pages(
            "registered-models/search",
            filter,
            order_by,
            (limit, offset, MAX_MODELS_PAGE),
            "registered_models",
        )?
        .iter()
        .map(entities::registered_model)
        .collect()
    }

    fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        self.client.post(
            "registered-models/set-tag",
            &json!({"name": name, "key": key, "value": value}),
        )?;
        Ok(())
    }

    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        self.client.call(
            "DELETE",
            "registered-models/delete-tag",
            &[],
            Some(&json!({"name": name, "key": key})),
        )?;
        Ok(())
    }

    fn get_latest_versions(&self, name: &str, stages: &[String]) -> Result<Vec<ModelVersion>> {
        let answer = self.client.post(
            "registered-models/get-latest-versions",
            &json!({"name": name, "stages": stages}),
        )?;
        versions_of(&answer)
    }

    fn create_model_version(&self, new: NewModelVersion) -> Result<ModelVersion> {
        let mut body = json!({
            "name": new.name,
            "source": new.source,
            "tags": entities::key_values_json(
                new.tags.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())))
            ),
        });
        for (key, value) in [
            ("run_id", new.run_id),
            ("run_link", new.run_link),
            ("description", new.description),
            ("model_id", new.model_id),
        ] {
            if let Some(value) = value {
                body[key] = json!(value);
            }
        }
        let answer = self.client.post("model-versions/create", &body)?;
        entities::model_version(field(&answer, "model_version"))
    }

    fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let answer = self.client.get(
            "model-versions/get",
            &[("name", name.to_owned()), ("version", version.to_string())],
        )?;
        entities::model_version(field(&answer, "model_version"))
    }

    fn update_model_version(
        &self,
        name: &str,
        version: i64,
        description: Option<String>,
    ) -> Result<ModelVersion> {
        let mut body = json!({"name": name, "version": version.to_string()});
        if let Some(description) = description {
            body["description"] = json!(description);
        }
        let answer = self
            .client
            .call("PATCH", "model-versions/update", &[], Some(&body))?;
        entities::model_version(field(&answer, "model_version"))
    }

    fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        self.client.call(
            "DELETE",
            "model-versions/delete",
            &[],
            Some(&json!({"name": name, "version": version.to_string()})),
        )?;
        Ok(())
    }

    fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: &str,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        let answer = self.client.post(
            "model-versions/transition-stage",
            &json!({
                "name": name,
                "version": version.to_string(),
                "stage": stage,
                "archive_existing_versions": archive_existing_versions,
            }),
        )?;
        entities::model_version(field(&answer, "model_version"))
    }

    fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        let answer = self.client.get(
            "model-versions/get-download-uri",
            &[("name", name.to_owned()), ("version", version.to_string())],
        )?;
        Ok(answer
            .get("artifact_uri")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    fn search_model_versions(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ModelVersion>> {
        self.search_pages(
            "model-versions/search",
            filter,
            order_by,
            (limit, offset, MAX_VERSIONS_PAGE),
            "model_versions",
        )?
        .iter()
        .map(entities::model_version)
        .collect()
    }

    fn set_model_version_tag(
        &self,
        name: &str,
        version: i64,
        key: &str,
        value: &str,
    ) -> Result<()> {
        self.client.post(
            "model-versions/set-tag",
            &json!({"name": name, "version": version.to_string(), "key": key, "value": value}),
        )?;
        Ok(())
    }

    fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        self.client.call(
            "DELETE",
            "model-versions/delete-tag",
            &[],
            Some(&json!({"name": name, "version": version.to_string(), "key": key})),
        )?;
        Ok(())
    }

    fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        self.client.post(
            "registered-models/alias",
            &json!({"name": name, "alias": alias, "version": version.to_string()}),
        )?;
        Ok(())
    }

    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        self.client.call(
            "DELETE",
            "registered-models/alias",
            &[],
            Some(&json!({"name": name, "alias": alias})),
        )?;
        Ok(())
    }

    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        let answer = self.client.get(
            "registered-models/alias",
            &[("name", name.to_owned()), ("alias", alias.to_owned())],
        )?;
        entities::model_version(field(&answer, "model_version"))
    }

    /// As MLflow's `ModelsArtifactRepository` resolves it through the client: a logged model's
    /// artifact URI, or the server's download URI of the version the URI names.
    fn resolve_models_uri(&self, uri: &str) -> Result<String> {
        let (name, version) = match parse_models_uri(uri)? {
            ModelUri::LoggedModel(id) => {
                let id = utf8_percent_encode(&id, SEGMENT);
                let answer = self.client.get(&format!("logged-models/{id}"), &[])?;
                let info = field(field(&answer, "model"), "info");
                return Ok(info
                    .get("artifact_uri")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned());
            }
            ModelUri::Version { name, version } => {
                let number = version.parse::<i64>().map_err(|_| {
                    Error::invalid(format!(
                        "Parameter 'version' must be an integer, got '{version}'."
                    ))
                })?;
                (name, number)
            }
            ModelUri::Alias { name, alias } => {
                let number = Registry::get_model_version_by_alias(self, &name, &alias)?.version;
                (name, number)
            }
            ModelUri::Latest { name, stage } => {
                let number = self.latest_version_number(&name, stage.as_deref())?;
                (name, number)
            }
        };
        Registry::get_model_version_download_uri(self, &name, version)
    }
}
