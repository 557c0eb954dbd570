//! `search_runs`: MLflow 3.18's filter grammar over metrics (latest values), params, tags,
//! run attributes and datasets, and its `order_by`, compiled to one SQLite query with every
//! user value bound as a parameter.

use rusqlite::types::Value as SqlValue;

use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::model::ViewType;
use crate::engine::search::{
    Comparison, Style, Value, list_error, parse_conjunction_styled, parse_order_by, py_repr,
};

/// Python's repr of MLflow's sets under the parity harness's `PYTHONHASHSEED=0`; MLflow puts
/// the sets themselves in its messages.
const SEARCH_KEYS: &str = "{'artifact_uri', 'status', 'Created', 'Run Name', 'run name', \
    'run_name', 'run_id', 'start_time', 'user_id', 'Run name', 'end_time', 'created'}";
const ORDER_KEYS: &str = "{'artifact_uri', 'status', 'Created', 'run_name', 'run_id', \
    'start_time', 'user_id', 'end_time', 'created'}";
const DATASET_KEYS: &str = "{'digest', 'context', 'name'}";
const METRIC_COMPARATORS: &str = "{'<', '>', '=', '>=', '<=', '!='}";
const STRING_COMPARATORS: &str = "{'IN', 'LIKE', '=', 'NOT IN', 'ILIKE', '!='}";
const PARAM_COMPARATORS: &str = "{'LIKE', 'IS NULL', '=', 'IS NOT NULL', 'ILIKE', '!='}";

const STRING_ATTRIBUTES: [&str; 5] = ["run_id", "run_name", "status", "user_id", "artifact_uri"];
const NUMERIC_ATTRIBUTES: [&str; 4] = ["start_time", "end_time", "created", "Created"];
const NAME_ALIASES: [&str; 3] = ["run name", "Run name", "Run Name"];
const ORDER_ATTRIBUTES: [&str; 9] = [
    "artifact_uri",
    "end_time",
    "run_id",
    "run_name",
    "start_time",
    "status",
    "user_id",
    "created",
    "Created",
];

/// A compiled runs search: `SELECT runs.run_uuid FROM runs {joins} WHERE {where} ORDER BY
/// {order}`, binding `params` in that textual order.
#[derive(Debug)]
pub struct RunQuery {
    pub join_sql: String,
    pub where_sql: String,
    pub order_sql: String,
    pub params: Vec<SqlValue>,
    /// How many of `params` the joins bind (they come first).
    pub join_param_count: usize,
}

impl RunQuery {
    /// The whole statement for one page.
    pub fn sql(&self, limit: i64, offset: i64) -> String {
        format!(
            "SELECT runs.run_uuid FROM runs{} WHERE {} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            self.join_sql, self.where_sql, self.order_sql
        )
    }

    /// The statement counting every run the search selects, with `count_params`.
    pub fn count_sql(&self) -> String {
        format!("SELECT count(*) FROM runs WHERE {}", self.where_sql)
    }

    pub fn count_params(&self) -> &[SqlValue] {
        &self.params[self.join_param_count..]
    }
}

/// How a metric order_by key reduces a run's points: MLflow's latest value, or (an mlrs
/// extension for the UI's metric columns, written `min(metrics.loss)`) the smallest, largest or
/// first value over every point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reducer {
    Last,
    Min,
    Max,
    First,
}

/// `min(metrics.k)`-style order keys: the reducer and the text inside the parentheses.
fn split_reducer(text: &str) -> Option<(Reducer, &str)> {
    let text = text.trim();
    let open = text.find('(')?;
    let inner = text[open + 1..].strip_suffix(')')?;
    let reducer = match text[..open].trim().to_ascii_lowercase().as_str() {
        "min" => Reducer::Min,
        "max" => Reducer::Max,
        "first" => Reducer::First,
        "last" => Reducer::Last,
        _ => return None,
    };
    Some((reducer, inner))
}

/// The table (or subquery, binding the key once) that one metric order key joins, with
/// `value` and `is_nan` per run; `None` for `latest_metrics`, which is joined on its key.
fn reducer_source(reducer: Reducer) -> Option<&'static str> {
    match reducer {
        Reducer::Last => None,
        Reducer::Min => Some(
            "(SELECT run_uuid, MIN(CASE WHEN is_nan = 1 THEN NULL ELSE value END) AS value, \
             MIN(is_nan) AS is_nan FROM metrics WHERE key = ? GROUP BY run_uuid)",
        ),
        Reducer::Max => Some(
            "(SELECT run_uuid, MAX(CASE WHEN is_nan = 1 THEN NULL ELSE value END) AS value, \
             MIN(is_nan) AS is_nan FROM metrics WHERE key = ? GROUP BY run_uuid)",
        ),
        Reducer::First => Some(
            "(SELECT run_uuid, value, is_nan FROM (SELECT run_uuid, value, is_nan, \
             row_number() OVER (PARTITION BY run_uuid ORDER BY step, timestamp, value) AS rn \
             FROM metrics WHERE key = ?) WHERE rn = 1)",
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Metric,
    Param,
    Tag,
    Attribute,
    Dataset,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Metric => "metric",
            Kind::Param => "parameter",
            Kind::Tag => "tag",
            Kind::Attribute => "attribute",
            Kind::Dataset => "dataset",
        }
    }
}

fn strip_quotes(text: &str) -> &str {
    for quote in ['\'', '"', '`'] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            return &text[1..text.len() - 1];
        }
    }
    text
}

fn kind_of(entity: &str) -> Result<Kind> {
    Ok(match strip_quotes(entity) {
        "metric" | "metrics" => Kind::Metric,
        "parameter" | "parameters" | "param" | "params" => Kind::Param,
        "tag" | "tags" => Kind::Tag,
        "attribute" | "attributes" | "attr" | "run" => Kind::Attribute,
        "dataset" | "datasets" => Kind::Dataset,
        other => {
            return Err(Error::invalid(format!(
                "Invalid entity type '{other}'. Valid values are ['metric', 'parameter', 'tag', \
                 'attribute', 'dataset']"
            )));
        }
    })
}

/// The entity type and key of an identifier (its first part is the type unless it is the only
/// part), checking attribute and dataset keys against `attribute_keys`.
fn identify(parts: &[String], attribute_keys: (&[&str], &str)) -> Result<(Kind, String)> {
    let (kind, key) = match parts {
        [key] => (Kind::Attribute, key.clone()),
        [entity, rest @ ..] => (kind_of(entity)?, rest.join(".")),
        [] => return Err(Error::invalid("Empty identifier in filter string")),
    };
    check_key(kind, &key, attribute_keys)?;
    Ok((kind, key))
}

fn check_key(kind: Kind, key: &str, (keys, shown): (&[&str], &str)) -> Result<()> {
    if kind == Kind::Attribute && !keys.contains(&key) {
        return Err(Error::invalid(format!(
            "Invalid attribute key '{key}' specified. Valid keys are '{shown}'"
        )));
    }
    if kind == Kind::Dataset && !["name", "digest", "context"].contains(&key) {
        return Err(Error::invalid(format!(
            "Invalid dataset key '{key}' specified. Valid keys are '{DATASET_KEYS}'"
        )));
    }
    Ok(())
}

fn search_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = STRING_ATTRIBUTES.to_vec();
    keys.extend(NUMERIC_ATTRIBUTES);
    keys.extend(NAME_ALIASES);
    keys
}

/// The runs column of an attribute key (after MLflow's alias translation).
fn column(key: &str) -> &'static str {
    match key {
        "run_id" => "run_uuid",
        "run_name" | "run name" | "Run name" | "Run Name" => "name",
        "status" => "status",
        "user_id" => "user_id",
        "artifact_uri" => "artifact_uri",
        "end_time" => "end_time",
        _ => "start_time",
    }
}

fn is_numeric_attribute(kind: Kind, key: &str) -> bool {
    kind == Kind::Attribute && NUMERIC_ATTRIBUTES.contains(&key)
}

/// A string value: quoted text, or a double-quoted word that sqlparse reads as a name.
fn quoted_string(value: &Value) -> Result<Option<String>> {
    match value {
        Value::Str(s) => Ok(Some(s.clone())),
        Value::Ident(word) => Err(Error::invalid(format!(
            "Parameter value is either not quoted or unidentified quote types used for string \
             value {word}. Use either single or double quotes."
        ))),
        _ => Ok(None),
    }
}

/// The value a comparison binds, checked the way MLflow's `_get_value` checks it.
enum Bound {
    Real(f64),
    Int(i64),
    Text(String),
    List(Vec<String>),
    Nothing,
}

fn number(text: &str) -> Option<Bound> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(Bound::Int(n));
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    text.parse::<f64>().ok().map(Bound::Real)
}

fn bound_value(kind: Kind, key: &str, value: &Value) -> Result<Bound> {
    if *value == Value::None {
        return Ok(Bound::Nothing);
    }
    match kind {
        Kind::Metric => match value {
            Value::Number(n) => match number(n) {
                Some(Bound::Int(i)) => Ok(Bound::Real(i as f64)),
                Some(b) => Ok(b),
                None => Err(Error::invalid(format!(
                    "Expected numeric value type for metric. Found {n}"
                ))),
            },
            other => Err(Error::invalid(format!(
                "Expected numeric value type for metric. Found {}",
                other.text()
            ))),
        },
        Kind::Param | Kind::Tag => match quoted_string(value)? {
            Some(s) => Ok(Bound::Text(s)),
            None => Err(Error::invalid(format!(
                "Expected a quoted string value for {} (e.g. 'my-value'). Got value {}",
                kind.name(),
                value.text()
            ))),
        },
        Kind::Attribute if NUMERIC_ATTRIBUTES.contains(&key) => {
            let numeric = match value {
                Value::Number(n) => number(n),
                _ => None,
            };
            numeric.ok_or_else(|| {
                Error::invalid(format!(
                    "Expected numeric value type for numeric attribute: {key}. Found {}",
                    value.text()
                ))
            })
        }
        Kind::Attribute | Kind::Dataset => {
            if let Some(s) = quoted_string(value)? {
                return Ok(Bound::Text(s));
            }
            match value {
                Value::List(_) | Value::RawList(_)
                    if kind == Kind::Attribute && key != "run_id" =>
                {
                    Err(Error::invalid(
                        "Only ['run_id'] attributes support comparison with a list of quoted \
                         string values.",
                    ))
                }
                Value::List(items) => Ok(Bound::List(items.clone())),
                Value::RawList(raw) => Err(list_error(raw)),
                other if kind == Kind::Attribute => Err(Error::invalid(format!(
                    "Expected a quoted string value for attributes. Got value {}",
                    other.text()
                ))),
                other => Err(Error::invalid(format!(
                    "Expected a quoted string value for dataset attributes. Got value {}",
                    other.text()
                ))),
            }
        }
    }
}

fn check_comparator(kind: Kind, key: &str, comparator: &str) -> Result<()> {
    let (allowed, shown, closing): (&[&str], &str, &str) = match kind {
        Kind::Attribute if is_numeric_attribute(kind, key) => {
            (&["=", "!=", "<", "<=", ">", ">="], STRING_COMPARATORS, "")
        }
        Kind::Attribute | Kind::Dataset => (
            &["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"],
            STRING_COMPARATORS,
            if kind == Kind::Attribute { "'" } else { "" },
        ),
        Kind::Metric => (&["=", "!=", "<", "<=", ">", ">="], METRIC_COMPARATORS, ""),
        Kind::Param | Kind::Tag => (
            &["=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"],
            PARAM_COMPARATORS,
            if kind == Kind::Param { "'" } else { "" },
        ),
    };
    if allowed.contains(&comparator) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "Invalid comparator '{comparator}' not one of '{shown}{closing}"
        )))
    }
}

/// `<column> <comparator> <bound value>`, pushing the value(s).
fn predicate(
    column: &str,
    comparator: &str,
    value: Bound,
    params: &mut Vec<SqlValue>,
) -> Result<String> {
    let sql = match (comparator, value) {
        ("IN" | "NOT IN", Bound::List(items)) => {
            let marks = vec!["?"; items.len()].join(", ");
            params.extend(items.into_iter().map(SqlValue::Text));
            return Ok(format!("{column} {comparator} ({marks})"));
        }
        (_, Bound::List(_) | Bound::Nothing) | ("IN" | "NOT IN", _) => {
            return Err(Error::invalid(format!(
                "Invalid comparison clause: {comparator} needs a list of quoted strings"
            )));
        }
        ("ILIKE", value) => {
            params.push(sql_value(value));
            return Ok(format!("lower({column}) LIKE lower(?)"));
        }
        (op, value) => {
            params.push(sql_value(value));
            format!("{column} {op} ?")
        }
    };
    Ok(sql)
}

fn sql_value(value: Bound) -> SqlValue {
    match value {
        Bound::Real(f) => SqlValue::Real(f),
        Bound::Int(i) => SqlValue::Integer(i),
        Bound::Text(s) => SqlValue::Text(s),
        Bound::List(_) | Bound::Nothing => SqlValue::Null,
    }
}

fn compile_comparison(c: &Comparison, params: &mut Vec<SqlValue>) -> Result<String> {
    let comparator = c.comparator.to_ascii_uppercase();
    let keys = search_keys();
    let (kind, key) = identify(&c.ident, (&keys, SEARCH_KEYS))?;
    if matches!(comparator.as_str(), "IS NULL" | "IS NOT NULL")
        && !matches!(kind, Kind::Param | Kind::Tag)
    {
        return Err(Error::invalid(format!(
            "IS NULL / IS NOT NULL is only supported for tags and params, not for '{}' '{key}'",
            kind.name()
        )));
    }
    let value = bound_value(kind, &key, &c.value)?;
    check_comparator(kind, &key, &comparator)?;
    match kind {
        Kind::Attribute if column(&key) == "name" => {
            // MLflow compares the `mlflow.runName` tag: old runs have no name column.
            let p = predicate("t.value", &comparator, value, params)?;
            Ok(format!(
                "EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = runs.run_uuid \
                 AND t.key = 'mlflow.runName' AND {p})"
            ))
        }
        Kind::Attribute => predicate(
            &format!("runs.{}", column(&key)),
            &comparator,
            value,
            params,
        ),
        Kind::Metric => {
            params.push(SqlValue::Text(key));
            let p = predicate("m.value", &comparator, value, params)?;
            // NaN is stored as 0.0 with is_nan: it fails every comparison except `!=`.
            let p = if comparator == "!=" {
                format!("({p} OR m.is_nan = 1)")
            } else {
                format!("({p} AND m.is_nan = 0)")
            };
            Ok(format!(
                "EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = runs.run_uuid \
                 AND m.key = ? AND {p})"
            ))
        }
        Kind::Param | Kind::Tag => {
            let table = if kind == Kind::Param {
                "params"
            } else {
                "tags"
            };
            params.push(SqlValue::Text(key));
            let exists = format!(
                "EXISTS (SELECT 1 FROM {table} e WHERE e.run_uuid = runs.run_uuid AND e.key = ?"
            );
            Ok(match comparator.as_str() {
                "IS NULL" => format!("NOT {exists})"),
                "IS NOT NULL" => format!("{exists})"),
                _ => format!(
                    "{exists} AND {})",
                    predicate("e.value", &comparator, value, params)?
                ),
            })
        }
        Kind::Dataset => {
            let inputs = "SELECT 1 FROM datasets d JOIN inputs i ON i.source_id = d.dataset_uuid";
            if key == "context" {
                let p = predicate("it.value", &comparator, value, params)?;
                Ok(format!(
                    "EXISTS ({inputs} JOIN input_tags it ON it.input_uuid = i.input_uuid \
                     AND it.name = 'mlflow.data.context' AND {p} \
                     WHERE i.destination_id = runs.run_uuid)"
                ))
            } else {
                let column = if key == "name" { "d.name" } else { "d.digest" };
                let p = predicate(column, &comparator, value, params)?;
                Ok(format!(
                    "EXISTS ({inputs} WHERE i.destination_id = runs.run_uuid AND {p})"
                ))
            }
        }
    }
}

/// The type and key of an order_by key text (`metrics.acc`, `` tags.`my tag` ``, `created`).
fn order_identity(text: &str) -> Result<(Kind, String)> {
    let text = text.trim();
    let (kind, key) = match text.split_once('.') {
        None => (Kind::Attribute, strip_quotes(text).to_owned()),
        Some((entity, key)) => (kind_of(entity)?, strip_quotes(key).to_owned()),
    };
    check_key(kind, &key, (&ORDER_ATTRIBUTES, ORDER_KEYS))?;
    Ok((kind, key))
}

/// The reducer (when `reducers` allows them and the text names one), type and key of an
/// order_by key text.
fn order_key(text: &str, reducers: bool) -> Result<(Reducer, Kind, String)> {
    if reducers && let Some((reducer, inner)) = split_reducer(text) {
        let (kind, key) = order_identity(inner)?;
        if kind != Kind::Metric {
            return Err(Error::invalid(format!(
                "Invalid order_by key '{text}': only metrics have reducers (min, max, first, last)."
            )));
        }
        return Ok((reducer, kind, key));
    }
    let (kind, key) = order_identity(text)?;
    Ok((Reducer::Last, kind, key))
}

fn compile_order(
    order_by: &[String],
    reducers: bool,
    joins: &mut Vec<String>,
    join_params: &mut Vec<SqlValue>,
) -> Result<String> {
    let mut clauses = Vec::new();
    let mut seen: Vec<(Kind, String)> = Vec::new();
    for (index, clause) in order_by.iter().enumerate() {
        let (key_text, ascending) = parse_order_by(clause)?;
        let (reducer, kind, key) = order_key(&key_text, reducers)?;
        let direction = if ascending { "" } else { " DESC" };
        let (missing, value) = match kind {
            Kind::Attribute => {
                let value = format!("runs.{}", column(&key));
                (format!("{value} IS NULL"), value)
            }
            Kind::Metric | Kind::Param | Kind::Tag => {
                let (table, alias) = match kind {
                    Kind::Metric => ("latest_metrics", format!("om{index}")),
                    Kind::Param => ("params", format!("op{index}")),
                    _ => ("tags", format!("ot{index}")),
                };
                if let Some(source) = reducer_source(reducer) {
                    joins.push(format!(
                        " LEFT JOIN {source} {alias} ON {alias}.run_uuid = runs.run_uuid"
                    ));
                } else {
                    joins.push(format!(
                        " LEFT JOIN {table} {alias} ON {alias}.run_uuid = runs.run_uuid \
                         AND {alias}.key = ?"
                    ));
                }
                join_params.push(SqlValue::Text(key.clone()));
                let value = format!("{alias}.value");
                if kind == Kind::Metric {
                    // NaN after every number, missing values last, in both directions.
                    (
                        format!(
                            "CASE WHEN {alias}.is_nan = 1 THEN 1 WHEN {value} IS NULL THEN 2 \
                             ELSE 0 END"
                        ),
                        value,
                    )
                } else {
                    (format!("{value} IS NULL"), value)
                }
            }
            Kind::Dataset => {
                return Err(Error::invalid("Invalid identifier type 'dataset'"));
            }
        };
        let canonical = match (kind, reducer) {
            (Kind::Attribute, _) => column(&key).to_owned(),
            (_, Reducer::Last) => key.clone(),
            (_, other) => format!("{other:?}({key})"),
        };
        if seen.contains(&(kind, canonical.clone())) {
            let listed: Vec<String> = order_by.iter().map(|o| py_repr(o)).collect();
            return Err(Error::with_code(
                ErrorCode::InternalError,
                format!(
                    "`order_by` contains duplicate fields: [{}]",
                    listed.join(", ")
                ),
            ));
        }
        seen.push((kind, canonical));
        clauses.push(missing);
        clauses.push(format!("{value}{direction}"));
    }
    if !seen.contains(&(Kind::Attribute, "start_time".to_owned())) {
        clauses.push("runs.start_time DESC".to_owned());
    }
    clauses.push("runs.run_uuid".to_owned());
    Ok(clauses.join(", "))
}

/// Compiles a runs search over some experiments: view type, filter string and order_by list.
pub fn compile(
    experiment_ids: &[i64],
    view_type: ViewType,
    filter: &str,
    order_by: &[String],
) -> Result<RunQuery> {
    compile_with(experiment_ids, view_type, filter, order_by, false)
}

/// `compile` for the UI's runs table: order_by also takes metric reducers, `min(metrics.loss)`,
/// `max(...)`, `first(...)` and `last(...)`, computed over every point of each run.
pub fn compile_for_table(
    experiment_ids: &[i64],
    view_type: ViewType,
    filter: &str,
    order_by: &[String],
) -> Result<RunQuery> {
    compile_with(experiment_ids, view_type, filter, order_by, true)
}

fn compile_with(
    experiment_ids: &[i64],
    view_type: ViewType,
    filter: &str,
    order_by: &[String],
    reducers: bool,
) -> Result<RunQuery> {
    let mut params: Vec<SqlValue> = Vec::new();
    let mut clauses = Vec::new();
    if !filter.is_empty() && filter.trim().is_empty() {
        return Err(super::blank_filter_error(filter));
    }
    if !filter.trim().is_empty() {
        let comparisons = parse_conjunction_styled(filter, Style::Runs)?;
        for comparison in &comparisons {
            clauses.push(compile_comparison(comparison, &mut params)?);
        }
    }
    let mut joins = Vec::new();
    let mut join_params = Vec::new();
    let order_sql = compile_order(order_by, reducers, &mut joins, &mut join_params)?;
    let join_param_count = join_params.len();
    let marks = vec!["?"; experiment_ids.len()].join(", ");
    let mut where_parts = vec![
        format!("runs.experiment_id IN ({marks})"),
        view_type.lifecycle_sql("runs.lifecycle_stage"),
    ];
    where_parts.extend(clauses);
    let mut all = join_params;
    all.extend(experiment_ids.iter().map(|id| SqlValue::Integer(*id)));
    all.extend(params);
    Ok(RunQuery {
        join_sql: joins.concat(),
        where_sql: where_parts.join(" AND "),
        order_sql,
        params: all,
        join_param_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(f: &str) -> Result<RunQuery> {
        compile(&[0], ViewType::ActiveOnly, f, &[])
    }

    fn error(f: &str) -> String {
        filter(f).unwrap_err().to_string()
    }

    #[test]
    fn accepts_the_grammar() {
        for f in [
            "metrics.acc > 0.9",
            "metric.`acc` >= -1",
            "`metrics`.\"acc\" != 1e-3",
            "params.opt = 'adam' and param.lr LIKE '0.%'",
            "parameters.x ILIKE 'A%' AND parameter.y IS NOT NULL",
            "tags.mlflow.runName = \"x\"",
            "tag.`my tag` IS NULL",
            "attributes.run_id IN ('a', 'b')",
            "run.run_id NOT IN ('a')",
            "attr.status != 'FINISHED'",
            "`Run name` LIKE 'a%'",
            "created > 5 AND Created < 10.5",
            "start_time >= 1 AND end_time <= 2",
            "datasets.name = 'x' AND dataset.context IN ('train')",
            "metrics.a > 1 AND",
        ] {
            assert!(filter(f).is_ok(), "{f}: {:?}", filter(f).err());
        }
    }

    #[test]
    fn refuses_with_mlflow_messages() {
        for (f, message) in [
            (
                "metrics.a > '1'",
                "Expected numeric value type for metric. Found '1'",
            ),
            (
                "params.a = 1",
                "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1",
            ),
            (
                "metrics.a IS NULL",
                "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' \
                 'a'",
            ),
            (
                "run_name IN ('a')",
                "Only ['run_id'] attributes support comparison with a list of quoted string \
                 values.",
            ),
            ("a > 1 OR b < 2", "Invalid clause(s) in filter string: 'OR'"),
            (
                "metrics.a >",
                "Invalid clause(s) in filter string: 'metrics.a', '>'",
            ),
            (
                "foo.x = 'a'",
                "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', \
                 'attribute', 'dataset']",
            ),
            (
                "run_id IN ()",
                "While parsing a list in the query, expected a non-empty list of string values, \
                 but got empty list",
            ),
        ] {
            assert_eq!(error(f), message, "{f}");
        }
        assert!(error("experiment_id = '1'").starts_with("Invalid attribute key 'experiment_id'"));
        assert!(error("lifecycle_stage = 'x'").starts_with("Invalid attribute key"));
        assert!(error("a = 1; b = 2").starts_with("Search filter contained multiple expression"));
        assert!(error("tags.t < 'a'").starts_with("Invalid comparator '<' not one of"));
    }

    #[test]
    fn order_by_rules() {
        let q = compile(&[0], ViewType::All, "", &["metrics.a DESC".into()]).unwrap();
        assert!(
            q.order_sql
                .ends_with("om0.value DESC, runs.start_time DESC, runs.run_uuid")
        );
        let q = compile(&[0], ViewType::All, "", &["created".into()]).unwrap();
        assert_eq!(
            q.order_sql,
            "runs.start_time IS NULL, runs.start_time, runs.run_uuid"
        );
        let duplicate = compile(
            &[0],
            ViewType::All,
            "",
            &["start_time".into(), "created".into()],
        )
        .unwrap_err();
        assert_eq!(duplicate.code(), ErrorCode::InternalError);
        for bad in ["`Run name`", "experiment_id", "datasets.name", "a sideways"] {
            assert!(
                compile(&[0], ViewType::All, "", &[bad.into()]).is_err(),
                "{bad}"
            );
        }
    }

    /// Dataset filters select runs by their inputs' dataset name, digest and context tag, with
    /// MLflow's semantics (a run matches when any of its inputs does).
    #[test]
    fn dataset_filters_select_runs_by_their_inputs() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../../sql/mlflow_3_18_schema.sql"))
            .unwrap();
        conn.execute_batch(
            "PRAGMA case_sensitive_like = true;
             INSERT INTO experiments (experiment_id, name, lifecycle_stage) VALUES (0, 'e', 'active');
             INSERT INTO runs (run_uuid, experiment_id, lifecycle_stage, start_time)
               VALUES ('a', 0, 'active', 3), ('b', 0, 'active', 2), ('c', 0, 'active', 1);
             INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type,
               dataset_source) VALUES ('d1', 0, 'iris', 'x1', 'code', '{}'),
               ('d2', 0, 'Wine', 'y2', 'code', '{}');
             INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id)
               VALUES ('i1', 'DATASET', 'd1', 'RUN', 'a'), ('i2', 'DATASET', 'd2', 'RUN', 'a'),
               ('i3', 'DATASET', 'd2', 'RUN', 'b');
             INSERT INTO input_tags (input_uuid, name, value) VALUES
               ('i1', 'mlflow.data.context', 'train'), ('i3', 'mlflow.data.context', 'Train'),
               ('i2', 'other', 'train');",
        )
        .unwrap();
        let found = |f: &str| -> Vec<String> {
            let q = filter(f).unwrap();
            conn.prepare(&q.sql(10, 0))
                .unwrap()
                .query_map(rusqlite::params_from_iter(&q.params), |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        for (f, runs) in [
            ("datasets.name = 'iris'", &["a"][..]),
            ("datasets.name != 'iris'", &["a", "b"]),
            ("datasets.name LIKE 'w%'", &[]),
            ("datasets.name ILIKE 'w%'", &["a", "b"]),
            ("datasets.digest IN ('x1', 'zz')", &["a"]),
            ("datasets.digest NOT IN ('x1')", &["a", "b"]),
            ("datasets.context = 'train'", &["a"]),
            ("datasets.context ILIKE 'TRAIN'", &["a", "b"]),
            ("datasets.context IN ('Train')", &["b"]),
            (
                "datasets.name = 'Wine' AND datasets.context = 'Train'",
                &["b"],
            ),
            ("datasets.name = 'nope'", &[]),
        ] {
            assert_eq!(found(f), runs, "{f}");
        }
        for bad in [
            "datasets.name > 'a'",
            "datasets.name IS NULL",
            "datasets.size = 'a'",
        ] {
            assert!(filter(bad).is_err(), "{bad}");
        }
    }

    /// Whatever the filter text, compiling never panics, and what compiles is SQL that SQLite
    /// prepares and runs with every value bound.
    #[test]
    fn no_input_panics_or_produces_bad_sql() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../../sql/mlflow_3_18_schema.sql"))
            .unwrap();
        let pieces = [
            "metrics.",
            "params.",
            "tags.",
            "attr.",
            "datasets.",
            "`",
            "\"",
            "'",
            "a",
            "b.c",
            " ",
            "=",
            "!=",
            "<",
            ">=",
            "LIKE",
            "ILIKE",
            "IN",
            "NOT",
            "IS",
            "NULL",
            "AND",
            "OR",
            "(",
            ")",
            ",",
            ";",
            "1",
            "-2.5e3",
            "'x'",
            "'%'",
            "--",
            "/*",
            "?",
            "$1",
            "é",
            "\\",
            "run_id",
            "start_time",
            "created",
            "`Run name`",
            "'a''b'",
            "\0",
            "\n",
            "..",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut compiled = 0;
        for _ in 0..20_000 {
            let len = 1 + next() % 8;
            let text: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(if next() % 2 == 0 { " " } else { "" });
            let order = [text.clone()];
            for (f, o) in [(text.as_str(), &[][..]), ("", &order[..])] {
                if let Ok(q) = compile(&[0, 1], ViewType::All, f, o) {
                    compiled += 1;
                    let mut stmt = conn.prepare(&q.sql(10, 0)).unwrap_or_else(|e| {
                        panic!("{f:?} / {o:?} gave bad SQL {}: {e}", q.sql(10, 0))
                    });
                    let mut rows = stmt
                        .query(rusqlite::params_from_iter(&q.params))
                        .unwrap_or_else(|e| panic!("{f:?}: {e}"));
                    while rows.next().unwrap().is_some() {}
                }
            }
        }
        assert!(compiled > 100, "only {compiled} inputs compiled");
    }
}
