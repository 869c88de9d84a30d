//! A light JSON representation for checking captured traffic: objects are plain member lists and
//! strings borrow from the line where they can, so a line is parsed without hashing keys and with
//! few allocations. The validator reads it through `jsonschema::json`.

use std::borrow::Cow;
use std::fmt;

use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use jsonschema::JsonType;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// One parsed JSON value of a capture line.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Wire<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Wire<'a>>),
    Object(Vec<(Cow<'a, str>, Wire<'a>)>),
}

impl<'a> Wire<'a> {
    /// A member of an object.
    pub fn get(&self, key: &str) -> Option<&Wire<'a>> {
        match self {
            Wire::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Wire::String(s) => Some(s),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`, for messages and reports.
    pub fn to_value(&self) -> Value {
        match self {
            Wire::Null => Value::Null,
            Wire::Bool(b) => Value::Bool(*b),
            Wire::Number(n) => Value::Number(n.clone()),
            Wire::String(s) => Value::String(s.to_string()),
            Wire::Array(items) => Value::Array(items.iter().map(Wire::to_value).collect()),
            Wire::Object(members) => Value::Object(members.iter().map(|(k, v)| (k.to_string(), v.to_value())).collect()),
        }
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Wire<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Wire<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Wire<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Wire<'de>, E> {
                Ok(Wire::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Wire<'de>, E> {
                Ok(Wire::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Wire<'de>, E> {
                Ok(Wire::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Wire<'de>, E> {
                Ok(Number::from_f64(v).map_or(Wire::Null, Wire::Number))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Wire<'de>, E> {
                Ok(Wire::String(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Wire<'de>, E> {
                Ok(Wire::String(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Wire<'de>, E> {
                Ok(Wire::String(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Wire<'de>, E> {
                Ok(Wire::Null)
            }
            fn visit_none<E>(self) -> Result<Wire<'de>, E> {
                Ok(Wire::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Wire<'de>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Wire::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Wire<'de>, A::Error> {
                let mut members: Vec<(Cow<'de, str>, Wire<'de>)> = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((Key(k), v)) = map.next_entry::<Key<'de>, Wire<'de>>()? {
                    // Like serde_json: a repeated key keeps the last value.
                    match members.iter_mut().find(|(name, _)| *name == k) {
                        Some(slot) => slot.1 = v,
                        None => members.push((k, v)),
                    }
                }
                Ok(Wire::Object(members))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The representation, for `jsonschema::options_for::<WireJson>()`.
pub struct WireJson;

impl Json for WireJson {
    type Node<'a> = &'a Wire<'a>;
    type PreparedKey = String;
    type StringBuffer = Wire<'static>;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(buffer: &mut Wire<'static>, string: &str, f: impl FnOnce(Self::Node<'_>) -> T) -> T {
        *buffer = Wire::String(Cow::Owned(string.to_owned()));
        f(buffer)
    }
}

pub struct WireNumber<'a>(&'a Number);

impl JsonNumber for WireNumber<'_> {
    fn as_u64(&self) -> Option<u64> {
        self.0.as_u64()
    }
    fn as_i64(&self) -> Option<i64> {
        self.0.as_i64()
    }
    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.0.to_string())
    }
    fn to_number(&self) -> Cow<'_, Number> {
        Cow::Borrowed(self.0)
    }
}

impl<'a> Node<'a, WireJson> for &'a Wire<'a> {
    type Object = &'a [(Cow<'a, str>, Wire<'a>)];
    type Array = &'a [Wire<'a>];
    type Number = WireNumber<'a>;

    fn as_object(&self) -> Option<&'a [(Cow<'a, str>, Wire<'a>)]> {
        match self {
            Wire::Object(members) => Some(members),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<&'a [Wire<'a>]> {
        match self {
            Wire::Array(items) => Some(items),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Wire::String(s) => Some(Cow::Borrowed(s.as_ref())),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<WireNumber<'a>> {
        match self {
            Wire::Number(n) => Some(WireNumber(n)),
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self {
            Wire::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Wire::Null)
    }
    fn json_type(&self) -> JsonType {
        match self {
            Wire::Null => JsonType::Null,
            Wire::Bool(_) => JsonType::Boolean,
            Wire::Number(_) => JsonType::Number,
            Wire::String(_) => JsonType::String,
            Wire::Array(_) => JsonType::Array,
            Wire::Object(_) => JsonType::Object,
        }
    }
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Wire::to_value(self))
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Wire<'a>>(*self) as usize))
    }
}

pub struct Members<'a>(std::slice::Iter<'a, (Cow<'a, str>, Wire<'a>)>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Wire<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Object<'a, WireJson> for &'a [(Cow<'a, str>, Wire<'a>)] {
    type Node = &'a Wire<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[(Cow<'a, str>, Wire<'a>)]>::len(self)
    }
    fn get(&self, key: &String) -> Option<&'a Wire<'a>> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

impl<'a> Array<'a, WireJson> for &'a [Wire<'a>] {
    type Node = &'a Wire<'a>;
    type ElementsIter = std::slice::Iter<'a, Wire<'a>>;

    fn len(&self) -> usize {
        <[Wire<'a>]>::len(self)
    }
    fn elements(&self) -> std::slice::Iter<'a, Wire<'a>> {
        self.iter()
    }
}
