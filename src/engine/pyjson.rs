//! JSON text as Python's `json.dumps` writes it with its defaults, the form MLflow stores JSON
//! in text columns (a logged model's `mlflow.modelVersions` tag) and quotes values in messages:
//! `", "` between items, `": "` between a key and its value, and every character outside
//! printable ASCII escaped as `\uXXXX` (`ensure_ascii`; a UTF-16 surrogate pair above U+FFFF).
//!
//! Numbers are written as serde_json writes them. Python writes the same integers, but floats
//! with an exponent differently (`1e16` here, `1e+16` in Python): no caller writes floats.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{Formatter, Serializer};

/// serde_json's compact formatter with Python's separators and escapes. serde_json escapes
/// quotes, backslashes and control characters itself, as Python does (`\n`, `\u001f`, ...).
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        item_separator(writer, first)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        item_separator(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Python's item separator, `", "`, before every array item and object entry but the first.
fn item_separator<W: ?Sized + Write>(writer: &mut W, first: bool) -> io::Result<()> {
    if first {
        Ok(())
    } else {
        writer.write_all(b", ")
    }
}

/// `json.dumps(value)`.
///
/// # Panics
///
/// Never: a `Value` always serializes, and writing into memory cannot fail.
pub fn dumps(value: &Value) -> String {
    let mut out = Vec::new();
    value
        .serialize(&mut Serializer::with_formatter(&mut out, PythonFormatter))
        .expect("a Value serializes into memory");
    String::from_utf8(out).expect("the output is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_escaped_like_python() {
        assert_eq!(dumps(&json!("é\"\\\n")), "\"\\u00e9\\\"\\\\\\n\"");
        assert_eq!(dumps(&json!("😀")), "\"\\ud83d\\ude00\"");
        // `json.dumps("\x00\x1f\x7f/\t")`
        assert_eq!(
            dumps(&json!("\0\u{1f}\u{7f}/\t")),
            "\"\\u0000\\u001f\\u007f/\\t\""
        );
    }

    #[test]
    fn separators_are_pythons() {
        // `json.dumps([{"a": [1, None, True]}, {}, [], "x"])`
        let value = json!([{"a": [1, null, true]}, {}, [], "x"]);
        assert_eq!(dumps(&value), "[{\"a\": [1, null, true]}, {}, [], \"x\"]");
        assert_eq!(dumps(&json!({"k": 1, "l": -2})), "{\"k\": 1, \"l\": -2}");
    }
}
