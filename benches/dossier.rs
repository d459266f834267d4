//! The standard certified-copy dossier (two 600-dpi card crops, 2022 × 1275) built from the HAL
//! simulator's card: each step on its own, then the whole build + archive.
//!
//! Budget (DESIGN.md): build + seal ≤ 150 ms on one core in release. Run on one core with
//! `taskset -c 1 cargo bench -p kiosk --bench dossier`. The seal step uses a fresh device key and the
//! simulator configuration's (TEST ONLY) backend key.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kiosk::config::Config;
use kiosk::dossier::{CertifiedCopyDossier, archive, jpeg, pdf, sample};
use kiosk::keys::SealingKeys;
use kiosk_packet::DeviceSigner;

fn config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml")).expect("configs/kiosk.toml loads")
}

fn dossier(c: &mut Criterion) {
    let config = config();
    let inputs = sample::certified_copy_inputs(&config.kiosk.id);
    let quality = config.dossier.jpeg_quality;
    let mut group = c.benchmark_group("dossier");
    group.sample_size(20).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(2));

    group.bench_function("jpeg_both_sides", |b| {
        b.iter(|| {
            let front = jpeg::encode(black_box(&inputs.front.image), quality, 600).unwrap();
            let back = jpeg::encode(black_box(&inputs.back.image), quality, 600).unwrap();
            (front, back)
        })
    });
    // The alternative the task names: the `image` crate's own encoder, for comparison only.
    group.bench_function("jpeg_both_sides_image_crate", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            for side in [&inputs.front.image, &inputs.back.image] {
                out.clear();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
                    .encode_image(black_box(side))
                    .unwrap();
            }
            out.len()
        })
    });

    let front = jpeg::encode(&inputs.front.image, quality, 600).unwrap();
    let back = jpeg::encode(&inputs.back.image, quality, 600).unwrap();
    let dossier = CertifiedCopyDossier::build(&inputs, &config).unwrap();
    let metadata = pdf::PdfMetadata {
        title: "Nguyen Van An_Citizen Identity Card".to_owned(),
        author: "Phường Hoàn Kiếm, Thành phố Hà Nội (kiosk KIOSK-DEV-0001)".to_owned(),
        subject: "Certified copy".to_owned(),
        producer: "intake-kiosk".to_owned(),
        created: inputs.submitted,
    };
    group.bench_function("pdf", |b| b.iter(|| pdf::certified_copy_pdf(black_box(&front), black_box(&back), &metadata)));
    group.bench_function("manifest_json", |b| b.iter(|| black_box(&dossier.manifest).to_json().unwrap()));
    let manifest_json = dossier.manifest.to_json().unwrap();
    let files: Vec<archive::ArchiveInput<'_>> =
        dossier.files.iter().map(|f| archive::ArchiveInput { name: &f.name, bytes: &f.bytes }).collect();
    group.bench_function("archive", |b| {
        b.iter(|| archive::write(black_box(&manifest_json), black_box(&files)).unwrap())
    });
    group.bench_function("total_build_and_archive", |b| {
        b.iter(|| CertifiedCopyDossier::build(black_box(&inputs), &config).unwrap().to_archive().unwrap())
    });
    let signer = DeviceSigner::from_pkcs8(&DeviceSigner::generate_pkcs8().unwrap()).unwrap();
    let backend = config.keys.backend.clone().expect("the simulator configuration names a backend key");
    let keys = SealingKeys { signer, backend };
    let payload = dossier.to_archive().unwrap();
    group.bench_function("seal", |b| b.iter(|| keys.seal(1_796_000_000, black_box(&payload)).unwrap()));
    group.bench_function("total_build_archive_and_seal", |b| {
        b.iter(|| {
            let payload = CertifiedCopyDossier::build(black_box(&inputs), &config).unwrap().to_archive().unwrap();
            keys.seal(1_796_000_000, &payload).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, dossier);
criterion_main!(benches);
