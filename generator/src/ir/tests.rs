//! The IR's decisions on small documents: discriminator choice, polymorphism, tuples, keywords
//! without a Rust shape, operation messages and undeclared properties.

use super::*;

/// Lowers one YAML document written to a scratch file.
fn lower(yaml: &str) -> Ir {
    lower_with(yaml, &IrOptions::default())
}

fn lower_with(yaml: &str, options: &IrOptions) -> Ir {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.yaml");
    std::fs::write(&path, yaml).expect("written");
    let (_, ir) = crate::load_ir(&[path], &crate::LoadOptions::default(), options).unwrap_or_else(|e| panic!("{e}"));
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
    let (all, none) = (&doc.outline.operations[0], &doc.outline.operations[1]);
    let keys: Vec<&str> = all.messages.iter().map(|m| doc.messages[*m].key.as_str()).collect();
    assert_eq!(keys, ["a", "b"]);
    assert!(none.messages.is_empty());
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

/// A socket document: the server receives `ping` and `getThing` (several messages on one
/// operation), and sends `pong`, `thing` and the two error-like messages given.
fn socket_doc(errors: &str) -> String {
    format!(
        "asyncapi: 3.0.0
info: {{title: S, version: '1'}}
servers:
  s: {{host: 'localhost:1', protocol: ws}}
channels:
  sock:
    address: /sock
    bindings:
      ws:
        query: {{type: object, required: [token], properties: {{token: {{type: string}}, lang: {{type: string}}}}}}
    messages:
      ping: {{payload: {{type: object, required: [type], properties: {{type: {{const: ping}}}}}}}}
      getThing: {{payload: {{type: object, required: [type], properties: {{type: {{const: get}}}}}}}}
      getOther: {{payload: {{type: object, required: [type], properties: {{type: {{const: other}}}}}}}}
      pong: {{payload: {{type: object, required: [type], properties: {{type: {{const: pong}}}}}}}}
      thing: {{payload: {{type: object, required: [type], properties: {{type: {{const: thing}}}}}}}}
{errors}
operations:
  receivePing:
    action: receive
    channel: {{$ref: '#/channels/sock'}}
    messages: [{{$ref: '#/channels/sock/messages/ping'}}]
    reply:
      channel: {{$ref: '#/channels/sock'}}
      messages: [{{$ref: '#/channels/sock/messages/pong'}}]
  fetch:
    action: receive
    channel: {{$ref: '#/channels/sock'}}
    messages: [{{$ref: '#/channels/sock/messages/getThing'}}, {{$ref: '#/channels/sock/messages/getOther'}}]
  push:
    action: send
    channel: {{$ref: '#/channels/sock'}}
"
    )
}

const TWO_ERRORS: &str = "      failure: {payload: {type: object, required: [type], properties: {type: {const: failure}, detail: {type: string}}}}
      error: {payload: {type: object, required: [type], properties: {type: {const: error}, message: {type: string}, code: {type: integer}}}}";

#[test]
fn sockets_name_handlers_after_operations_and_sends_after_messages() {
    let ir = lower(&socket_doc(TWO_ERRORS));
    let socket = &ir.documents[0].sockets[0];
    let doc = &ir.documents[0];
    assert_eq!(socket.address, "/sock");
    assert_eq!(socket.required_query, ["token"]);
    assert_eq!(socket.optional_query, ["lang"]);
    let handlers: Vec<&str> = socket.handlers.iter().map(|h| h.method.as_str()).collect();
    // `receive_` is dropped; an operation of several messages names one handler per message.
    assert_eq!(handlers, ["on_ping", "on_fetch_get_thing", "on_fetch_get_other"]);
    let replies: Vec<&str> = socket.handlers[0].replies.iter().map(|m| doc.messages[*m].key.as_str()).collect();
    assert_eq!(replies, ["pong"]);
    assert!(socket.handlers[1].replies.is_empty());
    assert_eq!(socket.client_sends, ["send_ping", "send_get_thing", "send_get_other"]);
    assert!(socket.session_sends.contains(&String::from("send_pong")));
}

#[test]
fn the_error_reply_is_the_error_message_with_a_reason_field() {
    let ir = lower(&socket_doc(TWO_ERRORS));
    let doc = &ir.documents[0];
    let socket = &doc.sockets[0];
    let reply = socket.error_reply.as_ref().expect("an error reply");
    let Kind::Union(u) = &doc.type_def(socket.outgoing.expect("outgoing")).kind else { panic!("outgoing is a union") };
    let variant = &u.variants[reply.variant];
    // `failure` does not say "error"; `error` does, and its `message` field takes the reason.
    assert_eq!(variant.rust, "Error");
    let Ty::Named(id) = &variant.ty else { panic!("a struct") };
    let Kind::Struct(st) = &doc.type_def(*id).kind else { panic!("a struct") };
    assert_eq!(st.fields[reply.field].wire, "message");
}

#[test]
fn x_rust_error_reply_picks_or_excludes_the_error_message() {
    let picked = TWO_ERRORS.replace("{payload: {type: object, required: [type], properties: {type: {const: failure}", "{x-rust-error-reply: true, payload: {type: object, required: [type], properties: {type: {const: failure}");
    let ir = lower(&socket_doc(&picked));
    let doc = &ir.documents[0];
    let socket = &doc.sockets[0];
    let reply = socket.error_reply.as_ref().expect("an error reply");
    let Kind::Union(u) = &doc.type_def(socket.outgoing.expect("outgoing")).kind else { panic!("outgoing is a union") };
    assert_eq!(u.variants[reply.variant].rust, "Failure");

    let excluded = TWO_ERRORS.replace("{payload: {type: object, required: [type], properties: {type: {const: error}", "{x-rust-error-reply: false, payload: {type: object, required: [type], properties: {type: {const: error}");
    let ir = lower(&socket_doc(&excluded));
    assert_eq!(ir.documents[0].sockets[0].error_reply, None);
}

#[test]
fn an_error_reply_that_cannot_carry_a_reason_is_a_located_error() {
    let unusable = "      failure: {x-rust-error-reply: true, payload: {type: object, required: [type, code], properties: {type: {const: failure}, code: {type: integer}}}}";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.yaml");
    std::fs::write(&path, socket_doc(unusable)).expect("written");
    let err = crate::load_ir(&[path], &crate::LoadOptions::default(), &IrOptions::default()).expect_err("refused").to_string();
    assert!(err.contains("x-rust-error-reply") && err.contains("doc.yaml:"), "{err}");
}

#[test]
fn kafka_decisions_are_made_in_the_ir() {
    let ir = lower(
        "asyncapi: 3.0.0
info: {title: K, version: '1'}
servers:
  k: {host: '{broker}:9092', protocol: kafka, variables: {broker: {default: kafka.internal}}}
channels:
  t:
    address: orders
    bindings: {kafka: {partitions: 6, topicConfiguration: {cleanup.policy: [compact, delete]}}}
    messages:
      typed: {payload: {type: object}, headers: {type: object, properties: {trace: {type: string}}}, bindings: {kafka: {key: {$ref: '#/components/schemas/Key'}}}}
      raw: {payload: {type: object}, headers: {type: [object, 'null']}}
operations:
  produce: {action: send, channel: {$ref: '#/channels/t'}}
components:
  schemas:
    Key: {type: string, const: tenant-a}
",
    );
    let doc = &ir.documents[0];
    assert_eq!(doc.kafka_brokers.as_deref(), Some("kafka.internal:9092"));
    let topic = &doc.kafka[0];
    assert_eq!(topic.partitions, Some(6));
    assert_eq!(topic.config, [(String::from("cleanup.policy"), String::from("compact,delete"))]);
    // The key schema behind a `$ref` is read: one allowed value.
    assert_eq!(topic.produced[0].1, kafka::KeySource::Const(String::from("tenant-a")));
    assert!(matches!(doc.messages[0].kafka_headers, kafka::HeaderMode::Typed(_)));
    assert_eq!(doc.messages[1].kafka_headers, kafka::HeaderMode::Raw);
}

#[test]
fn a_binding_of_the_wrong_type_is_a_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.yaml");
    std::fs::write(
        &path,
        "asyncapi: 3.0.0\ninfo: {title: K, version: '1'}\nservers:\n  k: {host: 'b:9092', protocol: kafka}\nchannels:\n  t:\n    address: orders\n    bindings: {kafka: {partitions: many}}\n",
    )
    .expect("written");
    let err = crate::load_ir(&[path], &crate::LoadOptions::default(), &IrOptions::default()).expect_err("refused").to_string();
    assert!(err.contains("doc.yaml:8") && err.contains("/channels/t/bindings/kafka/partitions") && err.contains("integer"), "{err}");
}

#[test]
fn field_representation_follows_required_and_nullable() {
    let ir = lower(
        "asyncapi: 3.0.0
info: {title: F, version: '1'}
channels:
  c:
    address: c
    messages:
      m:
        payload:
          type: object
          required: [plain, requiredNull, tag]
          properties:
            plain: {type: string}
            requiredNull: {type: [string, 'null']}
            optional: {type: integer}
            optionalNull: {oneOf: [{type: integer}, {type: 'null'}]}
            tag: {const: m}
",
    );
    let doc = &ir.documents[0];
    let def = named(doc, "MPayload");
    let repr = |wire: &str| field(def, wire).repr();
    assert_eq!(repr("plain"), FieldRepr::Plain);
    assert_eq!(repr("requiredNull"), FieldRepr::RequiredNullable);
    assert_eq!(repr("optional"), FieldRepr::Optional);
    assert_eq!(repr("optionalNull"), FieldRepr::TriState);
    assert!(field(def, "tag").is_const(&doc.types));
    assert!(!field(def, "plain").is_const(&doc.types));
}

#[test]
fn structs_with_many_required_fields_get_a_builder_with_a_free_name() {
    let ir = lower(
        "asyncapi: 3.0.0
info: {title: B, version: '1'}
channels:
  c:
    address: c
    messages:
      big: {payload: {$ref: '#/components/schemas/Big'}}
      seven: {payload: {$ref: '#/components/schemas/Seven'}}
      taken: {payload: {$ref: '#/components/schemas/BigBuilder'}}
components:
  schemas:
    Big:
      type: object
      required: [a, b, c, d, e, f, g, h, kind]
      properties: {a: {type: string}, b: {type: string}, c: {type: string}, d: {type: string}, e: {type: string}, f: {type: string}, g: {type: string}, h: {type: string}, kind: {const: big}}
    Seven:
      type: object
      required: [a, b, c, d, e, f, g, kind]
      properties: {a: {type: string}, b: {type: string}, c: {type: string}, d: {type: string}, e: {type: string}, f: {type: string}, g: {type: string}, kind: {const: seven}}
    BigBuilder: {type: object, properties: {x: {type: string}}}
",
    );
    let doc = &ir.documents[0];
    let builder = |name: &str| match &named(doc, name).kind {
        Kind::Struct(st) => st.builder.clone(),
        other => panic!("{name} is not a struct: {other:?}"),
    };
    // Eight required fields besides the const tag: a builder, named clear of the schema `BigBuilder`.
    let big = builder("Big").expect("a builder");
    assert_ne!(big, "BigBuilder");
    assert!(big.starts_with("BigBuilder"), "{big}");
    // Seven (the const tag is filled in, not passed): `new` is enough.
    assert_eq!(builder("Seven"), None);
}

const AVRO_HEADER: &str = "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: {k: {host: localhost, protocol: kafka}}\n";

/// One channel whose single message has this Avro payload.
fn avro_doc(schema: &str) -> String {
    format!(
        "{AVRO_HEADER}channels:
  c:
    address: c
    messages:
      m:
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema: {schema}
operations:
  o: {{action: send, channel: {{$ref: '#/channels/c'}}}}
"
    )
}

#[test]
fn avro_records_map_fields_defaults_and_unions() {
    let ir = lower(&avro_doc(
        r#"{type: record, name: Event, namespace: com.example, doc: An event., fields: [
            {name: id, type: long},
            {name: note, type: ["null", string], default: null},
            {name: ratio, type: float, default: 1.5},
            {name: kind, type: {type: enum, name: Kind, symbols: [A, B]}},
            {name: tags, type: {type: array, items: string}},
            {name: counts, type: {type: map, values: int}},
            {name: value, type: [long, string]},
            {name: again, type: Kind}]}"#,
    ));
    let doc = &ir.documents[0];
    let event = named(doc, "Event");
    assert_eq!(event.doc.as_deref(), Some("An event."));
    let id = field(event, "id");
    assert!(id.required && id.ty == Ty::I64);
    let note = field(event, "note");
    assert!(!note.required && note.nullable && note.ty == Ty::String);
    let ratio = field(event, "ratio");
    assert!(!ratio.required && ratio.ty == Ty::F32 && ratio.default == Some(serde_json::json!(1.5)));
    assert!(matches!(&named(doc, "Kind").kind, Kind::Enum { variants, open: false } if variants.len() == 2));
    // A named type used twice is one type, referenced by its short name inside its namespace.
    assert_eq!(field(event, "kind").ty, field(event, "again").ty);
    assert_eq!(field(event, "tags").ty, Ty::Vec(Box::new(Ty::String)));
    assert_eq!(field(event, "counts").ty, Ty::Map(Box::new(Ty::I32)));
    let Ty::Named(value) = field(event, "value").ty else { panic!("a union is a named type") };
    assert!(matches!(&doc.types[value.0].kind, Kind::Union(u) if u.variants.len() == 2));
}

#[test]
fn avro_date_and_time_logical_types_are_chrono_wrappers_with_chrono_only() {
    let schema = r#"{type: record, name: Times, fields: [
        {name: at, type: {type: long, logicalType: timestamp-millis}},
        {name: precise, type: ["null", {type: long, logicalType: timestamp-micros}], default: null},
        {name: day, type: {type: int, logicalType: date}},
        {name: clock, type: {type: int, logicalType: time-millis}}]}"#;
    let plain = lower(&avro_doc(schema));
    let times = named(&plain.documents[0], "Times");
    assert_eq!((field(times, "at").ty.clone(), field(times, "day").ty.clone()), (Ty::I64, Ty::I32));
    let mut options = IrOptions::default();
    options.types.chrono = true;
    let typed = lower_with(&avro_doc(schema), &options);
    let times = named(&typed.documents[0], "Times");
    assert_eq!(field(times, "at").ty, Ty::Epoch(EpochUnit::Millis));
    assert_eq!(field(times, "precise").ty, Ty::Epoch(EpochUnit::Micros));
    assert_eq!(field(times, "day").ty, Ty::Epoch(EpochUnit::Days));
    // Only instants and dates: a time of day stays its base type.
    assert_eq!(field(times, "clock").ty, Ty::I32);
}

#[test]
fn avro_types_sharing_a_short_name_keep_their_full_names() {
    let ir = lower(&avro_doc(
        r#"{type: record, name: Pair, namespace: a, fields: [
            {name: left, type: {type: record, name: Id, fields: [{name: v, type: string}]}},
            {name: right, type: {type: record, name: Id, namespace: b, fields: [{name: v, type: long}]}},
            {name: again, type: Id}]}"#,
    ));
    let doc = &ir.documents[0];
    let pair = named(doc, "Pair");
    // `Id` inside namespace `a` is `a.Id`, not `b.Id`.
    assert_eq!(field(pair, "left").ty, field(pair, "again").ty);
    assert_ne!(field(pair, "left").ty, field(pair, "right").ty);
    let Ty::Named(left) = field(pair, "left").ty else { panic!() };
    let Ty::Named(right) = field(pair, "right").ty else { panic!() };
    assert_eq!(field(&doc.types[left.0], "v").ty, Ty::String);
    assert_eq!(field(&doc.types[right.0], "v").ty, Ty::I64);
}

#[test]
fn broken_avro_schemas_are_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (schema, wanted) in [
        (r#"{type: record, name: R, fields: [{name: x, type: Missing}]}"#, "`Missing` is not defined"),
        (r#"{type: record, name: R}"#, "needs `fields`"),
        (r#"{type: enum, name: E, symbols: []}"#, "needs `symbols`"),
        (r#"{type: array}"#, "needs `items`"),
        (r#"{type: record, name: R, fields: [{name: x, type: {type: fixed, name: F}}]}"#, "needs a `size`"),
    ] {
        let path = dir.path().join("doc.yaml");
        std::fs::write(&path, avro_doc(schema)).expect("written");
        let errors = crate::load_ir(&[path], &crate::LoadOptions::default(), &IrOptions::default()).expect_err("an error").0;
        assert!(errors.iter().any(|e| e.message.contains(wanted) && e.line.is_some() && e.pointer.starts_with("/channels/c/messages/m/payload/schema")), "{schema}: {errors:?}");
    }
}
