//! What may reach a job script, and how. `#PBS` directives cannot be quoted (PBS reads
//! the line as it stands, and stops reading directives at the first command), so each
//! value that goes into one is checked against the characters its field allows; every
//! other value is quoted as one bash word. A value with a line break or another control
//! character is refused everywhere: it could end a line of the script.

use std::fmt;

/// A value refused for a job script, with the field it came from and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeValue {
    pub field: String,
    pub value: String,
    pub allowed: &'static str,
}

impl fmt::Display for UnsafeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {:?} cannot go into a job script; allowed: {}",
            self.field, self.value, self.allowed
        )
    }
}

impl std::error::Error for UnsafeValue {}

impl From<UnsafeValue> for crate::spec::rules::RuleError {
    fn from(e: UnsafeValue) -> Self {
        let message = format!("{:?} cannot go into a job script; allowed: {}", e.value, e.allowed);
        crate::spec::rules::RuleError::new(e.field, message)
    }
}

/// The kinds of values a `#PBS` directive carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// `-A` project, `-q` queue, `-N` name, `system=`: letters, digits, `_ - .`.
    Name,
    /// `-l filesystems=home:eagle`, `-l place=scatter:excl`: a name list joined by `:`.
    NameList,
}

impl Directive {
    fn allows(self, b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || b"_-.".contains(&b)
            || (self == Directive::NameList && b == b':')
    }

    fn allowed(self) -> &'static str {
        match self {
            Directive::Name => "letters, digits, `_`, `-` and `.` (not empty)",
            Directive::NameList => "letters, digits, `_`, `-`, `.` and `:` (not empty)",
        }
    }
}

/// Checks a value for a `#PBS` directive.
pub fn directive(field: &str, value: &str, kind: Directive) -> Result<(), UnsafeValue> {
    if !value.is_empty() && value.bytes().all(|b| kind.allows(b)) {
        Ok(())
    } else {
        Err(UnsafeValue {
            field: field.to_string(),
            value: value.to_string(),
            allowed: kind.allowed(),
        })
    }
}

/// Checks a value that is quoted into the script (paths, module names, environment
/// values): anything but control characters.
pub fn text(field: &str, value: &str) -> Result<(), UnsafeValue> {
    if value.chars().any(char::is_control) {
        Err(UnsafeValue {
            field: field.to_string(),
            value: value.to_string(),
            allowed: "any text without line breaks or other control characters",
        })
    } else {
        Ok(())
    }
}

/// Checks an environment variable name: a shell identifier.
pub fn variable(field: &str, name: &str) -> Result<(), UnsafeValue> {
    let mut bytes = name.bytes();
    let ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(UnsafeValue {
            field: field.to_string(),
            value: name.to_string(),
            allowed: "a shell variable name (letters, digits and `_`, not starting with a digit)",
        })
    }
}

/// Quotes a word for bash: plain words stay as they are, anything else goes in single
/// quotes (`'` spelt `'\''`).
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:=+,@%".contains(&b))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_leaves_plain_words_and_protects_the_rest() {
        assert_eq!(quote("/soft/lib:x"), "/soft/lib:x");
        assert_eq!(quote("AWS Libfabric"), "'AWS Libfabric'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn directive_values_allow_names_only() {
        assert!(directive("account", "XVR_Scaling-2.1", Directive::Name).is_ok());
        assert!(directive("filesystems", "home:eagle", Directive::NameList).is_ok());
        for hostile in ["X\necho INJECTED", "X Y", "X#c", "", "a;b", "$(id)", "a:b"] {
            let e = directive("account", hostile, Directive::Name).unwrap_err();
            assert_eq!(e.field, "account");
            assert!(e.to_string().contains("allowed: letters"), "{e}");
        }
        assert!(directive("filesystems", "home:eagle\n#PBS -A other", Directive::NameList).is_err());
    }

    #[test]
    fn text_refuses_control_characters_and_variables_need_identifiers() {
        assert!(text("modules.load", "cudatoolkit-standalone/12.9.1").is_ok());
        assert!(text("nccl.env.NCCL_NET", "AWS Libfabric").is_ok());
        assert!(text("worker", "/a\nrm -rf ~").is_err());
        assert!(text("worker", "/a\rb").is_err());
        assert!(variable("nccl.env", "NCCL_NET_GDR_LEVEL").is_ok());
        for bad in ["1X", "A-B", "A=B", "A;id", ""] {
            assert!(variable("nccl.env", bad).is_err(), "{bad}");
        }
    }
}
