//! The host's log lines on stderr, and the sink that turns a component's stdout and stderr into
//! host log lines prefixed with the component id.
//!
//! One line per event keeps the log greppable and lets a test read it line by line.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// A component's output beyond this many bytes without a newline is emitted as its own line,
/// so a guest that never writes a newline cannot grow the buffer without bound.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// Writes one host log line, formatted first and written in one call: stderr is unbuffered,
/// and writing the pieces one by one costs a system call each under the stderr lock.
pub fn line(args: std::fmt::Arguments<'_>) {
    let text = format!(
        "{} {args}\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    // A closed stderr leaves the host nothing better to do with the line.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Logs a formatted line: `host_log!("listening on {addr}")`.
#[macro_export]
macro_rules! host_log {
    ($($arg:tt)*) => { $crate::log::line(format_args!($($arg)*)) };
}

/// Which of the guest's streams a [`ComponentOutput`] carries.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
}

/// A guest output stream whose lines become host log lines `[component] …`.
#[derive(Clone)]
pub struct ComponentOutput {
    component: std::sync::Arc<str>,
    stream: Stream,
}

impl ComponentOutput {
    /// Output of `component` on `stream`.
    pub fn new(component: std::sync::Arc<str>, stream: Stream) -> Self {
        ComponentOutput { component, stream }
    }
}

impl IsTerminal for ComponentOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ComponentOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            prefix: match self.stream {
                Stream::Stdout => format!("[{}]", self.component),
                Stream::Stderr => format!("[{} stderr]", self.component),
            },
            buffer: Vec::new(),
        })
    }
}

/// Buffers bytes until a newline, then logs the line with its prefix.
struct LineWriter {
    prefix: String,
    buffer: Vec<u8>,
}

impl LineWriter {
    fn emit(&mut self, upto: usize) {
        let rest = self.buffer.split_off(upto);
        let mut line = std::mem::replace(&mut self.buffer, rest);
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        line_with_prefix(&self.prefix, &line);
    }
}

fn line_with_prefix(prefix: &str, bytes: &[u8]) {
    line(format_args!("{prefix} {}", String::from_utf8_lossy(bytes)));
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        this.buffer.extend_from_slice(buf);
        while let Some(pos) = this.buffer.iter().position(|b| *b == b'\n') {
            this.emit(pos + 1);
        }
        if this.buffer.len() > MAX_LINE_BYTES {
            this.emit(this.buffer.len());
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.buffer.is_empty() {
            let len = self.buffer.len();
            self.emit(len);
        }
    }
}
