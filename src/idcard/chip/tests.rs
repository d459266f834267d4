//! End-to-end tests of the chip reader against the simulated chip ([`crate::idcard::chip_sim`]).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use kiosk_hal::card::CardReader;
use kiosk_hal::card::sim::SimCardReader;
use kiosk_hal::sim::{Fault, FaultPlan, World, WorldState};

use super::lds::{Dg13Field, FaceImageType, LdsFile};
use super::pa::{self, ChainStatus, CscaStore, DgHashStatus, SignatureCheck, Verdict, test_pki};
use super::reader::{ChipError, ReadOptions, read_chip};
use super::report::{ChipReport, read_and_verify};
use crate::idcard::chip_sim::{ChipSim, ChipSimOptions};
use crate::idcard::pace_crypto::{AesStrength, Curve};
use crate::idcard::pace_info::PaceParams;

/// The simulated card's MRZ information (document number, birth, expiry with check digits).
const MRZ_INFORMATION: &str = "099012345990010113001019";

fn fixed_random() -> impl FnMut(&mut [u8]) {
    let mut counter = 0u8;
    move |buffer: &mut [u8]| {
        for byte in buffer {
            counter = counter.wrapping_add(37);
            *byte = counter;
        }
    }
}

fn reader_with(options: ChipSimOptions, faults: FaultPlan) -> (World, SimCardReader) {
    let world = World::new(WorldState::default());
    let chip = ChipSim::citizen(options).expect("simulator test PKI is valid");
    (world.clone(), SimCardReader::new(world, Box::new(chip), faults))
}

fn sim_cscas() -> CscaStore {
    CscaStore::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/csca-sim"))
        .expect("configs/csca-sim holds the simulator CSCA")
}

fn now() -> SystemTime {
    // 2026-06-01: inside the test PKI's validity.
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_272_000)
}

fn read_report(reader: &mut dyn CardReader, cscas: &CscaStore) -> Result<ChipReport, ChipError> {
    read_and_verify(reader, MRZ_INFORMATION, &mut fixed_random(), ReadOptions::default(), cscas, now(), &mut |_| {})
}

#[test]
fn bac_reads_every_data_group_and_passive_authentication_succeeds() {
    let (_, mut reader) = reader_with(ChipSimOptions::default(), FaultPlan::none());
    let mut seen = Vec::new();
    let report = read_and_verify(
        &mut reader,
        MRZ_INFORMATION,
        &mut fixed_random(),
        ReadOptions::default(),
        &sim_cscas(),
        now(),
        &mut |p| seen.push(p),
    )
    .expect("the simulated card reads");
    let files: Vec<LdsFile> = report.read.files.files().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        [LdsFile::Com, LdsFile::Dg(1), LdsFile::Dg(2), LdsFile::Dg(11), LdsFile::Dg(13), LdsFile::Dg(14), LdsFile::Sod]
    );
    let dg13 = report.dg13.as_ref().expect("DG13 parsed");
    assert_eq!(dg13.get(Dg13Field::IdNumber).as_deref(), Some("001099012345"));
    assert_eq!(dg13.get(Dg13Field::FullName).as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(dg13.get(Dg13Field::Parents).as_deref(), Some("Nguyễn Văn Bình, Trần Thị Cúc"));
    let face = report.dg2.as_ref().expect("DG2 parsed");
    assert_eq!((face.image_type(), face.width, face.height), (FaceImageType::Jpeg, 240, 320));
    let mrz = report.mrz.as_ref().expect("DG1 MRZ parsed");
    assert_eq!(mrz.personal_number(), Some("001099012345"));
    let pa = &report.pa;
    assert_eq!(pa.verdict, Verdict::Verified, "{pa:?}");
    assert_eq!(pa.signature, Ok(SignatureCheck::Valid));
    assert!(matches!(&pa.chain, ChainStatus::Ok(subject) if subject.contains("Simulator CSCA")));
    assert_eq!(pa.data_groups.len(), 5);
    assert!(pa.hashes_ok());
    // Progress: DG2 is read in several chunks and every file ends complete.
    let dg2: Vec<_> = seen.iter().filter(|p| p.file == LdsFile::Dg(2)).collect();
    assert!(dg2.len() > 3, "{}", dg2.len());
    assert!(dg2.windows(2).all(|w| w[0].bytes_read <= w[1].bytes_read));
    assert_eq!(dg2.last().map(|p| p.bytes_read == p.total), Some(true));
    assert!(report.to_text().contains("passive authentication: ok"));
}

#[test]
fn a_tampered_data_group_fails_its_hash_and_only_that_one() {
    let (_, mut reader) =
        reader_with(ChipSimOptions { tamper_dg: Some(11), ..ChipSimOptions::default() }, FaultPlan::none());
    let report = read_report(&mut reader, &sim_cscas()).expect("a forged chip still reads");
    let status = |n| report.pa.data_groups.iter().find(|c| c.data_group == n).map(|c| c.status);
    assert_eq!(status(11), Some(DgHashStatus::Mismatch));
    assert_eq!(status(1), Some(DgHashStatus::Ok));
    assert_eq!(status(13), Some(DgHashStatus::Ok));
    assert_eq!(report.pa.signature, Ok(SignatureCheck::Valid));
    assert_eq!(report.pa.verdict, Verdict::Failed);
    assert!(report.to_text().contains("DG11 hash: MISMATCH"), "{}", report.to_text());
}

/// EF.CardAccess with one PACEInfo: id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, `parameter_id`.
fn card_access_with_parameter_id(parameter_id: u8) -> Vec<u8> {
    let pace_oid = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
    let info = [
        super::tlv::encode(0x06, &pace_oid),
        super::tlv::encode(0x02, &[2]),
        super::tlv::encode(0x02, &[parameter_id]),
    ]
    .concat();
    super::tlv::encode(0x31, &super::tlv::encode(0x30, &info))
}

fn pace_options(curve: Curve) -> ChipSimOptions {
    ChipSimOptions {
        pace: Some(PaceParams::ecdh_generic_mapping(AesStrength::Aes128, curve)),
        ..ChipSimOptions::default()
    }
}

#[test]
fn pace_reads_every_data_group_and_passive_authentication_succeeds() {
    for (curve, name) in [(Curve::NistP256, "NIST P-256"), (Curve::BrainpoolP256r1, "brainpoolP256r1")] {
        let (_, mut reader) = reader_with(pace_options(curve), FaultPlan::none());
        let report = read_report(&mut reader, &sim_cscas()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.read.access, super::reader::AccessProtocol::Pace, "{name}");
        let parameters = report.read.access_parameters.as_deref().unwrap_or_default();
        assert!(parameters.contains(name) && parameters.contains("AES-128"), "{name}: {parameters}");
        assert!(report.read.access_notes.is_empty(), "{name}: {:?}", report.read.access_notes);
        let files: Vec<LdsFile> = report.read.files.files().map(|(f, _)| f).collect();
        assert_eq!(
            files,
            [
                LdsFile::Com,
                LdsFile::Dg(1),
                LdsFile::Dg(2),
                LdsFile::Dg(11),
                LdsFile::Dg(13),
                LdsFile::Dg(14),
                LdsFile::Sod
            ],
            "{name}"
        );
        let dg13 = report.dg13.as_ref().expect("DG13 parsed");
        assert_eq!(dg13.get(Dg13Field::FullName).as_deref(), Some("Nguyễn Văn An"), "{name}");
        assert_eq!(report.pa.verdict, Verdict::Verified, "{name}: {:?}", report.pa);
        assert!(report.pa.hashes_ok(), "{name}");
        assert!(report.to_text().starts_with(&format!("chip read: ok (PACE: ECDH generic mapping, AES-128, {name}")));
    }
}

#[test]
fn a_wrong_mrz_over_pace_is_access_denied() {
    let (_, mut reader) = reader_with(pace_options(Curve::BrainpoolP256r1), FaultPlan::none());
    let wrong = "099012346890010113001019";
    let error = read_chip(&mut reader, wrong, &mut fixed_random(), ReadOptions::default(), &mut |_| {}).unwrap_err();
    assert_eq!(error, ChipError::AccessDenied);
}

#[test]
fn a_pace_card_still_opens_with_bac_when_the_terminal_chooses_it() {
    // The same chip, its EF.CardAccess hidden from the reader by an unsupported-curve override:
    // the reader falls back to BAC and the chip, which also runs PACE, still answers BAC.
    let options =
        ChipSimOptions { card_access: Some(card_access_with_parameter_id(15)), ..pace_options(Curve::NistP256) };
    let (_, mut reader) = reader_with(options, FaultPlan::none());
    let report = read_report(&mut reader, &sim_cscas()).expect("BAC opens a PACE-capable chip");
    assert_eq!(report.read.access, super::reader::AccessProtocol::Bac);
    assert_eq!(report.pa.verdict, Verdict::Verified);
}

#[test]
fn a_chip_offering_an_unsupported_pace_curve_is_read_with_bac() {
    // Parameter id 15 is NIST P-384 (Doc 9303-11 §9.5.1): offered, but not a curve this kiosk runs.
    let card_access = card_access_with_parameter_id(15);
    assert!(matches!(super::reader::choose_access(Some(&card_access)), super::reader::AccessChoice::PaceOffered(_)));
    assert_eq!(super::reader::choose_access(Some(&[0x31, 0x00])), super::reader::AccessChoice::Bac);
    let options = ChipSimOptions { card_access: Some(card_access), ..ChipSimOptions::default() };
    let (_, mut reader) = reader_with(options, FaultPlan::none());
    let report = read_report(&mut reader, &sim_cscas()).expect("BAC still opens the chip");
    assert_eq!(report.read.access, super::reader::AccessProtocol::Bac);
    assert_eq!(report.read.access_parameters, None);
    assert!(
        report.read.access_notes.iter().any(|n| n.contains("offers PACE, but") && n.contains("not supported")),
        "{:?}",
        report.read.access_notes
    );
    assert!(report.to_text().contains("note: EF.CardAccess offers PACE, but"), "{}", report.to_text());
    assert_eq!(report.pa.verdict, Verdict::Verified);
}

#[test]
fn a_wrong_mrz_is_access_denied_not_an_io_error() {
    let (_, mut reader) = reader_with(ChipSimOptions::default(), FaultPlan::none());
    let wrong = "099012346890010113001019";
    let error = read_chip(&mut reader, wrong, &mut fixed_random(), ReadOptions::default(), &mut |_| {}).unwrap_err();
    assert_eq!(error, ChipError::AccessDenied);
    assert!(error.user_message().0.contains("MRZ"));
    assert!(error.to_string().contains("check the MRZ"));
}

#[test]
fn a_card_removed_mid_read_is_a_clean_error() {
    for after in [3, 12, 30] {
        let (_, mut reader) = reader_with(ChipSimOptions::default(), FaultPlan::new(Fault::Unplug, after));
        let error = read_report(&mut reader, &sim_cscas()).unwrap_err();
        assert!(matches!(error, ChipError::ReaderDisconnected(_)), "after {after}: {error:?}");
    }
    // The citizen lifts the card during DG2.
    let (world, mut reader) = reader_with(ChipSimOptions::default(), FaultPlan::none());
    let mut progress = |p: super::reader::ReadProgress| {
        if p.file == LdsFile::Dg(2) && p.bytes_read > 1000 {
            world.update(|s| s.card_on_reader = false);
        }
    };
    let error = read_and_verify(
        &mut reader,
        MRZ_INFORMATION,
        &mut fixed_random(),
        ReadOptions::default(),
        &sim_cscas(),
        now(),
        &mut progress,
    )
    .unwrap_err();
    assert_eq!(error, ChipError::CardRemoved);
    assert!(error.user_message().1.contains("removed"));
}

#[test]
fn an_unknown_csca_leaves_the_document_not_verified() {
    let (_, mut reader) = reader_with(ChipSimOptions::default(), FaultPlan::none());
    let key = test_pki::key_from_label("another country's CSCA");
    let other = test_pki::certificate("CN=Other CSCA,C=UT", &key, "CN=Other CSCA,C=UT", &key, 9, 10).unwrap();
    let report = read_report(&mut reader, &CscaStore::from_certificates(vec![other])).unwrap();
    assert!(matches!(report.pa.chain, ChainStatus::CscaUnknown(_)), "{:?}", report.pa.chain);
    assert_eq!(report.pa.verdict, Verdict::NotVerified);
    assert!(report.pa.hashes_ok());
    assert!(report.to_text().contains("passive authentication: not verified"));
    // A CSCA with the right name but another key: the chain is invalid, not unknown.
    let impostor = test_pki::certificate(
        "CN=Kiosk Simulator CSCA,O=TEST ONLY,C=VN",
        &key,
        "CN=Kiosk Simulator CSCA,O=TEST ONLY,C=VN",
        &key,
        1,
        10,
    )
    .unwrap();
    let (_, mut reader) = reader_with(ChipSimOptions::default(), FaultPlan::none());
    let report = read_report(&mut reader, &CscaStore::from_certificates(vec![impostor])).unwrap();
    assert_eq!(report.pa.chain, ChainStatus::Invalid);
    assert_eq!(report.pa.verdict, Verdict::Failed);
}

#[test]
fn extended_length_and_odd_ins_reads_give_the_same_bytes() {
    // A 40 000-byte DG2 forces READ BINARY beyond offset 32767 (odd INS B1 with DO'54').
    let big = super::tlv::encode(0x75, &vec![0x5A; 40_000]);
    let com = super::tlv::encode(0x60, &super::tlv::encode(0x5C, &[0x75]));
    let sod = vec![0x77, 0x00];
    for extended_length in [false, true] {
        let files = BTreeMap::from([(0x011E, com.clone()), (0x0102, big.clone()), (0x011D, sod.clone())]);
        let chip = ChipSim::new(files, MRZ_INFORMATION).unwrap();
        let world = World::new(WorldState::default());
        let mut reader = SimCardReader::new(world, Box::new(chip), FaultPlan::none());
        let read =
            read_chip(&mut reader, MRZ_INFORMATION, &mut fixed_random(), ReadOptions { extended_length }, &mut |_| {})
                .expect("the big file reads");
        assert_eq!(read.files.get(LdsFile::Dg(2)), Some(big.as_slice()), "extended {extended_length}");
    }
}

#[test]
fn no_card_is_reported_before_any_command() {
    let world = World::new(WorldState { card_on_reader: false, ..WorldState::default() });
    let chip = ChipSim::citizen(ChipSimOptions::default()).unwrap();
    let mut reader = SimCardReader::new(world, Box::new(chip), FaultPlan::none());
    let error = read_report(&mut reader, &sim_cscas()).unwrap_err();
    assert_eq!(error, ChipError::NoCard);
}

#[test]
fn the_simulated_chip_refuses_plain_reads_and_bad_macs() {
    use kiosk_hal::card::sim::SimCard;
    let mut chip = ChipSim::citizen(ChipSimOptions::default()).unwrap();
    chip.reset();
    assert_eq!(chip.process(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]), [0x6D, 0x00]);
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x07];
    select.extend_from_slice(&kiosk_hal::card::sim::EMRTD_AID);
    assert_eq!(chip.process(&select), [0x90, 0x00]);
    assert_eq!(chip.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x01]), [0x69, 0x82]);
    assert_eq!(chip.process(&[0x00, 0xB0, 0x00, 0x00, 0x04]), [0x69, 0x82]);
    // A protected command without a session, or with a wrong MAC, is an SM error.
    assert_eq!(
        chip.process(&[0x0C, 0xB0, 0x00, 0x00, 0x0D, 0x97, 0x01, 0x04, 0x8E, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00]),
        [0x69, 0x88]
    );
}

#[test]
#[ignore = "generator: writes the simulator's TEST-ONLY PKI; run once with --ignored and commit the files"]
fn generate_simulator_pki() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let csca_key = test_pki::key_from_label("kiosk simulator CSCA (TEST ONLY)");
    let ds_key = test_pki::key_from_label("kiosk simulator document signer (TEST ONLY)");
    let csca_name = "CN=Kiosk Simulator CSCA,O=TEST ONLY,C=VN";
    let csca = test_pki::certificate(csca_name, &csca_key, csca_name, &csca_key, 1, 30).unwrap();
    let ds = test_pki::certificate(
        "CN=Kiosk Simulator Document Signer,O=TEST ONLY,C=VN",
        &ds_key,
        csca_name,
        &csca_key,
        2,
        20,
    )
    .unwrap();
    use der::Encode;
    std::fs::create_dir_all(root.join("configs/csca-sim")).unwrap();
    std::fs::write(root.join("configs/csca-sim/kiosk-simulator-csca.der"), csca.to_der().unwrap()).unwrap();
    std::fs::write(root.join("src/idcard/testdata/sim-ds.der"), ds.to_der().unwrap()).unwrap();
    std::fs::write(root.join("src/idcard/testdata/sim-ds.key"), ds_key.to_bytes()).unwrap();
    // The committed files must verify as a chain.
    let cscas = CscaStore::from_certificates(vec![csca]);
    assert_eq!(cscas.len(), 1);
    let _ = pa::Verdict::Verified;
}

/// The whole stack: PN532 serial frames on a pseudo-terminal pair → APDUs → secure messaging →
/// data groups → passive authentication.
#[cfg(feature = "serial")]
#[test]
fn the_same_read_works_through_the_pn532_pty_simulator() {
    use kiosk_hal::card::pn532::{Pn532, Pn532Simulator};
    let (host, device) = kiosk_hal::serial::pty_pair().expect("a pseudo-terminal pair");
    let chip = ChipSim::citizen(ChipSimOptions::default()).unwrap();
    let simulator = Pn532Simulator::spawn(device, Some(Box::new(chip)));
    let mut reader = Pn532::new(host, "pty");
    let report = read_report(&mut reader, &sim_cscas()).expect("the chip reads through the PN532");
    assert_eq!(report.pa.verdict, Verdict::Verified, "{:?}", report.pa);
    assert_eq!(report.read.files.files().count(), 7);
    let dg13 = report.dg13.as_ref().unwrap();
    assert_eq!(dg13.get(Dg13Field::DateOfBirth).as_deref(), Some("01/01/1990"));
    // Lifting the card off the PN532 mid-read is a clean error too.
    let mut progress = |p: super::reader::ReadProgress| {
        if p.file == LdsFile::Dg(2) && p.bytes_read > 1000 {
            let _ = simulator.remove_card();
        }
    };
    let error = read_and_verify(
        &mut reader,
        MRZ_INFORMATION,
        &mut fixed_random(),
        ReadOptions::default(),
        &sim_cscas(),
        now(),
        &mut progress,
    );
    assert_eq!(error.unwrap_err(), ChipError::CardRemoved);
    simulator.stop();
}

/// The fuzz targets' properties on stable Rust: a few thousand seeded random and mutated inputs
/// (mutations of the simulator's real files) through every parser; none may panic, and the
/// unmutated files must keep parsing (so the test would notice a parser that refuses everything).
#[test]
fn parsers_survive_thousands_of_random_and_mutated_inputs() {
    use super::lds::{Dg1, Dg2, Dg11, Dg13, EfCom, RawDataGroup};
    use super::pa::Sod;
    use super::tlv;
    use crate::idcard::mrz::{Date, Mrz};

    let chip = ChipSim::citizen(ChipSimOptions::default()).unwrap();
    let seeds: Vec<Vec<u8>> =
        [LdsFile::Com, LdsFile::Dg(1), LdsFile::Dg(11), LdsFile::Dg(13), LdsFile::Dg(14), LdsFile::Sod]
            .into_iter()
            .map(|file| chip.file(file).expect("the simulator has the file").to_vec())
            .collect();
    assert!(EfCom::parse(&seeds[0]).is_ok() && Dg1::parse(&seeds[1]).is_ok() && Dg11::parse(&seeds[2]).is_ok());
    assert!(Dg13::parse(&seeds[3]).is_ok() && Sod::parse(&seeds[5]).is_ok());
    let today = Date::from_days_since_unix_epoch(20_454).unwrap();
    let mut state = 0x853C_49E6_748F_EA9Bu64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut rejected = 0;
    for round in 0..3000 {
        let input: Vec<u8> = if round % 3 == 0 {
            let len = (next() % 300) as usize;
            (0..len).map(|_| next() as u8).collect()
        } else {
            let mut bytes = seeds[(next() % seeds.len() as u64) as usize].clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 3 {
                    0 if !bytes.is_empty() => bytes[at] ^= 1 << (next() % 8),
                    1 if !bytes.is_empty() => bytes.truncate(at),
                    _ => bytes.insert(at.min(bytes.len()), next() as u8),
                }
            }
            bytes
        };
        if tlv::validate(&input).is_ok() {
            assert!(tlv::parse_all(&input).is_ok());
        }
        let results = [
            EfCom::parse(&input).is_ok(),
            Dg1::parse(&input).is_ok(),
            Dg2::parse(&input).is_ok(),
            Dg11::parse(&input).is_ok(),
            Dg13::parse(&input).is_ok(),
            RawDataGroup::parse(LdsFile::Dg(14), &input).is_ok(),
        ];
        if let Ok(sod) = Sod::parse(&input) {
            let _ = sod.verify_signature();
        }
        let groups = BTreeMap::from([(1u8, input.clone())]);
        let report = pa::passive_authentication(&input, &groups, &CscaStore::default(), now());
        assert_ne!(report.verdict, Verdict::Verified, "nothing verifies without a CSCA");
        let text = String::from_utf8_lossy(&input);
        let _ = Mrz::parse_text(&text, today);
        rejected += results.iter().filter(|ok| !**ok).count();
    }
    assert!(rejected > 3000, "mutations should mostly be refused, {rejected} refusals");
}
