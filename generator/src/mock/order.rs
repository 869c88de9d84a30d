//! The order of a socket's push script, from `x-mock` on its messages and on their examples.
//! Shared by `asyncapi-codegen mock` and the generated crates' `mock-server` example, so both
//! play one script.
//!
//! Without `x-mock`, every message is pushed: each one's first value in the socket's order, then
//! their other values. A message with `x-mock` is one block (`repeat` pushes cycling through its
//! values, else each value once) behind the first push of the message its `after` names. An
//! example scripted on its own (`x-mock.examples.<name>`) is a block of its own (its fields over
//! the message's, `repeat` aside), so one example of a message can open a call and another close it.

use crate::load::Loc;
use crate::spec::MockScript;

/// One message the socket sends, as the script sees it.
pub(crate) struct Candidate<'a> {
    pub key: &'a str,
    /// The message's `x-mock`, and where it is.
    pub script: &'a MockScript,
    pub loc: Loc,
    /// Its values in order, each with the script of the example it comes from (and where that
    /// is), if it has one.
    pub values: Vec<Option<(&'a MockScript, &'a Loc)>>,
    /// Whether the values were made from the schema (then one is pushed unless `repeat` says more).
    pub generated: bool,
}

/// One push: which candidate, which of its values, and its own pause if `x-mock` sets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    pub candidate: usize,
    pub value: usize,
    pub interval_ms: Option<u32>,
}

struct Block {
    candidate: usize,
    steps: Vec<Step>,
    /// The message it was placed behind.
    behind: Option<String>,
}

/// The script, or the `x-mock` whose `after` cannot be placed (where, and why).
pub(crate) fn order(candidates: &[Candidate<'_>]) -> Result<Vec<Step>, (Loc, String)> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut tails: Vec<Step> = Vec::new();
    let mut waiting: Vec<(Block, String, Loc)> = Vec::new();
    for (c, candidate) in candidates.iter().enumerate() {
        let m = candidate.script;
        let step = |value: usize, interval: Option<i32>| Step { candidate: c, value, interval_ms: interval.and_then(|ms| u32::try_from(ms).ok()) };
        let (own, rest): (Vec<usize>, Vec<usize>) = (0..candidate.values.len()).partition(|&v| candidate.values[v].is_some());
        // Examples with an `x-mock` of their own.
        for v in own {
            let Some((e, at)) = candidate.values[v] else { continue };
            if e.push.or(m.push) == Some(false) {
                continue;
            }
            let block = Block { candidate: c, steps: vec![step(v, e.interval_ms.or(m.interval_ms)); e.repeat.map_or(1, |n| n as usize)], behind: None };
            match (&e.after, &m.after) {
                (Some(after), _) => waiting.push((block, after.clone(), at.child("after"))),
                (None, Some(after)) => waiting.push((block, after.clone(), candidate.loc.child("after"))),
                (None, None) => blocks.push(block),
            }
        }
        if m.push == Some(false) || rest.is_empty() {
            continue;
        }
        let scripted = m.interval_ms.is_some() || m.repeat.is_some() || m.after.is_some();
        // Examples are each pushed once; made values once (`repeat` cycles through all of them).
        let natural = if candidate.generated { 1 } else { rest.len() };
        if !scripted {
            blocks.push(Block { candidate: c, steps: vec![step(rest[0], None)], behind: None });
            tails.extend(rest[1..natural].iter().map(|&v| step(v, None)));
            continue;
        }
        let count = m.repeat.map_or(natural, |n| n as usize);
        let block = Block { candidate: c, steps: (0..count).map(|n| step(rest[n % rest.len()], m.interval_ms)).collect(), behind: None };
        match &m.after {
            Some(after) => waiting.push((block, after.clone(), candidate.loc.child("after"))),
            None => blocks.push(block),
        }
    }
    for (_, after, at) in &waiting {
        if !candidates.iter().any(|c| c.key == after) {
            return Err((at.clone(), format!("`after: {after}` names no message this socket sends")));
        }
    }
    // Each waiting block goes behind the first block of the message it names (and behind the
    // blocks already placed there), until none moves.
    while !waiting.is_empty() {
        let before = waiting.len();
        let mut still = Vec::new();
        for (mut block, after, at) in waiting {
            match blocks.iter().position(|b| candidates[b.candidate].key == after) {
                Some(first) => {
                    // Behind the anchor and everything already placed behind it, directly or not.
                    let mut followers = vec![after.as_str()];
                    let mut end = first + 1;
                    while let Some(b) = blocks.get(end).filter(|b| b.behind.as_deref().is_some_and(|k| followers.contains(&k))) {
                        followers.push(candidates[b.candidate].key);
                        end += 1;
                    }
                    block.behind = Some(after);
                    blocks.insert(end, block);
                }
                None => still.push((block, after, at)),
            }
        }
        if still.len() == before {
            let (_, after, at) = &still[0];
            return Err((at.clone(), format!("`after: {after}` names a message that is never pushed (`push: false`, no value, or a cycle)")));
        }
        waiting = still;
    }
    Ok(blocks.into_iter().flat_map(|b| b.steps).chain(tails).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::FileId;

    /// Where message `key`'s `x-mock` is.
    fn at(key: &str) -> Loc {
        Loc::new(FileId(0), format!("/components/messages/{key}/x-mock"))
    }

    fn script(after: Option<&str>, repeat: Option<i32>, push: Option<bool>) -> MockScript {
        MockScript { push, interval_ms: None, repeat, after: after.map(str::to_string), examples: Vec::new() }
    }

    /// `(key, value)` pushed, in order.
    fn played(candidates: &[Candidate<'_>]) -> Vec<(String, usize)> {
        order(candidates).unwrap().iter().map(|s| (candidates[s.candidate].key.to_string(), s.value)).collect()
    }

    #[test]
    fn unscripted_messages_play_firsts_then_the_other_examples() {
        let (none, locs) = (MockScript::default(), [at("a"), at("b")]);
        let candidates = [
            Candidate { key: "a", script: &none, loc: locs[0].clone(), values: vec![None, None], generated: false },
            Candidate { key: "b", script: &none, loc: locs[1].clone(), values: vec![None, None, None], generated: true },
        ];
        assert_eq!(played(&candidates), [("a".into(), 0), ("b".into(), 0), ("a".into(), 1)]);
    }

    #[test]
    fn an_example_with_its_own_x_mock_closes_the_call() {
        let none = MockScript::default();
        let (diff, closing, after_diff) = (script(Some("opened"), Some(3), None), script(Some("info"), None, None), script(Some("diff"), None, None));
        let locs = [at("opened"), at("diff"), at("info"), at("opened").child("examples").child("callClosed")];
        let candidates = [
            // `opened` has two examples: the first opens the call, the second (scripted) closes it.
            Candidate { key: "opened", script: &none, loc: locs[0].clone(), values: vec![None, Some((&closing, &locs[3]))], generated: false },
            Candidate { key: "diff", script: &diff, loc: locs[1].clone(), values: vec![None], generated: false },
            Candidate { key: "info", script: &after_diff, loc: locs[2].clone(), values: vec![None], generated: false },
        ];
        let want = [("opened", 0), ("diff", 0), ("diff", 0), ("diff", 0), ("info", 0), ("opened", 1)];
        assert_eq!(played(&candidates), want.map(|(k, v)| (k.to_string(), v)));
    }

    #[test]
    fn blocks_behind_one_message_keep_their_order_and_their_followers() {
        let none = MockScript::default();
        let (after_x, after_a) = (script(Some("x"), None, None), script(Some("a"), None, None));
        let locs = [at("x"), at("a"), at("c"), at("b")];
        let candidates = [
            Candidate { key: "x", script: &none, loc: locs[0].clone(), values: vec![None], generated: false },
            Candidate { key: "a", script: &after_x, loc: locs[1].clone(), values: vec![None], generated: false },
            Candidate { key: "c", script: &after_x, loc: locs[2].clone(), values: vec![None], generated: false },
            Candidate { key: "b", script: &after_a, loc: locs[3].clone(), values: vec![None], generated: false },
        ];
        let keys: Vec<String> = played(&candidates).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["x", "a", "b", "c"]);
    }

    #[test]
    fn push_false_and_bad_anchors() {
        let (none, quiet) = (MockScript::default(), script(None, None, Some(false)));
        let (unknown, on_quiet) = (script(Some("nope"), None, None), script(Some("q"), None, None));
        let locs = [at("q"), at("e"), at("e").child("examples").child("first")];
        let quiet_only = [Candidate { key: "q", script: &quiet, loc: locs[0].clone(), values: vec![None], generated: false }];
        assert!(order(&quiet_only).unwrap().is_empty());
        let bad = [Candidate { key: "e", script: &none, loc: locs[1].clone(), values: vec![Some((&unknown, &locs[2]))], generated: false }];
        let (where_, why) = order(&bad).unwrap_err();
        assert_eq!((where_.pointer.as_str(), why.as_str()), ("/components/messages/e/x-mock/examples/first/after", "`after: nope` names no message this socket sends"));
        let never = [
            Candidate { key: "q", script: &quiet, loc: locs[0].clone(), values: vec![None], generated: false },
            Candidate { key: "e", script: &on_quiet, loc: locs[1].clone(), values: vec![None], generated: false },
        ];
        assert!(order(&never).unwrap_err().1.contains("never pushed"), "{:?}", order(&never));
    }
}
