//! A forgiving JSON reader for `qstat -F json`. PBS Pro writes invalid JSON in known ways
//! (docs/pbs.md, "Following the jobs"): backslash escapes JSON does not have (`\'`, `\,`, from
//! environment values in `Variable_List`), digit-only values unquoted with leading zeros
//! (`"foo":005`), unescaped `"` inside comments, duplicate keys, and plain text printed
//! before the document. A strict parser fails the whole poll on any of them, and a driver
//! that then treats the jobs as gone loses track of a sweep; this one reads them all:
//!
//! - an unknown escape `\x` is read as `x`;
//! - a bare word that is not a JSON number, `true`, `false` or `null` becomes a string
//!   (`005` → `"005"`, so nothing is silently renumbered);
//! - a `"` inside a string ends it only when what follows can follow a string
//!   (`,` then a new value, `:`, `}`, `]` or the end); otherwise it is part of the text;
//! - a repeated key keeps its last value;
//! - text before the first `{` and after the document is ignored; trailing commas are too;
//! - `Variable_List` (the job's environment, where exported bash functions put raw
//!   newlines, braces and quotes) is skipped unread when PBS laid it out one variable a
//!   line: it ends at the `}` line indented like its key. The driver never reads it.

use serde_json::{Map, Value};

/// Where and why a qstat report could not be read even leniently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("no JSON object in the output")]
    NoObject,
    /// `what` was expected (or went wrong) at character `at`, just before `near`.
    #[error("{what} at character {at} (near `{near}`)")]
    At { what: String, at: usize, near: String },
}

/// Parses the first JSON object in `text`, leniently.
pub fn parse(text: &str) -> Result<Value, SyntaxError> {
    let start = text.find('{').ok_or(SyntaxError::NoObject)?;
    let mut reader = Reader {
        chars: text[start..].chars().collect(),
        at: 0,
    };
    reader.value()
}

/// The key whose value is skipped (see the module documentation).
const SKIPPED_KEY: &str = "Variable_List";

struct Reader {
    chars: Vec<char>,
    at: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// The next character that is not white space, from `from` on.
    fn next_solid(&self, from: usize) -> Option<(usize, char)> {
        (from..self.chars.len())
            .map(|i| (i, self.chars[i]))
            .find(|(_, c)| !c.is_whitespace())
    }

    /// The white space that starts the line `self.at` is on.
    fn indentation(&self) -> String {
        let line_start = self.chars[..self.at]
            .iter()
            .rposition(|&c| c == '\n')
            .map_or(0, |i| i + 1);
        self.chars[line_start..]
            .iter()
            .take_while(|c| **c == ' ' || **c == '\t')
            .collect()
    }

    /// Just past the `}` of the first later line that is `indent` then `}` (or `},`).
    fn closing_line(&self, indent: &str) -> Option<usize> {
        let mut line_start = self.at;
        loop {
            let newline = self.chars[line_start..].iter().position(|&c| c == '\n')?;
            line_start += newline + 1;
            let line: String = self.chars[line_start..]
                .iter()
                .take_while(|&&c| c != '\n')
                .collect();
            let trimmed = line.trim_end();
            if let Some(rest) = trimmed.strip_prefix(indent) {
                if rest == "}" || rest == "}," {
                    return Some(line_start + indent.chars().count() + 1);
                }
            }
        }
    }

    fn error(&self, what: &str) -> SyntaxError {
        let near: String = self.chars[self.at.min(self.chars.len())..]
            .iter()
            .take(40)
            .collect();
        SyntaxError::At {
            what: what.to_string(),
            at: self.at,
            near,
        }
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        self.skip_space();
        match self.peek() {
            Some('{') => self.object(),
            Some('[') => self.array(),
            Some('"') => Ok(Value::String(self.string())),
            Some(_) => self.bare_word(),
            None => Err(self.error("unexpected end of the output")),
        }
    }

    fn object(&mut self) -> Result<Value, SyntaxError> {
        self.at += 1;
        let mut map = Map::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some('}') => {
                    self.at += 1;
                    return Ok(Value::Object(map));
                }
                Some(',') => self.at += 1,
                Some('"') => {
                    let indent = self.indentation();
                    let key = self.string();
                    self.skip_space();
                    if self.peek() != Some(':') {
                        return Err(self.error(&format!("expected `:` after key \"{key}\"")));
                    }
                    self.at += 1;
                    if key == SKIPPED_KEY {
                        if let Some(end) = self.closing_line(&indent) {
                            self.at = end;
                            continue;
                        }
                    }
                    let value = self.value()?;
                    map.insert(key, value);
                }
                _ => return Err(self.error("expected a key or `}`")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                Some(',') => self.at += 1,
                Some(_) => items.push(self.value()?),
                None => return Err(self.error("unterminated array")),
            }
        }
    }

    /// Reads a string starting at its opening quote. Never fails: an unterminated string
    /// runs to the end of the output (and the caller then reports what is missing).
    fn string(&mut self) -> String {
        self.at += 1;
        let mut text = String::new();
        while let Some(c) = self.peek() {
            self.at += 1;
            match c {
                '\\' => {
                    let Some(e) = self.peek() else { break };
                    self.at += 1;
                    match e {
                        'n' => text.push('\n'),
                        't' => text.push('\t'),
                        'r' => text.push('\r'),
                        'b' => text.push('\u{8}'),
                        'f' => text.push('\u{c}'),
                        'u' => text.push(self.unicode_escape()),
                        // `"`, `\`, `/` and every escape JSON does not define: the character itself.
                        other => text.push(other),
                    }
                }
                '"' if self.quote_ends_string() => return text,
                other => text.push(other),
            }
        }
        text
    }

    /// After `\u`: four hex digits, or (when they are not) the text `u` as written.
    fn unicode_escape(&mut self) -> char {
        let hex: String = self.chars[self.at..].iter().take(4).collect();
        match u32::from_str_radix(&hex, 16)
            .ok()
            .filter(|_| hex.len() == 4)
        {
            Some(code) => {
                self.at += 4;
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            None => 'u',
        }
    }

    /// Whether the `"` just read closes the string: what follows must be able to follow
    /// a string in an object or array.
    fn quote_ends_string(&self) -> bool {
        match self.next_solid(self.at) {
            None => true,
            Some((_, ':' | '}' | ']')) => true,
            Some((i, ',')) => match self.next_solid(i + 1) {
                None => true,
                Some((j, c)) => {
                    matches!(c, '"' | '{' | '[' | '}' | ']' | '-' | '0'..='9')
                        || ["true", "false", "null"].iter().any(|word| {
                            self.chars[j..]
                                .iter()
                                .take(word.len())
                                .copied()
                                .eq(word.chars())
                        })
                }
            },
            Some(_) => false,
        }
    }

    /// A number, `true`, `false`, `null`, or any other unquoted word (kept as a string).
    fn bare_word(&mut self) -> Result<Value, SyntaxError> {
        let begin = self.at;
        while self
            .peek()
            .is_some_and(|c| !matches!(c, ',' | '}' | ']' | '\n'))
        {
            self.at += 1;
        }
        let word: String = self.chars[begin..self.at].iter().collect();
        let word = word.trim();
        if word.is_empty() {
            return Err(self.error("expected a value"));
        }
        Ok(match serde_json::from_str::<Value>(word) {
            Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
            _ => Value::String(word.to_string()),
        })
    }
}

/// An integer from a JSON value PBS may have written as a number or as a string.
pub fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_json_reads_as_serde_json_reads_it() {
        let text = r#"{"a": [1, -2.5, true, null, "x\"y\\z\u00e9"], "b": {"c": "d"}}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn unknown_escapes_become_the_character() {
        let v = parse(r#"{"PATH": "a\,b", "q": "it\'s"}"#).unwrap();
        assert_eq!(v, json!({"PATH": "a,b", "q": "it's"}));
    }

    #[test]
    fn unquoted_leading_zero_values_stay_text() {
        let v = parse("{\"foo\":005, \"n\": 12, \"neg\": -29}").unwrap();
        assert_eq!(v, json!({"foo": "005", "n": 12, "neg": -29}));
    }

    #[test]
    fn a_quote_inside_a_comment_does_not_end_it() {
        let v = parse(r#"{"comment": "job "x" failed, see log", "next": 1}"#).unwrap();
        assert_eq!(
            v,
            json!({"comment": "job \"x\" failed, see log", "next": 1})
        );
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = parse(r#"{"state_count": "a", "state_count": "b"}"#).unwrap();
        assert_eq!(v, json!({"state_count": "b"}));
    }

    #[test]
    fn text_around_the_document_and_trailing_commas_are_ignored() {
        let v = parse("qstat: warning\n{\"a\": 1,}\ntrailer").unwrap();
        assert_eq!(v, json!({"a": 1}));
    }

    #[test]
    fn truncated_output_is_an_error_not_a_guess() {
        assert!(parse(r#"{"Jobs": {"1.s": {"job_state": "R""#).is_err());
        assert!(parse("qstat: cannot connect to server").is_err());
    }

    #[test]
    fn variable_list_is_skipped_by_its_layout() {
        let text = "{\n  \"Variable_List\":{\n    \"F\":\"() { x \"$@\"\n}\",\n    \"G\":\"y\"\n  },\n  \"job_state\":\"R\"\n}";
        assert_eq!(parse(text).unwrap(), json!({"job_state": "R"}));
        // On one line it is read like any value (and then ignored by the caller).
        let v = parse(r#"{"Variable_List": {"A": "1"}, "job_state": "Q"}"#).unwrap();
        assert_eq!(v["job_state"], "Q");
    }

    #[test]
    fn integers_may_come_as_strings() {
        assert_eq!(as_i64(&json!(-29)), Some(-29));
        assert_eq!(as_i64(&json!(" 271")), Some(271));
        assert_eq!(as_i64(&json!("x")), None);
    }
}
