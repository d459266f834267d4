//! The outbox: sealed packets waiting for the backend, kept durably in SQLite.
//!
//! A dossier is sealed (encrypted and signed) before it reaches the outbox, so the outbox holds no
//! plaintext personal data. Its one promise: a packet the citizen was told is "submitted" is never
//! lost — not on a power cut, not while the backend is down for days — and is deleted only after
//! the backend's signed receipt was verified.
//!
//! A packet moves through the states
//!
//! ```text
//! queued ──upload starts──▶ uploading(offset) ──receipt verified──▶ acknowledged ──purge──▶ purged
//!    ▲                         │
//!    └──── upload failed ──────┘ (keeps the offset so the next attempt resumes)
//! ```
//!
//! Durability: the database runs in WAL mode with `synchronous=FULL`, and [`Outbox::enqueue`]
//! returns only after its transaction is on disk, so after `kill -9` or a power cut every packet is
//! either fully there or was never reported as queued. A purged packet keeps its row (id, sizes,
//! receipt) without its bytes, so a late duplicate receipt or a technician can still see what was
//! delivered.

mod store;

pub use store::{Outbox, OutboxError, OutboxStatus, PacketState, QueuedPacket, StateCount};

use serde::Deserialize;

/// `[outbox]`: how much disk the outbox may use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// Most bytes of sealed packets kept at once (queued, uploading and acknowledged but not yet
    /// purged). A new packet that does not fit is refused, never dropped.
    #[serde(default = "default_quota_mib")]
    pub quota_mib: u64,
    /// Room a new session needs: below it the kiosk refuses new sessions with a clear message
    /// instead of taking a dossier it could not keep (a certified-copy dossier is ~2 MB, an e-ID
    /// dossier with fingerprints ~5 MB).
    #[serde(default = "default_session_reserve_mib")]
    pub session_reserve_mib: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig { quota_mib: default_quota_mib(), session_reserve_mib: default_session_reserve_mib() }
    }
}

fn default_quota_mib() -> u64 {
    2048
}

fn default_session_reserve_mib() -> u64 {
    20
}

impl OutboxConfig {
    /// The quota in bytes.
    pub fn quota_bytes(&self) -> u64 {
        self.quota_mib.saturating_mul(1024 * 1024)
    }

    /// The session reserve in bytes.
    pub fn session_reserve_bytes(&self) -> u64 {
        self.session_reserve_mib.saturating_mul(1024 * 1024)
    }

    /// Checks the ranges; returns the offending field and why.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.quota_mib == 0 {
            return Err(("quota_mib".into(), "must be at least 1".into()));
        }
        if self.quota_mib > 1024 * 1024 {
            return Err(("quota_mib".into(), "must be at most 1048576 (1 TiB)".into()));
        }
        if self.session_reserve_mib == 0 || self.session_reserve_mib > self.quota_mib {
            let reason = format!("must be between 1 and quota_mib ({})", self.quota_mib);
            return Err(("session_reserve_mib".into(), reason));
        }
        Ok(())
    }
}

/// The outbox database file inside the kiosk's data directory.
pub const FILE_NAME: &str = "outbox.sqlite";

/// The status as a technician reads it in a terminal or on the service menu.
pub fn status_text(status: &OutboxStatus) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    let rows = [
        ("queued", status.queued),
        ("uploading", status.uploading),
        ("acknowledged", status.acknowledged),
        ("delivered", status.purged),
    ];
    for (name, count) in rows {
        let _ = writeln!(text, "{name:<13} {:>6} packets  {:>10}", count.count, mebibytes(count.bytes));
    }
    let sessions = if status.accepting_sessions { "accepted" } else { "REFUSED (outbox full)" };
    let _ = writeln!(
        text,
        "quota         {} of {} used; new sessions {sessions}",
        mebibytes(status.used_bytes),
        mebibytes(status.quota_bytes)
    );
    if let Some(age) = status.oldest_unacknowledged_age_s {
        let _ = writeln!(text, "oldest        waiting {}", duration(age));
    }
    if let Some(error) = &status.last_error {
        let _ = writeln!(text, "last error    {error}");
    }
    text
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

fn duration(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        3600..86_400 => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{} d {} h", seconds / 86_400, seconds % 86_400 / 3600),
    }
}
