//! Realistic sample inputs, drawn by the HAL simulator: the standard synthetic card at 600 dpi (a
//! made-up person, `kiosk_hal::sim::scene::SAMPLE_CARD_QR`), a synthetic portrait and fingerprints.
//! Used by tests, `benches/dossier.rs` and `kiosk dossier sample`; never by a real session.

use kiosk_hal::sim::CardSide;
use kiosk_hal::sim::scene;

use super::code::DossierCode;
use super::manifest::*;
use super::timestamp::Timestamp;
use super::{Capture, CertifiedCopyInputs, EidInputs, FingerCapture, PaymentInput, ResidenceCardInput};
use crate::config::Language;

/// 2026-12-02T10:40:50+07:00, a Wednesday: the sample submission time.
pub const SUBMITTED_UNIX: i64 = 1_796_182_850;

/// SHA-256 of the empty string, standing in for the consent wording's hash in samples.
const SAMPLE_WORDING_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The standard card side at 600 dpi (2022 × 1275), with plausible gate figures.
pub fn card_capture(side: CardSide) -> Capture {
    Capture {
        image: scene::CardArt::standard().side(side).clone(),
        dpi: 600,
        sharpness: 412.5,
        glare_fraction: 0.004,
        mean_luminance: 171.0,
        attempts: 1,
    }
}

/// Phường Hoàn Kiếm, Thành phố Hà Nội.
pub fn agency() -> AgencyRef {
    AgencyRef {
        province_code: "01".to_owned(),
        province_name: "Thành phố Hà Nội".to_owned(),
        commune_code: "00070".to_owned(),
        commune_name: "Phường Hoàn Kiếm".to_owned(),
    }
}

fn consent(language: Language) -> Consent {
    Consent {
        given_at: Timestamp::from_unix(SUBMITTED_UNIX - 300),
        wording_version: "2026-01".to_owned(),
        wording_sha256: SAMPLE_WORDING_SHA256.to_owned(),
        language,
    }
}

/// The standard certified-copy request: two copies, postal delivery, paid by VietQR.
pub fn certified_copy_inputs(kiosk_id: &str) -> CertifiedCopyInputs {
    CertifiedCopyInputs {
        code: DossierCode::from_parts(kiosk_id, SUBMITTED_UNIX, 4_242),
        submitted: Timestamp::from_unix(SUBMITTED_UNIX),
        agency: agency(),
        applicant: CicApplicant {
            id_number: "001099012345".into(),
            full_name: "Nguyễn Văn An".into(),
            date_of_birth: "1990-01-01".into(),
            sex: "Nam".into(),
            identified_by: IdentifiedBy::Chip,
        },
        chip: Some(ChipVerification {
            access_control: AccessControl::Bac,
            data_groups_read: vec![1, 2, 13, 14],
            passive_authentication: PassiveAuthentication::Valid,
            mrz_matches_chip: true,
        }),
        front: card_capture(CardSide::Front),
        back: card_capture(CardSide::Back),
        copies: 2,
        complex: false,
        receipt: Receipt {
            method: ReceiptMethod::Post,
            postal_address: Some("Số 1 Phố Hàng Bạc, Phường Hoàn Kiếm, Hà Nội".into()),
        },
        contact: Contact { phone: "0912345678".into(), email: Some("an.nguyen@example.com".into()) },
        payment: PaymentInput { method: PaymentMethod::Vietqr, reference: Some("FT26336123456789".to_owned()) },
        consent: consent(Language::Vi),
    }
}

/// A foreigner e-ID application: eight fingers captured, both little fingers recorded as injured.
pub fn eid_inputs(kiosk_id: &str) -> EidInputs {
    let mut rng = scene::rng(7);
    let portrait = Capture {
        image: scene::portrait(600, 800, 0.0, &mut rng),
        dpi: 300,
        sharpness: 230.0,
        glare_fraction: 0.0,
        mean_luminance: 142.0,
        attempts: 2,
    };
    let injured = [FingerPosition::RightLittle, FingerPosition::LeftLittle];
    let fingerprints = FingerPosition::ALL
        .into_iter()
        .filter(|p| !injured.contains(p))
        .map(|position| FingerCapture {
            position,
            image: scene::fingerprint(256, 288, u64::from(position.code())),
            quality: 60 + position.code(),
        })
        .collect();
    EidInputs {
        code: DossierCode::from_parts(kiosk_id, SUBMITTED_UNIX, 777),
        submitted: Timestamp::from_unix(SUBMITTED_UNIX),
        agency: agency(),
        applicant: EidApplicant {
            full_name: "KIM MIN JUN".into(),
            date_of_birth: "1988-04-12".into(),
            sex: "M".into(),
            nationality: "KOR".into(),
        },
        representative: None,
        passport: PassportData {
            number: "M12345678".into(),
            document_type: "PM".to_owned(),
            issue_date: "2022-03-15".into(),
            issue_place: "Ministry of Foreign Affairs, Republic of Korea".into(),
            expiry_date: "2032-03-15".into(),
        },
        residence_card: ResidenceCardInput {
            number: "TT0123456".into(),
            card_type: ResidenceCardType::Temporary,
            expiry_date: "2028-06-30".into(),
            front: card_capture(CardSide::Front),
            back: card_capture(CardSide::Back),
        },
        contact: EidContact {
            phone: "+84901234567".into(),
            email: Some("minjun.kim@example.com".into()),
            address_in_vietnam: "Số 2 Phố Tràng Tiền, Phường Hoàn Kiếm, Hà Nội".into(),
        },
        delivery: EidDelivery::Vneid,
        biometrics_on_file: false,
        portrait,
        portrait_quality: 88,
        fingerprints,
        finger_exceptions: injured.into_iter().map(|p| (p, FingerException::Injured)).collect(),
        officer: OfficerConfirmation {
            officer_id: "XNC-HN-0042".to_owned(),
            method: OfficerMethod::OfficerCard,
            confirmed_at: Timestamp::from_unix(SUBMITTED_UNIX + 60),
        },
        consent: consent(Language::Ko),
    }
}
