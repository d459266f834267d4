//! `EF.CardAccess`: the SecurityInfos a chip advertises before any access control, and the choice
//! of PACE parameters from them (ICAO Doc 9303 Part 11 §9.2, §9.2.1 "PACEInfo", §9.5.1).
//!
//! ```text
//! SecurityInfos ::= SET OF SecurityInfo
//! SecurityInfo  ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
//! PACEInfo      ::= SEQUENCE { protocol OBJECT IDENTIFIER (id-PACE-…), version INTEGER,
//!                              parameterId INTEGER OPTIONAL }
//! ```
//!
//! The parser is a small, strict DER reader: it never panics, never reads past its input and
//! keeps every SecurityInfo it does not understand (Doc 9303-11 §9.2: "unknown SecurityInfos MUST
//! be ignored", not rejected), so the whole file can still be shown to a technician.

use std::fmt;

use super::pace_crypto::{AesStrength, Curve};

/// DER tag of OBJECT IDENTIFIER.
const TAG_OID: u32 = 0x06;
/// DER tag of INTEGER.
const TAG_INTEGER: u32 = 0x02;
/// DER tag of SEQUENCE.
const TAG_SEQUENCE: u32 = 0x30;
/// DER tag of SET.
const TAG_SET: u32 = 0x31;

/// id-PACE = bsi-de protocols smartcards 4 = 0.4.0.127.0.7.2.2.4 (Doc 9303-11 §9.2.1), as DER
/// content octets. A PACE protocol identifier adds two arcs: the mapping and the cipher.
const ID_PACE: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
/// Mapping arc of id-PACE-ECDH-GM.
const MAPPING_ECDH_GM: u8 = 2;
/// PACE version this implementation speaks (Doc 9303-11 §9.2.1: "version SHALL be 2").
const PACE_VERSION: u32 = 2;

/// One BER-TLV data object (ISO/IEC 7816-4 / X.690): its tag (up to three tag bytes), its value and
/// the whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, its bytes packed big-endian (`7F49` → 0x7F49).
    pub tag: u32,
    /// The value field.
    pub value: &'a [u8],
    /// Tag, length and value as they appeared in the input.
    pub raw: &'a [u8],
}

/// Reads one BER-TLV data object in definite-length form from the front of `input`; returns it and
/// the bytes after it, or `None` when the input is truncated, uses the indefinite length or a length
/// of more than three bytes (nothing on an eMRTD chip is that long).
pub fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&first, mut rest) = input.split_first()?;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        // Subsequent tag bytes: bit 8 set means another byte follows (X.690 §8.1.2.4).
        for count in 0.. {
            let (&byte, after) = rest.split_first()?;
            rest = after;
            tag = (tag << 8) | u32::from(byte);
            if byte & 0x80 == 0 {
                break;
            }
            if count >= 1 {
                return None;
            }
        }
    }
    let (&length_byte, after) = rest.split_first()?;
    rest = after;
    let len = match length_byte {
        0x00..=0x7F => usize::from(length_byte),
        0x81..=0x83 => {
            let count = usize::from(length_byte & 0x7F);
            let bytes = rest.get(..count)?;
            rest = &rest[count..];
            bytes.iter().fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte))
        }
        _ => return None,
    };
    let value = rest.get(..len)?;
    let after = &rest[len..];
    let raw = &input[..input.len() - after.len()];
    Some((Tlv { tag, value, raw }, after))
}

/// Reads every data object of `input` in turn; `None` if any of them is malformed.
pub fn read_all_tlv(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut objects = Vec::new();
    while !input.is_empty() {
        let (object, rest) = read_tlv(input)?;
        objects.push(object);
        input = rest;
    }
    Some(objects)
}

/// An OBJECT IDENTIFIER, kept as its DER content octets; `Display` shows the dotted form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(Vec<u8>);

impl ObjectId {
    /// An identifier from its DER content octets (the value of tag `06`).
    pub fn from_der_content(bytes: &[u8]) -> ObjectId {
        ObjectId(bytes.to_vec())
    }

    /// The DER content octets.
    pub fn as_der_content(&self) -> &[u8] {
        &self.0
    }

    /// The identifier as a full DER data object, tag `06` included (what MSE:Set AT sends in
    /// DO'80' without the tag, and the authentication token input carries with it).
    pub fn to_der(&self) -> Vec<u8> {
        let mut out = vec![0x06];
        push_der_length(&mut out, self.0.len());
        out.extend_from_slice(&self.0);
        out
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match crate::idcard::chip::lds::dotted_oid(&self.0) {
            Some(dotted) => f.write_str(&dotted),
            None => f.write_str("(malformed OID)"),
        }
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

/// Appends a DER length (short form, or long form with one or two bytes).
pub(crate) fn push_der_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        let [_, _, high, low] = (len.min(0xFFFF) as u32).to_be_bytes();
        out.extend_from_slice(&[0x82, high, low]);
    }
}

/// Why `EF.CardAccess` could not be read as SecurityInfos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardAccessError {
    /// The file is not a DER SET OF SEQUENCE; `what` names the part that is wrong.
    #[error("EF.CardAccess is malformed ({what}); the chip may be damaged — try BAC or enter the data by hand")]
    Malformed {
        /// The element that could not be read.
        what: &'static str,
    },
}

fn malformed(what: &'static str) -> CardAccessError {
    CardAccessError::Malformed { what }
}

/// One entry of `EF.CardAccess`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfo {
    /// A PACEInfo (its protocol identifier starts with id-PACE and names a mapping and a cipher).
    Pace(PaceInfo),
    /// Any other SecurityInfo (PACEDomainParameterInfo, ChipAuthenticationInfo, TerminalAuthenticationInfo,
    /// proprietary ones …), kept with its protocol identifier and its whole DER encoding.
    Other {
        /// The protocol identifier.
        protocol: ObjectId,
        /// The SEQUENCE as it appeared in the file.
        der: Vec<u8>,
    },
}

/// A PACEInfo (Doc 9303-11 §9.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceInfo {
    /// The protocol identifier, id-PACE-<mapping>-<cipher>.
    pub protocol: ObjectId,
    /// The version (2 for the PACE of Doc 9303).
    pub version: u32,
    /// The standardized domain parameter id of §9.5.1 (table of standardized domain parameters), when the chip uses one; absent
    /// when the domain parameters are proprietary (given in a PACEDomainParameterInfo).
    pub parameter_id: Option<u32>,
}

/// What this kiosk cannot do with a PACEInfo, said so that a technician can tell why the kiosk fell
/// back to BAC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaceUnsupported {
    /// The chip offers no PACE at all (then BAC is the way in).
    #[error("the chip does not offer PACE")]
    NotOffered,
    /// Another mapping or cipher than ECDH generic mapping with AES (DH, integrated or chip
    /// authentication mapping, 3DES).
    #[error("PACE protocol {protocol} is not supported (only ECDH generic mapping with AES is)")]
    Protocol {
        /// The protocol identifier the chip offers.
        protocol: ObjectId,
    },
    /// A PACE version other than 2.
    #[error("PACE version {0} is not supported (only version 2 is)")]
    Version(u32),
    /// A standardized curve this kiosk has no arithmetic for.
    #[error(
        "PACE on the curve {name} (domain parameter id {id}) is not supported (only NIST P-256 and brainpoolP256r1 are)"
    )]
    Curve {
        /// The standardized domain parameter id.
        id: u32,
        /// The curve's name from Doc 9303-11 §9.5.1 (table of standardized domain parameters).
        name: &'static str,
    },
    /// Domain parameters that are not one of the standardized ones, or an id that is reserved or
    /// names a Diffie-Hellman group (which ECDH cannot use).
    #[error("PACE domain parameters {id:?} are not supported (explicit, reserved or not an elliptic curve)")]
    Parameters {
        /// The id the chip gave, if any.
        id: Option<u32>,
    },
}

/// The PACE parameters both sides agree on: ECDH generic mapping on `curve`, AES of `strength`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceParams {
    /// The protocol identifier (sent in MSE:Set AT and covered by the authentication tokens).
    pub protocol: ObjectId,
    /// The AES key length of the session (and of Kπ).
    pub strength: AesStrength,
    /// The curve.
    pub curve: Curve,
    /// The standardized domain parameter id (12 or 13).
    pub parameter_id: u32,
}

impl PaceParams {
    /// ECDH generic mapping with AES of `strength` on `curve`: the PACEInfo a chip would advertise
    /// (for the chip simulator and tests).
    pub fn ecdh_generic_mapping(strength: AesStrength, curve: Curve) -> PaceParams {
        let cipher_arc = match strength {
            AesStrength::Aes128 => 2,
            AesStrength::Aes192 => 3,
            AesStrength::Aes256 => 4,
        };
        let mut oid = ID_PACE.to_vec();
        oid.extend_from_slice(&[MAPPING_ECDH_GM, cipher_arc]);
        let parameter_id = match curve {
            Curve::NistP256 => 12,
            Curve::BrainpoolP256r1 => 13,
        };
        PaceParams { protocol: ObjectId(oid), strength, curve, parameter_id }
    }

    /// The `EF.CardAccess` content that advertises exactly these parameters (one PACEInfo).
    pub fn card_access(&self) -> Vec<u8> {
        let mut info = self.protocol.to_der();
        info.extend_from_slice(&[0x02, 0x01, PACE_VERSION as u8, 0x02, 0x01, self.parameter_id as u8]);
        let mut sequence = vec![0x30];
        push_der_length(&mut sequence, info.len());
        sequence.extend_from_slice(&info);
        let mut set = vec![0x31];
        push_der_length(&mut set, sequence.len());
        set.extend_from_slice(&sequence);
        set
    }
}

impl PaceInfo {
    /// The parameters to run PACE with, or why this kiosk cannot use this PACEInfo.
    pub fn params(&self) -> Result<PaceParams, PaceUnsupported> {
        let oid = self.protocol.as_der_content();
        let strength = match oid.get(ID_PACE.len()..) {
            Some([MAPPING_ECDH_GM, 2]) => AesStrength::Aes128,
            Some([MAPPING_ECDH_GM, 3]) => AesStrength::Aes192,
            Some([MAPPING_ECDH_GM, 4]) => AesStrength::Aes256,
            _ => return Err(PaceUnsupported::Protocol { protocol: self.protocol.clone() }),
        };
        if self.version != PACE_VERSION {
            return Err(PaceUnsupported::Version(self.version));
        }
        let curve = match self.parameter_id {
            Some(12) => Curve::NistP256,
            Some(13) => Curve::BrainpoolP256r1,
            Some(id) => {
                return Err(match unsupported_curve_name(id) {
                    Some(name) => PaceUnsupported::Curve { id, name },
                    None => PaceUnsupported::Parameters { id: Some(id) },
                });
            }
            None => return Err(PaceUnsupported::Parameters { id: None }),
        };
        Ok(PaceParams {
            protocol: self.protocol.clone(),
            strength,
            curve,
            parameter_id: self.parameter_id.unwrap_or_default(),
        })
    }
}

/// The elliptic curves of Doc 9303-11 §9.5.1 (table of standardized domain parameters) other than the two supported ones.
fn unsupported_curve_name(id: u32) -> Option<&'static str> {
    Some(match id {
        8 => "NIST P-192",
        9 => "brainpoolP192r1",
        10 => "NIST P-224",
        11 => "brainpoolP224r1",
        14 => "brainpoolP320r1",
        15 => "NIST P-384",
        16 => "brainpoolP384r1",
        17 => "brainpoolP512r1",
        18 => "NIST P-521",
        _ => return None,
    })
}

/// The parsed content of `EF.CardAccess`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfos {
    /// Every SecurityInfo, in file order.
    pub infos: Vec<SecurityInfo>,
}

impl SecurityInfos {
    /// Parses `EF.CardAccess`. Trailing `00`/`FF` bytes after the SET are tolerated (chips pad
    /// the file to its allocated size).
    pub fn parse(file: &[u8]) -> Result<SecurityInfos, CardAccessError> {
        let (set, rest) = read_tlv(file).ok_or(malformed("SET OF SecurityInfo"))?;
        if set.tag != TAG_SET {
            return Err(malformed("SET OF SecurityInfo"));
        }
        if rest.iter().any(|&byte| byte != 0x00 && byte != 0xFF) {
            return Err(malformed("data after the SET"));
        }
        let entries = read_all_tlv(set.value).ok_or(malformed("SecurityInfo"))?;
        let infos = entries.into_iter().map(parse_security_info).collect::<Result<Vec<_>, _>>()?;
        Ok(SecurityInfos { infos })
    }

    /// Every PACEInfo, in file order.
    pub fn pace_infos(&self) -> impl Iterator<Item = &PaceInfo> {
        self.infos.iter().filter_map(|info| match info {
            SecurityInfo::Pace(pace) => Some(pace),
            SecurityInfo::Other { .. } => None,
        })
    }

    /// The PACE parameters to use: the strongest supported PACEInfo (AES-256 before 192 before
    /// 128; on a tie, the one listed first). Otherwise the reason the first PACEInfo cannot be used,
    /// or [`PaceUnsupported::NotOffered`]; either way the reader falls back to BAC.
    pub fn preferred_pace(&self) -> Result<PaceParams, PaceUnsupported> {
        let mut first_error = None;
        let mut best: Option<PaceParams> = None;
        for info in self.pace_infos() {
            match info.params() {
                Ok(params) => {
                    if best.as_ref().is_none_or(|current| params.strength.key_len() > current.strength.key_len()) {
                        best = Some(params);
                    }
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        best.ok_or(first_error.unwrap_or(PaceUnsupported::NotOffered))
    }
}

fn parse_security_info(entry: Tlv<'_>) -> Result<SecurityInfo, CardAccessError> {
    if entry.tag != TAG_SEQUENCE {
        return Err(malformed("SecurityInfo is not a SEQUENCE"));
    }
    let fields = read_all_tlv(entry.value).ok_or(malformed("SecurityInfo fields"))?;
    let [protocol, required, optional @ ..] = fields.as_slice() else {
        return Err(malformed("SecurityInfo lacks its protocol or required data"));
    };
    if protocol.tag != TAG_OID || protocol.value.is_empty() {
        return Err(malformed("SecurityInfo protocol"));
    }
    let oid = ObjectId::from_der_content(protocol.value);
    let is_pace_info = protocol.value.len() == ID_PACE.len() + 2 && protocol.value.starts_with(&ID_PACE);
    if !is_pace_info {
        return Ok(SecurityInfo::Other { protocol: oid, der: entry.raw.to_vec() });
    }
    if required.tag != TAG_INTEGER {
        return Err(malformed("PACEInfo version"));
    }
    let version = der_unsigned(required.value).ok_or(malformed("PACEInfo version"))?;
    let parameter_id = match optional {
        [] => None,
        [id] if id.tag == TAG_INTEGER => Some(der_unsigned(id.value).ok_or(malformed("PACEInfo parameterId"))?),
        _ => return Err(malformed("PACEInfo parameterId")),
    };
    Ok(SecurityInfo::Pace(PaceInfo { protocol: oid, version, parameter_id }))
}

/// A non-negative DER INTEGER that fits in 32 bits.
fn der_unsigned(value: &[u8]) -> Option<u32> {
    let (&first, _) = value.split_first()?;
    if first & 0x80 != 0 {
        return None;
    }
    let digits = if first == 0 && value.len() > 1 { &value[1..] } else { value };
    if digits.len() > 4 {
        return None;
    }
    Some(digits.iter().fold(0u32, |acc, &byte| (acc << 8) | u32::from(byte)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard::crypto::tests::hex;

    // ICAO Doc 9303 Part 11 Appendix G.1: the EF.CardAccess of the worked example, one PACEInfo
    // (id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, parameterId 13 = brainpoolP256r1).
    const APPENDIX_G1_CARD_ACCESS: &str = "31143012060A04007F0007020204020202010202010D";

    #[test]
    fn appendix_g1_card_access_selects_brainpool_aes128() {
        let infos = SecurityInfos::parse(&hex(APPENDIX_G1_CARD_ACCESS)).expect("appendix file");
        assert_eq!(infos.infos.len(), 1);
        let SecurityInfo::Pace(info) = &infos.infos[0] else { panic!("not a PACEInfo: {infos:?}") };
        assert_eq!(info.protocol.to_string(), "0.4.0.127.0.7.2.2.4.2.2");
        assert_eq!((info.version, info.parameter_id), (2, Some(13)));
        let params = infos.preferred_pace().expect("supported");
        assert_eq!(
            (params.strength, params.curve, params.parameter_id),
            (AesStrength::Aes128, Curve::BrainpoolP256r1, 13)
        );
        assert_eq!(params, PaceParams::ecdh_generic_mapping(AesStrength::Aes128, Curve::BrainpoolP256r1));
        assert_eq!(params.card_access(), hex(APPENDIX_G1_CARD_ACCESS));
    }

    #[test]
    fn every_supported_combination_round_trips_through_card_access() {
        for strength in [AesStrength::Aes128, AesStrength::Aes192, AesStrength::Aes256] {
            for curve in [Curve::NistP256, Curve::BrainpoolP256r1] {
                let params = PaceParams::ecdh_generic_mapping(strength, curve);
                let parsed = SecurityInfos::parse(&params.card_access()).expect("own encoding");
                assert_eq!(parsed.preferred_pace(), Ok(params));
            }
        }
    }

    #[test]
    fn unsupported_curves_and_protocols_are_named() {
        let with_id = |id: u8| SecurityInfos {
            infos: vec![SecurityInfo::Pace(PaceInfo {
                protocol: ObjectId::from_der_content(&hex("04007F00070202040202")),
                version: 2,
                parameter_id: Some(u32::from(id)),
            })],
        };
        for (id, name) in [(8, "NIST P-192"), (11, "brainpoolP224r1"), (14, "brainpoolP320r1"), (18, "NIST P-521")] {
            let error = with_id(id).preferred_pace().expect_err("unsupported");
            assert_eq!(error, PaceUnsupported::Curve { id: u32::from(id), name });
            assert!(error.to_string().contains(name), "{error}");
        }
        assert_eq!(with_id(2).preferred_pace(), Err(PaceUnsupported::Parameters { id: Some(2) }));
        assert_eq!(with_id(25).preferred_pace(), Err(PaceUnsupported::Parameters { id: Some(25) }));
        // id-PACE-DH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.1.2) and id-PACE-ECDH-IM-AES-128 (….4.2).
        for oid in ["04007F00070202040102", "04007F00070202040402"] {
            let file = hex(&format!("31143012060A{oid}0201020201 0D"));
            let error = SecurityInfos::parse(&file).expect("well-formed").preferred_pace().expect_err("unsupported");
            assert!(matches!(error, PaceUnsupported::Protocol { .. }), "{error:?}");
        }
        assert_eq!(SecurityInfos { infos: vec![] }.preferred_pace(), Err(PaceUnsupported::NotOffered));
    }

    // A file like those of real chips (e.g. the gmrtd test suite's two-entry file): a PACEInfo for
    // ECDH-GM AES-256 and one for ECDH-CAM, brainpoolP384r1 (id 16), plus a ChipAuthenticationInfo.
    #[test]
    fn unknown_infos_are_kept_and_the_strongest_usable_pace_wins() {
        let file = hex("314D \
             3012060A04007F000702020402040201020201 10 \
             3012060A04007F000702020406040201020201 10 \
             300F060A04007F00070202030202 020101 \
             3012060A04007F000702020402020201020201 0C \
             0000");
        let infos = SecurityInfos::parse(&file).expect("well-formed");
        assert_eq!(infos.infos.len(), 4);
        assert!(matches!(&infos.infos[2], SecurityInfo::Other { protocol, der }
            if protocol.to_string() == "0.4.0.127.0.7.2.2.3.2.2" && der.len() == 17));
        let params = infos.preferred_pace().expect("the P-256 entry is usable");
        assert_eq!((params.curve, params.strength), (Curve::NistP256, AesStrength::Aes128));
    }

    #[test]
    fn malformed_files_are_refused_precisely() {
        let cases = [
            ("", "SET OF SecurityInfo"),
            ("3000", "SET OF SecurityInfo"),
            ("3103 020101", "SecurityInfo is not a SEQUENCE"),
            ("3105 3003 060100", "SecurityInfo lacks its protocol or required data"),
            ("3108 3006 020102 020101", "SecurityInfo protocol"),
            ("3114 3012060A04007F00070202040202 0401 02 0201 0D", "PACEInfo version"),
            ("3114 3012060A04007F00070202040202 0201 FF 0201 0D", "PACEInfo version"),
            ("3114 3012060A04007F00070202040202 0201 02 0401 0D", "PACEInfo parameterId"),
            ("3114 3012060A04007F00070202040202 0201 02 0202 0D", "SecurityInfo fields"),
            ("3100 31", "data after the SET"),
        ];
        for (file, what) in cases {
            assert_eq!(SecurityInfos::parse(&hex(file)), Err(CardAccessError::Malformed { what }), "{file}");
        }
    }

    #[test]
    fn tlv_reader_handles_long_tags_and_lengths() {
        let input = hex("7F4903 010203 FF");
        let (object, rest) = read_tlv(&input).expect("two-byte tag");
        assert_eq!((object.tag, object.value, rest), (0x7F49, &[1u8, 2, 3][..], &[0xFFu8][..]));
        let long = [&hex("0481 80")[..], &[0xAB; 0x80]].concat();
        assert_eq!(read_tlv(&long).map(|(object, _)| object.value.len()), Some(0x80));
        assert_eq!(read_tlv(&hex("0480")), None, "indefinite length");
        assert_eq!(read_tlv(&hex("0484 00000001 00")), None, "four length bytes");
        assert_eq!(read_tlv(&hex("0402 00")), None, "truncated value");
        assert_eq!(read_tlv(&hex("1F")), None, "truncated tag");
        assert_eq!(read_tlv(&hex("1F818181 00")), None, "four tag bytes");
    }

    #[test]
    fn random_files_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        };
        let valid = hex(APPENDIX_G1_CARD_ACCESS);
        for round in 0..20_000 {
            let mut file = valid.clone();
            if round % 3 == 0 {
                file = (0..usize::from(next()) % 48).map(|_| next()).collect();
            } else {
                for _ in 0..=(round % 4) {
                    let index = usize::from(next()) % file.len();
                    file[index] = next();
                }
                file.truncate(usize::from(next()) % (valid.len() + 1));
            }
            if let Ok(infos) = SecurityInfos::parse(&file) {
                let _ = infos.preferred_pace();
                for info in &infos.infos {
                    let _ = format!("{info:?}");
                }
            }
        }
        // The valid file truncated anywhere is refused.
        for cut in 0..valid.len() {
            assert!(SecurityInfos::parse(&valid[..cut]).is_err(), "cut at {cut}");
        }
    }
}
