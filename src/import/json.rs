//! Reading a JSON document field by field, so that every error names the file and
//! the path of the field at fault (`history[3].state_size`), not only a position.

use super::ImportError;
use serde_json::Value;

/// A value inside a parsed file, with the path that led to it.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub file: &'a str,
    path: &'a str,
    value: &'a Value,
}

/// An owned path for the children of a [`Field`].
pub struct Child<'a> {
    file: &'a str,
    path: String,
    value: &'a Value,
}

impl<'a> Child<'a> {
    pub fn get(&self) -> Field<'_> {
        Field {
            file: self.file,
            path: &self.path,
            value: self.value,
        }
    }
}

/// Parses `text`, the contents of `file`; a syntax error names the line and column.
pub fn parse(file: &str, text: &str) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|e| ImportError {
        file: file.to_string(),
        field: None,
        message: format!("invalid JSON at line {} column {}: {e}", e.line(), e.column()),
    })
}

impl<'a> Field<'a> {
    pub fn root(file: &'a str, value: &'a Value) -> Self {
        Field { file, path: "", value }
    }

    pub fn error(&self, message: impl Into<String>) -> ImportError {
        ImportError {
            file: self.file.to_string(),
            field: Some(if self.path.is_empty() {
                "(document)".into()
            } else {
                self.path.to_string()
            }),
            message: message.into(),
        }
    }

    fn child_path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// The field `name` of this object, when present and not null.
    pub fn opt(&self, name: &str) -> Option<Child<'a>> {
        match self.value.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Child {
                file: self.file,
                path: self.child_path(name),
                value,
            }),
        }
    }

    /// The field `name` of this object; an error naming it when missing.
    pub fn req(&self, name: &str) -> Result<Child<'a>, ImportError> {
        if !self.value.is_object() {
            return Err(self.error("expected an object"));
        }
        self.opt(name).ok_or_else(|| ImportError {
            file: self.file.to_string(),
            field: Some(self.child_path(name)),
            message: "missing".into(),
        })
    }

    pub fn items(&self) -> Result<Vec<Child<'a>>, ImportError> {
        let items = self.value.as_array().ok_or_else(|| self.error("expected a list"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Child {
                file: self.file,
                path: format!("{}[{i}]", self.path),
                value,
            })
            .collect())
    }

    /// The entries of an object, in key order.
    pub fn entries(&self) -> Result<Vec<(String, Child<'a>)>, ImportError> {
        let map = self.value.as_object().ok_or_else(|| self.error("expected an object"))?;
        let mut entries: Vec<_> = map
            .iter()
            .map(|(k, value)| {
                (
                    k.clone(),
                    Child {
                        file: self.file,
                        path: self.child_path(k),
                        value,
                    },
                )
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }

    pub fn str(&self) -> Result<&'a str, ImportError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, got {}", self.value)))
    }

    pub fn bool(&self) -> Result<bool, ImportError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.error(format!("expected true or false, got {}", self.value)))
    }

    pub fn i64(&self) -> Result<i64, ImportError> {
        self.value
            .as_i64()
            .ok_or_else(|| self.error(format!("expected a whole number, got {}", self.value)))
    }

    /// A count or size: a whole number from 0.
    pub fn u64(&self) -> Result<u64, ImportError> {
        self.value
            .as_u64()
            .ok_or_else(|| self.error(format!("expected a whole number from 0, got {}", self.value)))
    }

    /// A number; Flink writes `"NaN"` where it has none, which reads as `None`.
    pub fn f64(&self) -> Result<Option<f64>, ImportError> {
        match self.value {
            Value::Number(n) => Ok(n.as_f64()),
            Value::String(s) if s == "NaN" => Ok(None),
            other => Err(self.error(format!("expected a number, got {other}"))),
        }
    }
}
