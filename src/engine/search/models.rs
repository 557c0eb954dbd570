//! `search_logged_models`: MLflow 3.18's filter grammar over logged models (attributes, the
//! latest value of metrics, params, tags), its `datasets` restriction and its `order_by`
//! (attributes and metrics), compiled to one SQLite query with every user value bound.

use rusqlite::types::Value as SqlValue;

use crate::engine::error::{Error, Result};
use crate::engine::search::lexer::{self, Token};
use crate::engine::search::{Comparison, Value, parse_comparison};

/// The columns of `logged_models` a filter or an ordering may name, after MLflow's aliases.
const COLUMNS: [&str; 11] = [
    "model_id",
    "experiment_id",
    "name",
    "artifact_location",
    "creation_timestamp_ms",
    "last_updated_timestamp_ms",
    "status",
    "lifecycle_stage",
    "model_type",
    "source_run_id",
    "status_message",
];
const NUMERIC_OPS: [&str; 6] = ["<", "<=", ">", ">=", "=", "!="];
const STRING_OPS: [&str; 6] = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];

/// A dataset a search is restricted to: its name, and its digest when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFilter {
    pub name: String,
    pub digest: Option<String>,
}

/// One `order_by` entry: a field (`name`, `creation_time`, `metrics.acc`, ...), the direction,
/// and for a metric the dataset whose values count.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub field: String,
    pub ascending: bool,
    pub dataset_name: Option<String>,
    pub dataset_digest: Option<String>,
}

/// The WHERE and ORDER BY of a models search over `logged_models AS lm`, and what they bind
/// (WHERE's values first).
#[derive(Debug)]
pub struct ModelQuery {
    pub where_sql: String,
    pub order_sql: String,
    pub params: Vec<SqlValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entity {
    Attribute,
    Metric,
    Param,
    Tag,
}

impl Entity {
    fn prefix(self) -> &'static str {
        match self {
            Entity::Attribute => "attributes",
            Entity::Metric => "metrics",
            Entity::Param => "params",
            Entity::Tag => "tags",
        }
    }
}

/// MLflow's attribute aliases (`creation_time` is `creation_timestamp_ms`).
fn alias(key: &str) -> &str {
    match key {
        "creation_time" | "creation_timestamp" => "creation_timestamp_ms",
        "last_updated_timestamp" => "last_updated_timestamp_ms",
        other => other,
    }
}

fn column(key: &str) -> Option<&'static str> {
    COLUMNS.iter().copied().find(|c| *c == key)
}

fn is_numeric(entity: Entity, key: &str) -> bool {
    entity == Entity::Metric
        || (entity == Entity::Attribute
            && matches!(key, "creation_timestamp_ms" | "last_updated_timestamp_ms"))
}

/// The entity and key of a filter identifier: `name`, `attributes.name`, `metrics.acc`,
/// ``tags.`my tag` ``.
fn entity_of(parts: &[String]) -> Result<(Entity, String)> {
    match parts {
        [key] => Ok((Entity::Attribute, alias(key).to_owned())),
        [entity, rest @ ..] => {
            let kind = match entity.as_str() {
                "attributes" => Entity::Attribute,
                "metrics" => Entity::Metric,
                "params" => Entity::Param,
                "tags" => Entity::Tag,
                other => {
                    return Err(Error::invalid(format!(
                        "Invalid entity type: '{other}'. Expected one of ['attributes', \
                         'metrics', 'params', 'tags']."
                    )));
                }
            };
            let key = rest.join(".");
            Ok((
                kind,
                if kind == Entity::Attribute {
                    alias(&key).to_owned()
                } else {
                    key
                },
            ))
        }
        [] => Err(Error::invalid("Empty identifier in filter string")),
    }
}

fn tuple_text(ops: &[&str]) -> String {
    let quoted: Vec<String> = ops.iter().map(|o| format!("'{o}'")).collect();
    format!("({})", quoted.join(", "))
}

/// The values of a comparison, as MLflow reads them: numbers for numeric entities, text (or a
/// list of texts for IN) otherwise.
fn values(entity: Entity, key: &str, op: &str, value: &Value) -> Result<Vec<SqlValue>> {
    if is_numeric(entity, key) {
        let text = match value {
            Value::Number(n) | Value::Ident(n) => n.clone(),
            other => other.text(),
        };
        return text
            .parse::<f64>()
            .map(|f| vec![SqlValue::Real(f)])
            .map_err(|_| {
                Error::invalid(format!(
                    "Invalid numeric value for {}.{key}: {text}",
                    entity.prefix()
                ))
            });
    }
    let texts = match (op, value) {
        ("IN" | "NOT IN", Value::List(items)) => items.clone(),
        ("IN" | "NOT IN", Value::Str(s)) => vec![s.clone()],
        ("IN" | "NOT IN", other) => {
            return Err(Error::invalid(format!(
                "Invalid value for {op}: {}. Expected a parenthesised list of quoted strings.",
                other.text()
            )));
        }
        (_, Value::Str(s) | Value::Number(s) | Value::Ident(s)) => vec![s.clone()],
        (_, other) => {
            return Err(Error::invalid(format!(
                "Invalid value for {}.{key}: {}. Expected a quoted string.",
                entity.prefix(),
                other.text()
            )));
        }
    };
    if entity == Entity::Attribute && key == "status" {
        if !matches!(op, "=" | "!=" | "IN" | "NOT IN") {
            return Err(Error::invalid(format!(
                "Invalid comparison operator for status: {op}"
            )));
        }
        return texts
            .iter()
            .map(|t| match status_code(t) {
                Some(code) => Ok(SqlValue::Integer(code)),
                None => Err(Error::invalid(format!(
                    "Unknown model status in filter: {}",
                    crate::engine::validate::py_repr(t)
                ))),
            })
            .collect();
    }
    Ok(texts.into_iter().map(SqlValue::Text).collect())
}

/// `LoggedModelStatus` names (and their numbers as text) as stored.
fn status_code(text: &str) -> Option<i64> {
    match text {
        "UNSPECIFIED" | "LOGGED_MODEL_STATUS_UNSPECIFIED" | "0" => Some(0),
        "PENDING" | "LOGGED_MODEL_PENDING" | "1" => Some(1),
        "READY" | "LOGGED_MODEL_READY" | "2" => Some(2),
        "FAILED" | "LOGGED_MODEL_UPLOAD_FAILED" | "3" => Some(3),
        _ => None,
    }
}

/// `<expr> <op> <values>` with the values pushed onto `params`.
fn predicate(expr: &str, op: &str, values: Vec<SqlValue>, params: &mut Vec<SqlValue>) -> String {
    let sql = match op {
        "IN" | "NOT IN" => {
            let marks = vec!["?"; values.len()].join(", ");
            format!("{expr} {op} ({marks})")
        }
        "ILIKE" => format!("lower({expr}) LIKE lower(?)"),
        other => format!("{expr} {other} ?"),
    };
    params.extend(values);
    sql
}

/// `(name = ? [AND digest = ?]) OR ...` over `logged_model_metrics` aliased `alias`, or None.
fn datasets_sql(
    datasets: &[DatasetFilter],
    alias: &str,
    params: &mut Vec<SqlValue>,
) -> Option<String> {
    if datasets.is_empty() {
        return None;
    }
    let parts: Vec<String> = datasets
        .iter()
        .map(|d| {
            params.push(SqlValue::Text(d.name.clone()));
            match &d.digest {
                Some(digest) => {
                    params.push(SqlValue::Text(digest.clone()));
                    format!("({alias}.dataset_name = ? AND {alias}.dataset_digest = ?)")
                }
                None => format!("({alias}.dataset_name = ?)"),
            }
        })
        .collect();
    Some(format!("({})", parts.join(" OR ")))
}

/// The latest value of metric `key` of the model `lm` (highest step, then timestamp, then
/// value), counting only points that meet `extra` (dataset conditions).
fn latest_metric_sql(extra: &[String], params: &mut Vec<SqlValue>, key: &str) -> String {
    params.push(SqlValue::Text(key.to_owned()));
    let mut conditions = String::new();
    for e in extra {
        conditions.push_str(" AND ");
        conditions.push_str(e);
    }
    format!(
        "(SELECT mm.metric_value FROM logged_model_metrics mm WHERE mm.model_id = lm.model_id \
         AND mm.metric_name = ?{conditions} ORDER BY mm.metric_step DESC, \
         mm.metric_timestamp_ms DESC, mm.metric_value DESC LIMIT 1)"
    )
}

fn filter_error(filter: &str) -> Error {
    Error::invalid(format!(
        "Invalid filter string: {}. Expected a list of comparisons separated by 'AND' (e.g. \
         'metrics.loss > 0.1 AND params.lr = 0.01').",
        crate::engine::validate::py_repr(filter)
    ))
}

/// The comparisons of a filter string: `<identifier> <op> <value>` joined by AND.
fn parse(filter: &str) -> Result<Vec<Comparison>> {
    let tokens = lexer::tokenize(filter)?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Token::Keyword("AND") {
            i += 1;
            continue;
        }
        if !matches!(tokens[i], Token::Ident(_)) {
            return Err(filter_error(filter));
        }
        let (comparison, next) = parse_comparison(&tokens, i).map_err(|_| filter_error(filter))?;
        out.push(comparison);
        i = next;
    }
    Ok(out)
}

/// Compiles a search over the experiments `experiment_count` placeholders name (bound first by
/// the caller), with `filter`, `datasets` and `order_by`.
pub fn compile(
    filter: Option<&str>,
    datasets: &[DatasetFilter],
    order_by: &[OrderBy],
) -> Result<ModelQuery> {
    let mut params = Vec::new();
    let mut clauses = Vec::new();
    let comparisons = match filter {
        Some(f) if !f.trim().is_empty() => parse(f)?,
        _ => Vec::new(),
    };
    let mut has_metric_filter = false;
    for c in &comparisons {
        let (entity, key) = entity_of(&c.ident)?;
        let op = c.comparator.to_ascii_uppercase();
        let ops: &[&str] = if is_numeric(entity, &key) {
            &NUMERIC_OPS
        } else {
            &STRING_OPS
        };
        if !ops.contains(&op.as_str()) {
            return Err(Error::invalid(format!(
                "Invalid comparison operator for {}.{key}: '{op}'. Expected one of {}.",
                entity.prefix(),
                tuple_text(ops)
            )));
        }
        let bound = values(entity, &key, &op, &c.value)?;
        let clause = match entity {
            Entity::Attribute => {
                let col = column(&key).ok_or_else(|| {
                    Error::invalid(format!(
                        "Invalid attribute key '{key}' specified. Valid keys are {}.",
                        tuple_text(&COLUMNS)
                    ))
                })?;
                predicate(&format!("lm.{col}"), &op, bound, &mut params)
            }
            Entity::Metric => {
                has_metric_filter = true;
                let mut extra = Vec::new();
                let mut ds_params = Vec::new();
                if let Some(sql) = datasets_sql(datasets, "mm", &mut ds_params) {
                    extra.push(sql);
                }
                let mut metric_params = Vec::new();
                let latest = latest_metric_sql(&extra, &mut metric_params, &key);
                params.extend(metric_params);
                params.extend(ds_params);
                predicate(&latest, &op, bound, &mut params)
            }
            Entity::Param | Entity::Tag => {
                let (table, k, v) = if entity == Entity::Param {
                    ("logged_model_params", "param_key", "param_value")
                } else {
                    ("logged_model_tags", "tag_key", "tag_value")
                };
                params.push(SqlValue::Text(key.clone()));
                let p = predicate(&format!("e.{v}"), &op, bound, &mut params);
                format!(
                    "EXISTS (SELECT 1 FROM {table} e WHERE e.model_id = lm.model_id \
                     AND e.{k} = ? AND {p})"
                )
            }
        };
        clauses.push(clause);
    }
    if !has_metric_filter && let Some(sql) = datasets_sql(datasets, "mm", &mut params) {
        clauses.push(format!(
            "EXISTS (SELECT 1 FROM logged_model_metrics mm WHERE mm.model_id = lm.model_id \
             AND {sql})"
        ));
    }
    let where_sql = if clauses.is_empty() {
        "1 = 1".to_owned()
    } else {
        clauses.join(" AND ")
    };
    let order_sql = compile_order(order_by, datasets, &mut params)?;
    Ok(ModelQuery {
        where_sql,
        order_sql,
        params,
    })
}

fn compile_order(
    order_by: &[OrderBy],
    datasets: &[DatasetFilter],
    params: &mut Vec<SqlValue>,
) -> Result<String> {
    let mut clauses = Vec::new();
    let (mut has_created, mut has_id) = (false, false);
    for ob in order_by {
        let direction = if ob.ascending { "ASC" } else { "DESC" };
        let Some((entity, key)) = ob.field.split_once('.') else {
            let name = alias(&ob.field);
            let col = column(name).ok_or_else(|| {
                Error::invalid(format!("Invalid order by field name: {}", ob.field))
            })?;
            has_created |= col == "creation_timestamp_ms";
            has_id |= col == "model_id";
            clauses.push(format!("(lm.{col} IS NULL) ASC, lm.{col} {direction}"));
            continue;
        };
        if entity != "metrics" {
            return Err(Error::invalid(format!(
                "Invalid order by field name: {}. Only metrics are supported.",
                ob.field
            )));
        }
        let mut extra = Vec::new();
        let mut ds_params = Vec::new();
        if let Some(sql) = datasets_sql(datasets, "mm", &mut ds_params) {
            extra.push(sql);
        }
        if let Some(name) = &ob.dataset_name {
            extra.push("mm.dataset_name = ?".to_owned());
            ds_params.push(SqlValue::Text(name.clone()));
        }
        if let Some(digest) = &ob.dataset_digest {
            extra.push("mm.dataset_digest = ?".to_owned());
            ds_params.push(SqlValue::Text(digest.clone()));
        }
        // The latest value appears twice (NULLs last, then the value): bind its values twice.
        for _ in 0..2 {
            let mut metric_params = Vec::new();
            let latest = latest_metric_sql(&extra, &mut metric_params, key);
            params.extend(metric_params);
            params.extend(ds_params.iter().cloned());
            clauses.push(latest);
        }
        let value = clauses.pop().unwrap_or_default();
        let nulls = clauses.pop().unwrap_or_default();
        clauses.push(format!("({nulls} IS NULL) ASC, {value} {direction}"));
    }
    if !has_created {
        clauses.push("lm.creation_timestamp_ms DESC".to_owned());
    }
    if !has_id {
        clauses.push("lm.model_id ASC".to_owned());
    }
    Ok(clauses.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_and_inside_stay_whole() {
        let q = compile(
            Some("name = 'cats and dogs' AND metrics.acc > 0.5"),
            &[],
            &[],
        )
        .unwrap();
        assert!(q.where_sql.contains("lm.name = ?"));
        assert_eq!(q.params[0], SqlValue::Text("cats and dogs".into()));
        assert!(q.where_sql.contains("mm.metric_name = ?"));
        assert_eq!(q.params.last(), Some(&SqlValue::Real(0.5)));
    }

    #[test]
    fn bad_filters_get_mlflow_messages() {
        let or = compile(Some("name = 'a' OR name = 'b'"), &[], &[]).unwrap_err();
        assert!(
            or.to_string()
                .starts_with("Invalid filter string: \"name = 'a' OR"),
            "{or}"
        );
        let op = compile(Some("metrics.acc LIKE '1'"), &[], &[]).unwrap_err();
        assert_eq!(
            op.to_string(),
            "Invalid comparison operator for metrics.acc: 'LIKE'. Expected one of ('<', '<=', \
             '>', '>=', '=', '!=')."
        );
        let entity = compile(Some("foo.bar = 'x'"), &[], &[]).unwrap_err();
        assert!(entity.to_string().starts_with("Invalid entity type: 'foo'"));
        let status = compile(Some("status = 'SHINY'"), &[], &[]).unwrap_err();
        assert_eq!(
            status.to_string(),
            "Unknown model status in filter: 'SHINY'"
        );
        let order = OrderBy {
            field: "params.p".into(),
            ascending: true,
            dataset_name: None,
            dataset_digest: None,
        };
        assert!(compile(None, &[], &[order]).is_err());
    }

    #[test]
    fn order_by_metric_binds_its_values_in_order() {
        let order = OrderBy {
            field: "metrics.acc".into(),
            ascending: false,
            dataset_name: Some("train".into()),
            dataset_digest: None,
        };
        let q = compile(Some("tags.t IN ('a', 'b')"), &[], &[order]).unwrap();
        assert_eq!(
            q.where_sql.matches('?').count() + q.order_sql.matches('?').count(),
            7
        );
        assert_eq!(q.params.len(), 7);
        assert!(
            q.order_sql
                .ends_with("lm.creation_timestamp_ms DESC, lm.model_id ASC")
        );
    }
}
