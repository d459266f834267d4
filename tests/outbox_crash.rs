//! `kill -9` of a process in the middle of enqueueing never loses a packet it reported as queued
//! and never leaves a partial one.
//!
//! The test binary runs itself as the child (`enqueue_until_killed`, ignored in normal runs), which
//! enqueues packets in a loop and prints `queued <id>` after each `enqueue` returns — the moment the
//! kiosk would tell the citizen "submitted". The parent kills it at varying instants, then reopens
//! the outbox and checks every packet.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use kiosk::outbox::{Outbox, OutboxConfig};

const CHILD_DIR: &str = "KIOSK_TEST_OUTBOX_DIR";
const CHILD_START: &str = "KIOSK_TEST_OUTBOX_START";
const CYCLES: u64 = 50;

fn config() -> OutboxConfig {
    OutboxConfig { quota_mib: 512, session_reserve_mib: 1 }
}

/// Packet `n`: its length and content follow from `n`, so the parent can recompute it.
fn packet(n: u64) -> Vec<u8> {
    let len = 1 + (n.wrapping_mul(7919) % 150_000) as usize;
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
#[ignore = "run by packets_survive_kill_9_at_any_instant as its child process"]
fn enqueue_until_killed() {
    let dir = std::env::var(CHILD_DIR).expect("started by the crash test");
    let start: u64 = std::env::var(CHILD_START).expect("start number").parse().expect("a number");
    let mut outbox = Outbox::open(Path::new(&dir), &config()).expect("outbox opens");
    for n in start.. {
        let id = format!("p{n}");
        outbox.enqueue(&id, &packet(n), SystemTime::now()).expect("enqueue");
        println!("queued {id}");
    }
}

#[test]
fn packets_survive_kill_9_at_any_instant() {
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let mut reported: Vec<u64> = Vec::new();
    let mut next = 0u64;
    for cycle in 0..CYCLES {
        let mut child = Command::new(&me)
            .args(["enqueue_until_killed", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_START, next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("queued p").and_then(|n| n.parse::<u64>().ok()) {
                    let _ = lines_tx.send(n);
                }
            }
        });
        // Wait for the first packet so the kill lands inside the enqueue loop, then a varying
        // further delay (0–24 ms) so kills hit every phase of a transaction.
        let first = lines_rx.recv_timeout(Duration::from_secs(30)).expect("the child enqueues");
        std::thread::sleep(Duration::from_micros((cycle * 7_919) % 25_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        reported.push(first);
        reported.extend(lines_rx.try_iter());

        let outbox = Outbox::open(dir.path(), &config()).expect("the outbox reopens after kill -9");
        assert_eq!(outbox.integrity_check().unwrap(), "ok", "cycle {cycle}");
        let stored = outbox.pending().unwrap();
        for n in &reported {
            let id = format!("p{n}");
            let bytes = outbox.packet_bytes(&id).unwrap_or_else(|e| panic!("cycle {cycle}: reported {id} lost: {e}"));
            assert_eq!(bytes, packet(*n), "cycle {cycle}: {id} damaged");
        }
        // Anything stored but not reported (killed between commit and print) is whole too, and
        // nothing beyond the next number exists.
        for packet_row in &stored {
            let n: u64 = packet_row.id[1..].parse().unwrap();
            assert_eq!(outbox.packet_bytes(&packet_row.id).unwrap(), packet(n), "cycle {cycle}");
        }
        let highest = stored.iter().map(|p| p.id[1..].parse::<u64>().unwrap()).max().unwrap();
        assert_eq!(stored.len() as u64, highest + 1, "cycle {cycle}: no holes in the sequence");
        next = highest + 1;
    }
    assert!(reported.len() as u64 >= CYCLES, "every cycle reported at least one packet");
}
