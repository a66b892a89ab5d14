//! An async [`Stream`] of events over a `Stream` of byte chunks (feature `stream`).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::{Event, OwnedEvent, ParserOptions, TextParser};

/// Parses harmony text arriving as a stream of chunks (an HTTP body, a socket) into a stream
/// of [`OwnedEvent`]s. Errors of the input stream are passed through; the parse itself
/// never fails. When the input ends, an open message ends with `Stop::Eof`.
///
/// ```
/// # futures::executor::block_on(async {
/// use futures::StreamExt;
/// use harmony_stream::{EventStream, OwnedEvent};
///
/// let chunks = futures::stream::iter(["<|channel|>final<|mess", "age|>Hello"].map(Ok::<_, std::io::Error>));
/// let events: Vec<OwnedEvent> = EventStream::new(chunks).map(Result::unwrap).collect().await;
/// assert!(events.contains(&OwnedEvent::Delta("Hello".into())));
/// # });
/// ```
#[derive(Debug)]
pub struct EventStream<S> {
    input: S,
    parser: TextParser,
    queue: VecDeque<OwnedEvent>,
    done: bool,
}

impl<S> EventStream<S> {
    /// Events of `input`, parsed with the default options.
    pub fn new(input: S) -> Self {
        Self::with_options(input, ParserOptions::default())
    }

    /// Events of `input`, parsed with `options`.
    pub fn with_options(input: S, options: ParserOptions) -> Self {
        EventStream {
            input,
            parser: TextParser::with_options(options),
            queue: VecDeque::new(),
            done: false,
        }
    }
}

impl<S, B, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    type Item = Result<OwnedEvent, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(event)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let queue = &mut this.queue;
            let mut sink = |e: Event<'_>| queue.push_back(e.into_owned());
            match Pin::new(&mut this.input).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.parser.feed(chunk.as_ref(), &mut sink),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    this.parser.finish(&mut sink);
                    this.done = true;
                }
            }
        }
    }
}
