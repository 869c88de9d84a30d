//! The `asyncapi-codegen` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use asyncapi_codegen::diag::{Code, Diagnostic, Errors};
use asyncapi_codegen::{write, Generator, Role, RuntimeSource, TypeOptions};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "asyncapi-codegen", version, about = "AsyncAPI 3.x and 2.x → typed Rust crate and docs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the crate. With no arguments: asyncapi/ → generated/ (package agent-assist-api).
    Generate(GenerateArgs),
    /// Regenerate in memory and compare with the output directory: exit 0 in sync, 1 on drift, 2 on error.
    Check(GenerateArgs),
    /// Validate documents: exit 0 valid, 1 invalid, 2 usage or I/O error.
    Validate(ValidateArgs),
    /// Semantic, direction-aware changes between two spec sets: exit 0 nothing breaks, 1 something breaks, 2 error.
    Diff(DiffArgs),
    /// Check captured traffic (JSON Lines) against the spec: exit 0 all conform, 1 some do not, 2 error.
    Conform(ConformArgs),
    /// Convert an AsyncAPI 2.x document to 3.0.0: exit 0 converted, 1 invalid document, 2 usage or I/O error.
    Convert(ConvertArgs),
    /// Serve every WebSocket socket of the spec from its examples, until Ctrl-C: exit 0 stopped, 2 error.
    Mock(MockArgs),
    /// Contract-test a running system's sockets against the spec: exit 0 all conform, 1 some do not, 2 error.
    Test(TestArgs),
    /// `test`, writing what was received to `--record FILE` (required) for `conform` to replay.
    Record(TestArgs),
}

#[derive(Args)]
struct TestArgs {
    /// Spec files or directories (default: asyncapi/).
    #[arg(default_value = "asyncapi")]
    spec: Vec<PathBuf>,
    /// The system's sockets: ws://HOST:PORT (each socket's address is appended).
    #[arg(long)]
    url: Option<String>,
    /// The system's Kafka: bootstrap servers; every topic of the documents is read.
    #[arg(long)]
    brokers: Option<String>,
    /// A librdkafka property for every Kafka client, KEY=VALUE (repeatable): TLS and SASL, e.g.
    /// `security.protocol=sasl_ssl`, `ssl.ca.location=ca.pem`, `sasl.mechanism=PLAIN`.
    #[arg(long, value_parser = name_value)]
    kafka_config: Vec<(String, String)>,
    /// Where reading starts on each partition.
    #[arg(long, value_enum, default_value = "earliest")]
    from: From,
    /// Stop reading a topic after this many records.
    #[arg(long)]
    max: Option<usize>,
    /// A handshake credential, NAME=VALUE (repeatable).
    #[arg(long, value_parser = name_value)]
    credential: Vec<(String, String)>,
    /// Milliseconds to record what the server pushes before sending.
    #[arg(long, default_value_t = 2000)]
    duration_ms: u64,
    /// Milliseconds to wait for a handshake answer or a reply.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// Seed of the values made for messages without examples.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write the report as JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write what was received here, as the JSON Lines wrapper `conform` reads.
    #[arg(long)]
    record: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum From {
    Earliest,
    Latest,
}

fn test(args: &TestArgs, record_required: bool) -> ExitCode {
    use asyncapi_codegen::contract::{self, report};
    if record_required && args.record.is_none() {
        eprintln!("error[usage]: `record` needs --record FILE");
        return ExitCode::from(2);
    }
    let options = contract::TestOptions {
        url: args.url.clone(),
        kafka: args.brokers.as_ref().map(|brokers| contract::KafkaTestOptions {
            brokers: brokers.clone(),
            earliest: matches!(args.from, From::Earliest),
            duration: std::time::Duration::from_millis(args.duration_ms),
            max: args.max,
            properties: args.kafka_config.clone(),
        }),
        credentials: args.credential.clone(),
        listen: std::time::Duration::from_millis(args.duration_ms),
        timeout: std::time::Duration::from_millis(args.timeout_ms),
        seed: args.seed,
    };
    let rep = match contract::run(&args.spec, &options) {
        Ok(r) => r,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    let writes = [(args.record.as_ref(), rep.recording()), (args.junit.as_ref(), report::junit(&rep))];
    for (path, text) in writes {
        if let Some(path) = path {
            if let Err(e) = asyncapi_codegen::write::write_file_atomic(path, &text) {
                eprintln!("error[io]: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rep).unwrap_or_default()),
        _ => print!("{}", report::text(&rep)),
    }
    ExitCode::from(if rep.passes() { 0 } else { 1 })
}

#[derive(Args)]
struct MockArgs {
    /// Spec files or directories (default: asyncapi/).
    #[arg(default_value = "asyncapi")]
    spec: Vec<PathBuf>,
    /// Where to listen; port 0 picks a free one (the URL is printed on standard output).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// An accepted handshake credential, NAME=VALUE (repeatable). Names not given accept any value.
    #[arg(long, value_parser = name_value)]
    accept: Vec<(String, String)>,
    /// Seed of the values made from schemas for messages without examples.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Milliseconds before each push of the script (a message's `x-mock.interval` overrides it).
    #[arg(long, default_value_t = 200)]
    interval_ms: u64,
    /// No event lines on standard error.
    #[arg(long)]
    quiet: bool,
    /// Kafka bootstrap servers: create the Kafka documents' topics and produce their messages.
    #[arg(long)]
    brokers: Option<String>,
    /// A librdkafka property for every Kafka client, KEY=VALUE (repeatable): TLS and SASL, e.g.
    /// `security.protocol=sasl_ssl`, `ssl.ca.location=ca.pem`, `sasl.mechanism=PLAIN`.
    #[arg(long, value_parser = name_value)]
    kafka_config: Vec<(String, String)>,
    /// Records per second produced, over all topics.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Records to produce (default: each example of each message once; without end with --duration-ms).
    #[arg(long)]
    count: Option<usize>,
    /// Milliseconds to keep producing.
    #[arg(long)]
    duration_ms: Option<u64>,
    /// Registry id of an Avro writer schema, NAME=ID (repeatable).
    #[arg(long, value_parser = name_value)]
    schema_id: Vec<(String, String)>,
}

fn name_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

fn mock(args: &MockArgs) -> ExitCode {
    let options = asyncapi_codegen::mock::MockOptions {
        listen: args.listen,
        accept: args.accept.clone(),
        seed: args.seed,
        interval: std::time::Duration::from_millis(args.interval_ms),
        quiet: args.quiet,
        kafka: None,
    };
    let mut options = options;
    if let Some(brokers) = &args.brokers {
        let mut schema_ids = Vec::new();
        for (name, id) in &args.schema_id {
            match id.parse() {
                Ok(id) => schema_ids.push((name.clone(), id)),
                Err(_) => {
                    eprintln!("error[usage]: --schema-id {name}={id}: the id is not a number");
                    return ExitCode::from(2);
                }
            }
        }
        options.kafka = Some(asyncapi_codegen::mock::KafkaMockOptions {
            brokers: brokers.clone(),
            rate: args.rate,
            count: args.count,
            duration: args.duration_ms.map(std::time::Duration::from_millis),
            schema_ids,
            seed: args.seed,
            properties: args.kafka_config.clone(),
        });
    }
    match asyncapi_codegen::mock::run(&args.spec, &options) {
        Ok((_, undelivered)) if !undelivered.is_empty() => {
            for line in &undelivered {
                eprintln!("error: not delivered: {line}");
            }
            ExitCode::from(1)
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            ExitCode::from(2)
        }
    }
}

#[derive(Args)]
struct ConvertArgs {
    /// The AsyncAPI 2.0–2.6 document.
    spec: PathBuf,
    /// Write the 3.0.0 document here (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "yaml")]
    format: DocumentFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DocumentFormat {
    Yaml,
    Json,
}

#[derive(Args)]
struct ConformArgs {
    /// The spec: a file or a directory of documents.
    spec: PathBuf,
    /// JSON Lines capture, or `-` for standard input.
    capture: String,
    /// Every line is one wire message on this channel (key, address or Kafka topic). Without it,
    /// every line is `{"channel": NAME, "message": {...}}`.
    #[arg(long)]
    channel: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Args)]
struct DiffArgs {
    /// The old spec set: a file, a directory, or REV:path read from git (e.g. origin/main:asyncapi).
    old: String,
    /// The new spec set: a file, a directory, or REV:path.
    new: String,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Allow-list of accepted breaks: `accept: [{path, kind?, reason}]` (YAML or JSON).
    #[arg(long)]
    allow: Option<PathBuf>,
}

#[derive(Args)]
struct GenerateArgs {
    /// AsyncAPI documents or directories of them (default: asyncapi/).
    specs: Vec<PathBuf>,
    /// Output directory of the crate (default: generated/ when no SPEC is given).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Package name of the generated crate.
    #[arg(long)]
    crate_name: Option<String>,
    /// Directory of minijinja templates overriding the built-in ones.
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Map a remote `$ref` URL (or prefix) to a local file: URL=FILE.
    #[arg(long = "ref-map", value_name = "URL=FILE")]
    ref_map: Vec<String>,
    /// Side a document is written from: DOC=server|client (DOC is its module name or file stem).
    #[arg(long = "role", value_name = "DOC=ROLE")]
    roles: Vec<String>,
    /// Map `format: date-time` to chrono::DateTime<Utc> (offsets are normalised to UTC).
    #[arg(long)]
    chrono: bool,
    /// Map `format: uuid` to uuid::Uuid.
    #[arg(long)]
    uuid: bool,
    /// Treat warnings as errors: exit 1 and write nothing when there is any.
    #[arg(long)]
    strict: bool,
    /// Copy the runtime's sources into the crate (src/runtime/) instead of depending on asyncapi-runtime.
    #[arg(long, conflicts_with = "runtime_path")]
    vendor_runtime: bool,
    /// Depend on asyncapi-runtime at this path, relative to the output directory. Default with no
    /// SPEC: ../runtime; else the runtime/ of this checkout (absolute), or a vendored copy when the
    /// binary runs away from its sources (the runtime is not on crates.io).
    #[arg(long, value_name = "PATH")]
    runtime_path: Option<String>,
}

#[derive(Args)]
struct ValidateArgs {
    /// AsyncAPI documents or directories of them (default: asyncapi/).
    specs: Vec<PathBuf>,
    /// Map a remote `$ref` URL (or prefix) to a local file: URL=FILE.
    #[arg(long = "ref-map", value_name = "URL=FILE")]
    ref_map: Vec<String>,
    /// Treat warnings (examples that contradict their schemas, messages told apart by order) as errors.
    #[arg(long)]
    strict: bool,
}

const DEFAULT_CRATE: &str = "agent-assist-api";

/// Moves to the nearest ancestor holding `asyncapi/` and a Cargo.toml, so defaults work anywhere in the repo.
fn enter_project_root() -> Result<(), String> {
    let start = std::env::current_dir().map_err(|e| e.to_string())?;
    let root = start
        .ancestors()
        .find(|d| d.join("asyncapi").is_dir() && d.join("Cargo.toml").is_file())
        .ok_or_else(|| format!("no asyncapi/ directory in {} or its parents; pass SPEC paths", start.display()))?;
    std::env::set_current_dir(root).map_err(|e| e.to_string())
}

fn usage(message: String) -> ExitCode {
    eprintln!("error[usage]: {message}");
    ExitCode::from(2)
}

/// Exit 2 when every error is about the command line or the files (usage, I/O), else 1: the
/// documents are invalid.
fn invalid_or_usage(errors: &Errors) -> ExitCode {
    let usage = errors.0.iter().all(|d| matches!(d.code, Code::Io | Code::Usage));
    ExitCode::from(if usage { 2 } else { 1 })
}

fn report(errors: &Errors) {
    for d in &errors.0 {
        eprintln!("{d}");
    }
}

fn parse_pairs(items: &[String], what: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| format!("{what} expects KEY=VALUE, got `{s}`"))
        })
        .collect()
}

/// A package name made from an output directory's name: other characters become `-`, and a
/// name that does not start with a letter gets a `crate-` prefix.
fn package_name_from(dir: &std::ffi::OsStr) -> String {
    let name: String = dir.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("crate-{name}")
    }
}

fn generator(args: &GenerateArgs) -> Result<(Generator, PathBuf), String> {
    let default_job = args.specs.is_empty();
    let (specs, out, name) = if default_job {
        enter_project_root()?;
        let out = args.out.clone().unwrap_or_else(|| PathBuf::from("generated"));
        (vec![PathBuf::from("asyncapi")], out, args.crate_name.clone().unwrap_or_else(|| DEFAULT_CRATE.to_string()))
    } else {
        let out = args.out.clone().ok_or("--out DIR is required when SPEC paths are given")?;
        let name = args.crate_name.clone().unwrap_or_else(|| out.file_name().map_or_else(|| DEFAULT_CRATE.to_string(), package_name_from));
        (args.specs.clone(), out, name)
    };
    let runtime = match (&args.runtime_path, args.vendor_runtime) {
        (_, true) => RuntimeSource::Vendored,
        (Some(path), false) => RuntimeSource::Dependency { path: Some(path.clone()) },
        (None, false) if default_job => RuntimeSource::Dependency { path: Some(String::from("../runtime")) },
        (None, false) => RuntimeSource::default(),
    };
    let mut g = Generator::new(&specs)
        .crate_name(name)
        .type_options(TypeOptions { chrono: args.chrono, uuid: args.uuid })
        .runtime(runtime);
    if let Some(t) = &args.templates {
        g = g.templates(t);
    }
    for (url, file) in parse_pairs(&args.ref_map, "--ref-map")? {
        g = g.ref_map(url, file);
    }
    for (doc, role) in parse_pairs(&args.roles, "--role")? {
        let role = match role.as_str() {
            "server" => Role::Server,
            "client" => Role::Client,
            other => return Err(format!("--role {doc}={other}: role must be `server` or `client`")),
        };
        g = g.role(doc, role);
    }
    Ok((g, out))
}

/// Prints warnings; under `--strict` prints them as errors and gives exit code 1.
fn warnings(list: &[Diagnostic], strict: bool) -> Result<(), ExitCode> {
    match asyncapi_codegen::strict(list) {
        Err(errors) if strict => {
            report(&errors);
            Err(ExitCode::from(1))
        }
        _ => {
            list.iter().for_each(|w| eprintln!("{w}"));
            Ok(())
        }
    }
}

/// The crate rendered in memory and where it goes, or the exit code of a usage or input error
/// (or of warnings under `--strict`).
fn render(args: &GenerateArgs) -> Result<(asyncapi_codegen::Rendered, PathBuf), ExitCode> {
    let (g, out) = generator(args).map_err(usage)?;
    match g.render() {
        Ok(r) => {
            warnings(&r.warnings, args.strict)?;
            Ok((r, out))
        }
        Err(e) => {
            report(&e);
            Err(ExitCode::from(2))
        }
    }
}

fn generate(args: &GenerateArgs) -> ExitCode {
    let (rendered, out) = match render(args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match write::write_atomic(&out, &rendered.files) {
        Ok(stats) => {
            let s = &rendered.summary;
            println!("asyncapi-codegen: generated {}", out.display());
            println!("  documents   {}", s.documents);
            println!("  channels    {}", s.channels);
            println!("  operations  {}", s.operations);
            println!("  messages    {}", s.messages);
            println!("  types       {}", s.types);
            println!("  files       {} ({} written, {} unchanged, {} removed)", s.files, stats.written, stats.unchanged, stats.removed);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error[io]: {}: cannot write output: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

fn check(args: &GenerateArgs) -> ExitCode {
    let (rendered, out) = match render(args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let drift = match write::drift(&out, &rendered.files) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error[io]: {}: {e}", out.display());
            return ExitCode::from(2);
        }
    };
    if drift.is_empty() {
        println!("asyncapi-codegen: {} is in sync with the specs ({} files)", out.display(), rendered.files.len());
        return ExitCode::SUCCESS;
    }
    print!("{}", drift.diff);
    let list = |label: &str, items: &[PathBuf]| {
        for p in items {
            println!("  {label} {}", Path::new(&out).join(p).display());
        }
    };
    println!("asyncapi-codegen: {} is out of date with the specs:", out.display());
    list("added:  ", &drift.added);
    list("removed:", &drift.removed);
    list("changed:", &drift.changed);
    println!("run `cargo run -p asyncapi-codegen -- generate` and commit the result");
    ExitCode::from(1)
}

fn validate(args: &ValidateArgs) -> ExitCode {
    let specs = if args.specs.is_empty() {
        if let Err(m) = enter_project_root() {
            return usage(m);
        }
        vec![PathBuf::from("asyncapi")]
    } else {
        args.specs.clone()
    };
    let mut options = asyncapi_codegen::LoadOptions::default();
    match parse_pairs(&args.ref_map, "--ref-map") {
        Ok(pairs) => options.ref_map = pairs.into_iter().map(|(u, f)| (u, PathBuf::from(f))).collect(),
        Err(m) => return usage(m),
    }
    match asyncapi_codegen::validate(&specs, &options) {
        Ok(v) => {
            if let Err(code) = warnings(&v.warnings, args.strict) {
                return code;
            }
            let n = v.documents;
            let noted = if v.warnings.is_empty() { String::new() } else { format!(" ({} warning{})", v.warnings.len(), if v.warnings.len() == 1 { "" } else { "s" }) };
            println!("asyncapi-codegen: {n} document{} valid{noted}", if n == 1 { "" } else { "s" });
            ExitCode::SUCCESS
        }
        Err(e) => {
            report(&e);
            invalid_or_usage(&e)
        }
    }
}

fn convert(args: &ConvertArgs) -> ExitCode {
    let conversion = match asyncapi_codegen::convert(&args.spec, &Default::default()) {
        Ok(c) => c,
        Err(e) => {
            report(&e);
            return invalid_or_usage(&e);
        }
    };
    conversion.warnings.iter().for_each(|w| eprintln!("{w}"));
    let text = match args.format {
        DocumentFormat::Yaml => serde_yaml_ng::to_string(&conversion.document).map_err(|e| e.to_string()),
        DocumentFormat::Json => serde_json::to_string_pretty(&conversion.document).map(|t| t + "\n").map_err(|e| e.to_string()),
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => return usage(format!("cannot write the converted document: {e}")),
    };
    match &args.out {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(out) => match write::write_file_atomic(out, &text) {
            Ok(()) => {
                eprintln!("asyncapi-codegen: AsyncAPI {} → 3.0.0: {}", conversion.from_version, out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", Diagnostic::new(Code::Io, out, format!("cannot write: {e}")));
                ExitCode::from(2)
            }
        },
    }
}

fn diff(args: &DiffArgs) -> ExitCode {
    use std::io::IsTerminal;
    let allow = match &args.allow {
        Some(path) => match asyncapi_codegen::diff::read_allow_list(path) {
            Ok(a) => a,
            Err(e) => {
                report(&e);
                return ExitCode::from(2);
            }
        },
        None => Vec::new(),
    };
    let report_ = match asyncapi_codegen::diff::diff(std::slice::from_ref(&args.old), std::slice::from_ref(&args.new), &allow) {
        Ok(r) => r,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    let out = match args.format {
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            asyncapi_codegen::diff::text(&report_, color)
        }
        Format::Json => asyncapi_codegen::diff::json(&report_),
        Format::Markdown => asyncapi_codegen::diff::markdown(&report_),
    };
    print!("{out}");
    ExitCode::from(if report_.fails() { 1 } else { 0 })
}

fn conform(args: &ConformArgs) -> ExitCode {
    use asyncapi_codegen::conform::{self, Checker, Framing};
    let checker = match Checker::new(std::slice::from_ref(&args.spec)) {
        Ok(c) => c,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    let framing = match &args.channel {
        Some(c) => Framing::Channel(c.clone()),
        None => Framing::Wrapped,
    };
    let result = if args.capture == "-" {
        conform::run(&checker, std::io::stdin().lock(), &framing, "<stdin>")
    } else {
        match std::fs::File::open(&args.capture) {
            Ok(f) => conform::run(&checker, std::io::BufReader::with_capacity(1 << 20, f), &framing, &args.capture),
            Err(e) => {
                eprintln!("error[io]: {}: cannot read capture: {e}", args.capture);
                return ExitCode::from(2);
            }
        }
    };
    let rep = match result {
        Ok(r) => r,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rep).unwrap_or_default()),
        _ => print!("{}", conform::text(&rep)),
    }
    ExitCode::from(if rep.conforms() { 0 } else { 1 })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Generate(a) => generate(a),
        Command::Check(a) => check(a),
        Command::Validate(a) => validate(a),
        Command::Diff(a) => diff(a),
        Command::Conform(a) => conform(a),
        Command::Convert(a) => convert(a),
        Command::Mock(a) => mock(a),
        Command::Test(a) => test(a, false),
        Command::Record(a) => test(a, true),
    }
}
