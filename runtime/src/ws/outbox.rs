//! A session's outbound queue: encoded messages appended to one buffer, taken by the session
//! loop a whole batch at a time.
//!
//! Queuing a message costs one short lock and a copy of its text: no allocation, no channel
//! slot, no wake-up when the session loop is already due to run. The loop takes everything
//! queued in one swap and writes it with one flush. Frames encoded once for many sessions
//! ([`super::server::Frame`]) are queued by reference, never copied.

use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

use super::CloseCode;

/// Encoding buffers larger than this are not kept for the next message of the thread.
const SCRATCH_KEPT: usize = 64 << 10;

thread_local! {
    /// Where a message is encoded before the queue's lock is taken, so the lock is held only
    /// for a copy.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Why a message was not queued.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The queue holds its capacity; the overflow flag is now set.
    Full,
    /// The session has ended.
    Closed,
}

/// One queued message.
#[derive(Debug)]
enum Entry {
    /// Text in the shared buffer, ending at this offset.
    Text(usize),
    /// A frame encoded once, shared with other sessions.
    Frame(Utf8Bytes),
}

#[derive(Debug, Default)]
struct State {
    text: Vec<u8>,
    entries: Vec<Entry>,
    overflow: bool,
    closing: Option<(CloseCode, String)>,
    closed: bool,
}

/// What the session loop takes in one go.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Messages in queue order.
    pub(crate) messages: Vec<Utf8Bytes>,
    /// A sender found the queue full: the session must close with 1013.
    pub(crate) overflow: bool,
    /// A close asked for, to send after `messages`.
    pub(crate) closing: Option<(CloseCode, String)>,
}

/// The queue shared by a session's handles and its loop.
#[derive(Debug)]
pub(crate) struct Outbox {
    state: Mutex<State>,
    capacity: usize,
    /// Wakes the session loop: messages queued, a close asked for, an overflow.
    ready: Notify,
    /// Wakes senders waiting for room: the loop took a batch, or the session ended.
    room: Notify,
}

impl Outbox {
    /// An empty queue holding at most `capacity` messages.
    pub(crate) fn new(capacity: usize) -> Self {
        Outbox {
            state: Mutex::default(),
            capacity: capacity.max(1),
            ready: Notify::new(),
            room: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every await-free step, so a poisoned lock is usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Encodes `message` as JSON and queues it; a full queue refuses it at once.
    pub(crate) fn push_json<T: serde::Serialize + ?Sized>(
        &self,
        message: &T,
    ) -> Result<Result<(), Refused>, serde_json::Error> {
        encoded(message, |text| self.push_with(|state| append(state, text)))
    }

    /// Encodes `message` as JSON and queues it, waiting for room while the queue is full.
    pub(crate) async fn push_json_wait<T: serde::Serialize + ?Sized>(
        &self,
        message: &T,
    ) -> Result<Result<(), Refused>, serde_json::Error> {
        // Encoded once, outside the lock, and copied straight in when there is room (the usual
        // case); kept until there is room otherwise.
        let full = encoded(message, |text| {
            self.add_if_room(&mut self.lock(), |state| append(state, text))
                .ok_or_else(|| text.to_vec())
        })?;
        match full {
            Ok(done) => Ok(done),
            Err(text) => Ok(self.wait_for_room(|state| append(state, &text)).await),
        }
    }

    /// Queues a shared frame; a full queue refuses it at once.
    pub(crate) fn push_frame(&self, frame: &Utf8Bytes) -> Result<(), Refused> {
        self.push_with(|state| state.entries.push(Entry::Frame(frame.clone())))
    }

    /// Queues a shared frame, waiting for room while the queue is full.
    pub(crate) async fn push_frame_wait(&self, frame: &Utf8Bytes) -> Result<(), Refused> {
        self.wait_for_room(|state| state.entries.push(Entry::Frame(frame.clone())))
            .await
    }

    fn push_with(&self, add: impl FnOnce(&mut State)) -> Result<(), Refused> {
        let mut state = self.lock();
        self.add_if_room(&mut state, add).unwrap_or_else(|| {
            state.overflow = true;
            drop(state);
            self.ready.notify_one();
            Err(Refused::Full)
        })
    }

    async fn wait_for_room(&self, add: impl Fn(&mut State)) -> Result<(), Refused> {
        // Most sends find room: no waiter is set up for them.
        if let Some(done) = self.add_if_room(&mut self.lock(), &add) {
            return done;
        }
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            {
                let mut state = self.lock();
                if let Some(done) = self.add_if_room(&mut state, &add) {
                    return done;
                }
                // Registered before the lock is released, so the loop's next take wakes us.
                room.as_mut().enable();
            }
            room.await;
        }
    }

    /// Adds a message when the session is open and the queue has room; `None` when it is full.
    fn add_if_room(
        &self,
        state: &mut State,
        add: impl FnOnce(&mut State),
    ) -> Option<Result<(), Refused>> {
        if state.closed {
            return Some(Err(Refused::Closed));
        }
        if state.entries.len() >= self.capacity {
            return None;
        }
        let first = state.entries.is_empty();
        add(state);
        if first {
            self.ready.notify_one();
        }
        Some(Ok(()))
    }

    /// Asks for a close after what is queued; the first close asked for wins.
    pub(crate) fn close(&self, code: CloseCode, reason: &str) {
        self.lock()
            .closing
            .get_or_insert_with(|| (code, reason.to_string()));
        self.ready.notify_one();
    }

    /// Whether the session has ended.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Resolves when there is something for the session loop to take.
    pub(crate) async fn ready(&self) {
        self.ready.notified().await
    }

    /// Takes everything queued, leaving the queue empty, and wakes waiting senders.
    pub(crate) fn take(&self) -> Batch {
        let (text, entries, overflow, closing) = {
            let mut state = self.lock();
            (
                std::mem::take(&mut state.text),
                std::mem::take(&mut state.entries),
                std::mem::take(&mut state.overflow),
                state.closing.take(),
            )
        };
        if !entries.is_empty() {
            self.room.notify_waiters();
        }
        let text = Bytes::from(text);
        let mut start = 0;
        let messages = entries
            .into_iter()
            .map(|entry| match entry {
                Entry::Frame(frame) => frame,
                Entry::Text(end) => {
                    let slice = text.slice(start..end);
                    start = end;
                    Utf8Bytes::try_from(slice).expect("JSON text is UTF-8")
                }
            })
            .collect();
        Batch {
            messages,
            overflow,
            closing,
        }
    }

    /// Ends the session: later sends fail with `Closed`, waiting senders wake.
    pub(crate) fn end(&self) {
        {
            let mut state = self.lock();
            state.closed = true;
            state.text = Vec::new();
            state.entries = Vec::new();
        }
        self.room.notify_waiters();
    }
}

fn append(state: &mut State, text: &[u8]) {
    state.text.extend_from_slice(text);
    let end = state.text.len();
    state.entries.push(Entry::Text(end));
}

/// Encodes `message` into the thread's scratch buffer and hands the text to `then`.
fn encoded<T: serde::Serialize + ?Sized, R>(
    message: &T,
    then: impl FnOnce(&[u8]) -> R,
) -> Result<R, serde_json::Error> {
    SCRATCH.with(|scratch| {
        // A message that encodes another message while serialising (re-entrancy) gets its own buffer.
        let mut owned = Vec::new();
        let mut borrowed = scratch.try_borrow_mut();
        let buffer = match borrowed.as_deref_mut() {
            Ok(buffer) => buffer,
            Err(_) => &mut owned,
        };
        buffer.clear();
        let result = serde_json::to_writer(&mut *buffer, message).map(|()| then(buffer));
        if buffer.capacity() > SCRATCH_KEPT {
            *buffer = Vec::new();
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(batch: &Batch) -> Vec<&str> {
        batch.messages.iter().map(|m| m.as_str()).collect()
    }

    #[test]
    fn messages_come_out_in_queue_order_frames_included() {
        let outbox = Outbox::new(8);
        outbox.push_json(&1).unwrap().unwrap();
        outbox.push_frame(&Utf8Bytes::from("shared")).unwrap();
        outbox.push_json("two").unwrap().unwrap();
        let batch = outbox.take();
        assert_eq!(texts(&batch), ["1", "shared", "\"two\""]);
        assert!(!batch.overflow && batch.closing.is_none());
        assert!(
            outbox.take().messages.is_empty(),
            "a take empties the queue"
        );
    }

    #[test]
    fn a_full_queue_refuses_and_flags_the_overflow() {
        let outbox = Outbox::new(2);
        outbox.push_json(&1).unwrap().unwrap();
        outbox.push_json(&2).unwrap().unwrap();
        assert!(matches!(outbox.push_json(&3).unwrap(), Err(Refused::Full)));
        let batch = outbox.take();
        assert_eq!(
            texts(&batch),
            ["1", "2"],
            "what was queued before the overflow stays"
        );
        assert!(batch.overflow);
    }

    #[test]
    fn an_encoding_error_queues_nothing() {
        let outbox = Outbox::new(2);
        assert!(
            outbox.push_json(&f64::NAN).is_ok(),
            "serde_json writes NaN as null"
        );
        let map: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert!(
            outbox.push_json(&map).is_err(),
            "non-string keys are not JSON"
        );
        assert_eq!(texts(&outbox.take()), ["null"]);
    }

    #[test]
    fn the_first_close_wins_and_an_ended_session_refuses() {
        let outbox = Outbox::new(2);
        outbox.close(CloseCode::Normal, "first");
        outbox.close(CloseCode::GoingAway, "second");
        assert_eq!(
            outbox.take().closing,
            Some((CloseCode::Normal, "first".into()))
        );
        outbox.end();
        assert!(outbox.is_closed());
        assert!(matches!(
            outbox.push_json(&1).unwrap(),
            Err(Refused::Closed)
        ));
        assert!(matches!(
            outbox.push_frame(&Utf8Bytes::from("x")),
            Err(Refused::Closed)
        ));
    }

    #[tokio::test]
    async fn a_waiting_sender_gets_in_once_the_loop_takes_a_batch() {
        let outbox = std::sync::Arc::new(Outbox::new(1));
        outbox.push_json(&1).unwrap().unwrap();
        let waiting = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.push_json_wait(&2).await.unwrap() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "no room yet");
        assert_eq!(texts(&outbox.take()), ["1"]);
        assert!(waiting.await.unwrap().is_ok());
        assert_eq!(texts(&outbox.take()), ["2"]);
    }

    #[tokio::test]
    async fn a_waiting_sender_learns_the_session_ended() {
        let outbox = std::sync::Arc::new(Outbox::new(1));
        outbox.push_json(&1).unwrap().unwrap();
        let waiting = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.push_frame_wait(&Utf8Bytes::from("x")).await }
        });
        tokio::task::yield_now().await;
        outbox.end();
        assert!(matches!(waiting.await.unwrap(), Err(Refused::Closed)));
    }
}
