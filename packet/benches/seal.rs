//! Sealing a 3 MB payload (about the standard certified-copy dossier with both card sides at
//! 600 dpi): HPKE key agreement and key schedule, AES-256-GCM over 3 MB, Ed25519 over 3 MB.
//! Run: `cargo bench -p kiosk-packet --bench seal` (one core: `taskset -c 0`).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kiosk_packet::{BackendPublicKey, DeviceSigner, SealParams, seal};

fn seal_3_mb(c: &mut Criterion) {
    let signer = DeviceSigner::from_seed(&[0x42; 32]);
    // Any 32 bytes other than a low-order point is a usable X25519 public key.
    let backend = BackendPublicKey::from_bytes([0x09; 32]);
    let payload: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let params = SealParams { packet_id: None, created_at: 1_796_000_000 };
    let mut group = c.benchmark_group("packet");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("seal_3_mb", |b| {
        b.iter(|| seal(&signer, &backend, &params, black_box(&payload)).expect("seals"));
    });
    group.finish();
}

criterion_group!(benches, seal_3_mb);
criterion_main!(benches);
