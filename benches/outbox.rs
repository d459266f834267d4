//! Durable enqueue of a 3 MB sealed packet (WAL, `synchronous=FULL`): the wait between "Nộp hồ sơ"
//! and "submitted" that the outbox adds.

use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use kiosk::outbox::{Outbox, OutboxConfig};

fn enqueue_3mb(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = OutboxConfig { quota_mib: 1 << 20, session_reserve_mib: 1 };
    let mut outbox = Outbox::open(dir.path(), &config).expect("outbox");
    // Sealed packets are ciphertext: incompressible, like these bytes.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let packet: Vec<u8> = (0..3_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let mut n = 0u64;
    let mut group = c.benchmark_group("outbox");
    group.sample_size(20);
    group.bench_function("enqueue 3 MB durable", |b| {
        b.iter(|| {
            n += 1;
            outbox.enqueue(&format!("p{n}"), &packet, SystemTime::now()).expect("enqueue");
        })
    });
    group.finish();
}

criterion_group!(benches, enqueue_3mb);
criterion_main!(benches);
