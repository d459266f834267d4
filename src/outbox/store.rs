//! The SQLite store behind the outbox.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The schema this code reads and writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE packets (
    id              TEXT PRIMARY KEY NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'uploading', 'acknowledged', 'purged')),
    size            INTEGER NOT NULL CHECK (size >= 0),
    sha256          BLOB NOT NULL CHECK (length(sha256) = 32),
    bytes           BLOB,
    upload_url      TEXT,
    upload_offset   INTEGER NOT NULL DEFAULT 0,
    receipt         BLOB,
    enqueued_at     INTEGER NOT NULL,
    acknowledged_at INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    CHECK ((state = 'purged') = (bytes IS NULL)),
    CHECK ((state IN ('acknowledged', 'purged')) = (receipt IS NOT NULL))
);
CREATE INDEX packets_due ON packets (state, next_attempt_at, enqueued_at);
";

/// Where a packet is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PacketState {
    /// Sealed and stored; no upload started yet.
    Queued,
    /// An upload was started; the backend has acknowledged `offset` bytes so far.
    Uploading,
    /// The backend's signed receipt was verified; the bytes can go.
    Acknowledged,
    /// The bytes are gone; the row remains as a record of delivery.
    Purged,
}

impl PacketState {
    const ALL: [PacketState; 4] =
        [PacketState::Queued, PacketState::Uploading, PacketState::Acknowledged, PacketState::Purged];

    fn as_str(self) -> &'static str {
        match self {
            PacketState::Queued => "queued",
            PacketState::Uploading => "uploading",
            PacketState::Acknowledged => "acknowledged",
            PacketState::Purged => "purged",
        }
    }

    fn parse(text: &str) -> Option<PacketState> {
        PacketState::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

impl fmt::Display for PacketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong with the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The packet does not fit in the configured quota; nothing was stored.
    #[error(
        "the outbox is full: {needed} more bytes would exceed the quota of {quota} bytes ({used} in use); \
         connect the kiosk to the network so packets can be delivered"
    )]
    Full {
        /// Bytes the new packet needs.
        needed: u64,
        /// Bytes held now.
        used: u64,
        /// The configured quota.
        quota: u64,
    },
    /// A packet with this id is already stored with different content.
    #[error("a different packet with id {0} is already in the outbox")]
    Conflict(String),
    /// No packet with this id.
    #[error("no packet {0} in the outbox")]
    NotFound(String),
    /// The packet is not in a state that allows the operation.
    #[error("packet {id} is {state}, cannot {operation}")]
    WrongState {
        /// Packet id.
        id: String,
        /// Its state.
        state: PacketState,
        /// What was attempted.
        operation: &'static str,
    },
    /// The stored bytes no longer match their SHA-256 (disk corruption).
    #[error("packet {0} is damaged on disk (its SHA-256 no longer matches); it stays queued for inspection")]
    Damaged(String),
    /// A packet id is not 1 to 64 letters, digits, `-` or `_`.
    #[error("`{0}` is not a packet id")]
    BadId(String),
    /// The database was written by a newer kiosk version.
    #[error("{path} has schema version {found}, this kiosk understands {SCHEMA_VERSION}; update the kiosk software")]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
    /// The data directory or database file cannot be created or opened.
    #[error("cannot open the outbox at {path}: {source}; check that the data directory exists and is writable")]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed (disk full, I/O error, corrupt file).
    #[error("outbox database error: {0}; check free disk space and the data partition")]
    Database(#[from] rusqlite::Error),
}

/// A packet due for upload, without its bytes (see [`Outbox::packet_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedPacket {
    /// Packet id (from the sealed packet's header).
    pub id: String,
    /// Queued or uploading.
    pub state: PacketState,
    /// Size of the sealed packet.
    pub size: u64,
    /// Its SHA-256.
    #[serde(with = "hex_bytes")]
    pub sha256: [u8; 32],
    /// Where the upload was created at the backend, once it was.
    pub upload_url: Option<String>,
    /// Bytes the backend has acknowledged.
    pub upload_offset: u64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When it was enqueued (seconds since the Unix epoch).
    pub enqueued_at: u64,
    /// Class of the last failure (`connect`, `tls_pin_mismatch`, …), if any.
    pub last_error: Option<String>,
}

/// Packets in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateCount {
    /// How many.
    pub count: u64,
    /// Their bytes (zero for purged packets, whose bytes are gone).
    pub bytes: u64,
}

/// What `kiosk outbox status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxStatus {
    /// Queued packets.
    pub queued: StateCount,
    /// Packets being uploaded.
    pub uploading: StateCount,
    /// Acknowledged packets whose bytes are not purged yet.
    pub acknowledged: StateCount,
    /// Delivered packets kept as records.
    pub purged: StateCount,
    /// Packets the backend has not acknowledged (queued + uploading): an update must wait for 0.
    pub unacknowledged: u64,
    /// Bytes counted against the quota.
    pub used_bytes: u64,
    /// The quota.
    pub quota_bytes: u64,
    /// Age in seconds of the oldest unacknowledged packet.
    pub oldest_unacknowledged_age_s: Option<u64>,
    /// The most recent failure class of any unacknowledged packet.
    pub last_error: Option<String>,
    /// Whether a new session may start (room for the session reserve).
    pub accepting_sessions: bool,
}

/// The outbox: one SQLite database in the kiosk's data directory.
pub struct Outbox {
    connection: Connection,
    path: PathBuf,
    quota_bytes: u64,
    session_reserve_bytes: u64,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox").field("path", &self.path).field("quota_bytes", &self.quota_bytes).finish()
    }
}

impl Outbox {
    /// Opens (creating if needed) the outbox database in `data_dir`.
    pub fn open(data_dir: &Path, config: &super::OutboxConfig) -> Result<Outbox, OutboxError> {
        let path = data_dir.join(super::FILE_NAME);
        create_private_dir(data_dir).map_err(|source| OutboxError::Open { path: path.clone(), source })?;
        let connection = Connection::open(&path)?;
        restrict_to_owner(&path).map_err(|source| OutboxError::Open { path: path.clone(), source })?;
        connection.busy_timeout(Duration::from_secs(5))?;
        // WAL: readers (status) never block the uploader; FULL: a commit is on disk when it returns,
        // which is what "submitted" promises the citizen.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        let mut outbox = Outbox {
            connection,
            path,
            quota_bytes: config.quota_bytes(),
            session_reserve_bytes: config.session_reserve_bytes(),
        };
        outbox.migrate()?;
        Ok(outbox)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), OutboxError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        match version {
            0 => {
                transaction.execute_batch(SCHEMA)?;
                transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            found => return Err(OutboxError::NewerSchema { path: self.path.clone(), found }),
        }
        transaction.commit()?;
        Ok(())
    }

    /// Stores a sealed packet durably. When this returns `Ok`, the packet survives a power cut and
    /// the citizen may be told the dossier is submitted.
    ///
    /// Enqueueing the same packet again is harmless (`Ok`); another packet under the same id is a
    /// [`OutboxError::Conflict`]; a packet that does not fit the quota is refused with
    /// [`OutboxError::Full`] and nothing already queued is touched.
    pub fn enqueue(&mut self, id: &str, sealed: &[u8], now: SystemTime) -> Result<(), OutboxError> {
        check_id(id)?;
        let digest: [u8; 32] = Sha256::digest(sealed).into();
        let size = sealed.len() as u64;
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<Vec<u8>> =
            transaction.query_row("SELECT sha256 FROM packets WHERE id = ?1", [id], |row| row.get(0)).optional()?;
        if let Some(existing) = existing {
            return if existing == digest { Ok(()) } else { Err(OutboxError::Conflict(id.to_owned())) };
        }
        let used = used_bytes(&transaction)?;
        if used.saturating_add(size) > self.quota_bytes {
            return Err(OutboxError::Full { needed: size, used, quota: self.quota_bytes });
        }
        let at = unix_seconds(now);
        transaction.execute(
            "INSERT INTO packets (id, state, size, sha256, bytes, enqueued_at, next_attempt_at)
             VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?5)",
            params![id, size as i64, &digest[..], sealed, at as i64],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Whether a new session may start: the quota has room for the session reserve. The kiosk
    /// refuses new sessions (with a clear message) rather than take a dossier it could not keep.
    pub fn accepting_sessions(&self) -> Result<bool, OutboxError> {
        let used = used_bytes(&self.connection)?;
        Ok(used.saturating_add(self.session_reserve_bytes) <= self.quota_bytes)
    }

    /// The next packet to upload: the oldest queued or uploading packet whose retry time has come.
    pub fn next_due(&self, now: SystemTime) -> Result<Option<QueuedPacket>, OutboxError> {
        let mut statement = self.connection.prepare(
            "SELECT id, state, size, sha256, upload_url, upload_offset, attempts, enqueued_at, last_error
             FROM packets WHERE state IN ('queued', 'uploading') AND next_attempt_at <= ?1
             ORDER BY enqueued_at, id LIMIT 1",
        )?;
        Ok(statement.query_row([unix_seconds(now) as i64], queued_packet).optional()?)
    }

    /// Every unacknowledged packet, oldest first (for the service menu).
    pub fn pending(&self) -> Result<Vec<QueuedPacket>, OutboxError> {
        let mut statement = self.connection.prepare(
            "SELECT id, state, size, sha256, upload_url, upload_offset, attempts, enqueued_at, last_error
             FROM packets WHERE state IN ('queued', 'uploading') ORDER BY enqueued_at, id",
        )?;
        let rows = statement.query_map([], queued_packet)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The sealed bytes of a packet that is not yet purged, checked against their SHA-256.
    pub fn packet_bytes(&self, id: &str) -> Result<Vec<u8>, OutboxError> {
        let (state, digest, bytes): (String, Vec<u8>, Option<Vec<u8>>) = self
            .connection
            .query_row("SELECT state, sha256, bytes FROM packets WHERE id = ?1", [id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?
            .ok_or_else(|| OutboxError::NotFound(id.to_owned()))?;
        let Some(bytes) = bytes else {
            let state = PacketState::parse(&state).unwrap_or(PacketState::Purged);
            return Err(OutboxError::WrongState { id: id.to_owned(), state, operation: "read its bytes" });
        };
        if Sha256::digest(&bytes).as_slice() != digest.as_slice() {
            return Err(OutboxError::Damaged(id.to_owned()));
        }
        Ok(bytes)
    }

    /// Records upload progress: the backend's upload URL and the offset it acknowledged.
    pub fn record_progress(&mut self, id: &str, upload_url: &str, offset: u64) -> Result<(), OutboxError> {
        let changed = self.connection.execute(
            "UPDATE packets SET state = 'uploading', upload_url = ?2, upload_offset = ?3
             WHERE id = ?1 AND state IN ('queued', 'uploading') AND ?3 <= size",
            params![id, upload_url, offset as i64],
        )?;
        self.expect_changed(changed, id, "record upload progress")
    }

    /// Forgets the upload URL and offset (the backend lost or expired the upload): start over.
    pub fn restart_upload(&mut self, id: &str) -> Result<(), OutboxError> {
        let changed = self.connection.execute(
            "UPDATE packets SET state = 'queued', upload_url = NULL, upload_offset = 0
             WHERE id = ?1 AND state IN ('queued', 'uploading')",
            [id],
        )?;
        self.expect_changed(changed, id, "restart its upload")
    }

    /// Records a failed attempt: its class (for the service menu and logs) and when to try again.
    pub fn record_failure(&mut self, id: &str, error_class: &str, retry_at: SystemTime) -> Result<(), OutboxError> {
        let changed = self.connection.execute(
            "UPDATE packets SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
             WHERE id = ?1 AND state IN ('queued', 'uploading')",
            params![id, error_class, unix_seconds(retry_at) as i64],
        )?;
        self.expect_changed(changed, id, "record a failure")
    }

    /// Marks a packet delivered. The caller must have verified the backend's signed receipt for
    /// exactly this packet (id and SHA-256) before calling; the receipt is kept as proof.
    pub fn acknowledge(&mut self, id: &str, receipt: &[u8], now: SystemTime) -> Result<(), OutboxError> {
        let changed = self.connection.execute(
            "UPDATE packets SET state = 'acknowledged', receipt = ?2, acknowledged_at = ?3, last_error = NULL
             WHERE id = ?1 AND state IN ('queued', 'uploading')",
            params![id, receipt, unix_seconds(now) as i64],
        )?;
        self.expect_changed(changed, id, "acknowledge it")
    }

    /// Deletes the bytes of every acknowledged packet, keeping its row and receipt. Returns how
    /// many packets were purged.
    pub fn purge_acknowledged(&mut self) -> Result<usize, OutboxError> {
        let purged = self
            .connection
            .execute("UPDATE packets SET state = 'purged', bytes = NULL WHERE state = 'acknowledged'", [])?;
        if purged > 0 {
            // Give the freed pages back and keep the WAL from holding old packet bytes.
            self.connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        Ok(purged)
    }

    /// The receipt kept for a delivered packet.
    pub fn receipt(&self, id: &str) -> Result<Option<Vec<u8>>, OutboxError> {
        Ok(self
            .connection
            .query_row("SELECT receipt FROM packets WHERE id = ?1", [id], |row| row.get(0))
            .optional()?
            .flatten())
    }

    /// Counts, bytes, oldest age and last error, for `kiosk outbox status` and the heartbeat.
    pub fn status(&self, now: SystemTime) -> Result<OutboxStatus, OutboxError> {
        let mut counts = [StateCount { count: 0, bytes: 0 }; 4];
        let mut statement = self.connection.prepare(
            "SELECT state, count(*), coalesce(sum(CASE WHEN bytes IS NULL THEN 0 ELSE size END), 0)
             FROM packets GROUP BY state",
        )?;
        let rows = statement.query_map([], |row| {
            let state: String = row.get(0)?;
            let count: i64 = row.get(1)?;
            let bytes: i64 = row.get(2)?;
            Ok((state, count, bytes))
        })?;
        for row in rows {
            let (state, count, bytes) = row?;
            if let Some(index) = PacketState::parse(&state).and_then(|s| PacketState::ALL.iter().position(|a| *a == s))
            {
                counts[index] = StateCount { count: count as u64, bytes: bytes as u64 };
            }
        }
        let oldest: Option<i64> = self.connection.query_row(
            "SELECT min(enqueued_at) FROM packets WHERE state IN ('queued', 'uploading')",
            [],
            |row| row.get(0),
        )?;
        let last_error: Option<String> = self
            .connection
            .query_row(
                "SELECT last_error FROM packets WHERE state IN ('queued', 'uploading') AND last_error IS NOT NULL
                 ORDER BY next_attempt_at DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        let used_bytes = counts[0].bytes + counts[1].bytes + counts[2].bytes;
        let now = unix_seconds(now);
        Ok(OutboxStatus {
            queued: counts[0],
            uploading: counts[1],
            acknowledged: counts[2],
            purged: counts[3],
            unacknowledged: counts[0].count + counts[1].count,
            used_bytes,
            quota_bytes: self.quota_bytes,
            oldest_unacknowledged_age_s: oldest.map(|at| now.saturating_sub(at.max(0) as u64)),
            last_error,
            accepting_sessions: used_bytes.saturating_add(self.session_reserve_bytes) <= self.quota_bytes,
        })
    }

    /// SQLite's own consistency check of the database file: `"ok"` or the problems it found (for
    /// the service menu, and after an unclean shutdown).
    pub fn integrity_check(&self) -> Result<String, OutboxError> {
        let mut statement = self.connection.prepare("PRAGMA integrity_check")?;
        let lines = statement.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(lines.join("; "))
    }

    fn expect_changed(&self, changed: usize, id: &str, operation: &'static str) -> Result<(), OutboxError> {
        if changed == 1 {
            return Ok(());
        }
        let state: Option<String> =
            self.connection.query_row("SELECT state FROM packets WHERE id = ?1", [id], |row| row.get(0)).optional()?;
        match state.as_deref().and_then(PacketState::parse) {
            None => Err(OutboxError::NotFound(id.to_owned())),
            Some(state) => Err(OutboxError::WrongState { id: id.to_owned(), state, operation }),
        }
    }
}

fn queued_packet(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedPacket> {
    let state: String = row.get(1)?;
    let digest: Vec<u8> = row.get(3)?;
    let mut sha256 = [0u8; 32];
    if digest.len() == 32 {
        sha256.copy_from_slice(&digest);
    }
    Ok(QueuedPacket {
        id: row.get(0)?,
        state: PacketState::parse(&state).unwrap_or(PacketState::Queued),
        size: get_i64(row, 2)?.max(0) as u64,
        sha256,
        upload_url: row.get(4)?,
        upload_offset: get_i64(row, 5)?.max(0) as u64,
        attempts: get_i64(row, 6)?.clamp(0, i64::from(u32::MAX)) as u32,
        enqueued_at: get_i64(row, 7)?.max(0) as u64,
        last_error: row.get(8)?,
    })
}

fn get_i64(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<i64> {
    row.get(index)
}

fn used_bytes(connection: &Connection) -> Result<u64, OutboxError> {
    let used: i64 = connection.query_row(
        "SELECT coalesce(sum(size), 0) FROM packets WHERE state IN ('queued', 'uploading', 'acknowledged')",
        [],
        |row| row.get(0),
    )?;
    Ok(used.max(0) as u64)
}

fn check_id(id: &str) -> Result<(), OutboxError> {
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(OutboxError::BadId(id.chars().take(80).collect())) }
}

fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The outbox holds only sealed packets, but their metadata (sizes, times) is still nobody else's
/// business.
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        serializer.serialize_str(&text)
    }
}

#[cfg(test)]
mod tests;
