//! Configuration errors that say where and why.

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration that cannot be used: which file, which key, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// The dotted key (`devices.camera.v4l.path`); empty when the file itself is the problem.
    pub key: String,
    /// What is wrong.
    pub reason: String,
    /// Line in the file, when known.
    pub line: Option<usize>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    pub(super) fn unreadable(file: &Path, error: &std::io::Error) -> Self {
        ConfigError {
            file: file.to_owned(),
            key: String::new(),
            reason: format!("cannot read the configuration file: {error}"),
            line: None,
        }
    }

    /// From a TOML syntax or type error; `path` is the key path serde had reached.
    pub(super) fn from_toml(file: &Path, text: &str, path: &str, error: &toml::de::Error) -> Self {
        let message = error.message().trim().to_owned();
        let line = error.span().map(|span| line_of(text, span.start));
        ConfigError { file: file.to_owned(), key: key_of(path, &message), reason: message, line }
    }

    pub(super) fn invalid(file: &Path, text: &str, key: &str, reason: String) -> Self {
        ConfigError { file: file.to_owned(), key: key.to_owned(), reason, line: find_key_line(text, key) }
    }
}

/// serde reports an unknown or missing field at its parent; the field's name is in the message.
fn key_of(path: &str, message: &str) -> String {
    let path = if path == "." { "" } else { path };
    let field = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()));
    match (path, field) {
        ("", Some(field)) => field.to_owned(),
        (path, Some(field)) if path == field || path.ends_with(&format!(".{field}")) => path.to_owned(),
        (path, Some(field)) => format!("{path}.{field}"),
        (path, None) => path.to_owned(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line where the last part of a dotted key is assigned within its table, best effort.
fn find_key_line(text: &str, key: &str) -> Option<usize> {
    let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = String::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header.trim().to_owned();
        } else if current == table && line.split('=').next().is_some_and(|k| k.trim() == leaf) && line.contains('=') {
            return Some(number + 1);
        }
    }
    None
}
