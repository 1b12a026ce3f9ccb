//! Refusals: every "no" the server says, with a stable code for programs and a plain-language
//! message for people.
//!
//! The same [`Refusal`] answers a WebSocket request (as an `error` frame) and an HTTP request
//! (as `{"error", "message"}` with a status derived from the code), so a client handles one
//! list of codes everywhere. Codes are part of the contract: add new ones, never rename.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::protocol::HttpError;

/// Stable, machine-readable reason for a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message is not valid JSON or does not have the fields its type needs.
    InvalidMessage,
    /// The message's `type` is not one the server knows.
    UnknownType,
    /// The first message must be `join`, `host` or `present`.
    NotJoined,
    /// A connection said `join`, `host` or `present` twice.
    AlreadyJoined,
    /// No session, route or item by that name.
    NotFound,
    /// A key is missing or wrong.
    Unauthorized,
    /// This role may not do that (a participant sending a facilitator message).
    Forbidden,
    UnknownActivity,
    UnknownStatement,
    UnknownRound,
    /// A value outside the scale.
    OutOfRange,
    /// Answers are not being accepted for that activity or round right now.
    NotOpen,
    SessionClosed,
    RateLimited,
    InvalidAgenda,
    /// The change would throw away answers already given.
    ActivityHasAnswers,
    /// The server could not write the change to disk; it was not kept.
    NotSaved,
    /// The request or its body is too large.
    TooLarge,
    /// A server-wide limit (sessions, participants) is reached.
    LimitReached,
    /// The server is starting or stopping.
    Unavailable,
    Internal,
    /// A word or note that cannot be shown: empty, too long, too many words.
    InvalidText,
    /// A one-word entry that is too common to count ("the").
    StopWord,
    /// Text the profanity filter does not allow.
    Inappropriate,
    /// The participant has sent as many entries or notes as the activity allows.
    TooManyEntries,
    /// An answer whose parts do not fit together: no choice, an option chosen twice, more
    /// choices than allowed.
    InvalidAnswer,
    /// An "About you" question that cannot be asked: too few or too many groups, an empty,
    /// overlong or repeated label, a bad prompt.
    InvalidAboutYou,
    /// The smallest group size shown (K) is below 3 or above 50.
    InvalidGroupSize,
    /// The "About you" question cannot change: people have answered it.
    AboutYouInUse,
    /// A `group` message for a session that asks no "About you" question.
    NoAboutYou,
    /// A group number that is not one of the question's.
    InvalidGroup,
    /// Booked numbers that are not whole numbers from 0 to 100,000, do not match the groups,
    /// or add up to more than the total.
    InvalidBooked,
    /// A report's content that does not fit its shape: a bad id, a generated section
    /// written over, a quote filed under a theme the report does not have.
    InvalidReport,
    /// A report's title or text over its limit.
    TooLong,
    /// More than 50 quotes in a report.
    TooManyQuotes,
    /// More than 20 themes in a report.
    TooManyThemes,
    /// A quote that points at no word or note of the report (or a hidden one).
    UnknownQuote,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidMessage
            | Self::UnknownType
            | Self::UnknownActivity
            | Self::UnknownStatement
            | Self::UnknownRound
            | Self::OutOfRange
            | Self::InvalidAgenda
            | Self::InvalidText
            | Self::StopWord
            | Self::Inappropriate
            | Self::InvalidAnswer
            | Self::InvalidAboutYou
            | Self::InvalidGroupSize
            | Self::NoAboutYou
            | Self::InvalidGroup
            | Self::InvalidBooked
            | Self::InvalidReport
            | Self::TooLong
            | Self::TooManyQuotes
            | Self::TooManyThemes
            | Self::UnknownQuote => StatusCode::BAD_REQUEST,
            Self::AboutYouInUse => StatusCode::CONFLICT,
            Self::NotJoined | Self::AlreadyJoined | Self::NotOpen | Self::ActivityHasAnswers | Self::TooManyEntries => {
                StatusCode::CONFLICT
            }
            Self::SessionClosed => StatusCode::GONE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::LimitReached | Self::NotSaved | Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A refusal: the code, and a message a participant or facilitator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// Says which activity of an agenda the refusal is about.
    pub fn in_activity(self, index: usize) -> Self {
        Self { message: format!("Activity {}: {}", index + 1, self.message), ..self }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "There is no session with that code. Check the code and try again.")
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "That key is not right for this session. Use the link you were given when the session was created.",
        )
    }

    pub fn session_closed() -> Self {
        Self::new(ErrorCode::SessionClosed, "This session has ended and no longer takes answers.")
    }

    pub fn not_saved() -> Self {
        Self::new(ErrorCode::NotSaved, "Your answer could not be saved. Please try again in a moment.")
    }

    pub fn unavailable() -> Self {
        Self::new(ErrorCode::Unavailable, "The server is restarting. Please try again in a moment.")
    }

    pub fn rate_limited() -> Self {
        Self::new(
            ErrorCode::RateLimited,
            "That was too many tries in a short time. Please wait a little and try again.",
        )
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(HttpError { error: self.code, message: self.message.clone() })
    }
}
