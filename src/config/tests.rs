use std::path::Path;

use super::*;

const FILE: &str = "/etc/kiosk/kiosk.toml";

/// The simulator configuration, with the unit list made absolute so it can be parsed as if it lived
/// anywhere.
fn minimal() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let text = std::fs::read_to_string(dir.join("kiosk.toml")).unwrap();
    let units = dir.join("admin-units-2025.json");
    let holidays = dir.join("holidays.toml");
    let csca = dir.join("csca-sim");
    text.replacen("units = \"admin-units-2025.json\"", &format!("units = {:?}", units.display().to_string()), 1)
        .replacen("holidays = \"holidays.toml\"", &format!("holidays = {:?}", holidays.display().to_string()), 1)
        .replacen("csca_dir = \"csca-sim\"", &format!("csca_dir = {:?}", csca.display().to_string()), 1)
}

fn error_of(text: &str) -> ConfigError {
    Config::parse(text, Path::new(FILE)).expect_err("the configuration must be refused")
}

/// Replaces the first occurrence of `from` in the simulator configuration.
fn edited(from: &str, to: &str) -> String {
    let text = minimal();
    assert!(text.contains(from), "the fixture changed: {from:?} is gone");
    text.replacen(from, to, 1)
}

#[test]
fn the_simulator_configuration_is_valid_and_anchors_relative_paths() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.kiosk.id, "KIOSK-DEV-0001");
    assert_eq!(config.kiosk.data_dir, Path::new(env!("CARGO_MANIFEST_DIR")).join("var"));
    assert_eq!(config.devices.camera.driver, CameraDriver::Sim);
    assert_eq!((config.devices.camera.width, config.devices.camera.height), (1280, 720));
}

#[test]
fn the_production_example_is_valid_when_the_device_drivers_are_built_in() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let text = std::fs::read_to_string(dir.join("production.example.toml")).unwrap();
    // The example names where the image installs the unit list; point at the repository's copy.
    let units = dir.join("admin-units-2025.json").display().to_string();
    let text = text.replacen("\"/usr/share/kiosk/admin-units-2025.json\"", &format!("{units:?}"), 1);
    let holidays = dir.join("holidays.toml").display().to_string();
    let text = text.replacen("\"/usr/share/kiosk/holidays.toml\"", &format!("{holidays:?}"), 1);
    let csca = dir.join("csca-sim").display().to_string();
    let text = text.replacen("\"/usr/share/kiosk/csca\"", &format!("{csca:?}"), 1);
    let result = Config::parse(&text, &dir.join("production.example.toml"));
    if cfg!(all(feature = "v4l", feature = "rppal", feature = "serial", feature = "escl")) {
        let config = result.unwrap();
        assert_eq!(config.devices.card_reader.pn532.unwrap().port, Path::new("/dev/kiosk-nfc"));
        assert_eq!(config.devices.gpio.rppal.unwrap().tamper.pin, 24);
        assert_eq!(config.payment.unwrap().acquirer_bin, "970403");
    } else {
        let error = result.unwrap_err();
        assert!(error.key.ends_with(".driver"), "{error}");
        assert!(error.reason.contains("built without"), "{error}");
    }
}

#[test]
fn the_csca_directory_is_loaded_at_start_and_a_missing_one_is_named() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let config = Config::load(&dir.join("kiosk.toml")).unwrap();
    assert_eq!(config.idcard.cscas.len(), 1);
    let text = std::fs::read_to_string(dir.join("kiosk.toml")).unwrap();
    let text = text.replacen("csca_dir = \"csca-sim\"", "csca_dir = \"no-such-csca-dir\"", 1);
    let error = Config::parse(&text, &dir.join("kiosk.toml")).unwrap_err();
    assert_eq!(error.key, "idcard.csca_dir");
    assert!(error.reason.contains("does not exist"), "{error}");
}

#[test]
fn an_unknown_key_is_named_with_its_table_and_line() {
    let error = error_of(&edited("fps = 30", "fps = 30\ncolour = \"red\""));
    assert_eq!(error.file, Path::new(FILE));
    assert_eq!(error.key, "devices.camera.colour");
    assert!(error.reason.contains("unknown field"), "{error}");
    let line = minimal().lines().position(|l| l == "fps = 30").unwrap() + 2;
    assert_eq!(error.line, Some(line));
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("{FILE}:{line}: key `devices.camera.colour`: unknown field")), "{shown}");
}

#[test]
fn a_wrong_type_names_the_key_and_what_was_expected() {
    let error = error_of(&edited("width = 1280", "width = \"wide\""));
    assert_eq!(error.key, "devices.camera.width");
    assert!(error.reason.contains("invalid type") && error.reason.contains("u32"), "{error}");
}

#[test]
fn a_missing_device_path_is_named() {
    let error = error_of(&edited(
        "[devices.card_reader]\ndriver = \"sim\"",
        "[devices.card_reader]\ndriver = \"pn532\"\n[devices.card_reader.pn532]\nbaud = 115200",
    ));
    assert_eq!(error.key, "devices.card_reader.pn532.port");
    assert!(error.reason.contains("missing field `port`"), "{error}");
}

#[test]
fn a_selected_driver_without_its_table_is_refused() {
    let error =
        error_of(&edited("[devices.fingerprint]\ndriver = \"sim\"", "[devices.fingerprint]\ndriver = \"r503\""));
    assert_eq!(error.key, "devices.fingerprint.r503");
    assert!(error.reason.contains("[devices.fingerprint.r503] is missing"), "{error}");
}

#[test]
fn a_device_path_outside_dev_is_refused() {
    let text = edited(
        "[devices.printer]\ndriver = \"sim\"",
        "[devices.printer]\ndriver = \"escpos\"\nescpos = { port = \"ttyUSB0\" }",
    );
    let error = error_of(&text);
    assert_eq!(error.key, "devices.printer.escpos.port");
    assert!(error.reason.contains("not a device node under /dev"), "{error}");
}

#[test]
fn a_fault_of_another_device_kind_is_refused() {
    let error = error_of(&edited("fps = 30", "fps = 30\nsim = { fault = \"no-paper\" }"));
    assert_eq!(error.key, "devices.camera.sim.fault");
    let error = error_of(&edited("fps = 30", "fps = 30\nsim = { fault = \"melted\" }"));
    assert_eq!(error.key, "devices.camera.sim.fault");
    assert!(error.reason.contains("unknown variant `melted`"), "{error}");
}

#[test]
fn a_missing_font_is_named_with_its_index() {
    let error = error_of(&edited("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/nonexistent/cjk.ttc"));
    assert_eq!(error.key, "devices.printer.fonts[1]");
    assert!(error.reason.contains("/nonexistent/cjk.ttc does not exist"), "{error}");
}

#[test]
fn kiosk_id_and_log_level_are_checked() {
    let error = error_of(&edited("id = \"KIOSK-DEV-0001\"", "id = \"kiosk 1\""));
    assert_eq!(error.key, "kiosk.id");
    assert_eq!(error.line, Some(minimal().lines().position(|l| l.starts_with("id =")).unwrap() + 1));
    let error = error_of(&edited("level = \"info\"", "level = \"loud=[\""));
    assert_eq!(error.key, "logging.level");
}

#[test]
fn gpio_pins_must_be_on_the_header_and_used_once() {
    let pins = "[devices.gpio]\ndriver = \"sim\"\n[devices.gpio.rppal]\nwhite = { pin = 17 }\ninfrared = { pin = 17 }\n\
                ultraviolet = { pin = 22 }\npresence = { pin = 23 }\ntamper = { pin = 24 }\nservice_button = { pin = 25 }\n";
    let text = edited("[devices.gpio]\ndriver = \"sim\"", pins);
    let config = Config::parse(&text, Path::new(FILE)).unwrap();
    let (field, reason) = config.devices.gpio.rppal.unwrap().validate().unwrap_err();
    assert_eq!(field, "infrared.pin");
    assert!(reason.contains("already used by white"));
}

#[test]
fn a_syntax_error_gives_its_line() {
    let error = error_of(&edited("fps = 30", "fps = = 30"));
    assert!(error.line.is_some(), "{error}");
    assert!(!error.reason.is_empty());
}

#[test]
fn an_unreadable_file_says_so() {
    let error = Config::load(Path::new("/nonexistent/kiosk.toml")).unwrap_err();
    assert!(error.to_string().contains("cannot read the configuration file"), "{error}");
}

#[test]
fn dotted_parents_are_folded_in_relative_paths() {
    let mut path = std::path::PathBuf::from("../var/receipts");
    resolve(&mut path, Path::new("configs"));
    assert_eq!(path, Path::new("var/receipts"));
    let mut path = std::path::PathBuf::from("../../x");
    resolve(&mut path, Path::new("configs"));
    assert_eq!(path, Path::new("../x"));
}

#[test]
fn fees_payment_and_units_are_checked_naming_their_keys() {
    let error = error_of(&edited("max_per_copy_vnd = 200000", "max_per_copy_vnd = 0"));
    assert_eq!(error.key, "fees.max_per_copy_vnd");
    let error = error_of(&format!("{}\n[payment]\nacquirer_bin = \"97\"\naccount = \"1\"\n", minimal()));
    assert!(error.key.starts_with("payment."), "{error}");
    let error = error_of(&minimal().replace("admin-units-2025.json", "no-such-units.json"));
    assert_eq!(error.key, "agency.units");
    assert!(error.reason.contains("does not exist"), "{error}");
    let config = Config::parse(&minimal(), Path::new(FILE)).unwrap();
    assert_eq!(config.fees.certified_copy_of_card(3).unwrap().total_vnd, 6_000);
    assert!(config.payment.is_none(), "the simulator configuration offers payment at pickup only");
}

#[test]
fn a_bad_holiday_table_is_named_with_its_own_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let holidays = dir.path().join("holidays.toml");
    std::fs::write(&holidays, "[years.2026]\nsource = \"test\"\nholidays = [\"2026-02-30\"]\nworking_saturdays = []\n")
        .unwrap();
    let text = minimal().replacen(
        &format!(
            "holidays = {:?}",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/holidays.toml").display().to_string()
        ),
        &format!("holidays = {:?}", holidays.display().to_string()),
        1,
    );
    let error = error_of(&text);
    assert_eq!(error.file, holidays);
    assert_eq!(error.key, "years.2026.holidays[0]");
}

#[test]
fn the_backend_key_is_parsed_and_checked_against_its_id() {
    let config = Config::parse(&minimal(), Path::new(FILE)).unwrap();
    let backend = config.keys.backend.expect("the simulator configuration names a backend key");
    assert_eq!(backend.key_id().to_string(), "06180c89292d4615");
    assert_eq!(config.keys.device_key, Path::new("/etc/var/keys/device.p8"));

    let wrong_id = error_of(&edited("backend_key_id = \"06180c89292d4615\"", "backend_key_id = \"0000000000000000\""));
    assert_eq!(wrong_id.key, "keys.backend_key_id");
    assert!(wrong_id.reason.contains("06180c89292d4615"), "{}", wrong_id.reason);
    let bad_key = error_of(&edited("backend_public_key = \"/qK/", "backend_public_key = \"*qK/"));
    assert_eq!(bad_key.key, "keys.backend_public_key");
    assert!(bad_key.reason.contains("base64"), "{}", bad_key.reason);
    let alone = error_of(&edited("backend_key_id = \"06180c89292d4615\"", ""));
    assert_eq!(alone.key, "keys.backend_key_id");
    // Without the section: the default device key beside the configuration, no backend key.
    let block = "[keys]\ndevice_key = \"../var/keys/device.p8\"\nbackend_public_key = \"/qK/qztjfCb88LLjR/gvrhJwzDXkw/7TSpJIgHlocjQ=\"\nbackend_key_id = \"06180c89292d4615\"\n";
    let without = Config::parse(&edited(block, ""), Path::new(FILE)).unwrap();
    assert_eq!(without.keys.device_key, Path::new("/etc/kiosk/var/keys/device.p8"));
    assert!(without.keys.backend.is_none());
}
