//! `kiosk outbox status` as the technician and the update hook read it.

mod common;

use std::time::SystemTime;

use common::{config_with, kiosk, stdout};
use kiosk::outbox::{Outbox, OutboxConfig};

#[test]
fn status_counts_queued_packets_and_reports_when_sessions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        config_with(dir.path(), "quota_mib = 2048\nsession_reserve_mib = 20", "quota_mib = 3\nsession_reserve_mib = 1");
    let empty = kiosk(&config, &["outbox", "status", "--json"]);
    assert!(empty.status.success(), "{}", String::from_utf8_lossy(&empty.stderr));
    let json: serde_json::Value = serde_json::from_slice(&empty.stdout).unwrap();
    assert_eq!((json["unacknowledged"].as_u64(), json["accepting_sessions"].as_bool()), (Some(0), Some(true)));

    let mut outbox =
        Outbox::open(&dir.path().join("var"), &OutboxConfig { quota_mib: 3, session_reserve_mib: 1 }).unwrap();
    outbox.enqueue("a", &vec![7u8; 2_500_000], SystemTime::now()).unwrap();
    outbox.record_failure("a", "connect", SystemTime::now()).unwrap();
    drop(outbox);

    let json: serde_json::Value =
        serde_json::from_slice(&kiosk(&config, &["outbox", "status", "--json"]).stdout).unwrap();
    assert_eq!(json["queued"]["count"], 1);
    assert_eq!(json["queued"]["bytes"], 2_500_000);
    assert_eq!(json["unacknowledged"], 1);
    assert_eq!(json["last_error"], "connect");
    // 2.5 MB used of 3 MiB leaves less than the 1 MiB session reserve: new sessions are refused.
    assert_eq!(json["accepting_sessions"], false);
    let text = stdout(&kiosk(&config, &["outbox", "status"]));
    assert!(text.contains("REFUSED (outbox full)"), "{text}");
    assert!(text.contains("last error    connect"), "{text}");
}

#[test]
fn a_session_reserve_larger_than_the_quota_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), "session_reserve_mib = 20", "session_reserve_mib = 5000");
    let output = kiosk(&config, &["outbox", "status"]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("outbox.session_reserve_mib") && error.contains("kiosk.toml"), "{error}");
}
