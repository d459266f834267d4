//! Whole-dossier tests: the PDF read back with lopdf and checked by qpdf, manifests against
//! `docs/manifest.schema.json`, the payload archive round trip.

use std::path::Path;
use std::sync::OnceLock;

use super::*;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml"))
            .expect("the simulator configuration loads")
    })
}

fn certified_copy() -> (CertifiedCopyInputs, Dossier) {
    let inputs = sample::certified_copy_inputs(&config().kiosk.id);
    let dossier = CertifiedCopyDossier::build(&inputs, config()).unwrap();
    (inputs, dossier)
}

fn eid() -> Dossier {
    EidDossier::build(&sample::eid_inputs(&config().kiosk.id), config()).unwrap()
}

const PDF_NAME: &str = "Nguyen Van An_Citizen Identity Card.pdf";

fn pdf_of(dossier: &Dossier) -> &[u8] {
    &dossier.file(PDF_NAME).expect("the PDF is in the dossier").bytes
}

#[test]
fn certified_copy_holds_the_pdf_and_both_sides() {
    let (_, dossier) = certified_copy();
    let names: Vec<&str> = dossier.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec![PDF_NAME, CARD_FRONT_FILE, CARD_BACK_FILE]);
    let listed: Vec<&str> = dossier.manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(listed, names);
    for (file, entry) in dossier.files.iter().zip(&dossier.manifest.files) {
        assert_eq!(entry.size, file.bytes.len() as u64);
        assert_eq!(entry.sha256, manifest::sha256_hex(&file.bytes));
    }
    let front = image::load_from_memory(&dossier.file(CARD_FRONT_FILE).unwrap().bytes).unwrap();
    assert_eq!((front.width(), front.height()), (2022, 1275));
}

#[test]
fn pdf_has_one_page_with_both_jpegs_byte_identical_at_true_size() {
    let (_, dossier) = certified_copy();
    let document = lopdf::Document::load_mem(pdf_of(&dossier)).unwrap();
    let pages = document.get_pages();
    assert_eq!(pages.len(), 1);
    let page_id = pages[&1];

    // A4 portrait.
    let page = document.get_dictionary(page_id).unwrap();
    let media_box: Vec<f32> =
        page.get(b"MediaBox").unwrap().as_array().unwrap().iter().map(|v| v.as_float().unwrap()).collect();
    assert!(
        (media_box[2] / pdf::PT_PER_MM - 210.0).abs() < 0.01 && (media_box[3] / pdf::PT_PER_MM - 297.0).abs() < 0.01
    );

    // Exactly two images, DCTDecode, with the archived JPEG bytes as they are.
    let images = document.get_page_images(page_id).unwrap();
    assert_eq!(images.len(), 2);
    let front = &dossier.file(CARD_FRONT_FILE).unwrap().bytes;
    let back = &dossier.file(CARD_BACK_FILE).unwrap().bytes;
    for image in &images {
        assert_eq!(image.filters.as_deref(), Some(&["DCTDecode".to_owned()][..]));
        assert_eq!((image.width, image.height), (2022, 1275));
        assert_eq!(image.color_space.as_deref(), Some("DeviceRGB"));
    }
    let contents: Vec<&[u8]> = images.iter().map(|i| i.content).collect();
    assert!(contents.contains(&front.as_slice()) && contents.contains(&back.as_slice()));

    // Each image is drawn once, scaled to 85.60 × 53.98 mm, the front above the back.
    let content = lopdf::content::Content::decode(&document.get_page_content(page_id)).unwrap();
    let placements: Vec<Vec<f32>> = content
        .operations
        .iter()
        .filter(|op| op.operator == "cm")
        .map(|op| op.operands.iter().map(|o| o.as_float().unwrap()).collect())
        .collect();
    let drawn: Vec<&lopdf::Object> =
        content.operations.iter().filter(|op| op.operator == "Do").map(|op| &op.operands[0]).collect();
    assert_eq!(placements.len(), 2);
    assert_eq!(drawn.len(), 2);
    for matrix in &placements {
        assert!((matrix[0] / pdf::PT_PER_MM - 85.60).abs() < 0.01, "width {matrix:?}");
        assert!((matrix[3] / pdf::PT_PER_MM - 53.98).abs() < 0.01, "height {matrix:?}");
        assert_eq!((matrix[1], matrix[2]), (0.0, 0.0));
        let centre_x = (matrix[4] + matrix[0] / 2.0) / pdf::PT_PER_MM;
        assert!((centre_x - 105.0).abs() < 0.01, "centred: {centre_x}");
    }
    let xobjects = document.get_dict_in_dict(page.get(b"Resources").unwrap().as_dict().unwrap(), b"XObject").unwrap();
    let front_name = xobjects
        .iter()
        .find(|(_, r)| document.get_object(r.as_reference().unwrap()).unwrap().as_stream().unwrap().content == **front)
        .map(|(name, _)| name.clone())
        .unwrap();
    let first_drawn = drawn[0].as_name().unwrap();
    assert_eq!(first_drawn, front_name.as_slice(), "the front is drawn first");
    assert!(placements[0][5] > placements[1][5] + placements[1][3], "the front is above the back");
}

#[test]
fn pdf_metadata_is_set() {
    let (_, dossier) = certified_copy();
    let document = lopdf::Document::load_mem(pdf_of(&dossier)).unwrap();
    let info_id = document.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = document.get_dictionary(info_id).unwrap();
    let text = |key: &[u8]| lopdf::decode_text_string(info.get(key).unwrap()).unwrap();
    assert_eq!(text(b"Title"), "Nguyen Van An_Citizen Identity Card");
    assert_eq!(text(b"Author"), "Phường Hoàn Kiếm, Thành phố Hà Nội (kiosk KIOSK-DEV-0001)");
    assert!(text(b"Subject").contains(&dossier.manifest.dossier_code.to_string()));
    assert!(text(b"Producer").starts_with("intake-kiosk "));
    let created = info.get(b"CreationDate").unwrap().as_str().unwrap();
    assert_eq!(created, b"D:20261202104050+07'00");
}

#[test]
fn pdf_passes_qpdf_check() {
    let (_, dossier) = certified_copy();
    // Sample data of a made-up person only: real dossiers never touch the disk.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.pdf");
    std::fs::write(&path, pdf_of(&dossier)).unwrap();
    let output = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf must be installed for this test: run ./dev.sh deps");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "qpdf --check failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("No syntax or stream encoding errors found"), "{stdout}");
}

fn schema_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/manifest.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, manifest: &serde_json::Value) {
    let errors: Vec<String> =
        validator.iter_errors(manifest).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "manifest does not match docs/manifest.schema.json: {errors:#?}");
}

#[test]
fn manifests_match_the_documented_schema() {
    let validator = schema_validator();
    let (_, copy) = certified_copy();
    let copy_json: serde_json::Value = serde_json::from_slice(&copy.manifest.to_json().unwrap()).unwrap();
    assert_valid(&validator, &copy_json);
    let eid_json: serde_json::Value = serde_json::from_slice(&eid().manifest.to_json().unwrap()).unwrap();
    assert_valid(&validator, &eid_json);

    // The schema is strict, so an undocumented field cannot slip in, and the service must match.
    let mut extra = copy_json.clone();
    extra["certified_copy"]["undocumented"] = serde_json::json!(1);
    assert!(!validator.is_valid(&extra));
    let mut wrong_service = copy_json;
    wrong_service["service"] = serde_json::json!("foreigner_eid");
    assert!(!validator.is_valid(&wrong_service));
}

#[test]
fn certified_copy_manifest_holds_fee_due_time_and_consent() {
    let (inputs, dossier) = certified_copy();
    let json: serde_json::Value = serde_json::from_slice(&dossier.manifest.to_json().unwrap()).unwrap();
    assert_eq!(json["service"], "certified_copy");
    assert_eq!(json["dossier_code"], inputs.code.to_string());
    // Two copies of a card (one page) at 2,000 VND (Circular 226/2016/TT-BTC).
    assert_eq!(json["certified_copy"]["fee"]["total_vnd"], 4_000);
    assert_eq!(json["certified_copy"]["payment"]["amount_vnd"], 4_000);
    // Submitted Wednesday 2026-12-02 10:40, before the 15:00 cutoff: due one working day later at 17:00.
    assert_eq!(json["timestamps"]["submitted"], "2026-12-02T10:40:50+07:00");
    assert_eq!(json["timestamps"]["due"], "2026-12-03T17:00:00+07:00");
    assert_eq!(json["consent"]["kiosk_id"], "KIOSK-DEV-0001");
    assert_eq!(json["consent"]["request"], inputs.code.to_string());
    assert_eq!(json["consent"]["language"], "vi");
    assert_eq!(json["certified_copy"]["copy_pdf"], PDF_NAME);
    assert_eq!(json["certified_copy"]["captures"][1]["file"], CARD_BACK_FILE);
}

#[test]
fn archive_round_trip_verifies_every_file() {
    let (_, dossier) = certified_copy();
    let payload = dossier.to_archive().unwrap();
    let opened = archive::open(&payload).unwrap();
    assert_eq!(opened.manifest_json, dossier.manifest.to_json().unwrap());
    assert_eq!(opened.files.len(), dossier.files.len());
    for ((entry, bytes), file) in opened.files.iter().zip(&dossier.files) {
        assert_eq!(entry.name, file.name);
        assert_eq!(bytes.as_slice(), file.bytes.as_slice());
    }
    // The images inside the archived PDF are the archived JPEGs.
    let pdf = &opened.files[0].1;
    let document = lopdf::Document::load_mem(pdf).unwrap();
    let images = document.get_page_images(document.get_pages()[&1]).unwrap();
    assert_eq!(images[0].content, opened.files[1].1.as_slice());
    assert_eq!(images[1].content, opened.files[2].1.as_slice());
}

#[test]
fn tampering_with_an_archived_image_is_detected() {
    let (_, dossier) = certified_copy();
    let mut payload = dossier.to_archive().unwrap();
    let back = &dossier.file(CARD_BACK_FILE).unwrap().bytes;
    // The back JPEG appears twice: inside the PDF and as its own entry; alter the entry (the last one).
    let at = payload.windows(64).rposition(|w| w == &back[1000..1064]).unwrap();
    payload[at + 10] ^= 0x01;
    assert!(
        matches!(archive::open(&payload), Err(archive::ArchiveError::Tampered { name }) if name.expose() == CARD_BACK_FILE)
    );
}

#[test]
fn building_twice_gives_the_same_payload() {
    let (inputs, first) = certified_copy();
    let second = CertifiedCopyDossier::build(&inputs, config()).unwrap();
    assert_eq!(*first.to_archive().unwrap(), *second.to_archive().unwrap());
}

#[test]
fn eid_dossier_holds_scans_portrait_and_fingerprints() {
    let dossier = eid();
    let names: Vec<&str> = dossier.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(&names[..3], &[RESIDENCE_FRONT_FILE, RESIDENCE_BACK_FILE, PORTRAIT_FILE]);
    assert_eq!(names.len(), 3 + 8);
    assert_eq!(names[3], "finger-01-right-thumb.png");
    let thumb = image::load_from_memory_with_format(&dossier.files[3].bytes, image::ImageFormat::Png).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (256, 288));
    let json: serde_json::Value = serde_json::from_slice(&dossier.manifest.to_json().unwrap()).unwrap();
    let eid = &json["foreigner_eid"];
    assert_eq!(eid["fingerprints"].as_array().unwrap().len(), 8);
    assert_eq!(eid["fingerprint_exceptions"][0]["position"], "right_little");
    assert_eq!(eid["fingerprint_exceptions"][0]["position_code"], 5);
    assert_eq!(eid["fingerprint_exceptions"][1]["position_code"], 10);
    assert_eq!(eid["officer_confirmation"]["method"], "officer_card");
    // Biometrics not on file: 7 working days from Wednesday 2026-12-02 is Friday 2026-12-11.
    assert_eq!(json["timestamps"]["due"], "2026-12-11T17:00:00+07:00");
    archive::open(&dossier.to_archive().unwrap()).unwrap();
}

#[test]
fn every_finger_must_be_captured_or_excepted_once() {
    let mut inputs = sample::eid_inputs("KIOSK-DEV-0001");
    inputs.finger_exceptions.pop();
    assert!(matches!(
        EidDossier::build(&inputs, config()),
        Err(DossierError::FingerNotAccounted { position: FingerPosition::LeftLittle })
    ));
    let mut inputs = sample::eid_inputs("KIOSK-DEV-0001");
    inputs.finger_exceptions.push((FingerPosition::RightThumb, FingerException::Missing));
    assert!(matches!(
        EidDossier::build(&inputs, config()),
        Err(DossierError::FingerNotAccounted { position: FingerPosition::RightThumb })
    ));
}

#[test]
fn debug_output_holds_no_personal_data() {
    let (inputs, dossier) = certified_copy();
    let eid_inputs = sample::eid_inputs("KIOSK-DEV-0001");
    let text = format!("{inputs:?} {dossier:?} {eid_inputs:?}");
    for secret in ["Nguyễn", "Nguyen", "001099012345", "1990-01-01", "0912345678", "Hàng Bạc", "KIM MIN", "M12345678"]
    {
        assert!(!text.contains(secret), "{secret} leaked into Debug output");
    }
}

#[test]
fn zero_copies_is_refused() {
    let mut inputs = sample::certified_copy_inputs("KIOSK-DEV-0001");
    inputs.copies = 0;
    assert!(matches!(CertifiedCopyDossier::build(&inputs, config()), Err(DossierError::Fee(FeeError::NoCopies))));
}

#[test]
fn file_name_settings_come_from_the_configuration() {
    let mut config = config().clone();
    config.dossier.ascii_fold_file_name = false;
    config.dossier.pdf_label = "Căn cước".to_owned();
    let inputs = sample::certified_copy_inputs("KIOSK-DEV-0001");
    let dossier = CertifiedCopyDossier::build(&inputs, &config).unwrap();
    assert_eq!(dossier.files[0].name, "Nguyễn Văn An_Căn cước.pdf");
    archive::open(&dossier.to_archive().unwrap()).unwrap();
}

#[test]
fn dossier_section_is_validated_with_its_key() {
    assert_eq!(DossierConfig::default().validate(), Ok(()));
    let key = |config: DossierConfig| config.validate().unwrap_err().0;
    assert_eq!(key(DossierConfig { jpeg_quality: 20, ..Default::default() }), "jpeg_quality");
    assert_eq!(key(DossierConfig { max_file_name_bytes: 200, ..Default::default() }), "max_file_name_bytes");
    assert_eq!(key(DossierConfig { pdf_label: " /:".to_owned(), ..Default::default() }), "pdf_label");
    assert_eq!(key(DossierConfig { pdf_label: "x".repeat(95), ..Default::default() }), "pdf_label");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen("jpeg_quality = 90", "jpeg_quality = 101", 1);
    let error = Config::parse(&text, &path).unwrap_err();
    assert_eq!(error.key, "dossier.jpeg_quality");
    assert!(error.line.is_some());
}
