use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::outbox::OutboxConfig;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + seconds)
}

fn config(quota_mib: u64, reserve_mib: u64) -> OutboxConfig {
    OutboxConfig { quota_mib, session_reserve_mib: reserve_mib }
}

fn open(dir: &tempfile::TempDir) -> Outbox {
    Outbox::open(dir.path(), &config(4, 1)).expect("outbox opens")
}

fn packet(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn a_packet_goes_through_every_state_and_keeps_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = open(&dir);
    let bytes = packet(1, 1000);
    outbox.enqueue("p1", &bytes, at(0)).unwrap();

    let due = outbox.next_due(at(0)).unwrap().expect("due at once");
    assert_eq!((due.id.as_str(), due.state, due.size, due.upload_offset), ("p1", PacketState::Queued, 1000, 0));
    assert_eq!(outbox.packet_bytes("p1").unwrap(), bytes);

    outbox.record_progress("p1", "https://backend/files/abc", 400).unwrap();
    let due = outbox.next_due(at(1)).unwrap().unwrap();
    assert_eq!(due.state, PacketState::Uploading);
    assert_eq!(due.upload_offset, 400);
    assert_eq!(due.upload_url.as_deref(), Some("https://backend/files/abc"));

    outbox.acknowledge("p1", b"signed receipt", at(2)).unwrap();
    assert_eq!(outbox.next_due(at(3)).unwrap(), None, "an acknowledged packet is not uploaded again");
    let status = outbox.status(at(3)).unwrap();
    assert_eq!((status.acknowledged.count, status.acknowledged.bytes, status.unacknowledged), (1, 1000, 0));

    assert_eq!(outbox.purge_acknowledged().unwrap(), 1);
    let status = outbox.status(at(3)).unwrap();
    assert_eq!((status.purged.count, status.purged.bytes, status.used_bytes), (1, 0, 0));
    assert_eq!(outbox.receipt("p1").unwrap().as_deref(), Some(&b"signed receipt"[..]));
    assert!(matches!(outbox.packet_bytes("p1"), Err(OutboxError::WrongState { state: PacketState::Purged, .. })));
}

#[test]
fn enqueue_is_idempotent_and_refuses_a_different_packet_under_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = open(&dir);
    outbox.enqueue("p1", &packet(1, 10), at(0)).unwrap();
    outbox.enqueue("p1", &packet(1, 10), at(5)).unwrap();
    assert_eq!(outbox.status(at(5)).unwrap().queued.count, 1);
    assert!(matches!(outbox.enqueue("p1", &packet(2, 10), at(6)), Err(OutboxError::Conflict(_))));
    assert_eq!(outbox.packet_bytes("p1").unwrap(), packet(1, 10), "the first packet is untouched");
}

#[test]
fn a_full_outbox_refuses_new_packets_and_sessions_without_dropping_any() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path(), &config(1, 1)).unwrap();
    let mib = 1024 * 1024;
    assert!(outbox.accepting_sessions().unwrap());
    outbox.enqueue("a", &packet(1, mib / 2), at(0)).unwrap();
    assert!(!outbox.accepting_sessions().unwrap(), "less than the session reserve is left");
    let refused = outbox.enqueue("b", &packet(2, mib / 2 + 1), at(1));
    assert!(matches!(refused, Err(OutboxError::Full { needed, .. }) if needed == (mib / 2 + 1) as u64));
    assert!(refused.unwrap_err().to_string().contains("connect the kiosk to the network"));
    outbox.enqueue("c", &packet(3, mib / 2), at(2)).expect("exactly the quota fits");
    let status = outbox.status(at(2)).unwrap();
    assert_eq!((status.queued.count, status.used_bytes, status.accepting_sessions), (2, mib as u64, false));

    // Delivery frees the quota only once the bytes are purged... and acknowledged bytes still count.
    outbox.acknowledge("a", b"r", at(3)).unwrap();
    assert!(!outbox.accepting_sessions().unwrap());
    outbox.purge_acknowledged().unwrap();
    assert!(outbox.status(at(3)).unwrap().used_bytes == (mib / 2) as u64);
}

#[test]
fn failures_delay_the_next_attempt_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = open(&dir);
    outbox.enqueue("old", &packet(1, 10), at(0)).unwrap();
    outbox.enqueue("new", &packet(2, 10), at(10)).unwrap();
    outbox.record_failure("old", "tls_pin_mismatch", at(100)).unwrap();

    let due = outbox.next_due(at(20)).unwrap().unwrap();
    assert_eq!(due.id, "new", "the failed packet waits for its retry time");
    let due = outbox.next_due(at(100)).unwrap().unwrap();
    assert_eq!((due.id.as_str(), due.attempts), ("old", 1), "oldest first once due again");

    let status = outbox.status(at(50)).unwrap();
    assert_eq!(status.last_error.as_deref(), Some("tls_pin_mismatch"));
    assert_eq!(status.oldest_unacknowledged_age_s, Some(50));
    assert_eq!(status.unacknowledged, 2);
}

#[test]
fn restarting_an_upload_forgets_url_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = open(&dir);
    outbox.enqueue("p", &packet(1, 100), at(0)).unwrap();
    outbox.record_progress("p", "https://b/files/1", 60).unwrap();
    outbox.restart_upload("p").unwrap();
    let due = outbox.next_due(at(0)).unwrap().unwrap();
    assert_eq!((due.state, due.upload_url, due.upload_offset), (PacketState::Queued, None, 0));
}

#[test]
fn operations_in_the_wrong_state_or_on_unknown_packets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = open(&dir);
    assert!(matches!(outbox.acknowledge("nope", b"r", at(0)), Err(OutboxError::NotFound(_))));
    outbox.enqueue("p", &packet(1, 100), at(0)).unwrap();
    assert!(
        matches!(outbox.record_progress("p", "u", 101), Err(OutboxError::WrongState { .. })),
        "an offset past the end is refused"
    );
    outbox.acknowledge("p", b"r", at(1)).unwrap();
    assert!(matches!(
        outbox.record_progress("p", "u", 10),
        Err(OutboxError::WrongState { state: PacketState::Acknowledged, .. })
    ));
    assert!(matches!(outbox.acknowledge("p", b"r2", at(2)), Err(OutboxError::WrongState { .. })));
    assert_eq!(outbox.receipt("p").unwrap().as_deref(), Some(&b"r"[..]), "the first receipt stays");
}

#[test]
fn bad_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = open(&dir);
    for id in ["", "a b", "../x", &"x".repeat(65), "ø"] {
        assert!(matches!(outbox.enqueue(id, b"x", at(0)), Err(OutboxError::BadId(_))), "{id:?}");
    }
}

#[test]
fn packets_survive_reopening_and_damage_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut outbox = open(&dir);
        outbox.enqueue("p", &packet(7, 5000), at(0)).unwrap();
    }
    let outbox = open(&dir);
    assert_eq!(outbox.packet_bytes("p").unwrap(), packet(7, 5000));
    // Corrupt the stored bytes behind the outbox's back.
    outbox.connection.execute("UPDATE packets SET bytes = ?1 WHERE id = 'p'", [packet(8, 5000)]).unwrap();
    assert!(matches!(outbox.packet_bytes("p"), Err(OutboxError::Damaged(_))));
}

#[test]
fn the_database_is_private_and_in_wal_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let outbox = open(&dir);
    let mode = std::fs::metadata(outbox.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let journal: String = outbox.connection.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
    let synchronous: i64 = outbox.connection.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(synchronous, 2, "FULL");
}

#[test]
fn a_database_from_a_newer_kiosk_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    {
        let outbox = open(&dir);
        outbox.connection.pragma_update(None, "user_version", 99).unwrap();
    }
    let error = Outbox::open(dir.path(), &config(4, 1)).unwrap_err();
    assert!(matches!(error, OutboxError::NewerSchema { found: 99, .. }));
    assert!(error.to_string().contains("update the kiosk software"));
}

#[test]
fn config_ranges_are_checked() {
    assert!(OutboxConfig::default().validate().is_ok());
    assert_eq!(config(0, 1).validate().unwrap_err().0, "quota_mib");
    assert_eq!(config(10, 11).validate().unwrap_err().0, "session_reserve_mib");
    assert_eq!(config(10, 0).validate().unwrap_err().0, "session_reserve_mib");
}
