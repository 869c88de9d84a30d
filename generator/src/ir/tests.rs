//! The IR's decisions on small documents: discriminator choice, polymorphism, tuples, keywords
//! without a Rust shape, operation messages and undeclared properties.

use super::*;

/// Lowers one YAML document written to a scratch file.
fn lower(yaml: &str) -> Ir {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.yaml");
    std::fs::write(&path, yaml).expect("written");
    let (_, ir) = crate::load_ir(&[path], &crate::LoadOptions::default(), &IrOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    ir
}

fn named<'a>(doc: &'a IrDocument, name: &str) -> &'a TypeDef {
    doc.types.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no type {name}: {:?}", doc.types.iter().map(|t| &t.name).collect::<Vec<_>>()))
}

fn union_of<'a>(doc: &'a IrDocument, name: &str) -> &'a Union {
    match &named(doc, name).kind {
        Kind::Union(u) => u,
        other => panic!("{name} is not a union: {other:?}"),
    }
}

fn field<'a>(def: &'a TypeDef, wire: &str) -> &'a Field {
    let Kind::Struct(s) = &def.kind else { panic!("{} is not a struct", def.name) };
    s.fields.iter().find(|f| f.wire == wire).unwrap_or_else(|| panic!("{} has no field {wire}", def.name))
}

const HEADER: &str = "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: {s: {host: localhost, protocol: ws}}\n";

#[test]
fn a_const_every_message_shares_is_passed_over_for_one_that_differs() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q:
    address: /q
    messages:
      a: {{payload: {{type: object, required: [specversion, type], properties: {{specversion: {{const: '1.0'}}, type: {{const: a.created}}}}}}}}
      b: {{payload: {{type: object, required: [specversion, type], properties: {{specversion: {{const: '1.0'}}, type: {{const: b.created}}}}}}}}
operations:
  r: {{action: receive, channel: {{$ref: '#/channels/q'}}}}
"
    ));
    let doc = &ir.documents[0];
    let u = union_of(doc, "ClientMessage");
    assert_eq!(u.tagging, Tagging::Property { property: "type".into() });
    let tags: Vec<_> = u.variants.iter().map(|v| v.tag.clone().unwrap_or_default()).collect();
    assert_eq!(tags, ["a.created", "b.created"]);
    assert!(ir.warnings.is_empty(), "{:?}", ir.warnings);
}

#[test]
fn messages_nothing_tells_apart_are_untagged_with_a_warning_naming_them() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q:
    address: /q
    messages:
      a: {{payload: {{type: object, required: [v], properties: {{v: {{const: '1'}}}}}}}}
      b: {{payload: {{type: object, required: [v], properties: {{v: {{const: '1'}}}}}}}}
operations:
  r: {{action: receive, channel: {{$ref: '#/channels/q'}}}}
"
    ));
    assert_eq!(union_of(&ir.documents[0], "ClientMessage").tagging, Tagging::Untagged);
    assert_eq!(ir.warnings.len(), 1);
    assert_eq!(ir.warnings[0].code, crate::diag::Code::Untagged);
    assert!(ir.warnings[0].message.contains("`a`, `b`"), "{}", ir.warnings[0].message);
}

#[test]
fn all_of_with_a_one_of_member_gives_variants_carrying_the_base_fields_and_mapped_tags() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q: {{address: /q, messages: {{cmd: {{payload: {{$ref: '#/components/schemas/Command'}}}}}}}}
operations:
  r: {{action: receive, channel: {{$ref: '#/channels/q'}}}}
components:
  schemas:
    Command:
      allOf:
        - $ref: '#/components/schemas/Base'
        - oneOf: [{{$ref: '#/components/schemas/Stop'}}, {{$ref: '#/components/schemas/Route'}}]
    Base:
      type: object
      required: [kind]
      properties: {{kind: {{type: string}}, at: {{type: string}}}}
      discriminator: {{propertyName: kind, mapping: {{stop: '#/components/schemas/Stop', route: Route}}}}
    Stop: {{type: object, properties: {{reason: {{type: string}}}}}}
    Route: {{type: object, properties: {{waypoints: {{type: array, items: {{type: string}}}}}}}}
"
    ));
    let doc = &ir.documents[0];
    let u = union_of(doc, "Command");
    assert_eq!(u.tagging, Tagging::Property { property: "kind".into() });
    let tags: Vec<_> = u.variants.iter().map(|v| v.tag.clone().unwrap_or_default()).collect();
    assert_eq!(tags, ["stop", "route"]);
    let Ty::Named(stop) = &u.variants[0].ty else { panic!("variant type") };
    let stop = doc.type_def(*stop);
    assert!(["kind", "at", "reason"].iter().all(|w| field(stop, w).wire == *w));
    let kind = field(stop, "kind");
    assert!(kind.required);
    let Ty::Named(c) = &kind.ty else { panic!("kind is not a const") };
    assert!(matches!(&doc.type_def(*c).kind, Kind::Const { value } if value == "stop"));
}

#[test]
fn a_discriminated_base_listing_subtypes_that_all_of_it_tags_them_by_schema_name() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q: {{address: /q, messages: {{pet: {{payload: {{$ref: '#/components/schemas/Pet'}}}}}}}}
operations:
  s: {{action: send, channel: {{$ref: '#/channels/q'}}}}
components:
  schemas:
    Pet:
      type: object
      discriminator: petType
      required: [petType, name]
      properties: {{petType: {{type: string}}, name: {{type: string}}}}
      oneOf: [{{$ref: '#/components/schemas/Cat'}}, {{$ref: '#/components/schemas/Dog'}}]
    Cat: {{allOf: [{{$ref: '#/components/schemas/Pet'}}, {{type: object, properties: {{lives: {{type: integer}}}}}}]}}
    Dog: {{allOf: [{{$ref: '#/components/schemas/Pet'}}, {{type: object, properties: {{bark: {{type: boolean}}}}}}]}}
"
    ));
    let doc = &ir.documents[0];
    let u = union_of(doc, "Pet");
    let tags: Vec<_> = u.variants.iter().map(|v| (v.rust.clone(), v.tag.clone().unwrap_or_default())).collect();
    assert_eq!(tags, [("Cat".to_string(), "Cat".to_string()), ("Dog".to_string(), "Dog".to_string())]);
    let cat = named(doc, "Cat");
    assert_eq!(field(cat, "name").ty, Ty::String);
    assert_eq!(field(cat, "lives").ty, Ty::I64);
}

#[test]
fn tuples_keywords_without_a_shape_and_undeclared_properties() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q: {{address: /q, messages: {{m: {{payload: {{$ref: '#/components/schemas/Word'}}}}}}}}
operations:
  s: {{action: send, channel: {{$ref: '#/channels/q'}}}}
components:
  schemas:
    Word:
      type: object
      properties:
        label: {{type: string, not: {{enum: ['']}}}}
        span: {{type: array, prefixItems: [{{type: number}}, {{type: integer}}], items: false, minItems: 2}}
        loose: {{type: array, items: [{{type: string}}]}}
"
    ));
    let doc = &ir.documents[0];
    let word = named(doc, "Word");
    assert_eq!(field(word, "label").ty, Ty::String);
    assert!(field(word, "label").doc.as_deref().is_some_and(|d| d.contains("`not`")));
    assert_eq!(field(word, "span").ty, Ty::Tuple(vec![Ty::F64, Ty::I64]));
    assert_eq!(field(word, "loose").ty, Ty::Tuple(vec![Ty::String]));
    let Kind::Struct(s) = &word.kind else { panic!() };
    assert!(matches!(&s.extra, Extra::Keep { value: Ty::Any, .. }), "undeclared properties are kept");
    let pointers: Vec<&str> = ir.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(pointers, ["/components/schemas/Word/properties/label/not", "/components/schemas/Word/properties/loose/items"]);
}

#[test]
fn operations_without_messages_carry_all_and_empty_lists_carry_none() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q:
    address: /q
    messages:
      a: {{payload: {{type: object, required: [t], properties: {{t: {{const: a}}}}}}}}
      b: {{payload: {{type: object, required: [t], properties: {{t: {{const: b}}}}}}}}
operations:
  all: {{action: receive, channel: {{$ref: '#/channels/q'}}}}
  none: {{action: send, channel: {{$ref: '#/channels/q'}}, messages: []}}
"
    ));
    let doc = &ir.documents[0];
    assert_eq!(doc.connections[0].received.len(), 2);
    assert!(doc.connections[0].sent.is_empty());
    let (all, none) = (&doc.spec.operations[0], &doc.spec.operations[1]);
    assert_eq!(all.message_keys(&doc.spec.channels[0]), ["a", "b"]);
    assert!(none.message_keys(&doc.spec.channels[0]).is_empty());
}

#[test]
fn default_is_derived_only_where_the_default_value_is_valid() {
    let ir = lower(&format!(
        "{HEADER}channels:
  q:
    address: /q
    messages:
      m: {{payload: {{$ref: '#/components/schemas/Tagged'}}}}
operations:
  r: {{action: receive, channel: {{$ref: '#/channels/q'}}}}
components:
  schemas:
    Tagged:
      type: object
      required: [kind, options, note]
      properties:
        kind: {{const: tagged}}
        options: {{$ref: '#/components/schemas/Options'}}
        note: {{type: [string, 'null']}}
        count: {{type: integer}}
    Options:
      type: object
      properties:
        verbose: {{type: boolean}}
    Named:
      type: object
      required: [name]
      properties:
        name: {{type: string}}
    Holder:
      type: object
      required: [named]
      properties:
        named: {{$ref: '#/components/schemas/Named'}}
"
    ));
    let doc = &ir.documents[0];
    let default_of = |name: &str| {
        let i = doc.types.iter().position(|t| t.name == name).unwrap_or_else(|| panic!("no type {name}"));
        doc.derives[i].default
    };
    // A const tag, a struct that is all optional and a nullable field all have valid defaults.
    assert!(default_of("Options"));
    assert!(default_of("Tagged"));
    // A required string has none, nor has a struct that needs one.
    assert!(!default_of("Named"));
    assert!(!default_of("Holder"));
}

#[test]
fn a_topic_of_one_message_is_consumed_as_that_message() {
    let ir = lower(
        "asyncapi: 3.0.0
info: {title: T, version: '1'}
servers: {k: {host: 'localhost:9092', protocol: kafka}}
channels:
  alone: {address: alone, messages: {ping: {$ref: '#/components/messages/Ping'}}}
  mixed: {address: mixed, messages: {ping: {$ref: '#/components/messages/Ping'}, pong: {$ref: '#/components/messages/Pong'}}}
  twin-a: {address: twin-a, messages: {shared: {$ref: '#/components/messages/Shared'}}}
  twin-b: {address: twin-b, messages: {shared: {$ref: '#/components/messages/Shared'}}}
operations:
  a: {action: receive, channel: {$ref: '#/channels/alone'}}
  m: {action: receive, channel: {$ref: '#/channels/mixed'}}
  ta: {action: receive, channel: {$ref: '#/channels/twin-a'}}
  tb: {action: receive, channel: {$ref: '#/channels/twin-b'}}
components:
  messages:
    Ping: {payload: {type: object, required: [kind], properties: {kind: {const: ping}}}}
    Pong: {payload: {type: object, required: [kind], properties: {kind: {const: pong}}}}
    Shared: {payload: {type: object, properties: {n: {type: integer}}}}
",
    );
    let doc = &ir.documents[0];
    let consumed = |topic: &str| {
        let t = doc.kafka.iter().find(|t| t.name == topic).unwrap_or_else(|| panic!("no topic {topic}"));
        let def = doc.type_def(t.consumed.expect("consumed"));
        (def.name.clone(), matches!(def.kind, Kind::Union(_)))
    };
    let (alone, alone_union) = consumed("alone");
    assert!(!alone_union, "one message: the struct itself, got {alone}");
    assert!(consumed("mixed").1, "two messages: their union");
    // One type consumed on two topics keeps a union per topic: each type names one topic.
    assert!(consumed("twin-a").1 && consumed("twin-b").1);
}
