//! Reading a worker's messages and marking them read. Every call is the signed-in user's own
//! inbox: the recipient is the user asking, never a parameter.

use chrono::{DateTime, Utc};
use cordon_domain::outbox::RecipientKind;
use cordon_store::{StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::words::{Tongue, text};
use crate::AppState;

/// The most messages one read returns.
pub const MAX_LIMIT: u32 = 500;

/// Why reading the inbox failed.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One message, in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// need_escalated, need_emergency.
    pub kind: String,
    pub text: String,
    /// The request it is about, when it is about one.
    pub need: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The inbox: the newest messages and how many are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxView {
    /// Unread, counted up to 100 (past it, "at least 100").
    pub unread: i64,
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// Every message up to this id is marked read (the newest one shown).
    pub up_to: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadView {
    /// How many were unread and are now read.
    pub marked: u64,
    /// Unread still, counted up to 100.
    pub unread: i64,
}

/// `user`'s newest `limit` messages, in `tongue`.
pub async fn inbox(
    state: &AppState,
    user: &User,
    limit: u32,
    tongue: Tongue,
) -> Result<InboxView, InboxError> {
    let rows =
        state.store.messages_to(RecipientKind::User, &user.username, limit.clamp(1, MAX_LIMIT)).await?;
    let messages = rows
        .into_iter()
        .filter_map(|m| {
            Some(MessageView {
                id: m.id,
                kind: m.kind.as_str().to_owned(),
                text: text(m.kind, &m.params, tongue)?,
                need: m.params.get("need").and_then(|n| n.as_i64()),
                created_at: m.created_at,
                read_at: m.read_at,
            })
        })
        .collect();
    Ok(InboxView { unread: state.store.unread_messages(&user.username).await?, messages })
}

/// Marks `user`'s messages up to `up_to` read.
pub async fn mark_read(
    state: &AppState,
    user: &User,
    req: ReadRequest,
    now: DateTime<Utc>,
) -> Result<ReadView, InboxError> {
    let marked = state.store.mark_messages_read(&user.username, req.up_to, now).await?;
    Ok(ReadView { marked, unread: state.store.unread_messages(&user.username).await? })
}
