//! The error of a generated builder's `build`.

use std::fmt;

/// A required field that was not set before `build`.
///
/// ```
/// use asyncapi_runtime::MissingField;
///
/// let error = MissingField("dialogId");
/// assert_eq!(error.to_string(), "required field `dialogId` is not set");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingField(pub &'static str);

impl fmt::Display for MissingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "required field `{}` is not set", self.0)
    }
}

impl std::error::Error for MissingField {}
