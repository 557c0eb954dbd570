//! `models:/` URIs: parsed as MLflow's `_parse_model_uri` does (a logged model, a version, the
//! latest version of a stage, an alias), and resolved to where the files are.

use rusqlite::Connection;

use super::read::{download_uri, existing_model, latest_of_stages, logged_model, version_by_alias};
use crate::engine::error::{Error, Result};
use crate::engine::store::Store;
use crate::engine::validate::{ALL_STAGES, canonical_stage};

/// What a `models:/` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelUri {
    /// `models:/<model_id>`: a logged model.
    LoggedModel(String),
    Version {
        name: String,
        version: String,
    },
    /// `models:/<name>/latest` (`stage` None) or `models:/<name>/<stage>`.
    Latest {
        name: String,
        stage: Option<String>,
    },
    Alias {
        name: String,
        alias: String,
    },
}

fn improper_models_uri(uri: &str) -> Error {
    Error::internal(format!(
        "Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/name/suffix' \
         or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and \
         where alias is a registered model alias. Only one of suffix or alias can be defined at \
         a time."
    ))
}

/// Parses a `models:/` URI as MLflow's `_parse_model_uri` does.
pub fn parse_models_uri(uri: &str) -> Result<ModelUri> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(improper_models_uri(uri));
    };
    if !scheme.eq_ignore_ascii_case("models") {
        return Err(improper_models_uri(uri));
    }
    // urlparse: `//netloc` goes away, the query is cut off; the path is what remains.
    let rest = rest.split(['?']).next().unwrap_or_default();
    let path = match rest.strip_prefix("//") {
        Some(after) => after.find('/').map_or("", |i| &after[i..]),
        None => rest,
    };
    if !path.starts_with('/') || path.len() <= 1 {
        return Err(improper_models_uri(uri));
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if parts.len() > 2 || parts[0].trim().is_empty() {
        return Err(improper_models_uri(uri));
    }
    if let [name, suffix] = parts[..] {
        if suffix.trim().is_empty() {
            return Err(improper_models_uri(uri));
        }
        if !suffix.is_empty() && suffix.chars().all(char::is_numeric) {
            return Ok(ModelUri::Version {
                name: name.to_owned(),
                version: suffix.to_owned(),
            });
        }
        let stage = (!suffix.eq_ignore_ascii_case("latest")).then(|| suffix.to_owned());
        return Ok(ModelUri::Latest {
            name: name.to_owned(),
            stage,
        });
    }
    if path.contains('@') {
        return match parts[0].rsplit_once('@') {
            Some((name, alias)) if !alias.trim().is_empty() => Ok(ModelUri::Alias {
                name: name.to_owned(),
                alias: alias.to_owned(),
            }),
            _ => Err(improper_models_uri(uri)),
        };
    }
    Ok(ModelUri::LoggedModel(parts[0].to_owned()))
}

pub(super) fn is_models_uri(uri: &str) -> bool {
    uri.split_once(':')
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("models"))
}

/// `int(version)` for the digit strings a models URI holds.
pub(super) fn parse_version_number(version: &str) -> Result<i64> {
    version.trim().parse::<i64>().map_err(|_| {
        Error::invalid(format!(
            "Parameter 'version' must be an integer, got '{version}'."
        ))
    })
}

/// Where `models:/...` points: a logged model's artifact location, or a model version's download
/// URI (by version, alias, `latest` or stage), with MLflow's errors.
fn resolve_models_uri(conn: &Connection, uri: &str) -> Result<String> {
    match parse_models_uri(uri)? {
        ModelUri::LoggedModel(id) => Ok(logged_model(conn, &id)?.artifact_location),
        ModelUri::Version { name, version } => {
            existing_model(conn, &name)?;
            download_uri(conn, &name, parse_version_number(&version)?)
        }
        ModelUri::Alias { name, alias } => {
            let mv = version_by_alias(conn, &name, &alias)?;
            download_uri(conn, &name, mv.version)
        }
        ModelUri::Latest { name, stage } => {
            let stages: Vec<&str> = match &stage {
                Some(stage) => vec![canonical_stage(stage)?],
                None => ALL_STAGES.to_vec(),
            };
            let latest = latest_of_stages(conn, &name, &stages)?;
            let Some(version) = latest.iter().map(|mv| mv.version).max() else {
                let stage_text = stage.map_or(String::new(), |s| format!(" and stage '{s}'"));
                return Err(Error::internal(format!(
                    "No versions of model with name '{name}'{stage_text} found"
                )));
            };
            download_uri(conn, &name, version)
        }
    }
}

impl Store {
    /// Where a `models:/` URI points (a logged model's or a model version's files).
    pub fn resolve_models_uri(&self, uri: &str) -> Result<String> {
        self.read(|conn| resolve_models_uri(conn, uri))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_uris_parse_like_mlflow() {
        assert_eq!(
            parse_models_uri("models:/m-abc").unwrap(),
            ModelUri::LoggedModel("m-abc".into())
        );
        assert_eq!(
            parse_models_uri("models:/Name/3").unwrap(),
            ModelUri::Version {
                name: "Name".into(),
                version: "3".into()
            }
        );
        assert_eq!(
            parse_models_uri("models:/Name@champ").unwrap(),
            ModelUri::Alias {
                name: "Name".into(),
                alias: "champ".into()
            }
        );
        assert_eq!(
            parse_models_uri("models:/Name/Latest").unwrap(),
            ModelUri::Latest {
                name: "Name".into(),
                stage: None
            }
        );
        assert!(parse_models_uri("models:/a/b/c").is_err());
        assert!(parse_models_uri("models:/").is_err());
        assert!(parse_models_uri("models:/x@").is_err());
    }
}
