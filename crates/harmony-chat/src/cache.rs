//! Prefix caching: re-rendering a conversation that grew reuses what was rendered.

use crate::error::RenderError;
use crate::model::{Content, Message, Role};
use crate::render::{
    analysis_drop_bound, is_dropped, message_into, options_for, RenderOptions, Renderer, TokenSink,
};
use crate::tokenizer::Rank;

struct Entry {
    message: Message,
    /// An error is kept, not returned: the message may be one that is dropped (earlier
    /// analysis), and the reference only fails on messages it renders.
    tokens: Result<Vec<Rank>, RenderError>,
}

/// A renderer that remembers the ids of every message it rendered, so that rendering
/// the same conversation again after appending messages (the agent loop: prompt,
/// completion, tool result, prompt, ...) only encodes the new messages.
///
/// The result always equals a full render by [`Renderer`]: a message is reused only when
/// it is equal to the one at the same position last time; the system message is
/// re-rendered when the conversation gains or loses function tools (its text mentions
/// them); and dropping of earlier analysis is re-decided on every call.
///
/// ```
/// use harmony_chat::{Message, PrefixCache, Renderer, Role, SystemContent};
///
/// let mut messages = vec![
///     Message::from_role_and_content(Role::System, SystemContent::new()),
///     Message::from_role_and_content(Role::User, "What is 2 + 2?"),
/// ];
/// let mut cache = PrefixCache::new(Renderer::new());
/// cache.render_for_completion(&messages, Role::Assistant)?;
///
/// messages.push(Message::from_role_and_content(Role::Assistant, "4").with_channel("final"));
/// messages.push(Message::from_role_and_content(Role::User, "And 3 + 3?"));
/// let ids = cache.render_for_completion(&messages, Role::Assistant)?.to_vec();
/// assert_eq!(cache.reused_messages(), 2);
/// assert_eq!(ids, Renderer::new().render_conversation_for_completion(&messages, Role::Assistant)?);
/// # Ok::<(), harmony_chat::RenderError>(())
/// ```
pub struct PrefixCache {
    renderer: Renderer,
    entries: Vec<Entry>,
    options: RenderOptions,
    /// The history as last assembled: ids of the kept entries, in order.
    out: Vec<Rank>,
    /// `ends[i]`: length of `out` after entry `i`.
    ends: Vec<usize>,
    /// The analysis-drop bound `out` was assembled with; `None` when `out` is stale.
    assembled_with: Option<Option<usize>>,
    reused: usize,
}

impl std::fmt::Debug for PrefixCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrefixCache")
            .field("messages", &self.entries.len())
            .field("tokens", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl PrefixCache {
    /// An empty cache rendering with `renderer`.
    ///
    /// ```
    /// let cache = harmony_chat::PrefixCache::new(harmony_chat::Renderer::new());
    /// assert_eq!(cache.reused_messages(), 0);
    /// ```
    pub fn new(renderer: Renderer) -> Self {
        PrefixCache {
            renderer,
            entries: Vec::new(),
            options: RenderOptions::default(),
            out: Vec::new(),
            ends: Vec::new(),
            assembled_with: None,
            reused: 0,
        }
    }

    /// Same as [`Renderer::render_conversation_for_completion`], reusing what it can.
    ///
    /// ```
    /// use harmony_chat::{Message, PrefixCache, Renderer, Role};
    /// let mut cache = PrefixCache::new(Renderer::new());
    /// let msgs = [Message::from_role_and_content(Role::User, "Hi")];
    /// let ids = cache.render_for_completion(&msgs, Role::Assistant).unwrap();
    /// assert_eq!(ids.last(), Some(&173781)); // "assistant"
    /// ```
    pub fn render_for_completion<M: AsRef<[Message]> + ?Sized>(
        &mut self,
        conversation: &M,
        next_role: Role,
    ) -> Result<&[Rank], RenderError> {
        self.update(conversation.as_ref())?;
        let mut sink = TokenSink {
            vocab: self.renderer.vocab(),
            out: &mut self.out,
        };
        crate::render::next_turn(&mut sink, next_role);
        Ok(&self.out)
    }

    /// Same as [`Renderer::render_conversation`], reusing what it can.
    ///
    /// ```
    /// use harmony_chat::{Message, PrefixCache, Renderer, Role};
    /// let mut cache = PrefixCache::new(Renderer::new());
    /// let msgs = [Message::from_role_and_content(Role::User, "Hi")];
    /// assert_eq!(cache.render(&msgs).unwrap().last(), Some(&200007)); // <|end|>
    /// ```
    pub fn render<M: AsRef<[Message]> + ?Sized>(
        &mut self,
        conversation: &M,
    ) -> Result<&[Rank], RenderError> {
        let history = self.update(conversation.as_ref())?;
        Ok(&self.out[..history])
    }

    /// How many messages the last call reused instead of rendering.
    ///
    /// ```
    /// let cache = harmony_chat::PrefixCache::new(harmony_chat::Renderer::new());
    /// assert_eq!(cache.reused_messages(), 0);
    /// ```
    pub fn reused_messages(&self) -> usize {
        self.reused
    }

    /// Forgets everything.
    ///
    /// ```
    /// let mut cache = harmony_chat::PrefixCache::new(harmony_chat::Renderer::new());
    /// cache.clear();
    /// ```
    pub fn clear(&mut self) {
        self.entries.clear();
        self.out.clear();
        self.ends.clear();
        self.assembled_with = None;
        self.reused = 0;
    }

    /// Brings the entries and `out` up to date with `messages`; returns the history's
    /// length in `out` (anything after it is a stale next-turn suffix, removed here).
    fn update(&mut self, messages: &[Message]) -> Result<usize, RenderError> {
        let options = options_for(messages);
        let mut keep = messages
            .iter()
            .zip(&self.entries)
            .take_while(|(m, e)| **m == e.message)
            .count();
        if options != self.options {
            // Only system content reads the options.
            if let Some(first) = self.entries[..keep]
                .iter()
                .position(|e| has_system_content(&e.message))
            {
                keep = first;
            }
            self.options = options;
        }
        self.entries.truncate(keep);
        self.reused = keep;

        let vocab = self.renderer.vocab();
        for (index, message) in messages.iter().enumerate().skip(keep) {
            let mut tokens = Vec::new();
            let rendered = message_into(
                index,
                message,
                options,
                &mut TokenSink {
                    vocab,
                    out: &mut tokens,
                },
            );
            self.entries.push(Entry {
                message: message.clone(),
                tokens: rendered.map(|()| tokens),
            });
        }

        let bound = analysis_drop_bound(messages, &self.renderer.config());
        // With the same drop bound, the kept prefix of `out` is still right.
        let from = if self.assembled_with == Some(bound) {
            keep.min(self.ends.len())
        } else {
            0
        };
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        self.out.truncate(start);
        self.ends.truncate(from);
        for (index, entry) in self.entries.iter().enumerate().skip(from) {
            if !is_dropped(index, &entry.message, bound) {
                match &entry.tokens {
                    Ok(tokens) => self.out.extend_from_slice(tokens),
                    Err(err) => {
                        self.assembled_with = None;
                        return Err(err.clone());
                    }
                }
            }
            self.ends.push(self.out.len());
        }
        self.assembled_with = Some(bound);
        Ok(self.out.len())
    }
}

fn has_system_content(m: &Message) -> bool {
    m.content
        .iter()
        .any(|c| matches!(c, Content::SystemContent(_)))
}
