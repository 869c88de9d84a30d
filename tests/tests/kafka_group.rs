//! Consumer groups, the way Kafka scales out: member processes of the generated `consume-cdr`
//! example share the 6-partition step topic of a real Tansu broker. One is killed mid-stream,
//! another joins later; every record must be handled, duplicates only where a member handled a
//! record it could not commit, and each member sees each call's steps in order.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_assist_api::cdr::kafka::{self as cdr_kafka, KafkaConfig, Producer};
use agent_assist_api::cdr::AgentAssistStepMessage;
use workspace_tests::tansu::Broker;
use workspace_tests::wait_until;
use workspace_tests::cdr::step;
use workspace_tests::example_binary;

const CALLS: usize = 60;
const STEPS: i64 = 50;
/// Tansu's joins wait about half of this; a dead member is noticed within it.
const SESSION_TIMEOUT_MS: &str = "6000";

/// A record as one member printed it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Handled {
    partition: i32,
    offset: i64,
    call: String,
    step: i64,
}

/// Parses a `consume-cdr` line: `agent_assist_step[P]@O key=K AgentAssistStep { .. step: Some(N) .. }`.
fn parse(line: &str) -> Option<Handled> {
    let rest = line.strip_prefix("agent_assist_step[")?;
    let (partition, rest) = rest.split_once("]@")?;
    let (offset, rest) = rest.split_once(" key=")?;
    let (call, rest) = rest.split_once(' ')?;
    let step = rest.split_once("step: Some(")?.1.split_once(')')?.0;
    Some(Handled { partition: partition.parse().ok()?, offset: offset.parse().ok()?, call: call.to_string(), step: step.parse().ok()? })
}

/// One `consume-cdr --subscribe` process; its stdout and stderr are collected line by line.
struct Member {
    name: &'static str,
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Member {
    fn start(binary: &Path, name: &'static str, brokers: &str) -> Member {
        let mut child = Command::new(binary)
            .args(["--brokers", brokers, "--group", "cdr-workers", "--subscribe", "--from", "earliest", "--idle-ms", "120000"])
            .args(["--set", &format!("session.timeout.ms={SESSION_TIMEOUT_MS}"), "--set", "heartbeat.interval.ms=1000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("consume-cdr starts");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        Member { name, child, stdout, stderr }
    }

    fn handled(&self) -> Vec<Handled> {
        self.stdout.lock().unwrap().iter().map(|l| parse(l).unwrap_or_else(|| panic!("{}: unexpected line {l:?}", self.name))).collect()
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill();
    }
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Step `n` of call `call`, keyed by the call.
fn step_message(call: usize, n: i64) -> AgentAssistStepMessage {
    AgentAssistStepMessage::AgentAssistStep(step(call, n))
}

/// Positions a member printed but may not have committed: those whose commit it reported as
/// failed, and, for a killed member, the last record it printed (it commits each record after
/// printing it, one at a time).
fn uncommitted(member: &Member, killed: bool) -> BTreeSet<(i32, i64)> {
    let mut out: BTreeSet<(i32, i64)> = member
        .stderr()
        .iter()
        .filter_map(|l| l.strip_prefix("commit agent_assist_step["))
        .filter_map(|l| {
            let (p, rest) = l.split_once("]@")?;
            let (o, _) = rest.split_once(':')?;
            Some((p.parse().ok()?, o.parse().ok()?))
        })
        .collect();
    if killed {
        out.extend(member.handled().last().map(|h| (h.partition, h.offset)));
    }
    out
}

#[test]
fn a_group_of_consumer_processes_shares_the_partitions_and_survives_a_member_dying() {
    let binary = example_binary("consume-cdr");
    let broker = Broker::start();
    let brokers = broker.brokers();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let config = KafkaConfig::new(brokers.clone()).set("message.timeout.ms", "30000");
    runtime.block_on(cdr_kafka::ensure_topics(&config)).expect("topics created");

    let mut members = vec![Member::start(&binary, "first", &brokers), Member::start(&binary, "second", &brokers), Member::start(&binary, "third", &brokers)];

    // The calls send their steps over about 15 s, each call in order, so the group is mid-stream
    // when a member dies and when another joins.
    let producer = Producer::new(&config).expect("producer");
    let sending = runtime.spawn(async move {
        for n in 1..=STEPS {
            let batch = (0..CALLS).map(|call| step_message(call, n)).collect();
            for result in producer.send_batch(batch).await {
                result.map_err(|e| format!("step {n}: {e}"))?;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Ok::<(), String>(())
    });
    let total = CALLS * STEPS as usize;

    wait_until("the first member handles records", Duration::from_secs(60), || members[0].handled().len() >= 100);
    members[0].kill();
    wait_until("the group handles more after the kill", Duration::from_secs(60), || members.iter().map(|m| m.handled().len()).sum::<usize>() >= total / 3);
    members.push(Member::start(&binary, "late", &brokers));
    runtime.block_on(sending).expect("task").expect("every record delivered");

    let distinct = |members: &[Member]| members.iter().flat_map(|m| m.handled()).map(|h| (h.partition, h.offset)).collect::<BTreeSet<_>>().len();
    wait_until("every record handled", Duration::from_secs(120), || distinct(&members) == total);
    // Anything still to come (a redelivery) has time to arrive before the count.
    std::thread::sleep(Duration::from_secs(3));
    for m in &mut members {
        m.kill();
    }

    // 0 lost: each (partition, offset) of the topic was handled, and every record the producer sent is among them.
    let all: Vec<Handled> = members.iter().flat_map(|m| m.handled()).collect();
    let positions: BTreeSet<(i32, i64)> = all.iter().map(|h| (h.partition, h.offset)).collect();
    let sent: BTreeSet<(String, i64)> = all.iter().map(|h| (h.call.clone(), h.step)).collect();
    assert_eq!(positions.len(), total, "every record handled");
    assert_eq!(sent.len(), total, "every call's every step handled");
    for (partition, offsets) in positions.iter().fold(BTreeMap::<i32, Vec<i64>>::new(), |mut m, (p, o)| {
        m.entry(*p).or_default().push(*o);
        m
    }) {
        assert_eq!(offsets, (0..offsets.len() as i64).collect::<Vec<_>>(), "partition {partition}: no gap");
    }

    // Every member took part: the late one got partitions, the killed one had handled some.
    for m in &members {
        assert!(!m.handled().is_empty(), "{} handled nothing; stderr: {:?}", m.name, m.stderr());
    }

    // Duplicates: only records handled and not committed, each at most twice.
    let mut times: BTreeMap<(i32, i64), usize> = BTreeMap::new();
    for h in &all {
        *times.entry((h.partition, h.offset)).or_default() += 1;
    }
    let duplicates: BTreeSet<(i32, i64)> = times.iter().filter(|(_, n)| **n > 1).map(|(p, _)| *p).collect();
    let allowed: BTreeSet<(i32, i64)> = members.iter().enumerate().flat_map(|(i, m)| uncommitted(m, i == 0)).collect();
    assert!(times.values().all(|n| *n <= 2), "a record handled more than twice: {times:?}");
    assert!(duplicates.is_subset(&allowed), "duplicates {duplicates:?} are not all records left uncommitted {allowed:?}");
    eprintln!(
        "handled {} records ({} distinct) by {} members: {:?}; duplicates {} (bound: {} uncommitted)",
        all.len(),
        total,
        members.len(),
        members.iter().map(|m| (m.name, m.handled().len())).collect::<Vec<_>>(),
        duplicates.len(),
        allowed.len()
    );

    // Per-key order in what each member saw: each call's steps rise, a repeat only of a redelivered record.
    for m in &members {
        let mut last: BTreeMap<String, Handled> = BTreeMap::new();
        for h in m.handled() {
            if let Some(prev) = last.get(&h.call) {
                let redelivered = prev.step == h.step && allowed.contains(&(h.partition, h.offset));
                assert!(prev.step < h.step || redelivered, "{}: call {} went from step {} to {}", m.name, h.call, prev.step, h.step);
            }
            last.insert(h.call.clone(), h);
        }
    }
}
