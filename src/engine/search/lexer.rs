//! Tokens of MLflow's filter strings: `tags."my tag" LIKE 'a%' AND creation_time > 5`.

use crate::engine::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A bare or dotted name: `name`, `tags.mlflow.runName`, with quoted parts unquoted and a
    /// flag per part telling whether it was quoted.
    Ident(Vec<String>),
    /// A single- or double-quoted string that stands alone (a value).
    Str(String),
    Number(String),
    Op(&'static str),
    /// A keyword, upper-cased: AND, OR, NOT, IN, IS, NULL, LIKE, ILIKE.
    Keyword(&'static str),
    LParen,
    RParen,
    Comma,
    Semicolon,
}

const KEYWORDS: [&str; 8] = ["AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"];

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(message)
}

/// Splits a filter string into tokens. Values are never interpolated into SQL; the compilers
/// bind them as parameters.
pub fn tokenize(input: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::LParen);
                i += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ';' => {
                tokens.push(Token::Semicolon);
                i += 1;
            }
            '=' => {
                tokens.push(Token::Op("="));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::Op("!="));
                i += 2;
            }
            '<' | '>' => {
                let with_eq = chars.get(i + 1) == Some(&'=');
                tokens.push(Token::Op(match (c, with_eq) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                }));
                i += if with_eq { 2 } else { 1 };
            }
            '\'' | '"' => {
                let (text, next) = quoted(&chars, i)?;
                i = next;
                if c == '"' && chars.get(i) == Some(&'.') {
                    // `"tags".x` style: a quoted first part of an identifier.
                    let (mut parts, next) = identifier_tail(&chars, i)?;
                    parts.insert(0, text);
                    tokens.push(Token::Ident(parts));
                    i = next;
                } else {
                    tokens.push(Token::Str(text));
                }
            }
            '`' => {
                let (parts, next) = identifier(&chars, i)?;
                tokens.push(Token::Ident(parts));
                i = next;
            }
            // As MLflow's parser: a number may start with '-', not with '+' ("> +1" is refused).
            c if c.is_ascii_digit() || c == '-' || c == '.' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '-' | '+'))
                {
                    i += 1;
                }
                tokens.push(Token::Number(chars[start..i].iter().collect()));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let (parts, next) = identifier(&chars, i)?;
                i = next;
                let upper = parts[0].to_ascii_uppercase();
                match KEYWORDS.iter().find(|k| **k == upper) {
                    Some(keyword) if parts.len() == 1 => tokens.push(Token::Keyword(keyword)),
                    _ => tokens.push(Token::Ident(parts)),
                }
            }
            other => {
                return Err(invalid(format!(
                    "Invalid character '{other}' in filter string"
                )));
            }
        }
    }
    Ok(tokens)
}

/// A quoted run starting at `chars[start]`; returns the text without quotes and the next index.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize)> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            return Ok((text, i + 1));
        }
        text.push(chars[i]);
        i += 1;
    }
    Err(invalid(format!(
        "Invalid clause(s) in filter string: unterminated quoted text at {start}"
    )))
}

/// One part of an identifier: a bare word or a backticked/double-quoted name.
fn identifier_part(chars: &[char], start: usize) -> Result<(String, usize)> {
    match chars.get(start) {
        Some('`' | '"') => quoted(chars, start),
        Some(_) => {
            let mut i = start;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-')) {
                i += 1;
            }
            if i == start {
                return Err(invalid("Invalid identifier in filter string"));
            }
            Ok((chars[start..i].iter().collect(), i))
        }
        None => Err(invalid("Filter string ends in the middle of an identifier")),
    }
}

fn identifier(chars: &[char], start: usize) -> Result<(Vec<String>, usize)> {
    let (first, next) = identifier_part(chars, start)?;
    let (mut rest, next) = identifier_tail(chars, next)?;
    rest.insert(0, first);
    Ok((rest, next))
}

/// `.part.part` after the first part of an identifier.
fn identifier_tail(chars: &[char], mut i: usize) -> Result<(Vec<String>, usize)> {
    let mut parts = Vec::new();
    while chars.get(i) == Some(&'.') {
        let (part, next) = identifier_part(chars, i + 1)?;
        parts.push(part);
        i = next;
    }
    Ok((parts, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_comparisons() {
        let tokens = tokenize("tags.`my tag` LIKE 'a%' and creation_time>=5").unwrap();
        assert_eq!(
            tokens,
            vec![
                Token::Ident(vec!["tags".into(), "my tag".into()]),
                Token::Keyword("LIKE"),
                Token::Str("a%".into()),
                Token::Keyword("AND"),
                Token::Ident(vec!["creation_time".into()]),
                Token::Op(">="),
                Token::Number("5".into()),
            ]
        );
    }

    #[test]
    fn dotted_and_quoted_identifiers() {
        assert_eq!(
            tokenize("tags.mlflow.runName = \"x\"").unwrap()[0],
            Token::Ident(vec!["tags".into(), "mlflow".into(), "runName".into()])
        );
        assert_eq!(
            tokenize("tags.\"a b\" != 'x'").unwrap()[0],
            Token::Ident(vec!["tags".into(), "a b".into()])
        );
    }

    #[test]
    fn unterminated_strings_are_errors_not_panics() {
        assert!(tokenize("name = 'abc").is_err());
        assert!(tokenize("tags.`abc = 1").is_err());
        assert!(tokenize("tags. = 1").is_err());
        assert!(tokenize("name = 'a' @").is_err());
        assert_eq!(tokenize("a;").unwrap()[1], Token::Semicolon);
    }
}
