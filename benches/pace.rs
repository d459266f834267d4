//! PACE handshake and AES secure messaging costs (ICAO Doc 9303-11 §4.4, §9.8).
//!
//! `cargo bench --bench pace`. The handshake figure covers both sides (kiosk and simulated chip);
//! the kiosk's own share is about half of it (three of the six scalar multiplications).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kiosk::idcard::pace::{Pace, PacePassword};
use kiosk::idcard::pace_card::PaceChip;
use kiosk::idcard::pace_crypto::{AesStrength, Curve};
use kiosk::idcard::pace_info::PaceParams;
use kiosk::idcard::sm::{CardSecureChannel, SecureChannel};

const MRZ_INFORMATION: &str = "T22000129364081251010318";

fn seeded(seed: u64) -> impl FnMut(&mut [u8]) {
    let mut state = seed | 1;
    move |buffer: &mut [u8]| {
        for byte in buffer {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = (state >> 29) as u8;
        }
    }
}

/// One full handshake; returns both halves of the secure channel.
fn handshake(params: &PaceParams) -> (SecureChannel, CardSecureChannel) {
    let mut chip = PaceChip::new(PacePassword::mrz(MRZ_INFORMATION), params.clone(), seeded(1));
    let mut random = seeded(2);
    let state = Pace::start(PacePassword::mrz(MRZ_INFORMATION), params.clone());
    let response = chip.process(state.command());
    let state = state.on_response(&response).expect("set AT");
    let response = chip.process(&state.command());
    let state = state.on_response(&response, &mut random).expect("nonce");
    let response = chip.process(state.command());
    let state = state.on_response(&response, &mut random).expect("mapping");
    let response = chip.process(state.command());
    let state = state.on_response(&response).expect("key agreement");
    let response = chip.process(state.command());
    let terminal = state.on_response(&response).expect("tokens");
    (terminal, chip.established().expect("chip side established"))
}

fn pace_handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("pace_handshake");
    for (name, curve) in [("brainpoolP256r1_aes128", Curve::BrainpoolP256r1), ("nist_p256_aes128", Curve::NistP256)] {
        let params = PaceParams::ecdh_generic_mapping(AesStrength::Aes128, curve);
        group.bench_function(name, |b| b.iter(|| black_box(handshake(black_box(&params)))));
    }
    group.finish();
}

fn aes_secure_messaging(c: &mut Criterion) {
    let params = PaceParams::ecdh_generic_mapping(AesStrength::Aes128, Curve::BrainpoolP256r1);
    let (mut terminal, mut card) = handshake(&params);
    let data = vec![0x5A; 231];
    // A READ BINARY of 231 bytes (the usual chunk), both directions, both sides.
    c.bench_function("aes_sm_read_binary_231", |b| {
        b.iter(|| {
            let command = terminal.protect(black_box(&[0x00, 0xB0, 0x00, 0x00, 0xE7])).expect("protect");
            card.unprotect_command(&command).expect("card opens");
            let response = card.protect_response(&data, 0x9000).expect("card protects");
            black_box(terminal.unprotect(&response).expect("unprotect"))
        })
    });
}

criterion_group!(benches, pace_handshake, aes_secure_messaging);
criterion_main!(benches);
