//! Generator benchmarks: `cargo bench -p asyncapi-codegen --bench generate`.
//!
//! - the whole process (`asyncapi-codegen check` on the spec set: load, generate, compare);
//! - in-process rendering of the spec set, and of its docs alone (from the loaded IR);
//! - scaling on synthetic specs with 1×, 10× and 100× the channel count of agent-assist.yaml;
//! - with `MODELINA_NODE_MODULES` set (`scripts/install-bench-deps.sh`), paired whole-process runs
//!   of `generate` on the CDR document against the official Modelina Rust generator.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Median and p90 of `runs` timings of `f`.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], times[runs * 9 / 10])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// agent-assist.yaml with its channels, operations and messages repeated `factor` times.
fn synthetic(factor: usize, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("asyncapi/agent-assist.yaml")).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = doc.clone();
    for section in ["channels", "operations"] {
        let src = doc[section].as_object().unwrap().clone();
        let dst = out[section].as_object_mut().unwrap();
        dst.clear();
        for i in 0..factor {
            for (k, v) in &src {
                let s = serde_json::to_string(v).unwrap();
                // Each copy gets its own address and channel keys.
                let s = s.replace("#/channels/", &format!("#/channels/c{i}_")).replace("/agent-assist/ws", &format!("/agent-assist/ws{i}"));
                dst.insert(format!("c{i}_{k}"), serde_json::from_str(&s).unwrap());
            }
        }
    }
    let path = dir.join(format!("synthetic-{factor}x.yaml"));
    std::fs::write(&path, serde_yaml_ng::to_string(&out).unwrap()).unwrap();
    std::fs::create_dir_all(dir.join("common")).unwrap();
    for e in std::fs::read_dir(repo().join("asyncapi/common")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("common").join(e.file_name())).unwrap();
    }
    path
}

/// Peak RSS in KiB of `command`, through GNU time when it is installed.
fn peak_rss_kib(command: &mut Command) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let out = Command::new(time).arg("-f").arg("%M").arg(program).args(args).output().ok()?;
    String::from_utf8_lossy(&out.stderr).lines().last()?.trim().parse().ok()
}

/// `generate` of the CDR document against Modelina's Rust models of it, whole processes,
/// interleaved so that both see the same machine.
fn against_modelina(bin: &str, node_modules: &str) {
    let root = repo();
    let spec = root.join("asyncapi/agent-assist-cdr.yaml");
    let script = root.join("generator/benches/modelina_rust.js");
    let dir = tempfile::tempdir().unwrap();
    let ours = || {
        let mut c = Command::new(bin);
        c.arg("generate").arg(&spec).arg("--out").arg(dir.path().join("ours"));
        c
    };
    let theirs = || {
        let mut c = Command::new("node");
        c.arg(&script).arg(&spec).arg(dir.path().join("modelina")).env("NODE_PATH", node_modules);
        c
    };
    let run = |mut c: Command| {
        let t = Instant::now();
        let out = c.output().unwrap();
        assert!(out.status.success(), "{c:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        t.elapsed()
    };
    run(ours());
    run(theirs());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        a.push(run(ours()));
        b.push(run(theirs()));
    }
    a.sort();
    b.sort();
    let (ours_p50, theirs_p50) = (a[a.len() / 2], b[b.len() / 2]);
    println!(
        "modelina `generate` CDR document p50 {}  Modelina Rust models p50 {}  ratio {:.0}x",
        ms(ours_p50),
        ms(theirs_p50),
        theirs_p50.as_secs_f64() / ours_p50.as_secs_f64()
    );
    if let Some(kib) = peak_rss_kib(&mut ours()) {
        println!("rss      `generate` CDR document peak RSS {:.1} MB", kib as f64 / 1024.0);
    }
}

fn main() {
    let root = repo();
    let bin = env!("CARGO_BIN_EXE_asyncapi-codegen");
    let (p50, p90) = measure(30, || {
        let s = Command::new(bin).arg("check").current_dir(&root).output().unwrap();
        assert!(s.status.code().is_some());
    });
    println!("process  `asyncapi-codegen check` (spec set, 3 documents)   p50 {}  p90 {}", ms(p50), ms(p90));

    let specs = [root.join("asyncapi")];
    let (p50, p90) = measure(50, || {
        asyncapi_codegen::Generator::new(&specs).crate_name("agent-assist-api").render().unwrap();
    });
    println!("render   spec set in-process                                 p50 {}  p90 {}", ms(p50), ms(p90));

    let (_, ir) = asyncapi_codegen::__private::load_ir(&specs, &Default::default(), &Default::default()).unwrap();
    let env = asyncapi_codegen::__private::environment(None).unwrap();
    let (p50, p90) = measure(200, || {
        asyncapi_codegen::__private::docs_files(&env, &ir, "agent-assist-api").unwrap();
    });
    println!("docs     Markdown + HTML for the spec set (7 files)           p50 {}  p90 {}", ms(p50), ms(p90));

    let dir = tempfile::tempdir().unwrap();
    for factor in [1, 10, 100] {
        let spec = synthetic(factor, dir.path());
        let rendered = asyncapi_codegen::Generator::new([&spec]).render().unwrap();
        let runs = if factor == 100 { 5 } else { 20 };
        let (p50, _) = measure(runs, || {
            asyncapi_codegen::Generator::new([&spec]).render().unwrap();
        });
        println!(
            "scaling  {factor:>3}x channels ({:>4} channels, {:>5} types)          p50 {}  ({:.3} ms/channel)",
            rendered.summary.channels,
            rendered.summary.types,
            ms(p50),
            p50.as_secs_f64() * 1e3 / rendered.summary.channels as f64
        );
    }
    match std::env::var("MODELINA_NODE_MODULES") {
        Ok(node_modules) => against_modelina(bin, &node_modules),
        Err(_) => println!("modelina skipped: set MODELINA_NODE_MODULES (scripts/install-bench-deps.sh)"),
    }
}
