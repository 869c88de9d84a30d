//! The graph of named types every emitter prints.

use serde_json::Value;

use crate::load::Loc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub usize);

/// A type expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    String,
    Bool,
    I32,
    I64,
    U32,
    U64,
    F32,
    F64,
    DateTime,
    Uuid,
    /// An Avro date or time logical type read as a chrono value (`--chrono`); an integer on the wire.
    Epoch(EpochUnit),
    /// Any JSON value.
    Any,
    Named(TypeId),
    Vec(Box<Ty>),
    Map(Box<Ty>),
    /// A fixed-length array of positions (`prefixItems`, or `items` as a list).
    Tuple(Vec<Ty>),
    /// A nullable value: `null` on the wire is `None`.
    Nullable(Box<Ty>),
}

/// The Avro logical types that count from the Unix epoch, with `--chrono`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EpochUnit {
    /// `timestamp-millis`: milliseconds, a `long`.
    Millis,
    /// `timestamp-micros`: microseconds, a `long`.
    Micros,
    /// `date`: days, an `int`.
    Days,
}

impl EpochUnit {
    /// The unit of an Avro `logicalType`, if it is one of these.
    pub fn of_logical_type(logical: &str) -> Option<Self> {
        match logical {
            "timestamp-millis" => Some(Self::Millis),
            "timestamp-micros" => Some(Self::Micros),
            "date" => Some(Self::Days),
            _ => None,
        }
    }

    /// The Avro logical type's name.
    pub fn logical_type(self) -> &'static str {
        match self {
            Self::Millis => "timestamp-millis",
            Self::Micros => "timestamp-micros",
            Self::Days => "date",
        }
    }

    /// The generated wrapper type's name, in each document's `avro_time` module.
    pub fn rust_name(self) -> &'static str {
        match self {
            Self::Millis => "TimestampMillis",
            Self::Micros => "TimestampMicros",
            Self::Days => "Date",
        }
    }
}

impl Ty {
    /// The named type this expression mentions directly (not through Vec or Map).
    pub fn direct_named(&self) -> Option<TypeId> {
        match self {
            Ty::Named(id) => Some(*id),
            Ty::Nullable(inner) => inner.direct_named(),
            _ => None,
        }
    }

    /// Short wire-level type description for docs and messages.
    pub fn is_float(&self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub doc: Option<String>,
    /// The schema node it was built from.
    pub loc: Option<Loc>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Struct(Struct),
    /// String enum; `open` adds a catch-all variant keeping unknown values.
    Enum { variants: Vec<EnumVariant>, open: bool },
    IntEnum { values: Vec<i64> },
    /// A single permitted value, checked on decode.
    Const { value: Value },
    Union(Union),
    Alias(Ty),
}

#[derive(Debug, Clone)]
pub struct EnumVariant {
    pub wire: String,
    pub rust: String,
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub fields: Vec<Field>,
    pub extra: Extra,
    /// The builder type's name, when the struct has too many required fields for `new`.
    pub builder: Option<String>,
}

/// What happens to properties the schema does not declare.
#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    /// `additionalProperties: false`.
    Deny,
    /// `additionalProperties` absent (JSON Schema's default, `true`), `true` or a schema: kept in a
    /// flattened map.
    Keep { field: String, value: Ty },
    /// Read and dropped: an Avro record, whose readers ignore the fields they do not know
    /// (`additionalProperties: {x-ignored: true}` in its translation).
    Ignore,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    /// The value type, without the `Nullable` wrapper.
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    pub doc: Option<String>,
    pub default: Option<Value>,
    /// The schema's `format`, as written.
    pub format: Option<String>,
    /// The schema's value limits (`minimum`, `maxLength`, `pattern`, …), in docs order.
    pub limits: Vec<(String, Value)>,
    /// The property's name was inferred (`x-name-source: reconstructed`), not documented.
    pub reconstructed: bool,
    /// Set by the recursion pass when the field must be boxed.
    pub boxed: bool,
    pub loc: Loc,
}

/// How a field holds its value: what absence and `null` become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRepr {
    /// Required, not nullable: `T`.
    Plain,
    /// Required and nullable: `Option<T>`; `null` is `None`, absence is an error.
    RequiredNullable,
    /// Optional: `Option<T>`; absent is `None`, and `None` is not encoded.
    Optional,
    /// Optional and nullable: `Nullable<T>`, telling absent, `null` and a value apart.
    TriState,
}

impl Field {
    /// How the field holds its value.
    pub fn repr(&self) -> FieldRepr {
        match (self.required, self.nullable) {
            (true, false) => FieldRepr::Plain,
            (true, true) => FieldRepr::RequiredNullable,
            (false, false) => FieldRepr::Optional,
            (false, true) => FieldRepr::TriState,
        }
    }

    /// Whether its type is a `const`: a value constructors and `Default` fill in.
    pub fn is_const(&self, types: &[TypeDef]) -> bool {
        matches!(self.ty, Ty::Named(id) if matches!(types[id.0].kind, Kind::Const { .. }))
    }
}

#[derive(Debug, Clone)]
pub struct Union {
    pub tagging: Tagging,
    pub variants: Vec<UnionVariant>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tagging {
    /// Tried in order; the first that decodes wins.
    Untagged,
    /// A property with a distinct value per variant, kept inside each variant.
    Property { property: String },
    /// `{tag: value, content: payload}`: one variant per tag value, holding the payload.
    Adjacent { tag: String, content: String },
}

#[derive(Debug, Clone)]
pub struct UnionVariant {
    pub rust: String,
    pub ty: Ty,
    /// The discriminator value; `None` marks the fallback of a tagged union.
    pub tag: Option<String>,
    pub boxed: bool,
}
