//! Values made from a JSON Schema, for messages without examples: deterministic for a seed, and
//! checked against the schema by the caller (a value that does not validate is never sent).
//!
//! What it reads: `$ref` (inside the bundled document), `const`, `enum`, `default`, `examples`,
//! `type` (lists too; `null` last), `allOf` (merged), `oneOf`/`anyOf` (one branch), object
//! `properties`/`required`, array `items`/`prefixItems`/`minItems`/`maxItems`, string
//! `format`/`minLength`/`maxLength`/`pattern` (tried against a few candidates), number bounds and
//! `multipleOf`.

use serde_json::{json, Map, Value};

/// A small deterministic generator (SplitMix64): the same seed makes the same values on every
/// machine and with every version of the dependencies.
#[derive(Debug, Clone)]
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Self {
        Seeded(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const MAX_DEPTH: usize = 12;

/// A value of `schema` (a bundled document: `$ref`s point into it), or `None` when nothing
/// here can make one (a `pattern` no candidate matches, a `not`, recursion too deep).
pub fn generate(root: &Value, rng: &mut Seeded) -> Option<Value> {
    Maker { root }.value(root, rng, 0)
}

struct Maker<'a> {
    root: &'a Value,
}

fn pointer<'v>(root: &'v Value, reference: &str) -> Option<&'v Value> {
    let fragment = reference.strip_prefix('#')?;
    let decoded = fragment.replace("%7B", "{").replace("%7D", "}").replace("%25", "%");
    root.pointer(&decoded)
}

/// `allOf` members merged into one object schema (properties and `required` joined).
fn merged(maker: &Maker<'_>, schema: &Map<String, Value>) -> Map<String, Value> {
    let mut out = schema.clone();
    out.remove("allOf");
    let Some(Value::Array(members)) = schema.get("allOf") else { return out };
    for member in members {
        let member = match member.get("$ref").and_then(Value::as_str) {
            Some(r) => pointer(maker.root, r).unwrap_or(member),
            None => member,
        };
        let Value::Object(m) = member else { continue };
        let m = merged(maker, m);
        for (key, value) in m {
            match (key.as_str(), out.get_mut(&key), value) {
                ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                    for (k, v) in theirs {
                        mine.entry(k).or_insert(v);
                    }
                }
                ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                    for r in theirs {
                        if !mine.contains(&r) {
                            mine.push(r);
                        }
                    }
                }
                (_, None, value) => {
                    out.insert(key, value);
                }
                _ => {}
            }
        }
    }
    out
}

impl Maker<'_> {
    fn value(&self, schema: &Value, rng: &mut Seeded, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = match schema {
            Value::Bool(true) => return Some(json!("mock")),
            Value::Object(o) => o,
            _ => return None,
        };
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return self.value(pointer(self.root, r)?, rng, depth + 1);
        }
        if schema.contains_key("not") {
            return None;
        }
        if let Some(c) = schema.get("const") {
            return Some(c.clone());
        }
        if let Some(Value::Array(values)) = schema.get("enum") {
            let usable: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            let pick = if usable.is_empty() { values } else { &usable.into_iter().cloned().collect() };
            return pick.get(rng.below(pick.len() as u64) as usize).cloned();
        }
        if let Some(Value::Array(examples)) = schema.get("examples") {
            if let Some(e) = examples.first() {
                return Some(e.clone());
            }
        }
        if let Some(d) = schema.get("default") {
            return Some(d.clone());
        }
        let schema = &merged(self, schema);
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = schema.get(key) {
                if branches.is_empty() {
                    return None;
                }
                // Every branch in turn from a seeded start, the first that makes a value.
                let start = rng.below(branches.len() as u64) as usize;
                return (0..branches.len()).find_map(|i| {
                    let branch = &branches[(start + i) % branches.len()];
                    let mut combined = schema.clone();
                    combined.remove(key);
                    let branch = match branch.get("$ref").and_then(Value::as_str) {
                        Some(r) => pointer(self.root, r)?,
                        None => branch,
                    };
                    if let Value::Object(b) = branch {
                        combined.extend(b.clone());
                    }
                    self.value(&Value::Object(combined), rng, depth + 1)
                });
            }
        }
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(types)) => {
                let non_null: Vec<&str> = types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
                non_null.first().map_or("null", |t| t).to_string()
            }
            None if schema.contains_key("properties") => "object".into(),
            None if schema.contains_key("items") => "array".into(),
            None => "string".into(),
            _ => return None,
        };
        match ty.as_str() {
            "null" => Some(Value::Null),
            "boolean" => Some(Value::Bool(rng.below(2) == 1)),
            "integer" => integer(schema, rng),
            "number" => number(schema, rng),
            "string" => string(schema, rng),
            "array" => self.array(schema, rng, depth),
            "object" => self.object(schema, rng, depth),
            _ => None,
        }
    }

    fn object(&self, schema: &Map<String, Value>, rng: &mut Seeded, depth: usize) -> Option<Value> {
        let required: Vec<&str> = schema.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let mut out = Map::new();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, property) in properties {
                // Required properties always; optional ones when they make a value, and not
                // below the first levels (so recursive types end).
                let needed = required.contains(&name.as_str());
                if !needed && depth > 3 {
                    continue;
                }
                match self.value(property, rng, depth + 1) {
                    Some(v) => {
                        out.insert(name.clone(), v);
                    }
                    None if needed => return None,
                    None => {}
                }
            }
        }
        for name in required {
            if !out.contains_key(name) {
                let extra = schema.get("additionalProperties").filter(|a| a.is_object()).cloned().unwrap_or(Value::Bool(true));
                out.insert(name.to_string(), self.value(&extra, rng, depth + 1)?);
            }
        }
        Some(Value::Object(out))
    }

    fn array(&self, schema: &Map<String, Value>, rng: &mut Seeded, depth: usize) -> Option<Value> {
        let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(min.max(2)).max(min);
        let prefix: Vec<&Value> = schema.get("prefixItems").or_else(|| schema.get("items").filter(|i| i.is_array())).and_then(Value::as_array).map(|p| p.iter().collect()).unwrap_or_default();
        let items = schema.get("items").filter(|i| i.is_object() || i.is_boolean());
        let count = if prefix.is_empty() { (min + rng.below(max - min + 1)).min(min.max(3)) } else { prefix.len() as u64 };
        let mut out = Vec::new();
        for i in 0..count as usize {
            let item = prefix.get(i).copied().or(items).unwrap_or(&Value::Bool(true));
            let value = self.value(item, rng, depth + 1)?;
            if schema.get("uniqueItems") == Some(&Value::Bool(true)) && out.contains(&value) {
                continue;
            }
            out.push(value);
        }
        (out.len() as u64 >= min).then_some(Value::Array(out))
    }
}

fn integer(schema: &Map<String, Value>, rng: &mut Seeded) -> Option<Value> {
    let mut low = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
    let mut high = schema.get("maximum").and_then(Value::as_i64).unwrap_or(low.saturating_add(100));
    if let Some(x) = schema.get("exclusiveMinimum").and_then(Value::as_f64) {
        low = low.max(x.floor() as i64 + 1);
    }
    if let Some(x) = schema.get("exclusiveMaximum").and_then(Value::as_f64) {
        high = high.min(x.ceil() as i64 - 1);
    }
    if high < low {
        if schema.get("maximum").is_none() && schema.get("exclusiveMaximum").is_none() {
            high = low.saturating_add(100);
        } else {
            return None;
        }
    }
    let step = schema.get("multipleOf").and_then(Value::as_i64).filter(|s| *s > 0).unwrap_or(1);
    let first = low.div_euclid(step) * step + if low.rem_euclid(step) == 0 { 0 } else { step };
    if first > high {
        return None;
    }
    let span = ((high - first) / step) as u64;
    Some(json!(first + (rng.below(span + 1) as i64) * step))
}

fn number(schema: &Map<String, Value>, rng: &mut Seeded) -> Option<Value> {
    if schema.contains_key("multipleOf") {
        return integer(schema, rng);
    }
    let low = schema.get("minimum").or_else(|| schema.get("exclusiveMinimum")).and_then(Value::as_f64).unwrap_or(0.0);
    let high = schema.get("maximum").or_else(|| schema.get("exclusiveMaximum")).and_then(Value::as_f64).unwrap_or(low + 100.0);
    if high < low {
        return None;
    }
    // A midpoint-ish value in quarters, strictly inside exclusive bounds.
    let fraction = (1 + rng.below(3)) as f64 / 4.0;
    serde_json::Number::from_f64(low + (high - low) * fraction).map(Value::Number)
}

fn string(schema: &Map<String, Value>, rng: &mut Seeded) -> Option<Value> {
    let n = rng.below(1000);
    let by_format = match schema.get("format").and_then(Value::as_str).unwrap_or_default() {
        "date-time" => Some(format!("2024-05-01T12:{:02}:{:02}Z", n % 60, (n / 60) % 60)),
        "date" => Some(format!("2024-05-{:02}", 1 + n % 28)),
        "time" => Some(format!("12:{:02}:00Z", n % 60)),
        "uuid" => Some(format!("7f1d0c8e-2b1a-4c55-9f3e-{:012x}", n)),
        "email" => Some(format!("user{n}@example.com")),
        "uri" | "url" => Some(format!("https://example.com/{n}")),
        "hostname" => Some(format!("host{n}.example.com")),
        "ipv4" => Some(format!("192.0.2.{}", n % 255)),
        "ipv6" => Some(format!("2001:db8::{:x}", n)),
        _ => None,
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
    let fits = |s: &str| s.chars().count() >= min && max.is_none_or(|m| s.chars().count() <= m);
    if let Some(s) = by_format {
        return fits(&s).then_some(Value::String(s));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        let regex = regex::Regex::new(pattern).ok()?;
        let hir = regex_syntax::parse(pattern).ok()?;
        return (0..16).filter_map(|_| from_hir(&hir, rng)).find(|c| regex.is_match(c) && fits(c)).map(Value::String);
    }
    let s = pad(format!("mock-{n}"), min, max);
    fits(&s).then_some(Value::String(s))
}

/// A string the regular expression `hir` matches: repetitions a little above their minimum,
/// characters from the classes (printable ASCII where a class has some), one branch of each
/// alternation. Anchors and other look-arounds add nothing.
fn from_hir(hir: &regex_syntax::hir::Hir, rng: &mut Seeded) -> Option<String> {
    use regex_syntax::hir::{Class, HirKind};
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => String::new(),
        HirKind::Literal(l) => String::from_utf8(l.0.to_vec()).ok()?,
        HirKind::Class(Class::Unicode(c)) => {
            let printable: Vec<(char, char)> = c.ranges().iter().filter_map(|r| {
                let (lo, hi) = (r.start().max('!'), r.end().min('~'));
                (lo <= hi).then_some((lo, hi))
            }).collect();
            let ranges: Vec<(char, char)> = if printable.is_empty() { c.ranges().iter().map(|r| (r.start(), r.end())).collect() } else { printable };
            let (lo, hi) = *ranges.get(rng.below(ranges.len() as u64) as usize)?;
            let offset = rng.below(u64::from(hi as u32 - lo as u32) + 1) as u32;
            char::from_u32(lo as u32 + offset).unwrap_or(lo).to_string()
        }
        HirKind::Class(Class::Bytes(c)) => {
            let r = c.ranges().iter().find(|r| r.start().is_ascii_graphic() || r.end().is_ascii_graphic())?;
            char::from(r.start().max(b'!').min(r.end())).to_string()
        }
        HirKind::Repetition(r) => {
            let extra = r.max.map_or(2, |max| (max - r.min).min(2));
            let count = r.min + rng.below(u64::from(extra) + 1) as u32;
            (0..count).map(|_| from_hir(&r.sub, rng)).collect::<Option<String>>()?
        }
        HirKind::Capture(c) => from_hir(&c.sub, rng)?,
        HirKind::Concat(parts) => parts.iter().map(|p| from_hir(p, rng)).collect::<Option<String>>()?,
        HirKind::Alternation(branches) => from_hir(branches.get(rng.below(branches.len() as u64) as usize)?, rng)?,
    })
}

/// `s` lengthened (with `x`) to `min` and cut to `max` characters.
fn pad(mut s: String, min: usize, max: Option<usize>) -> String {
    while s.chars().count() < min {
        s.push('x');
    }
    match max {
        Some(m) if s.chars().count() > m => s.chars().take(m).collect(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(schema: &Value, seed: u64) -> Value {
        let value = generate(schema, &mut Seeded::new(seed)).unwrap_or_else(|| panic!("no value for {schema}"));
        let validator = jsonschema::draft7::new(schema).expect("schema compiles");
        assert!(validator.is_valid(&value), "{value} is not valid against {schema}");
        value
    }

    #[test]
    fn objects_with_refs_formats_enums_and_bounds_are_valid() {
        let schema = json!({
            "type": "object",
            "required": ["id", "at", "kind", "count", "ratio", "tags", "owner"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "at": {"type": "string", "format": "date-time"},
                "kind": {"enum": ["A", "B"]},
                "tag": {"const": "fixed"},
                "count": {"type": "integer", "minimum": 5, "maximum": 9, "multipleOf": 2},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "tags": {"type": "array", "items": {"type": "string", "minLength": 3}, "minItems": 1, "uniqueItems": true},
                "owner": {"$ref": "#/definitions/Owner"},
                "note": {"type": ["string", "null"], "maxLength": 4}
            },
            "definitions": {"Owner": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}}
        });
        for seed in 0..50 {
            let value = valid(&schema, seed);
            assert_eq!(value["tag"], "fixed");
        }
        assert_eq!(valid(&schema, 7), valid(&schema, 7), "the same seed makes the same value");
    }

    #[test]
    fn unions_and_all_of_are_valid() {
        let schema = json!({
            "oneOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}, "additionalProperties": false},
                {"type": "object", "required": ["b"], "properties": {"b": {"type": "boolean"}}, "additionalProperties": false}
            ]
        });
        for seed in 0..20 {
            valid(&schema, seed);
        }
        let all_of = json!({"allOf": [
            {"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}},
            {"required": ["y"], "properties": {"y": {"type": "integer", "minimum": 1}}}
        ]});
        let value = valid(&all_of, 1);
        assert!(value.get("x").is_some() && value.get("y").is_some(), "{value}");
    }

    #[test]
    fn patterns_are_matched() {
        for pattern in ["^call-[0-9]+$", "^[A-Z]{2}-\\d{4}$", "^(GET|PUT) /[a-z]+$", "[0-9a-f]{64}", "^\\w+@\\w+\\.com$"] {
            for seed in 0..10 {
                valid(&json!({"type": "string", "pattern": pattern}), seed);
            }
        }
    }

    #[test]
    fn what_cannot_be_made_is_none() {
        assert!(generate(&json!({"type": "string", "pattern": "^[0-9]{10}$", "maxLength": 3}), &mut Seeded::new(1)).is_none());
        assert!(generate(&json!({"not": {"type": "string"}}), &mut Seeded::new(1)).is_none());
        assert!(generate(&json!({"type": "integer", "minimum": 10, "maximum": 1}), &mut Seeded::new(1)).is_none());
    }
}
