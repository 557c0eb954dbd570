//! MLflow's rules for names, ids and lengths (the tracking API's and the model registry's), with
//! MLflow's exact messages. One small function per rule; the binding layer checks Python types
//! before a value gets here.

use std::fmt::Write as _;

use crate::engine::error::{Error, Result};
use crate::engine::model::MetricPoint;
use crate::engine::pyjson;

pub const MAX_ENTITY_KEY_LENGTH: usize = 250;
pub const MAX_PARAM_VAL_LENGTH: usize = 6000;
pub const MAX_TAG_VAL_LENGTH: usize = 8000;
pub const MAX_EXPERIMENT_NAME_LENGTH: usize = 500;
pub const MAX_EXPERIMENT_TAG_KEY_LENGTH: usize = 250;
pub const MAX_EXPERIMENT_TAG_VAL_LENGTH: usize = 20000;
pub const MAX_PARAMS_TAGS_PER_BATCH: usize = 100;
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;

const BAD_CHARACTER_MESSAGE: &str = "Names may only contain alphanumerics, underscores (_), \
     dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).";
const MISSING_KEY_NAME_MESSAGE: &str = "A key name must be provided.";

/// Python's `repr()` of a string, as MLflow's messages embed it (`'a/b'`, or `"it's"`).
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// MLflow's `invalid_value(path, value, message)` for a string value.
pub fn invalid_value(path: &str, value: &str, message: Option<&str>) -> String {
    let value = pyjson::dumps(&value.into());
    match message {
        Some(message) => {
            format!("Invalid value {value} for parameter '{path}' supplied: {message}")
        }
        None => format!("Invalid value {value} for parameter '{path}' supplied."),
    }
}

/// `append_to_json_path`: `("", "key")` → `key`, `("params[0]", "key")` → `params[0].key`.
pub fn json_path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Python's `\w` (Unicode word characters) plus `/ . - space :`.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | ' ' | ':')
}

/// The common valid name, decided in one pass over its bytes (the hot path checks every logged
/// metric's key): ASCII name characters, not starting with `..`, and no segment between slashes
/// that is empty, `.` or `..`. Anything else (non-ASCII, paths to normalise) takes the full check.
fn is_plain_name(name: &[u8]) -> bool {
    if name.starts_with(b"..") {
        return false;
    }
    // The length of the current segment, and whether it holds only dots so far.
    let (mut len, mut dots) = (0usize, true);
    for &b in name {
        if b == b'/' {
            if len == 0 || (dots && len <= 2) {
                return false;
            }
            (len, dots) = (0, true);
        } else if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b' ' | b':') {
            len += 1;
            dots &= b == b'.';
        } else {
            return false;
        }
    }
    len > 0 && !(dots && len <= 2)
}

/// `posixpath.normpath` for the characters a valid name may hold.
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let leading = path.len() - path.trim_start_matches('/').len();
    let root = match leading {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if root.is_empty() {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = format!("{root}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// The checks MLflow applies to every metric, param and tag name once it is known to be a string:
/// the character set, then that it is a normalised relative path.
fn validate_name_chars_and_path(name: &str, path: &str) -> Result<()> {
    if is_plain_name(name.as_bytes()) {
        return Ok(());
    }
    validate_name_in_full(name, path)
}

/// The full check of a name's characters and of its normal form as a path.
fn validate_name_in_full(name: &str, path: &str) -> Result<()> {
    if !name.chars().all(is_name_char) {
        return Err(Error::invalid(invalid_value(
            path,
            name,
            Some(BAD_CHARACTER_MESSAGE),
        )));
    }
    validate_path_form(name, path)
}

/// That `name`, read as a path, is its own normal form and stays where it is: MLflow's check
/// of run entry names and registered model names.
fn validate_path_form(name: &str, path: &str) -> Result<()> {
    // A relative path without empty, `.` or `..` segments is its own normal form, and passes
    // unless it starts with `..` (MLflow refuses `..a` too): the common case is decided
    // without building the normal form.
    if !name.starts_with("..")
        && name
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
    {
        return Ok(());
    }
    let norm = normpath(name);
    if norm != name || norm == "." || norm.starts_with("..") || norm.starts_with('/') {
        let message = format!(
            "Names may be treated as files in certain cases, and must not resolve to other \
             names when treated as such. This name would resolve to {}",
            py_repr(&norm)
        );
        return Err(Error::invalid(invalid_value(path, name, Some(&message))));
    }
    Ok(())
}

/// `_validate_length_limit` without truncation: `'<entity>' exceeds the maximum length ...`.
pub fn validate_length(entity: &str, limit: usize, value: &str) -> Result<()> {
    // Byte length bounds the character count from above, so most values skip the count.
    if value.len() > limit && value.chars().count() > limit {
        return Err(Error::invalid(format!(
            "'{entity}' exceeds the maximum length of {limit} characters"
        )));
    }
    Ok(())
}

/// A metric name; `prefix` is `""` for a single metric or `metrics[i]` inside a batch.
pub fn validate_metric_key(key: &str, prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        validate_name_chars_and_path(key, "name")?;
    } else {
        validate_name_chars_and_path(key, &json_path(prefix, "name"))?;
    }
    validate_length("Metric name", MAX_ENTITY_KEY_LENGTH, key)
}

/// The error for a metric logged with `None` as its name.
pub fn missing_metric_key(prefix: &str) -> Error {
    Error::invalid(format!(
        "Invalid value null for parameter '{}' supplied: Metric name cannot be None. \
         {MISSING_KEY_NAME_MESSAGE}",
        json_path(prefix, "name")
    ))
}

/// A param name and value (the value is already truncated to the limit where MLflow truncates).
pub fn validate_param(key: &str, value: &str, prefix: &str) -> Result<()> {
    validate_name_chars_and_path(key, &json_path(prefix, "key"))?;
    validate_length("Param key", MAX_ENTITY_KEY_LENGTH, key)?;
    validate_length("Param value", MAX_PARAM_VAL_LENGTH, value)
}

/// The error for a param logged with `None` as its name.
pub fn missing_param_key(prefix: &str) -> Error {
    Error::invalid(invalid_value(
        &json_path(prefix, "key"),
        "",
        Some(MISSING_KEY_NAME_MESSAGE),
    ))
}

/// A run tag's name and value.
pub fn validate_tag(key: &str, value: &str, prefix: &str) -> Result<()> {
    let key_path = json_path(prefix, "key");
    validate_name_chars_and_path(key, &key_path)?;
    validate_length(&key_path, MAX_ENTITY_KEY_LENGTH, key)?;
    validate_length(&json_path(prefix, "value"), MAX_TAG_VAL_LENGTH, value)
}

/// The error for a tag set with `None` as its name.
pub fn missing_tag_key(prefix: &str) -> Error {
    Error::invalid(format!(
        "Missing value for required parameter '{}'.",
        json_path(prefix, "key")
    ))
}

/// An experiment tag: same names as run tags, longer values, and no truncation.
pub fn validate_experiment_tag(key: &str, value: &str) -> Result<()> {
    validate_name_chars_and_path(key, "key")?;
    validate_length("key", MAX_EXPERIMENT_TAG_KEY_LENGTH, key)?;
    validate_length("value", MAX_EXPERIMENT_TAG_VAL_LENGTH, value)
}

/// An experiment name that is known to be a string.
pub fn validate_experiment_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(format!("Invalid experiment name: '{name}'")));
    }
    validate_length("name", MAX_EXPERIMENT_NAME_LENGTH, name)
}

/// `^[a-zA-Z0-9][\w\-]{0,255}$`, MLflow's run id pattern.
pub fn validate_run_id(run_id: &str) -> Result<()> {
    // The common id (ASCII, as mlrs and MLflow make them) in one pass over the bytes.
    let bytes = run_id.as_bytes();
    if bytes.len() <= 256
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Ok(());
    }
    let mut chars = run_id.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && run_id.chars().count() <= 256
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(invalid_value("run_id", run_id, None)))
    }
}

/// `_parse_experiment_id`: an integer in a string, with Python's `int()` tolerance for spaces.
pub fn parse_experiment_id(experiment_id: &str) -> Result<i64> {
    let trimmed = experiment_id.trim().replace('_', "");
    trimmed.parse::<i64>().map_err(|_| {
        Error::invalid(format!(
            "Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer."
        ))
    })
}

/// Checks a store-level batch as `log_batch` does before it looks the run up, in MLflow's
/// order: the run id, every entry (messages name it, `metrics[3]`, formatted only for a
/// refusal), the limits, then duplicate param keys. Both backends call it.
pub fn validate_batch(
    run_id: &str,
    metrics: &[MetricPoint],
    params: &[(String, String)],
    tags: &[(String, Option<String>)],
) -> Result<()> {
    validate_run_id(run_id)?;
    for (i, point) in metrics.iter().enumerate() {
        if validate_metric_key(&point.key, "").is_err() {
            validate_metric_key(&point.key, &format!("metrics[{i}]"))?;
        }
    }
    for (i, (key, value)) in params.iter().enumerate() {
        if validate_param(key, value, "").is_err() {
            validate_param(key, value, &format!("params[{i}]"))?;
        }
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        let value = value.as_deref().unwrap_or("");
        if validate_tag(key, value, "").is_err() {
            validate_tag(key, value, &format!("tags[{i}]"))?;
        }
    }
    validate_batch_limits(metrics.len(), params.len(), tags.len())?;
    validate_param_keys_unique(params.iter().map(|(k, _)| k.as_str()))
}

/// [`validate_batch`] of metric points alone.
pub fn validate_metric_batch(run_id: &str, metrics: &[MetricPoint]) -> Result<()> {
    validate_batch(run_id, metrics, &[], &[])
}

/// The store-level limits of one `log_batch` call (the client splits larger batches first).
pub fn validate_batch_limits(metrics: usize, params: usize, tags: usize) -> Result<()> {
    let check = |entity: &str, limit: usize, length: usize| {
        if length > limit {
            Err(Error::invalid(format!(
                "A batch logging request can contain at most {limit} {entity}. Got {length} \
                 {entity}. Please split up {entity} across multiple requests and try again."
            )))
        } else {
            Ok(())
        }
    };
    check("metrics", MAX_METRICS_PER_BATCH, metrics)?;
    check("params", MAX_PARAMS_TAGS_PER_BATCH, params)?;
    check("tags", MAX_PARAMS_TAGS_PER_BATCH, tags)?;
    check(
        "metrics, params, and tags",
        MAX_ENTITIES_PER_BATCH,
        metrics + params + tags,
    )
}

/// Duplicate param keys in one batch are refused, even with equal values.
pub fn validate_param_keys_unique<'a>(keys: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut dupes = Vec::new();
    for key in keys {
        if !seen.insert(key) {
            dupes.push(py_repr(key));
        }
    }
    if dupes.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Duplicate parameter keys have been submitted: [{}]. Please ensure the request \
         contains only one param value per param key.",
        dupes.join(", ")
    )))
}

// ---- the model registry ------------------------------------------------------------------

/// MLflow's model version stages in their canonical spelling, in MLflow's order.
pub const ALL_STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];
const MAX_REGISTRY_TAG_VALUE_LENGTH: usize = 100_000;
const MAX_ALIAS_LENGTH: usize = 255;

/// `_validate_model_name` for a name known to be a string.
pub fn validate_model_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(
            "Missing value for required parameter 'name'.",
        ));
    }
    if name.contains(['/', ':']) {
        return Err(Error::invalid(format!(
            "Invalid model name '{name}'. Names cannot contain '/' or ':'."
        )));
    }
    validate_path_form(name, "name")
}

/// `_validate_model_renaming`.
pub fn validate_new_model_name(new_name: &str) -> Result<()> {
    if new_name.trim().is_empty() {
        return Err(Error::invalid(
            "Missing value for required parameter 'new_name'.",
        ));
    }
    validate_model_name(new_name)
}

/// `_validate_tag_name` for the registry (the run-tag name rules, then the 250-char limit).
pub fn validate_registry_tag_key(key: &str) -> Result<()> {
    validate_tag(key, "", "")?;
    validate_length("key", MAX_ENTITY_KEY_LENGTH, key)
}

/// A registry tag: its key, then the value's 100,000-character limit.
pub fn validate_registry_tag(key: &str, value: &str) -> Result<()> {
    validate_registry_tag_key(key)?;
    validate_length("value", MAX_REGISTRY_TAG_VALUE_LENGTH, value)
}

/// `_validate_alias_name`: a non-empty word of `\w` and `-`, at most 255 characters.
pub fn validate_alias_name(alias: &str) -> Result<()> {
    if alias.is_empty() {
        return Err(Error::invalid(
            "Registered model alias name cannot be empty.",
        ));
    }
    if !alias
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::invalid(format!(
            "Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores \
             (_), and dashes (-)."
        )));
    }
    validate_length("Registered model alias name", MAX_ALIAS_LENGTH, alias)
}

/// `_validate_alias_name_reserved`: `latest` and `v<digits>` belong to model URIs.
pub fn validate_alias_not_reserved(alias: &str) -> Result<()> {
    if alias.eq_ignore_ascii_case("latest") {
        return Err(Error::invalid(
            "'latest' alias name (case insensitive) is reserved.",
        ));
    }
    let mut chars = alias.chars();
    if matches!(chars.next(), Some('v' | 'V'))
        && !alias[1..].is_empty()
        && chars.all(char::is_numeric)
    {
        return Err(Error::invalid(format!(
            "Version alias name '{alias}' is reserved."
        )));
    }
    Ok(())
}

/// `get_canonical_stage`: a stage name in any case, spelled as MLflow stores it.
pub fn canonical_stage(stage: &str) -> Result<&'static str> {
    ALL_STAGES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(stage))
        .copied()
        .ok_or_else(|| {
            Error::invalid(format!(
                "Invalid Model Version stage: {stage}. Value must be one of {}.",
                ALL_STAGES.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to six characters from an alphabet that covers the cases (a name
    /// character, a dot, a slash, a space, a refused character): the one-pass check accepts
    /// exactly the ASCII names the full check accepts.
    #[test]
    fn the_one_pass_name_check_agrees_with_the_full_check() {
        let alphabet = ['a', '.', '/', ' ', '#'];
        let mut names = vec![String::new()];
        let mut start = 0;
        for _ in 0..6 {
            let end = names.len();
            for i in start..end {
                for c in alphabet {
                    names.push(format!("{}{c}", names[i]));
                }
            }
            start = end;
        }
        for name in &names {
            let full = validate_name_in_full(name, "name").is_ok();
            assert_eq!(is_plain_name(name.as_bytes()), full, "{name:?}");
        }
    }

    fn message(r: Result<()>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn normpath_matches_posixpath() {
        for (input, expected) in [
            ("", "."),
            (".", "."),
            ("a", "a"),
            ("a/", "a"),
            ("a//b", "a/b"),
            ("a/./b", "a/b"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("/a", "/a"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("/..", "/"),
            ("a/..", "."),
            ("../..", "../.."),
        ] {
            assert_eq!(normpath(input), expected, "normpath({input:?})");
        }
    }

    #[test]
    fn valid_names_pass() {
        for key in [
            "a",
            "loss",
            "a/b/c",
            "x.y-z w:v",
            "é",
            "a..b",
            "train/acc_1",
        ] {
            validate_metric_key(key, "").unwrap();
            validate_param(key, "v", "").unwrap();
            validate_tag(key, "v", "").unwrap();
        }
    }

    #[test]
    fn bad_characters_use_mlflows_message() {
        assert_eq!(
            message(validate_param("a,b", "v", "")),
            "Invalid value \"a,b\" for parameter 'key' supplied: Names may only contain \
             alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and \
             slashes (/)."
        );
        assert!(message(validate_metric_key("a#b", "metrics[3]")).contains("'metrics[3].name'"));
    }

    #[test]
    fn names_that_are_not_normalised_paths_are_refused() {
        assert_eq!(
            message(validate_tag("../a", "v", "")),
            "Invalid value \"../a\" for parameter 'key' supplied: Names may be treated as files \
             in certain cases, and must not resolve to other names when treated as such. This \
             name would resolve to '../a'"
        );
        for key in ["", ".", "/a", "a//b", "a/./b", "a/", "..a"] {
            assert!(
                validate_metric_key(key, "").is_err(),
                "{key:?} must be refused"
            );
        }
        assert!(message(validate_param("", "v", "")).ends_with("would resolve to '.'"));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let key = "é".repeat(250);
        validate_metric_key(&key, "").unwrap();
        let long = "a".repeat(251);
        assert_eq!(
            message(validate_metric_key(&long, "")),
            "'Metric name' exceeds the maximum length of 250 characters"
        );
        assert_eq!(
            message(validate_param(&long, "v", "")),
            "'Param key' exceeds the maximum length of 250 characters"
        );
        assert_eq!(
            message(validate_tag(&long, "v", "tags[1]")),
            "'tags[1].key' exceeds the maximum length of 250 characters"
        );
        assert_eq!(
            message(validate_experiment_tag("k", &"v".repeat(20001))),
            "'value' exceeds the maximum length of 20000 characters"
        );
    }

    #[test]
    fn invalid_values_are_quoted_as_json_dumps_quotes_them() {
        assert_eq!(
            invalid_value("key", "é\"\n", None),
            "Invalid value \"\\u00e9\\\"\\n\" for parameter 'key' supplied."
        );
    }

    #[test]
    fn run_ids() {
        validate_run_id("0123456789abcdef0123456789abcdef").unwrap();
        validate_run_id("a_b-c").unwrap();
        assert_eq!(
            message(validate_run_id("../bad")),
            "Invalid value \"../bad\" for parameter 'run_id' supplied."
        );
        assert!(validate_run_id("").is_err());
        assert!(validate_run_id("_a").is_err());
        assert!(validate_run_id(&"a".repeat(257)).is_err());
    }

    #[test]
    fn experiment_ids_and_names() {
        assert_eq!(parse_experiment_id(" 12 ").unwrap(), 12);
        assert_eq!(
            message(parse_experiment_id("abc").map(|_| ())),
            "Invalid experiment ID 'abc'. Experiment ID must be a valid integer."
        );
        assert_eq!(
            message(validate_experiment_name("  ")),
            "Invalid experiment name: '  '"
        );
        assert!(validate_experiment_name(&"n".repeat(501)).is_err());
    }

    #[test]
    fn batch_limits_and_duplicates() {
        validate_batch_limits(1000, 0, 0).unwrap();
        assert_eq!(
            message(validate_batch_limits(1001, 0, 0)),
            "A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please \
             split up metrics across multiple requests and try again."
        );
        assert!(message(validate_batch_limits(800, 100, 101)).contains("at most 100 tags"));
        assert!(
            message(validate_batch_limits(900, 100, 100)).contains("metrics, params, and tags")
        );
        assert_eq!(
            message(validate_param_keys_unique(["a", "dp", "dp"].into_iter())),
            "Duplicate parameter keys have been submitted: ['dp']. Please ensure the request \
             contains only one param value per param key."
        );
    }

    #[test]
    fn py_repr_quotes_like_python() {
        assert_eq!(py_repr("a"), "'a'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a\\b"), "'a\\\\b'");
    }

    #[test]
    fn aliases_reject_reserved_names() {
        assert!(validate_alias_not_reserved("latest").is_err());
        assert!(validate_alias_not_reserved("V12").is_err());
        assert!(validate_alias_not_reserved("v").is_ok());
        assert!(validate_alias_not_reserved("v1a").is_ok());
        assert!(validate_alias_name("a b").is_err());
        assert!(validate_alias_name("é_1-x").is_ok());
    }
}
