//! The `produce-<module>` and `consume-<module>` examples of a document with Kafka topics.
//!
//! `produce` publishes simulated sessions built from the spec's examples: the messages in the
//! order their operations are listed; the first and last once, the ones between `--steps` times.
//! Every record of one session shares one key (its `x-key-field` is set to the session id).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::kafka::send_methods;
use super::models::ty_path;
use crate::ir::kafka::KeySource;
use super::values::{literal, Paths};
use crate::ir::{FieldRepr, IrDocument, Kind, Ty};

/// One message of the simulated session.
struct PlanStep {
    message: usize,
    method: String,
    key: KeySource,
    /// Position in the document's operations (messages no operation lists come last).
    order: usize,
    /// The message's examples built as values: the record, and its headers when the send takes
    /// typed headers.
    examples: Vec<(TokenStream, Option<TokenStream>)>,
}

/// The session's messages, and the labels of the produced messages with no example payload that
/// fits their types (the example says so when it runs).
fn plan(doc: &IrDocument, paths: &Paths) -> (Vec<PlanStep>, Vec<String>) {
    let methods = send_methods(doc);
    let mut steps = Vec::new();
    let mut skipped = Vec::new();
    for (t, names) in doc.kafka.iter().zip(&methods) {
        for ((mi, key), name) in t.produced.iter().zip(names) {
            let m = &doc.messages[*mi];
            let payload_ty = m.payload.as_ref().expect("produced messages have payloads");
            let typed_headers = super::kafka::typed_headers(m).and(m.headers.as_ref());
            let examples: Vec<(TokenStream, Option<TokenStream>)> = m
                .examples
                .iter()
                .filter_map(|e| {
                    let record = literal(doc, payload_ty, false, e.payload.as_ref()?, paths)?;
                    let headers = match typed_headers {
                        Some(hty) => Some(literal(doc, hty, false, e.headers.as_ref().unwrap_or(&serde_json::json!({})), paths)?),
                        None => None,
                    };
                    Some((record, headers))
                })
                .collect();
            if examples.is_empty() {
                skipped.push(m.name.clone().unwrap_or_else(|| m.key.clone()));
                continue;
            }
            let order = doc.outline.first_operation_of(*mi).unwrap_or(usize::MAX);
            steps.push(PlanStep { message: *mi, method: name.clone(), key: key.clone(), order, examples });
        }
    }
    steps.sort_by_key(|s| s.order);
    (steps, skipped)
}

/// `record.<field> = id.clone();` when `x-key-field` names a string property, which the
/// session id then replaces.
fn key_assignment(doc: &IrDocument, mi: usize, key: &KeySource, nullable: &TokenStream) -> Option<TokenStream> {
    let KeySource::Field { wire, .. } = key else { return None };
    let id = doc.messages[mi].payload.as_ref()?.direct_named()?;
    let Kind::Struct(st) = &doc.type_def(id).kind else { return None };
    let f = st.fields.iter().find(|f| &f.wire == wire)?;
    if !matches!(f.ty, Ty::String) {
        return None;
    }
    let field = format_ident!("{}", f.rust);
    Some(match f.repr() {
        FieldRepr::Plain => quote!(record.#field = id.clone();),
        FieldRepr::RequiredNullable | FieldRepr::Optional => quote!(record.#field = ::std::option::Option::Some(id.clone());),
        FieldRepr::TriState => quote!(record.#field = #nullable::Value(id.clone());),
    })
}

fn produce(doc: &IrDocument, crate_ident: &syn::Ident) -> TokenStream {
    let SchemaIdFlag { field: ids_field, init: ids_init, arm: ids_arm, apply: ids_apply, doc: ids_doc } = schema_id_flag(doc);
    let module = format_ident!("{}", doc.module);
    let api = format_ident!("api");
    let paths = Paths::from_example(crate_ident, &api);
    let prefix = paths.types.clone();
    let (steps, skipped) = plan(doc, &paths);
    let last = steps.len().saturating_sub(1);
    let sends = steps.iter().enumerate().map(|(i, s)| {
        let m = &doc.messages[s.message];
        let ty = ty_path(doc, m.payload.as_ref().expect("produced messages have payloads"), false, &prefix);
        let method = format_ident!("{}", s.method);
        let set_key = key_assignment(doc, s.message, &s.key, &paths.nullable);
        let count = if i == 0 || i == last { quote!(1) } else { quote!(steps) };
        let key_arg = (s.key == KeySource::Explicit).then(|| quote!(id.clone(),));
        let records = s.examples.iter().map(|(r, _)| r);
        let (headers_decl, headers_pick, headers_arg) = match (&m.headers, super::kafka::typed_headers(m)) {
            (Some(hty), Some(_)) => {
                let h = ty_path(doc, hty, false, &prefix);
                let headers = s.examples.iter().filter_map(|(_, h)| h.as_ref());
                (
                    quote!(let headers: ::std::vec::Vec<#h> = ::std::vec::Vec::from([#(#headers),*]);),
                    quote!(let headers = headers[n % headers.len()].clone();),
                    quote!(&headers,),
                )
            }
            (Some(_), None) => (quote!(), quote!(), quote!(topics::Headers::new(),)),
            (None, _) => (quote!(), quote!(), quote!()),
        };
        let mutable = set_key.is_some().then(|| quote!(mut));
        quote! {
            {
                let examples: ::std::vec::Vec<#ty> = ::std::vec::Vec::from([#(#records),*]);
                #headers_decl
                for n in 0..#count {
                    let #mutable record = examples[n % examples.len()].clone();
                    #set_key
                    #headers_pick
                    match producer.#method(record, #key_arg #headers_arg).await {
                        ::std::result::Result::Ok(_) => delivered += 1,
                        ::std::result::Result::Err(e) => failures.push(::std::format!("{id}: {e}: {:?}", e.record)),
                    }
                }
            }
        }
    });
    let sendable = proc_macro2::Literal::usize_unsuffixed(steps.len());
    let doc_line = format!(" Publishes simulated sessions of `{}` built from the spec's examples.", doc.outline.info.title);
    let default_brokers = doc.kafka_brokers.clone().unwrap_or_else(|| "localhost:9092".into());
    quote! {
        #![doc = #doc_line]
        //!
        //! Each session sends the document's messages in the order of its operations: the first
        //! and the last once, the others `--steps` times, all with one key (the session id).
        //!
        //! Messages without an example payload in the spec are not sent; the example names them
        //! when it starts, and exits 2 when no message has one.
        //!
        //! Flags: `--brokers HOST:PORT` `--sessions N` (default 1) `--steps N` (default 3)
        //! `--id-prefix TEXT` `--partitions N` `--replicas N` (override the bindings when creating
        //! topics) `--set KEY=VALUE` (librdkafka property, repeatable).
        //! Exits 1 when any record was not delivered, 2 on bad flags or when topics cannot be created.
        #ids_doc

        use #crate_ident::#module as api;
        use #crate_ident::#module::kafka as topics;

        struct Options {
            brokers: ::std::string::String,
            sessions: usize,
            steps: usize,
            id_prefix: ::std::string::String,
            overrides: #crate_ident::#module::kafka::TopicOverrides,
            properties: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
            #ids_field
        }

        fn parse(args: &[::std::string::String]) -> ::std::result::Result<Options, ::std::string::String> {
            fn number<T: ::std::str::FromStr>(flag: &str, value: &str) -> ::std::result::Result<T, ::std::string::String> {
                value.parse().map_err(|_| ::std::format!("{flag} expects a number, got `{value}`"))
            }
            let millis = ::std::time::SystemTime::now().duration_since(::std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
            let mut options = Options {
                brokers: #default_brokers.into(),
                sessions: 1,
                steps: 3,
                id_prefix: ::std::format!("sim-{millis}-"),
                overrides: ::std::default::Default::default(),
                properties: ::std::vec::Vec::new(),
                #ids_init
            };
            let mut it = args.iter();
            while let ::std::option::Option::Some(flag) = it.next() {
                let value = it.next().ok_or_else(|| ::std::format!("{flag} expects a value"))?;
                match flag.as_str() {
                    "--brokers" => options.brokers = value.clone(),
                    "--sessions" => options.sessions = number(flag, value)?,
                    "--steps" => options.steps = number(flag, value)?,
                    "--id-prefix" => options.id_prefix = value.clone(),
                    "--partitions" => options.overrides.partitions = ::std::option::Option::Some(number(flag, value)?),
                    "--replicas" => options.overrides.replicas = ::std::option::Option::Some(number(flag, value)?),
                    "--set" => {
                        let (k, v) = value.split_once('=').ok_or_else(|| ::std::format!("--set expects KEY=VALUE, got `{value}`"))?;
                        options.properties.push((k.to_string(), v.to_string()));
                    }
                    #ids_arm
                    other => return ::std::result::Result::Err(::std::format!("unknown flag `{other}`")),
                }
            }
            ::std::result::Result::Ok(options)
        }

        /// Sends one session; returns the number delivered and a line per failure.
        async fn session(producer: topics::Producer, id: ::std::string::String, steps: usize) -> (usize, ::std::vec::Vec<::std::string::String>) {
            let mut delivered = 0usize;
            let mut failures = ::std::vec::Vec::new();
            let _ = steps;
            #(#sends)*
            (delivered, failures)
        }

        #[::tokio::main]
        async fn main() -> ::std::process::ExitCode {
            let args: ::std::vec::Vec<::std::string::String> = ::std::env::args().skip(1).collect();
            let options = match parse(&args) {
                ::std::result::Result::Ok(o) => o,
                ::std::result::Result::Err(e) => {
                    eprintln!("error: {e}");
                    return ::std::process::ExitCode::from(2);
                }
            };
            const WITHOUT_EXAMPLES: &[&str] = &[#(#skipped),*];
            for label in WITHOUT_EXAMPLES {
                eprintln!("`{label}` has no example payload in the spec that fits its type: not sent");
            }
            const SENDABLE: usize = #sendable;
            if SENDABLE == 0 {
                eprintln!("error: no message of this document has an example payload to send");
                return ::std::process::ExitCode::from(2);
            }
            let mut config = #crate_ident::#module::kafka::KafkaConfig::new(options.brokers.clone());
            for (k, v) in &options.properties {
                config = config.set(k.clone(), v.clone());
            }
            #ids_apply
            match topics::ensure_topics_with(&config, options.overrides).await {
                ::std::result::Result::Ok(statuses) => {
                    for s in statuses {
                        eprintln!("{s:?}");
                    }
                }
                ::std::result::Result::Err(e) => {
                    eprintln!("error: {e}");
                    return ::std::process::ExitCode::from(2);
                }
            }
            let producer = match topics::Producer::new(&config) {
                ::std::result::Result::Ok(p) => p,
                ::std::result::Result::Err(e) => {
                    eprintln!("error: {e}");
                    return ::std::process::ExitCode::from(2);
                }
            };
            let started = ::std::time::Instant::now();
            let tasks: ::std::vec::Vec<_> = (0..options.sessions)
                .map(|n| ::tokio::spawn(session(producer.clone(), ::std::format!("{}{n}", options.id_prefix), options.steps)))
                .collect();
            let mut delivered = 0usize;
            let mut failed = 0usize;
            for task in tasks {
                match task.await {
                    ::std::result::Result::Ok((d, failures)) => {
                        delivered += d;
                        failed += failures.len();
                        for f in failures {
                            eprintln!("not delivered: {f}");
                        }
                    }
                    ::std::result::Result::Err(e) => {
                        eprintln!("a session task failed: {e}");
                        failed += 1;
                    }
                }
            }
            println!("{delivered} records delivered for {} sessions in {:.2?}; {failed} not delivered", options.sessions, started.elapsed());
            if failed == 0 { ::std::process::ExitCode::SUCCESS } else { ::std::process::ExitCode::from(1) }
        }
    }
}

fn consume(doc: &IrDocument, crate_ident: &syn::Ident) -> TokenStream {
    let SchemaIdFlag { field: ids_field, init: ids_init, arm: ids_arm, apply: ids_apply, doc: ids_doc } = schema_id_flag(doc);
    let module = format_ident!("{}", doc.module);
    let readers = doc.kafka.iter().filter_map(|t| {
        let union = format_ident!("{}", doc.type_def(t.consumed?).name);
        Some(quote! {
            ::tokio::spawn(read::<#crate_ident::#module::#union>(config.clone(), options.clone(), printed.clone()))
        })
    });
    let doc_line = format!(" Prints the typed records of every topic of `{}`.", doc.outline.info.title);
    let default_brokers = doc.kafka_brokers.clone().unwrap_or_else(|| "localhost:9092".into());
    let default_group = format!("consume-{}", doc.module.replace('_', "-"));
    quote! {
        #![doc = #doc_line]
        //!
        //! One line per record on stdout: position, key and the decoded record. Undecodable records
        //! go to stderr with their position and raw bytes. Each record is committed after it is
        //! printed (at-least-once).
        //!
        //! Flags: `--brokers HOST:PORT` `--group ID` `--subscribe` (join the group instead of
        //! reading every partition) `--from earliest|latest` `--max N` (stop after N records)
        //! `--idle-ms N` (stop after N ms without records) `--set KEY=VALUE`.
        #ids_doc

        use #crate_ident::#module::kafka::{ConsumeError, KafkaConfig, StartFrom, TopicConsumer, TopicMessage};

        #[derive(Clone)]
        struct Options {
            brokers: ::std::string::String,
            group: ::std::string::String,
            subscribe: bool,
            start: StartFrom,
            max: ::std::option::Option<usize>,
            idle: ::std::option::Option<::std::time::Duration>,
            properties: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
            #ids_field
        }

        fn parse(args: &[::std::string::String]) -> ::std::result::Result<Options, ::std::string::String> {
            fn number(flag: &str, value: &str) -> ::std::result::Result<u64, ::std::string::String> {
                value.parse().map_err(|_| ::std::format!("{flag} expects a number, got `{value}`"))
            }
            let mut options = Options {
                brokers: #default_brokers.into(),
                group: #default_group.into(),
                subscribe: false,
                start: StartFrom::Earliest,
                max: ::std::option::Option::None,
                idle: ::std::option::Option::None,
                properties: ::std::vec::Vec::new(),
                #ids_init
            };
            let mut it = args.iter();
            while let ::std::option::Option::Some(flag) = it.next() {
                if flag == "--subscribe" {
                    options.subscribe = true;
                    continue;
                }
                let value = it.next().ok_or_else(|| ::std::format!("{flag} expects a value"))?;
                match flag.as_str() {
                    "--brokers" => options.brokers = value.clone(),
                    "--group" => options.group = value.clone(),
                    "--from" => {
                        options.start = match value.as_str() {
                            "earliest" => StartFrom::Earliest,
                            "latest" => StartFrom::Latest,
                            other => return ::std::result::Result::Err(::std::format!("--from expects earliest or latest, got `{other}`")),
                        }
                    }
                    "--max" => options.max = ::std::option::Option::Some(number(flag, value)? as usize),
                    "--idle-ms" => options.idle = ::std::option::Option::Some(::std::time::Duration::from_millis(number(flag, value)?)),
                    "--set" => {
                        let (k, v) = value.split_once('=').ok_or_else(|| ::std::format!("--set expects KEY=VALUE, got `{value}`"))?;
                        options.properties.push((k.to_string(), v.to_string()));
                    }
                    #ids_arm
                    other => return ::std::result::Result::Err(::std::format!("unknown flag `{other}`")),
                }
            }
            ::std::result::Result::Ok(options)
        }

        type Printed = ::std::sync::Arc<::tokio::sync::Mutex<usize>>;

        /// Reads one topic until `--idle-ms` passes without a record; stops the process at `--max`.
        async fn read<M: TopicMessage + ::std::fmt::Debug + Send + 'static>(config: KafkaConfig, options: Options, printed: Printed) -> ::std::result::Result<(), ::std::string::String> {
                let consumer = if options.subscribe {
                    TopicConsumer::<M>::subscribe(&config, &options.group, options.start)
                } else {
                    TopicConsumer::<M>::assign(&config, &options.group, options.start)
                }
                .map_err(|e| ::std::format!("{}: {e}", M::TOPIC))?;
                loop {
                    let next = match options.idle {
                        ::std::option::Option::Some(idle) => match ::tokio::time::timeout(idle, consumer.recv()).await {
                            ::std::result::Result::Ok(next) => next,
                            ::std::result::Result::Err(_) => return ::std::result::Result::Ok(()),
                        },
                        ::std::option::Option::None => consumer.recv().await,
                    };
                    if matches!(next, ::std::result::Result::Err(ConsumeError::Kafka(_))) {
                        if let ::std::result::Result::Err(e) = next {
                            eprintln!("{}: {e}", M::TOPIC);
                        }
                        continue;
                    }
                    // One record at a time across topics, so `--max` counts exactly.
                    let mut count = printed.lock().await;
                    if options.max.is_some_and(|max| *count >= max) {
                        ::std::process::exit(0);
                    }
                    let position = match next {
                        ::std::result::Result::Ok(record) => {
                            println!("{} key={} {:?}", record.position, record.key_str().unwrap_or("-"), record.message);
                            record.position
                        }
                        ::std::result::Result::Err(ConsumeError::Decode(e)) => {
                            eprintln!("{e}; raw value: {:?}", e.payload.as_deref().map(::std::string::String::from_utf8_lossy));
                            e.position
                        }
                        ::std::result::Result::Err(ConsumeError::Kafka(_)) => continue,
                    };
                    if let ::std::result::Result::Err(e) = consumer.commit(&position).await {
                        eprintln!("commit {position}: {e}");
                    }
                    *count += 1;
                    if options.max.is_some_and(|max| *count >= max) {
                        ::std::process::exit(0);
                    }
            }
        }

        #[::tokio::main]
        async fn main() -> ::std::process::ExitCode {
            let args: ::std::vec::Vec<::std::string::String> = ::std::env::args().skip(1).collect();
            let options = match parse(&args) {
                ::std::result::Result::Ok(o) => o,
                ::std::result::Result::Err(e) => {
                    eprintln!("error: {e}");
                    return ::std::process::ExitCode::from(2);
                }
            };
            let mut config = KafkaConfig::new(options.brokers.clone());
            for (k, v) in &options.properties {
                config = config.set(k.clone(), v.clone());
            }
            #ids_apply
            let printed = Printed::default();
            let tasks = ::std::vec![#(#readers),*];
            let mut status = ::std::process::ExitCode::SUCCESS;
            for task in tasks {
                match task.await {
                    ::std::result::Result::Ok(::std::result::Result::Ok(())) => {}
                    ::std::result::Result::Ok(::std::result::Result::Err(e)) => {
                        eprintln!("error: {e}");
                        status = ::std::process::ExitCode::from(2);
                    }
                    ::std::result::Result::Err(e) => {
                        eprintln!("error: {e}");
                        status = ::std::process::ExitCode::from(2);
                    }
                }
            }
            status
        }
    }
}

/// The `--schema-id NAME=ID` flag of a document with Avro topics: its options field, initial
/// value, parse arm, config line and doc text; all empty otherwise.
struct SchemaIdFlag {
    field: TokenStream,
    init: TokenStream,
    arm: TokenStream,
    apply: TokenStream,
    doc: Option<TokenStream>,
}

fn schema_id_flag(doc: &IrDocument) -> SchemaIdFlag {
    if doc.kafka.iter().all(|t| t.avro.is_empty()) {
        return SchemaIdFlag { field: quote!(), init: quote!(), arm: quote!(), apply: quote!(), doc: None };
    }
    SchemaIdFlag {
        field: quote!(schema_ids: ::std::vec::Vec<(::std::string::String, u32)>,),
        init: quote!(schema_ids: ::std::vec::Vec::new(),),
        arm: quote! {
            "--schema-id" => {
                let (name, id) = value.split_once('=').ok_or_else(|| ::std::format!("--schema-id expects NAME=ID, got `{value}`"))?;
                let id = id.parse().map_err(|_| ::std::format!("--schema-id expects a number after `=`, got `{id}`"))?;
                options.schema_ids.push((name.to_string(), id));
            }
        },
        apply: quote! {
            for (name, id) in &options.schema_ids {
                config = config.schema_id(name.clone(), *id);
            }
        },
        doc: Some(quote! {
            //!
            //! Avro records: `--schema-id NAME=ID` (repeatable) gives the registry id of the writer
            //! schema NAME (its Avro full name, listed in `AVRO_SCHEMAS`).
        }),
    }
}

/// `(file stem, tokens)` of the produce and consume examples of every document with Kafka topics.
pub fn emit(doc: &IrDocument, crate_name: &str) -> Option<[(String, TokenStream); 2]> {
    if doc.kafka.is_empty() {
        return None;
    }
    let crate_ident = format_ident!("{}", crate_name.replace('-', "_"));
    let stem = doc.module.replace('_', "-");
    Some([(format!("produce-{stem}"), produce(doc, &crate_ident)), (format!("consume-{stem}"), consume(doc, &crate_ident))])
}
