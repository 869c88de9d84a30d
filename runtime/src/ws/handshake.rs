//! The handshake deadline: a connection that has not sent a whole HTTP request head (up to the
//! blank line) within the deadline is dropped, so clients that send the upgrade request slowly, or
//! nothing at all, cannot hold connections open. Once the head is in, the deadline is gone.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// Accepts like axum's listener (retrying accept errors) and puts a deadline on each connection.
pub(crate) struct DeadlineListener {
    pub(crate) inner: TcpListener,
    pub(crate) timeout: Duration,
}

impl axum::serve::Listener for DeadlineListener {
    type Io = Deadline;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Deadline, SocketAddr) {
        let (stream, address) = axum::serve::Listener::accept(&mut self.inner).await;
        (Deadline { inner: stream, expires: Some(Box::pin(tokio::time::sleep(self.timeout))), matched: 0 }, address)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection whose reads fail with `TimedOut` once the deadline passes before the end of the
/// request head.
pub(crate) struct Deadline {
    inner: TcpStream,
    /// Cleared when the request head is complete.
    expires: Option<Pin<Box<Sleep>>>,
    /// How much of `\r\n\r\n` the bytes read so far end with.
    matched: usize,
}

const HEAD_END: &[u8] = b"\r\n\r\n";

impl Deadline {
    /// Follows the bytes read; clears the deadline at the end of the head.
    fn saw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.matched = if b == HEAD_END[self.matched] {
                self.matched + 1
            } else if b == HEAD_END[0] {
                1
            } else {
                0
            };
            if self.matched == HEAD_END.len() {
                self.expires = None;
                return;
            }
        }
    }
}

impl AsyncRead for Deadline {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(expires) = self.expires.as_mut() {
            if expires.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the handshake took too long")));
            }
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.expires.is_some() {
            let fresh = buf.filled()[before..].to_vec();
            self.saw(&fresh);
        }
        polled
    }
}

impl AsyncWrite for Deadline {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_ends_at_the_first_blank_line_whatever_the_reads() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (inner, _) = listener.accept().await.unwrap();
            let mut deadline = Deadline { inner, expires: Some(Box::pin(tokio::time::sleep(Duration::from_secs(60)))), matched: 0 };
            for piece in [&b"GET / HTTP/1.1\r"[..], b"\nHost: x\r\n\r", b"\r\n"] {
                deadline.saw(piece);
            }
            assert!(deadline.expires.is_some(), "`\\r\\n\\r\\r\\n` is not the end of the head");
            deadline.saw(b"\r\n");
            assert!(deadline.expires.is_none());
            drop(client);
        });
    }
}
