//! [`Nullable`]: a field that may be absent, `null`, or a value, three states kept apart.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An optional field whose schema also allows `null`.
///
/// `Option<T>` has two states, and such a field has three, which mean different things on the
/// wire (in a partial update, "absent" often means "unchanged" and `null` means "cleared"). Use it
/// with `#[serde(default, skip_serializing_if = "Nullable::is_absent")]`, as generated models do:
/// absent stays absent, `null` stays `null`.
///
/// ```
/// use asyncapi_runtime::Nullable;
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Update {
///     #[serde(default, skip_serializing_if = "Nullable::is_absent")]
///     nickname: Nullable<String>,
/// }
///
/// let cleared: Update = serde_json::from_str(r#"{"nickname": null}"#).unwrap();
/// assert_eq!(cleared.nickname, Nullable::Null);
/// let unchanged: Update = serde_json::from_str("{}").unwrap();
/// assert_eq!(unchanged.nickname, Nullable::Absent);
/// assert_eq!(serde_json::to_string(&unchanged).unwrap(), "{}");
/// let set = Update { nickname: "Ada".to_string().into() };
/// assert_eq!(serde_json::to_string(&set).unwrap(), r#"{"nickname":"Ada"}"#);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nullable<T> {
    /// The field is not there.
    #[default]
    Absent,
    /// The field is there and `null`.
    Null,
    /// The field holds a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the field is absent (for `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// Whether the field is present and `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Nullable::Value(value) => Some(value),
            _ => None,
        }
    }

    /// The value, if there is one, by value.
    pub fn into_value(self) -> Option<T> {
        match self {
            Nullable::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(value) => Nullable::Value(value),
        }
    }

    /// Maps the value, keeping absent and `null` as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(value) => Nullable::Value(f(value)),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

/// `None` is `null` (present), never absent.
impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Nullable::Null, Nullable::Value)
    }
}

/// Absent is written as `null` when a struct does not skip it.
impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(value) => serializer.serialize_some(value),
            Nullable::Null | Nullable::Absent => serializer.serialize_none(),
        }
    }
}

/// A present field: `null` or a value. Absent comes from `#[serde(default)]`.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Nullable::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Patch {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        level: Nullable<i64>,
    }

    #[test]
    fn the_three_states_round_trip() {
        for (wire, state) in [
            (json!({}), Nullable::Absent),
            (json!({ "level": null }), Nullable::Null),
            (json!({ "level": 2 }), Nullable::Value(2)),
        ] {
            let decoded: Patch = serde_json::from_value(wire.clone()).unwrap();
            assert_eq!(decoded.level, state);
            assert_eq!(serde_json::to_value(&decoded).unwrap(), wire);
        }
    }

    #[test]
    fn a_wrong_type_is_still_an_error() {
        assert!(serde_json::from_value::<Patch>(json!({ "level": "high" })).is_err());
    }

    #[test]
    fn conversions_and_accessors() {
        assert_eq!(Nullable::from(Some(1)), Nullable::Value(1));
        assert_eq!(Nullable::<i32>::from(None), Nullable::Null);
        assert_eq!(Nullable::Value(2).map(|v| v * 2).into_value(), Some(4));
        assert_eq!(Nullable::<i32>::Null.value(), None);
        assert!(Nullable::<i32>::default().is_absent());
    }
}
