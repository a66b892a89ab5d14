//! Layer 2, the modes: sans-IO, from the transport's events to [`StreamEvent`]s and a
//! [`HarmonyResponse`], the same in both modes. The only layer that needs
//! `harmony-chat` (prompts) and `harmony-tools` (tool calls). Imports the transport,
//! never the client; its modules form a DAG: `events` <- `translate` <- `salvage` <-
//! `engine`, `events` <- `response`, and `settings` <- `prompt`.
//!
//! [`StreamEvent`]: crate::StreamEvent
//! [`HarmonyResponse`]: crate::HarmonyResponse

pub(crate) mod engine;
pub(crate) mod events;
pub(crate) mod prompt;
pub(crate) mod response;
pub(crate) mod salvage;
pub(crate) mod settings;
pub(crate) mod translate;
