//! MLflow's search filters and orderings, compiled to SQL with every user value bound as a
//! parameter.

pub mod experiments;
pub(crate) mod lexer;
pub mod models;
pub mod registry;
pub mod runs;

use crate::engine::error::{Error, Result};
use lexer::Token;

/// A compiled query: trusted SQL text plus the values it binds.
#[derive(Debug)]
pub struct Query {
    pub where_sql: String,
    pub order_sql: String,
    pub params: Vec<rusqlite::types::Value>,
}

/// One `<identifier> <comparator> <value>` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub ident: Vec<String>,
    pub comparator: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Number(String),
    /// A bare word where a value was expected (`metrics.a = abc`); MLflow names it in errors.
    Ident(String),
    List(Vec<String>),
    /// A parenthesised list that is not a non-empty list of strings, as written: `(1, 2)`, `()`.
    RawList(String),
    None,
}

impl Value {
    /// The value as MLflow's messages show it (the token's text).
    pub fn text(&self) -> String {
        match self {
            Value::Str(s) => format!("'{s}'"),
            Value::Number(n) | Value::Ident(n) | Value::RawList(n) => n.clone(),
            Value::List(items) => {
                let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
                format!("({})", quoted.join(", "))
            }
            Value::None => String::new(),
        }
    }
}

/// MLflow's refusal of a filter with nothing but whitespace in it (an empty one matches all).
pub fn blank_filter_error(filter: &str) -> Error {
    Error::invalid(format!("Invalid filter '{filter}'. Could not be parsed."))
}

/// MLflow's error for a list value that is not a non-empty list of quoted strings.
pub fn list_error(raw: &str) -> Error {
    if raw
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim()
        .is_empty()
    {
        Error::invalid(
            "While parsing a list in the query, expected a non-empty list of string values, but \
             got empty list",
        )
    } else {
        Error::invalid(format!(
            "While parsing a list in the query, expected string value, punctuation, or \
             whitespace, but got different type in list: {raw}"
        ))
    }
}

/// How a filter's clauses are checked: `search_experiments` and `search_runs` word their
/// errors differently, and `search_runs` lets a trailing AND pass (as sqlparse does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Experiments,
    Runs,
}

pub use crate::engine::validate::py_repr;

/// Parses `a AND b AND ...`; OR, NOT and parentheses are refused, as MLflow refuses them.
pub fn parse_conjunction(filter: &str) -> Result<Vec<Comparison>> {
    parse_conjunction_styled(filter, Style::Experiments)
}

/// `parse_conjunction` with the error wording and leniency of one of MLflow's searches.
pub fn parse_conjunction_styled(filter: &str, style: Style) -> Result<Vec<Comparison>> {
    let tokens = lexer::tokenize(filter)?;
    if style == Style::Runs {
        if let Some(semi) = tokens.iter().position(|t| *t == Token::Semicolon)
            && semi + 1 < tokens.len()
        {
            return Err(Error::invalid(format!(
                "Search filter contained multiple expression {}. Provide AND-ed expression list.",
                py_repr(filter)
            )));
        }
        return parse_runs_conjunction(&tokens);
    }
    let mut comparisons = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (comparison, next) = parse_comparison(&tokens, i)?;
        comparisons.push(comparison);
        i = next;
        match tokens.get(i) {
            None => break,
            Some(Token::Keyword("AND")) => {
                i += 1;
                if i == tokens.len() {
                    return Err(Error::invalid("Filter string ends with AND"));
                }
            }
            Some(Token::Keyword(k)) => {
                return Err(Error::invalid(format!(
                    "Invalid clause(s) in filter string: {k}"
                )));
            }
            Some(other) => {
                return Err(Error::invalid(format!(
                    "Invalid clause(s) in filter string: {}",
                    describe(other)
                )));
            }
        }
    }
    Ok(comparisons)
}

/// The runs flavour: every token that is neither part of a comparison nor an AND is collected,
/// and all of them are named in one error, each quoted (`'OR'`), as MLflow names them.
fn parse_runs_conjunction(tokens: &[Token]) -> Result<Vec<Comparison>> {
    let mut comparisons = Vec::new();
    let mut invalid = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Token::Keyword("AND") {
            i += 1;
            continue;
        }
        match parse_comparison(tokens, i) {
            Ok((comparison, next)) => {
                comparisons.push(comparison);
                i = next;
            }
            Err(error) if matches!(tokens[i], Token::Ident(_)) && is_list_error(&error) => {
                return Err(error);
            }
            Err(_) => {
                invalid.push(format!("'{}'", describe(&tokens[i])));
                i += 1;
            }
        }
    }
    if invalid.is_empty() {
        Ok(comparisons)
    } else {
        Err(Error::invalid(format!(
            "Invalid clause(s) in filter string: {}",
            invalid.join(", ")
        )))
    }
}

fn is_list_error(error: &Error) -> bool {
    error.to_string().starts_with("While parsing a list")
}

fn describe(token: &Token) -> String {
    match token {
        Token::Ident(parts) => parts.join("."),
        Token::Str(s) => format!("'{s}'"),
        Token::Number(n) => n.clone(),
        Token::Op(op) => (*op).to_owned(),
        Token::Keyword(k) => (*k).to_owned(),
        Token::LParen => "(".to_owned(),
        Token::RParen => ")".to_owned(),
        Token::Comma => ",".to_owned(),
        Token::Semicolon => ";".to_owned(),
    }
}

pub(crate) fn parse_comparison(tokens: &[Token], i: usize) -> Result<(Comparison, usize)> {
    let ident = match tokens.get(i) {
        Some(Token::Ident(parts)) => parts.clone(),
        Some(other) => {
            return Err(Error::invalid(format!(
                "Invalid clause(s) in filter string: {}",
                describe(other)
            )));
        }
        None => return Err(Error::invalid("Filter string is incomplete")),
    };
    let (comparator, next) = match (tokens.get(i + 1), tokens.get(i + 2), tokens.get(i + 3)) {
        (Some(Token::Op(op)), ..) => ((*op).to_owned(), i + 2),
        (Some(Token::Keyword("IS")), Some(Token::Keyword("NOT")), Some(Token::Keyword("NULL"))) => {
            return Ok((
                Comparison {
                    ident,
                    comparator: "IS NOT NULL".into(),
                    value: Value::None,
                },
                i + 4,
            ));
        }
        (Some(Token::Keyword("IS")), Some(Token::Keyword("NULL")), _) => {
            return Ok((
                Comparison {
                    ident,
                    comparator: "IS NULL".into(),
                    value: Value::None,
                },
                i + 3,
            ));
        }
        (Some(Token::Keyword("NOT")), Some(Token::Keyword("IN")), _) => ("NOT IN".into(), i + 3),
        (Some(Token::Keyword(k @ ("LIKE" | "ILIKE" | "IN"))), ..) => ((*k).to_owned(), i + 2),
        _ => {
            return Err(Error::invalid(format!(
                "Invalid comparison clause after '{}'",
                ident.join(".")
            )));
        }
    };
    match tokens.get(next) {
        Some(Token::Str(s)) => Ok((
            Comparison {
                ident,
                comparator,
                value: Value::Str(s.clone()),
            },
            next + 1,
        )),
        Some(Token::Number(n)) => Ok((
            Comparison {
                ident,
                comparator,
                value: Value::Number(n.clone()),
            },
            next + 1,
        )),
        Some(Token::Ident(parts)) => Ok((
            Comparison {
                ident,
                comparator,
                value: Value::Ident(parts.join(".")),
            },
            next + 1,
        )),
        Some(Token::LParen) => {
            let (value, next) = parse_list(tokens, next)?;
            Ok((
                Comparison {
                    ident,
                    comparator,
                    value,
                },
                next,
            ))
        }
        _ => Err(Error::invalid(format!(
            "Invalid comparison clause: '{}' {comparator} needs a value",
            ident.join(".")
        ))),
    }
}

/// A parenthesised list starting at `tokens[open]`: a `List` of strings, or the `RawList` text
/// that MLflow's list errors quote.
fn parse_list(tokens: &[Token], open: usize) -> Result<(Value, usize)> {
    let close = tokens[open..]
        .iter()
        .position(|t| *t == Token::RParen)
        .map(|p| open + p)
        .ok_or_else(|| {
            Error::invalid(
                "While parsing a list in the query, expected a non-empty list of string values, \
                 but got ill-formed list.",
            )
        })?;
    let inner = &tokens[open + 1..close];
    // As MLflow reads the list (Python's `literal_eval` of the parenthesised text): strings
    // separated by commas, a trailing comma allowed, adjacent strings joined into one.
    let mut items: Vec<String> = Vec::new();
    let mut well_formed = !inner.is_empty();
    let mut expect_item = true;
    for token in inner {
        match token {
            Token::Str(s) if expect_item => {
                items.push(s.clone());
                expect_item = false;
            }
            Token::Str(s) => {
                if let Some(last) = items.last_mut() {
                    last.push_str(s);
                }
            }
            Token::Comma if !expect_item => expect_item = true,
            _ => well_formed = false,
        }
    }
    if well_formed {
        return Ok((Value::List(items), close + 1));
    }
    let texts: Vec<String> = inner.iter().map(describe).collect();
    let raw = format!("({})", texts.join(" ").replace(" , ", ", "));
    Ok((Value::RawList(raw), close + 1))
}

/// Splits `"<key> [ASC|DESC]"` into the key text and the direction (ascending by default).
pub fn parse_order_by(clause: &str) -> Result<(String, bool)> {
    let trimmed = clause.trim();
    let invalid = || {
        Error::invalid(format!(
            "Invalid order_by clause '{clause}'. Could not be parsed."
        ))
    };
    // Whitespace around the clause is a token of its own to MLflow's parser: refused.
    if trimmed.is_empty() || trimmed.len() != clause.len() {
        return Err(invalid());
    }
    let (key, direction) = match trimmed.rsplit_once(char::is_whitespace) {
        Some((key, dir)) if dir.eq_ignore_ascii_case("asc") => (key.trim_end(), true),
        Some((key, dir)) if dir.eq_ignore_ascii_case("desc") => (key.trim_end(), false),
        Some((_, dir)) if !trimmed.ends_with('`') && !trimmed.ends_with('"') => {
            let _ = dir;
            return Err(Error::invalid(format!(
                "Invalid ordering key in order_by clause '{clause}'."
            )));
        }
        _ => (trimmed, true),
    };
    // A second direction ("m DESC ASC") is not a key MLflow's parser accepts.
    if let Some((_, last)) = key.rsplit_once(char::is_whitespace)
        && (last.eq_ignore_ascii_case("asc") || last.eq_ignore_ascii_case("desc"))
    {
        return Err(invalid());
    }
    Ok((key.to_owned(), direction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_conjunctions() {
        let parsed =
            parse_conjunction("name = 'a' AND tags.k IS NOT NULL and experiment_id IN ('1','2')")
                .unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[1].comparator, "IS NOT NULL");
        assert_eq!(parsed[2].value, Value::List(vec!["1".into(), "2".into()]));
    }

    #[test]
    fn refuses_or_and_parentheses() {
        assert_eq!(
            parse_conjunction("name = 'a' OR name = 'b'")
                .unwrap_err()
                .to_string(),
            "Invalid clause(s) in filter string: OR"
        );
        assert!(parse_conjunction("(name = 'a')").is_err());
        assert!(parse_conjunction("name = 'a' AND").is_err());
        assert!(parse_conjunction("name").is_err());
    }

    #[test]
    fn order_by_clauses() {
        assert_eq!(parse_order_by("name DESC").unwrap(), ("name".into(), false));
        assert!(
            parse_order_by("metrics.m DESC ASC")
                .unwrap_err()
                .to_string()
                .ends_with("Could not be parsed.")
        );
        assert_eq!(parse_order_by("name aSc").unwrap(), ("name".into(), true));
        assert_eq!(parse_order_by("name").unwrap(), ("name".into(), true));
        assert!(parse_order_by(" name DESC").is_err());
        assert!(parse_order_by("name DESC ").is_err());
        assert_eq!(
            parse_order_by("name  DESC").unwrap(),
            ("name".into(), false)
        );
        assert!(parse_order_by("name sideways").is_err());
        assert!(parse_order_by("  ").is_err());
    }
}
