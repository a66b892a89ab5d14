//! The formatting tokens that frame harmony messages.

use crate::vocab::ids;

/// A harmony formatting token, whether it arrived as a token id or as literal text.
///
/// Other special tokens (`<|endoftext|>`, `<|reserved_…|>`) are not markers: the parsers
/// treat them as the text they decode to, as the reference does.
///
/// ```
/// use harmony_stream::Marker;
/// assert_eq!(Marker::Channel.as_str(), "<|channel|>");
/// assert_eq!(Marker::from_token(200012), Some(Marker::Call));
/// assert_eq!(Marker::from_token(42), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Marker {
    /// `<|start|>`: opens a message header.
    Start,
    /// `<|channel|>`: the channel name follows, inside a header.
    Channel,
    /// `<|constrain|>`: the content type follows, inside a header.
    Constrain,
    /// `<|message|>`: ends the header; content follows.
    Message,
    /// `<|end|>`: ends a message.
    End,
    /// `<|call|>`: ends a tool call; the model stops sampling.
    Call,
    /// `<|return|>`: ends the final answer; the model stops sampling.
    Return,
}

impl Marker {
    /// Every marker, longest text first.
    pub const ALL: [Marker; 7] = [
        Marker::Constrain,
        Marker::Message,
        Marker::Channel,
        Marker::Return,
        Marker::Start,
        Marker::Call,
        Marker::End,
    ];

    /// Length in bytes of the longest marker text (`<|constrain|>`).
    pub const MAX_LEN: usize = 13;

    /// The marker's literal text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Marker::Start => "<|start|>",
            Marker::Channel => "<|channel|>",
            Marker::Constrain => "<|constrain|>",
            Marker::Message => "<|message|>",
            Marker::End => "<|end|>",
            Marker::Call => "<|call|>",
            Marker::Return => "<|return|>",
        }
    }

    /// The marker's token id in o200k_harmony.
    pub const fn token(self) -> u32 {
        match self {
            Marker::Start => ids::START,
            Marker::Channel => ids::CHANNEL,
            Marker::Constrain => ids::CONSTRAIN,
            Marker::Message => ids::MESSAGE,
            Marker::End => ids::END,
            Marker::Call => ids::CALL,
            Marker::Return => ids::RETURN,
        }
    }

    /// The marker a token id stands for, if any.
    #[inline]
    pub const fn from_token(id: u32) -> Option<Marker> {
        match id {
            ids::START => Some(Marker::Start),
            ids::CHANNEL => Some(Marker::Channel),
            ids::CONSTRAIN => Some(Marker::Constrain),
            ids::MESSAGE => Some(Marker::Message),
            ids::END => Some(Marker::End),
            ids::CALL => Some(Marker::Call),
            ids::RETURN => Some(Marker::Return),
            _ => None,
        }
    }

    /// The [`Stop`](crate::Stop) this marker means, if it ends a message.
    pub const fn stop(self) -> Option<crate::Stop> {
        match self {
            Marker::End => Some(crate::Stop::End),
            Marker::Call => Some(crate::Stop::Call),
            Marker::Return => Some(crate::Stop::Return),
            _ => None,
        }
    }
}

impl std::fmt::Display for Marker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_texts_agree_with_the_vocabulary() {
        for m in Marker::ALL {
            assert_eq!(
                crate::vocab::token_bytes(m.token()),
                Some(m.as_str().as_bytes())
            );
            assert_eq!(Marker::from_token(m.token()), Some(m));
            assert!(m.as_str().len() <= Marker::MAX_LEN);
        }
    }
}
