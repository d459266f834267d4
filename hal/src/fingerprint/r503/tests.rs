//! The driver against the simulator, end to end over a pseudo-terminal pair.

use std::f32::consts::TAU;
use std::time::{Duration, Instant};

use image::{GrayImage, Luma};
use serialport::TTYPort;

use super::packet::{Instruction, PacketSize};
use super::*;
use crate::HealthStatus;
use crate::serial::pty_pair;

/// Short enough to keep the fault tests fast, long enough for a loaded test machine.
const REPLY_TIMEOUT: Duration = Duration::from_millis(300);

/// A synthetic whorl: concentric ridges about 9 pixels apart (a 500 ppi ridge period), bent by the
/// angle around the core so rows differ. Not a real fingerprint.
fn ridge_pattern() -> GrayImage {
    GrayImage::from_fn(IMAGE_WIDTH, IMAGE_HEIGHT, |x, y| {
        let (dx, dy) = (x as f32 - 128.0, y as f32 - 150.0);
        let phase = (dx * dx + dy * dy).sqrt() / 9.0 * TAU + 1.5 * dy.atan2(dx).sin();
        Luma([(128.0 + 120.0 * phase.sin()).round().clamp(0.0, 255.0) as u8])
    })
}

fn driver_config() -> R503Config {
    R503Config { reply_timeout: REPLY_TIMEOUT, poll_interval: Duration::from_millis(10), ..R503Config::default() }
}

fn connect_with(config: SimulatorConfig) -> (R503<TTYPort>, R503Simulator) {
    let (host, device) = pty_pair().unwrap();
    let simulator = R503Simulator::spawn_with(device, ridge_pattern(), config).unwrap();
    (R503::new(host, "pty").with_config(driver_config()), simulator)
}

fn connect() -> (R503<TTYPort>, R503Simulator) {
    connect_with(SimulatorConfig::default())
}

#[test]
fn the_self_test_handshakes_and_reports_the_system_parameters() {
    let (mut sensor, _simulator) = connect_with(SimulatorConfig {
        packet_size: PacketSize::Bytes64,
        library_size: 200,
        security_level: 4,
        baud_rate: 115_200,
        ..SimulatorConfig::default()
    });
    let health = sensor.self_test();
    assert_eq!(health.status, HealthStatus::Ok, "{health:?}");
    assert_eq!(health.device.driver, "r503");
    assert_eq!(health.details["library_size"], "200");
    assert_eq!(health.details["security_level"], "4");
    assert_eq!(health.details["packet_size"], "64");
    assert_eq!(health.details["baud_rate"], "115200");
    assert_eq!(health.details["address"], "0xffffffff");
    // Bit 2: the password was verified before ReadSysPara.
    assert_eq!(health.details["status_register"], "0x0004");
    assert_eq!(_simulator.instructions(), [Instruction::VfyPwd.code(), Instruction::ReadSysPara.code()]);
    // The self-test leaves the ring light alone.
    assert_eq!(_simulator.ring_light(), None);
}

#[test]
fn a_capture_returns_the_simulated_image_after_4_bit_quantisation() {
    let (mut sensor, simulator) = connect();
    simulator.set_finger(true);
    let captured = sensor.capture(Duration::from_secs(1)).unwrap();
    assert_eq!(captured.ppi, 500);
    assert_eq!(captured.image.dimensions(), (256, 288));
    let expected = quantise_to_sensor_levels(&ridge_pattern());
    assert!(captured.image == expected, "captured image differs from the simulator's");
    // The pattern uses most of the 16 levels, so the comparison means something.
    let levels: std::collections::BTreeSet<u8> = captured.image.pixels().map(|p| p.0[0]).collect();
    assert!(levels.len() >= 14, "{levels:?}");
}

#[test]
fn every_packet_size_the_module_reports_is_honoured() {
    for packet_size in [PacketSize::Bytes32, PacketSize::Bytes64, PacketSize::Bytes256] {
        let (mut sensor, simulator) = connect_with(SimulatorConfig { packet_size, ..SimulatorConfig::default() });
        simulator.set_finger(true);
        let captured = sensor.capture(Duration::from_secs(1)).unwrap();
        assert!(captured.image == quantise_to_sensor_levels(&ridge_pattern()), "{packet_size:?}");
    }
}

#[test]
fn the_ring_light_breathes_while_waiting_and_is_off_afterwards() {
    let (mut sensor, simulator) = connect();
    simulator.set_finger(true);
    sensor.capture(Duration::from_secs(1)).unwrap();
    let aura = Instruction::AuraLedConfig.code();
    let log = simulator.instructions();
    assert_eq!(log.iter().filter(|&&code| code == aura).count(), 2, "{log:?}");
    let first_light = log.iter().position(|&code| code == aura);
    let first_gen_img = log.iter().position(|&code| code == Instruction::GenImg.code());
    assert!(first_light < first_gen_img, "{log:?}");
    assert_eq!(simulator.ring_light().map(|led| led.effect), Some(AuraEffect::Off));
}

#[test]
fn finger_present_follows_the_finger() {
    let (mut sensor, simulator) = connect();
    assert!(!sensor.finger_present().unwrap());
    simulator.set_finger(true);
    assert!(sensor.finger_present().unwrap());
    simulator.set_finger(false);
    assert!(!sensor.finger_present().unwrap());
}

#[test]
fn no_finger_within_the_timeout_is_no_medium() {
    let (mut sensor, simulator) = connect();
    let started = Instant::now();
    let error = sensor.capture(Duration::from_millis(150)).unwrap_err();
    let waited = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::NoMedium, "{error}");
    assert!(error.message().contains("no finger placed"), "{error}");
    assert!(waited >= Duration::from_millis(150) && waited < Duration::from_millis(900), "{waited:?}");
    let polls = simulator.instructions().iter().filter(|&&code| code == Instruction::GenImg.code()).count();
    assert!(polls >= 3, "GenImg sent {polls} times");
    assert_eq!(simulator.ring_light().map(|led| led.effect), Some(AuraEffect::Off));
}

#[test]
fn a_finger_placed_while_waiting_is_captured() {
    let (mut sensor, simulator) = connect();
    let placer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(60));
        simulator.set_finger(true);
        simulator
    });
    let captured = sensor.capture(Duration::from_secs(2));
    let _simulator = placer.join().unwrap();
    assert_eq!(captured.unwrap().image.dimensions(), (256, 288));
}

#[test]
fn a_wrong_password_is_reported_as_such() {
    let (sensor, _simulator) = connect_with(SimulatorConfig { password: 0x1234_5678, ..SimulatorConfig::default() });
    let mut sensor = sensor.with_password(0x0BAD_0BAD);
    let health = sensor.self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert_eq!(health.error_kind, Some(ErrorKind::Other));
    assert!(health.reason.as_deref().is_some_and(|reason| reason.contains("password")), "{health:?}");
}

#[test]
fn the_right_password_and_address_open_a_reconfigured_module() {
    let (sensor, simulator) =
        connect_with(SimulatorConfig { address: 0x0102_0304, password: 0x1234_5678, ..SimulatorConfig::default() });
    let mut sensor = sensor.with_address(0x0102_0304).with_password(0x1234_5678);
    simulator.set_finger(true);
    assert!(sensor.finger_present().unwrap());
}

#[test]
fn a_module_at_another_address_stays_silent() {
    let (sensor, _simulator) = connect_with(SimulatorConfig { address: 0x0102_0304, ..SimulatorConfig::default() });
    let mut sensor = sensor.with_address(0x0A0B_0C0D);
    let error = sensor.finger_present().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
}

#[test]
fn a_corrupt_checksum_is_a_protocol_error_and_the_next_operation_recovers() {
    let (mut sensor, simulator) = connect();
    sensor.connect().unwrap();
    simulator.corrupt_next_packets(1);
    let error = sensor.finger_present().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
    assert!(error.message().contains("checksum"), "{error}");
    assert!(!sensor.finger_present().unwrap());
}

#[test]
fn a_corrupt_image_data_packet_is_a_protocol_error() {
    let (mut sensor, simulator) = connect();
    simulator.set_finger(true);
    assert!(sensor.finger_present().unwrap());
    // The UpImage acknowledgement and 100 data packets pass; the next one does not.
    simulator.corrupt_packets_after(101, 1);
    let error = sensor.upload_image().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
    assert!(error.message().contains("checksum"), "{error}");
    // The rest of the aborted stream is drained before the next command.
    assert!(sensor.finger_present().unwrap());
}

#[test]
fn garbage_before_a_reply_is_skipped() {
    let (mut sensor, simulator) = connect();
    sensor.connect().unwrap();
    simulator.send_garbage_before_next_packet(&[0x00, 0x55, 0x13, 0xEF, 0x02, 0xFF, 0x01, 0x07]);
    simulator.set_finger(true);
    assert!(sensor.finger_present().unwrap());
    // And in the middle of an image upload (after the acknowledgement and 20 data packets).
    simulator.send_garbage_after(21, &[0xAA; 40]);
    let image = sensor.upload_image().unwrap();
    assert!(image == quantise_to_sensor_levels(&ridge_pattern()));
}

#[test]
fn silence_is_a_timeout() {
    let (mut sensor, simulator) = connect();
    sensor.connect().unwrap();
    simulator.set_silent(true);
    let started = Instant::now();
    let error = sensor.finger_present().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(started.elapsed() >= REPLY_TIMEOUT);
    assert!(error.message().contains("GenImg"), "{error}");
    simulator.set_silent(false);
    assert!(!sensor.finger_present().unwrap());
}

#[test]
fn a_truncated_image_stream_is_a_protocol_error() {
    let (mut sensor, simulator) = connect();
    simulator.set_finger(true);
    simulator.truncate_next_image(IMAGE_BYTES - 1000);
    let error = sensor.capture(Duration::from_secs(1)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
    assert!(error.message().contains("35864"), "{error}");
}

#[test]
fn an_unplugged_module_is_disconnected() {
    let (mut sensor, mut simulator) = connect();
    sensor.connect().unwrap();
    simulator.stop();
    let error = sensor.finger_present().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Disconnected, "{error}");
}

#[test]
fn the_simulator_stops_when_the_host_closes_the_line() {
    let (sensor, simulator) = connect();
    drop(sensor);
    let deadline = Instant::now() + Duration::from_secs(1);
    while simulator.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!simulator.is_running());
}

#[test]
fn the_simulator_refuses_an_image_of_another_size() {
    let (_host, device) = pty_pair().unwrap();
    let error = R503Simulator::spawn(device, GrayImage::new(100, 100)).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn unpacking_expands_nibbles_high_first_to_full_range() {
    let mut data = vec![0u8; IMAGE_BYTES];
    data[0] = 0xF0;
    data[1] = 0x18;
    let image = unpack_image(&data).unwrap();
    let first: Vec<u8> = (0..4).map(|x| image.get_pixel(x, 0).0[0]).collect();
    assert_eq!(first, [255, 0, 17, 136]);
    let short = unpack_image(&data[1..]).unwrap_err();
    assert_eq!(short, R503Error::ImageLength { expected: IMAGE_BYTES, received: IMAGE_BYTES - 1 });
}

#[test]
fn system_parameters_round_trip_and_reject_unknown_packet_sizes() {
    let parameters = SystemParameters {
        status: 0x000C,
        system_id: 0x0009,
        library_size: 200,
        security_level: 3,
        address: 0xFFFF_FFFF,
        packet_size: PacketSize::Bytes128,
        baud_rate: 57_600,
    };
    let bytes = parameters.to_bytes();
    assert_eq!(bytes, [0, 0x0C, 0, 0x09, 0, 200, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 0, 6]);
    assert_eq!(SystemParameters::parse(&bytes), Ok(parameters));
    let mut unknown = bytes;
    unknown[13] = 7;
    assert_eq!(SystemParameters::parse(&unknown), Err(R503Error::UnknownPacketSize(7)));
    assert!(matches!(SystemParameters::parse(&bytes[..15]), Err(R503Error::ShortAnswer { received: 15, .. })));
}

#[test]
fn confirmation_codes_map_to_kinds_a_flow_can_act_on() {
    let receive = DeviceError::from(R503Error::Rejected { instruction: Instruction::GenImg, code: 0x01 });
    assert_eq!(receive.kind(), ErrorKind::Protocol);
    let upload = DeviceError::from(R503Error::Rejected { instruction: Instruction::UpImage, code: 0x0F });
    assert_eq!(upload.kind(), ErrorKind::Other);
    assert!(upload.message().contains("failed to upload"), "{upload}");
    assert_eq!(DeviceError::from(R503Error::WrongPassword).kind(), ErrorKind::Other);
}

#[test]
fn ring_light_settings_encode_in_the_manual_order() {
    let led = AuraLed { effect: AuraEffect::Flashing, colour: AuraColour::Purple, speed: 0x20, cycles: 5 };
    assert_eq!(led.parameters(), [0x02, 0x20, 0x03, 0x05]);
    assert_eq!(AuraLed::from_parameters(&led.parameters()), Some(led));
    assert_eq!(AuraLed::from_parameters(&[0x09, 0, 1, 0]), None);
}

#[test]
fn opening_a_missing_port_is_not_present() {
    let error = R503::open("/dev/does-not-exist-r503", DEFAULT_BAUD).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotPresent);
}
