//! The driver against the simulator, end to end through real frames on a pseudo-terminal pair.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serialport::TTYPort;

use super::*;
use crate::card::sim::{EMRTD_AID, FileCard, SimCard};
use crate::card::{CardProtocol, CardReader, status_word};
use crate::{Device, ErrorKind, HealthStatus};

/// Short deadlines keep the fault tests fast; the simulator answers within microseconds.
const DEADLINE: Duration = Duration::from_millis(300);

fn config() -> Pn532Config {
    Pn532Config { ack_timeout: DEADLINE, response_timeout: DEADLINE, ..Pn532Config::default() }
}

fn rig_with(card: Option<Box<dyn SimCard>>, options: SimulatorOptions) -> (Pn532<TTYPort>, SimulatorHandle) {
    let (host, device) = crate::serial::pty_pair().expect("a pseudo-terminal pair");
    let simulator = Pn532Simulator::spawn_with(device, card, options);
    (Pn532::new(host, "pty").with_config(config()), simulator)
}

fn rig(card: Option<Box<dyn SimCard>>) -> (Pn532<TTYPort>, SimulatorHandle) {
    rig_with(card, SimulatorOptions::default())
}

fn sample() -> Option<Box<dyn SimCard>> {
    Some(Box::new(FileCard::sample()))
}

/// A card whose application holds one EF (0101) of `content`.
fn card_with_file(content: Vec<u8>) -> Option<Box<dyn SimCard>> {
    Some(Box::new(FileCard::new(&EMRTD_AID, BTreeMap::from([(0x0101, content)]))))
}

fn select_aid() -> Vec<u8> {
    let mut apdu = vec![0x00, 0xA4, 0x04, 0x0C, 0x07];
    apdu.extend_from_slice(&EMRTD_AID);
    apdu
}

fn select_ef(fid: u16) -> Vec<u8> {
    let [high, low] = fid.to_be_bytes();
    vec![0x00, 0xA4, 0x02, 0x0C, 0x02, high, low]
}

fn read_binary(offset: u16, le: u8) -> Vec<u8> {
    let [high, low] = offset.to_be_bytes();
    vec![0x00, 0xB0, high, low, le]
}

fn sw(response: &[u8]) -> Option<u16> {
    status_word(response)
}

/// Polls the card and selects the eMRTD application and EF `fid`.
fn open_file(reader: &mut Pn532<TTYPort>, fid: u16) {
    reader.poll().unwrap().expect("a card on the reader");
    assert_eq!(sw(&reader.transmit(&select_aid()).unwrap()), Some(0x9000));
    assert_eq!(sw(&reader.transmit(&select_ef(fid)).unwrap()), Some(0x9000));
}

#[test]
fn self_test_wakes_the_pn532_and_reports_its_firmware() {
    let (mut reader, simulator) = rig(None);
    let health = reader.self_test();
    assert_eq!(health.status, HealthStatus::Ok, "{health:?}");
    assert_eq!(health.details["firmware"], "PN532 v1.6");
    assert!(health.details["protocols"].contains("ISO14443A"));
    assert_eq!(health.device.driver, "pn532");
    assert_eq!(simulator.stats().wake_ups, 1);
}

#[test]
fn poll_activates_the_sample_card_and_keeps_it_activated() {
    let (mut reader, simulator) = rig(sample());
    let info = reader.poll().unwrap().expect("the sample card");
    let card = FileCard::sample();
    assert_eq!(info.protocol, CardProtocol::TypeA);
    assert_eq!(info.uid, card.uid());
    assert_eq!(info.atr, card.atr());
    assert_eq!(sw(&reader.transmit(&select_aid()).unwrap()), Some(0x9000));
    assert_eq!(reader.poll().unwrap(), Some(info));
    assert_eq!(simulator.stats().activations, 1);
    // Still the same session: the application stays selected (a reset card would answer 6A82).
    assert_eq!(sw(&reader.transmit(&select_ef(0x011E)).unwrap()), Some(0x9000));
}

#[test]
fn select_and_read_binary_answer_like_the_card_itself() {
    let (mut reader, _simulator) = rig(sample());
    open_file(&mut reader, 0x011E);
    let through_pn532 = reader.transmit(&read_binary(0, 0)).unwrap();
    let mut direct = FileCard::sample();
    direct.process(&select_aid());
    direct.process(&select_ef(0x011E));
    assert_eq!(through_pn532, direct.process(&read_binary(0, 0)));
    assert_eq!(through_pn532[..2], [0x60, 0x14]);
}

#[test]
fn responses_longer_than_one_frame_arrive_intact_through_mi_chaining() {
    let file: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (mut reader, simulator) = rig(card_with_file(file.clone()));
    open_file(&mut reader, 0x0101);
    let mut read = Vec::new();
    for offset in [0u16, 256, 512, 768] {
        let response = reader.transmit(&read_binary(offset, 0)).unwrap();
        assert_eq!(sw(&response), Some(0x9000));
        read.extend_from_slice(&response[..response.len() - 2]);
    }
    assert_eq!(read, file);
    // Three of the four answers (256 data bytes + SW) exceed the 252 bytes one frame carries.
    assert_eq!(simulator.stats().chained_responses, 3);
}

#[test]
fn extended_frames_carry_a_full_short_apdu_response_when_the_pn532_allows() {
    let options = SimulatorOptions { max_data_per_frame: 262, ..SimulatorOptions::default() };
    let (mut reader, simulator) = rig_with(card_with_file(vec![0xA5; 300]), options);
    open_file(&mut reader, 0x0101);
    let response = reader.transmit(&read_binary(0, 0)).unwrap();
    assert_eq!(response.len(), 258);
    assert_eq!(simulator.stats().extended_frames, 1);
    assert_eq!(simulator.stats().chained_responses, 0);
}

#[test]
fn commands_longer_than_one_frame_are_chained_with_mi() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    let mut long_select = vec![0x00, 0xA4, 0x04, 0x0C, 0xFF];
    long_select.extend((0..255u16).map(|i| i as u8));
    // 6A82 (not found) shows the card parsed all 260 bytes; a cut APDU would get 6700.
    assert_eq!(sw(&reader.transmit(&long_select).unwrap()), Some(0x6A82));
    assert_eq!(simulator.stats().chained_commands, 1);
}

#[test]
fn one_corrupted_response_is_recovered_with_a_nack() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    simulator.corrupt_next_responses(1);
    assert_eq!(sw(&reader.transmit(&select_aid()).unwrap()), Some(0x9000));
    assert_eq!(simulator.stats().nacks, 1);
}

#[test]
fn persistent_corruption_fails_with_protocol_and_the_reader_recovers() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    simulator.corrupt_next_responses(100);
    let error = reader.transmit(&select_aid()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
    assert_eq!(simulator.stats().nacks, config().nack_retries);
    simulator.corrupt_next_responses(0);
    assert!(reader.poll().unwrap().is_some());
    assert_eq!(simulator.stats().activations, 2, "a fresh session after the link failure");
}

#[test]
fn garbage_and_a_false_start_code_before_a_frame_are_skipped() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    simulator.send_garbage_before_next_frame(&[0x13, 0x37, 0x00, 0xFF, 0x05, 0xA5, 0xFF]);
    assert_eq!(sw(&reader.transmit(&select_aid()).unwrap()), Some(0x9000));
    assert_eq!(simulator.stats().nacks, 0);
}

#[test]
fn silence_is_a_timeout_within_the_deadline_and_the_reader_recovers() {
    let (mut reader, simulator) = rig(sample());
    assert_eq!(reader.self_test().status, HealthStatus::Ok);
    simulator.set_silent(true);
    let started = Instant::now();
    let error = reader.poll().unwrap_err();
    let waited = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(waited >= DEADLINE && waited < DEADLINE + Duration::from_millis(200), "{waited:?}");
    assert_eq!(reader.self_test().error_kind, Some(ErrorKind::Timeout));
    simulator.set_silent(false);
    assert!(reader.poll().unwrap().is_some());
}

#[test]
fn a_withheld_response_is_a_timeout_and_the_next_command_works() {
    let (mut reader, simulator) = rig(None);
    reader.firmware().unwrap();
    simulator.set_withhold_responses(true);
    let started = Instant::now();
    assert_eq!(reader.firmware().unwrap_err().kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < DEADLINE + Duration::from_millis(200), "{:?}", started.elapsed());
    simulator.set_withhold_responses(false);
    assert_eq!(reader.firmware().unwrap().to_string(), "PN532 v1.6");
}

#[test]
fn a_card_removed_mid_session_is_no_medium_and_a_new_card_a_new_session() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    assert_eq!(sw(&reader.transmit(&select_aid()).unwrap()), Some(0x9000));
    let card = simulator.remove_card().expect("the card was in the field");
    let error = reader.transmit(&select_ef(0x011E)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoMedium, "{error}");
    assert!(reader.poll().unwrap().is_none());
    simulator.insert_card(card);
    assert!(reader.poll().unwrap().is_some());
    assert_eq!(sw(&reader.transmit(&select_ef(0x011E)).unwrap()), Some(0x6A82), "the card was reset");
}

#[test]
fn a_card_lifted_between_polls_is_noticed_by_the_presence_check() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    simulator.remove_card();
    assert!(reader.poll().unwrap().is_none());
}

#[test]
fn no_card_means_poll_returns_none_and_transmit_no_medium() {
    let (mut reader, simulator) = rig(None);
    assert!(reader.poll().unwrap().is_none());
    assert_eq!(reader.transmit(&select_aid()).unwrap_err().kind(), ErrorKind::NoMedium);
    assert_eq!(simulator.stats().activations, 0);
}

#[test]
fn release_ends_the_session() {
    let (mut reader, simulator) = rig(sample());
    reader.poll().unwrap().expect("the sample card");
    reader.release().unwrap();
    assert_eq!(reader.transmit(&select_aid()).unwrap_err().kind(), ErrorKind::NoMedium);
    assert!(reader.poll().unwrap().is_some());
    assert_eq!(simulator.stats().activations, 2);
}

/// The sample card, but answering as ISO/IEC 14443 type B.
struct TypeBCard(FileCard);

impl SimCard for TypeBCard {
    fn protocol(&self) -> CardProtocol {
        CardProtocol::TypeB
    }
    fn atr(&self) -> Vec<u8> {
        vec![0x50, 0x0A, 0x0B, 0x0C, 0x0D, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x71]
    }
    fn uid(&self) -> Vec<u8> {
        vec![0x0A, 0x0B, 0x0C, 0x0D]
    }
    fn reset(&mut self) {
        self.0.reset();
    }
    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        self.0.process(command)
    }
}

#[test]
fn a_type_b_card_is_found_when_no_type_a_card_answers() {
    let (mut reader, _simulator) = rig(Some(Box::new(TypeBCard(FileCard::sample()))));
    let info = reader.poll().unwrap().expect("the type B card");
    assert_eq!(info.protocol, CardProtocol::TypeB);
    assert_eq!(info.uid, [0x0A, 0x0B, 0x0C, 0x0D]);
    assert_eq!(info.atr[0], 0x50);
    assert_eq!(sw(&reader.transmit(&select_aid()).unwrap()), Some(0x9000));
}

#[test]
fn a_closed_line_is_disconnected() {
    let (mut reader, simulator) = rig(sample());
    assert_eq!(reader.self_test().status, HealthStatus::Ok);
    simulator.stop();
    assert_eq!(reader.poll().unwrap_err().kind(), ErrorKind::Disconnected);
}

#[test]
fn the_simulator_stops_when_the_host_closes_the_line() {
    let (reader, simulator) = rig(sample());
    assert!(simulator.is_running());
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(1);
    while simulator.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!simulator.is_running());
}

#[test]
fn a_missing_serial_device_is_not_present() {
    let error = Pn532::open("/dev/no-such-pn532", DEFAULT_BAUD_RATE).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotPresent);
}
