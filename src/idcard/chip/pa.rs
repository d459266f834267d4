//! Passive authentication: ICAO Doc 9303 Part 11 §5.1 and Part 10 §4.6.2 (EF.SOD), Part 12 (PKI).
//!
//! EF.SOD is a CMS SignedData (RFC 5652) whose content is the LDSSecurityObject: the hash of each
//! data group. Passive authentication checks, separately:
//! 1. each read data group's hash against the LDSSecurityObject;
//! 2. the document signer's signature over the signed attributes, whose message-digest attribute
//!    must be the hash of the LDSSecurityObject (RFC 5652 §5.4);
//! 3. the document signer certificate against the configured CSCA certificates (Part 12 §4).
//!
//! A document whose CSCA is not configured is "not verified", which is not an error: the kiosk
//! may still use the data with an officer's check. Expired certificates are noted, not fatal
//! (Part 12 §4.4.2: a DS certificate outlives its signing period by the documents' validity).

use std::collections::BTreeMap;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence};
use serde::Serialize;
use sha2::Digest as _;
use spki_types::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use super::tlv;

/// The spki types as x509-cert re-exports them (one version in the tree).
mod spki_types {
    pub use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
}

/// Object identifiers passive authentication meets (RFC 5652, RFC 5758, RFC 8017, RFC 5639, Doc 9303-10).
pub mod oid {
    use der::asn1::ObjectIdentifier as Oid;
    /// id-signedData.
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    /// id-icao-mrtd-security-ldsSecurityObject (Doc 9303-10 §4.6.2.3).
    pub const LDS_SECURITY_OBJECT: Oid = Oid::new_unwrap("2.23.136.1.1.1");
    /// id-contentType attribute.
    pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    /// id-messageDigest attribute.
    pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    /// SHA-1.
    pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
    /// SHA-224.
    pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
    /// SHA-256.
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// SHA-384.
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    /// SHA-512.
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
    /// id-ecPublicKey.
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    /// ecdsa-with-SHA224.
    pub const ECDSA_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
    /// ecdsa-with-SHA256.
    pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    /// ecdsa-with-SHA384.
    pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    /// ecdsa-with-SHA512.
    pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    /// rsaEncryption.
    pub const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    /// id-RSASSA-PSS.
    pub const RSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
    /// sha256WithRSAEncryption.
    pub const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    /// sha384WithRSAEncryption.
    pub const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    /// sha512WithRSAEncryption.
    pub const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    /// sha224WithRSAEncryption.
    pub const RSA_SHA224: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");
    /// NIST P-256 (secp256r1).
    pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    /// NIST P-384 (secp384r1).
    pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    /// brainpoolP256r1 (RFC 5639).
    pub const BRAINPOOL_P256: Oid = Oid::new_unwrap("1.3.36.3.3.2.8.1.1.7");
    /// brainpoolP384r1 (RFC 5639).
    pub const BRAINPOOL_P384: Oid = Oid::new_unwrap("1.3.36.3.3.2.8.1.1.11");
}

/// A hash algorithm of the LDSSecurityObject or of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HashAlgorithm {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The algorithm named by a digest OID.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<HashAlgorithm> {
        Some(match *oid {
            oid::SHA1 => HashAlgorithm::Sha1,
            oid::SHA224 => HashAlgorithm::Sha224,
            oid::SHA256 => HashAlgorithm::Sha256,
            oid::SHA384 => HashAlgorithm::Sha384,
            oid::SHA512 => HashAlgorithm::Sha512,
            _ => return None,
        })
    }

    /// The digest OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            HashAlgorithm::Sha1 => oid::SHA1,
            HashAlgorithm::Sha224 => oid::SHA224,
            HashAlgorithm::Sha256 => oid::SHA256,
            HashAlgorithm::Sha384 => oid::SHA384,
            HashAlgorithm::Sha512 => oid::SHA512,
        }
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlgorithm::Sha224 => sha2::Sha224::digest(data).to_vec(),
            HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Why EF.SOD could not be taken apart or a signature could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SodError {
    /// EF.SOD is not tag `77` around a CMS ContentInfo.
    #[error("EF.SOD is not a document security object: {0}")]
    Malformed(String),
    /// The CMS content is not an LDSSecurityObject.
    #[error("EF.SOD signs {0} instead of an LDS security object")]
    NotLdsSecurityObject(String),
    /// An algorithm the kiosk does not implement (its OID).
    #[error("algorithm {0} is not supported; the document cannot be verified on this kiosk")]
    UnsupportedAlgorithm(String),
    /// The signer's certificate is not in EF.SOD.
    #[error("EF.SOD does not contain its document signer certificate")]
    NoSignerCertificate,
}

/// DataGroupHash (Doc 9303-10 §4.6.2.3).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct DataGroupHash {
    /// The data group number.
    pub data_group_number: u8,
    /// Its hash.
    pub data_group_hash_value: OctetString,
}

/// LDSSecurityObject (Doc 9303-10 §4.6.2.3), version 0 or 1.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct LdsSecurityObject {
    /// 0 (LDS 1.7) or 1 (with the LDS version info).
    pub version: u8,
    /// The hash algorithm of the data group hashes.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// One hash per data group.
    pub data_group_hash_values: Vec<DataGroupHash>,
    /// LDSVersionInfo (version 1 only).
    #[asn1(optional = "true")]
    pub lds_version_info: Option<der::Any>,
}

/// EF.SOD taken apart.
#[derive(Debug, Clone)]
pub struct Sod {
    signed_data: SignedData,
    /// The LDSSecurityObject's DER (the encapsulated content, what the message digest covers).
    lds_der: Vec<u8>,
    /// The LDSSecurityObject.
    pub lds: LdsSecurityObject,
}

impl Sod {
    /// Parses EF.SOD as read from the chip (tag `77`).
    pub fn parse(file: &[u8]) -> Result<Sod, SodError> {
        let malformed = |what: &str| SodError::Malformed(what.to_owned());
        let (object, _) = tlv::parse_one(file).map_err(|e| SodError::Malformed(e.to_string()))?;
        if object.tag != 0x77 {
            return Err(malformed("it does not start with tag 77"));
        }
        let info = ContentInfo::from_der(object.value).map_err(|e| SodError::Malformed(e.to_string()))?;
        if info.content_type != oid::SIGNED_DATA {
            return Err(malformed("its content is not CMS SignedData"));
        }
        let signed_data: SignedData = info.content.decode_as().map_err(|e| SodError::Malformed(e.to_string()))?;
        let encap = &signed_data.encap_content_info;
        if encap.econtent_type != oid::LDS_SECURITY_OBJECT {
            return Err(SodError::NotLdsSecurityObject(encap.econtent_type.to_string()));
        }
        let econtent = encap.econtent.as_ref().ok_or_else(|| malformed("the signed content is detached"))?;
        let lds_der = OctetString::from_der(&econtent.to_der().map_err(|e| SodError::Malformed(e.to_string()))?)
            .map_err(|e| SodError::Malformed(e.to_string()))?
            .into_bytes();
        let lds = LdsSecurityObject::from_der(&lds_der).map_err(|e| SodError::Malformed(e.to_string()))?;
        Ok(Sod { signed_data, lds_der, lds })
    }

    /// The hash algorithm of the data group hashes.
    pub fn hash_algorithm(&self) -> Result<HashAlgorithm, SodError> {
        let oid = &self.lds.hash_algorithm.oid;
        HashAlgorithm::from_oid(oid).ok_or_else(|| SodError::UnsupportedAlgorithm(oid.to_string()))
    }

    /// The stored hash of each data group.
    pub fn data_group_hashes(&self) -> BTreeMap<u8, Vec<u8>> {
        self.lds
            .data_group_hash_values
            .iter()
            .map(|h| (h.data_group_number, h.data_group_hash_value.as_bytes().to_vec()))
            .collect()
    }

    /// The document signer certificate: the one the signer identifier names, else the first.
    pub fn signer_certificate(&self) -> Result<&Certificate, SodError> {
        let certificates: Vec<&Certificate> = self
            .signed_data
            .certificates
            .iter()
            .flat_map(|set| set.0.iter())
            .filter_map(|choice| match choice {
                CertificateChoices::Certificate(cert) => Some(cert),
                CertificateChoices::Other(_) => None,
            })
            .collect();
        let signer = self.signed_data.signer_infos.0.iter().next();
        let named = signer.and_then(|signer| {
            certificates.iter().copied().find(|cert| match &signer.sid {
                SignerIdentifier::IssuerAndSerialNumber(id) => {
                    cert.tbs_certificate.issuer == id.issuer && cert.tbs_certificate.serial_number == id.serial_number
                }
                SignerIdentifier::SubjectKeyIdentifier(_) => false,
            })
        });
        named.or(certificates.first().copied()).ok_or(SodError::NoSignerCertificate)
    }

    /// Checks the signer's signature (step 2 of the module documentation).
    pub fn verify_signature(&self) -> Result<SignatureCheck, SodError> {
        let signer =
            self.signed_data.signer_infos.0.iter().next().ok_or_else(|| SodError::Malformed("no signer".into()))?;
        let digest = HashAlgorithm::from_oid(&signer.digest_alg.oid)
            .ok_or_else(|| SodError::UnsupportedAlgorithm(signer.digest_alg.oid.to_string()))?;
        let certificate = self.signer_certificate()?;
        let Some(attributes) = &signer.signed_attrs else {
            // Without signed attributes the signature covers the content itself (RFC 5652 §5.4).
            let ok = verify_signature(
                &certificate.tbs_certificate.subject_public_key_info,
                &signer.signature_algorithm,
                Some(digest),
                &self.lds_der,
                signer.signature.as_bytes(),
            )?;
            return Ok(if ok { SignatureCheck::Valid } else { SignatureCheck::Invalid });
        };
        let message_digest = attributes
            .iter()
            .find(|a| a.oid == oid::MESSAGE_DIGEST)
            .and_then(|a| a.values.iter().next())
            .and_then(|value| value.decode_as::<OctetString>().ok());
        match message_digest {
            Some(stored) if stored.as_bytes() == digest.digest(&self.lds_der).as_slice() => {}
            _ => return Ok(SignatureCheck::MessageDigestMismatch),
        }
        let signed = attributes.to_der().map_err(|e| SodError::Malformed(e.to_string()))?;
        let ok = verify_signature(
            &certificate.tbs_certificate.subject_public_key_info,
            &signer.signature_algorithm,
            Some(digest),
            &signed,
            signer.signature.as_bytes(),
        )?;
        Ok(if ok { SignatureCheck::Valid } else { SignatureCheck::Invalid })
    }
}

/// The outcome of the signature check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureCheck {
    /// The signature is right.
    Valid,
    /// The signature does not verify with the document signer's key.
    Invalid,
    /// The message-digest attribute is not the hash of the LDS security object.
    MessageDigestMismatch,
}

/// Verifies `signature` over `message` with the key in `spki`, the algorithm in `algorithm`
/// (a signature OID, or a key OID with the hash from `digest_hint`). `Ok(false)` is a wrong
/// signature; an error an algorithm or key the kiosk cannot handle.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    digest_hint: Option<HashAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, SodError> {
    let unsupported = |oid: &ObjectIdentifier| SodError::UnsupportedAlgorithm(oid.to_string());
    let hash = match algorithm.oid {
        oid::ECDSA_SHA224 | oid::RSA_SHA224 => HashAlgorithm::Sha224,
        oid::ECDSA_SHA256 | oid::RSA_SHA256 => HashAlgorithm::Sha256,
        oid::ECDSA_SHA384 | oid::RSA_SHA384 => HashAlgorithm::Sha384,
        oid::ECDSA_SHA512 | oid::RSA_SHA512 => HashAlgorithm::Sha512,
        oid::EC_PUBLIC_KEY | oid::RSA | oid::RSA_PSS => digest_hint.ok_or_else(|| unsupported(&algorithm.oid))?,
        ref other => return Err(unsupported(other)),
    };
    let prehash = hash.digest(message);
    let key = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid {
        oid::EC_PUBLIC_KEY => {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as().ok())
                .ok_or_else(|| SodError::UnsupportedAlgorithm("EC key with explicit curve parameters".into()))?;
            verify_ecdsa(&curve, key, &prehash, signature)
        }
        oid::RSA => verify_rsa(algorithm.oid == oid::RSA_PSS, hash, key, &prehash, signature),
        ref other => Err(unsupported(other)),
    }
}

fn verify_ecdsa(curve: &ObjectIdentifier, key: &[u8], prehash: &[u8], signature: &[u8]) -> Result<bool, SodError> {
    use ecdsa::signature::hazmat::PrehashVerifier;
    // A malformed key or signature is a failed verification, not an error of the kiosk.
    macro_rules! check {
        ($curve:ty) => {{
            let Ok(key) = ecdsa::VerifyingKey::<$curve>::from_sec1_bytes(key) else { return Ok(false) };
            let Ok(signature) = ecdsa::Signature::<$curve>::from_der(signature) else { return Ok(false) };
            key.verify_prehash(prehash, &signature).is_ok()
        }};
    }
    Ok(match *curve {
        oid::P256 => check!(p256::NistP256),
        oid::P384 => check!(p384::NistP384),
        oid::BRAINPOOL_P256 => check!(bp256::BrainpoolP256r1),
        oid::BRAINPOOL_P384 => check!(bp384::BrainpoolP384r1),
        ref other => return Err(SodError::UnsupportedAlgorithm(format!("elliptic curve {other}"))),
    })
}

fn verify_rsa(pss: bool, hash: HashAlgorithm, key: &[u8], prehash: &[u8], signature: &[u8]) -> Result<bool, SodError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::signature::hazmat::PrehashVerifier;
    let Ok(key) = rsa::PublicKey::from_pkcs1_der(key) else { return Ok(false) };
    macro_rules! check {
        ($scheme:ident, $digest:ty) => {{
            let Ok(signature) = rsa::$scheme::Signature::try_from(signature) else { return Ok(false) };
            rsa::$scheme::VerifyingKey::<$digest>::new(key).verify_prehash(prehash, &signature).is_ok()
        }};
    }
    Ok(match (pss, hash) {
        (false, HashAlgorithm::Sha224) => check!(pkcs1v15, sha2::Sha224),
        (false, HashAlgorithm::Sha256) => check!(pkcs1v15, sha2::Sha256),
        (false, HashAlgorithm::Sha384) => check!(pkcs1v15, sha2::Sha384),
        (false, HashAlgorithm::Sha512) => check!(pkcs1v15, sha2::Sha512),
        (true, HashAlgorithm::Sha256) => check!(pss, sha2::Sha256),
        (true, HashAlgorithm::Sha384) => check!(pss, sha2::Sha384),
        (true, HashAlgorithm::Sha512) => check!(pss, sha2::Sha512),
        (_, other) => return Err(SodError::UnsupportedAlgorithm(format!("RSA with {other:?}"))),
    })
}

/// Why the CSCA directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CscaError {
    /// The directory or a file in it is unreadable.
    #[error("cannot read the CSCA certificates in {path}: {source}; check [idcard] csca_dir")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not a DER or PEM X.509 certificate.
    #[error("{path} is not an X.509 certificate (DER or PEM): {reason}; remove it from the CSCA directory")]
    NotACertificate {
        /// The file.
        path: String,
        /// What the decoder said.
        reason: String,
    },
}

/// The trusted country signing CA certificates (Doc 9303-12 §4: one per issuing country, from the
/// ICAO PKD master lists or bilateral exchange).
#[derive(Debug, Clone, Default)]
pub struct CscaStore {
    certificates: Vec<Certificate>,
}

impl CscaStore {
    /// A store holding `certificates`.
    pub fn from_certificates(certificates: Vec<Certificate>) -> CscaStore {
        CscaStore { certificates }
    }

    /// Reads every `.der`, `.cer`, `.crt` and `.pem` file of `dir` (a PEM file may hold several
    /// certificates); other files (a README) are ignored.
    pub fn load_dir(dir: &std::path::Path) -> Result<CscaStore, CscaError> {
        let io = |path: &std::path::Path, source| CscaError::Io { path: path.display().to_string(), source };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
                matches!(ext.as_str(), "der" | "cer" | "crt" | "pem")
            })
            .collect();
        paths.sort();
        let mut certificates = Vec::new();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
            let not_cert = |reason: String| CscaError::NotACertificate { path: path.display().to_string(), reason };
            if bytes.starts_with(b"-----BEGIN") {
                certificates.extend(Certificate::load_pem_chain(&bytes).map_err(|e| not_cert(e.to_string()))?);
            } else {
                certificates.push(Certificate::from_der(&bytes).map_err(|e| not_cert(e.to_string()))?);
            }
        }
        Ok(CscaStore { certificates })
    }

    /// How many certificates are trusted.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether no certificate is trusted (every document is then "not verified").
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }
}

/// The hash check of one data group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DgHashStatus {
    /// The data group's hash is the one signed in EF.SOD.
    Ok,
    /// It is not: the data group was altered.
    Mismatch,
    /// EF.SOD holds no hash for it.
    NotInSod,
}

/// One data group's hash check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DgHashCheck {
    /// The data group number.
    pub data_group: u8,
    /// The outcome.
    pub status: DgHashStatus,
}

/// The outcome of checking the document signer certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
pub enum ChainStatus {
    /// Issued by a configured CSCA (its subject).
    Ok(String),
    /// No configured CSCA has the issuer's name: the document is not verified (not an error).
    CscaUnknown(String),
    /// A CSCA with the issuer's name is configured but did not sign this certificate.
    Invalid,
    /// The certificate uses an algorithm the kiosk does not implement.
    Unsupported(String),
}

/// The overall outcome of passive authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every step passed.
    Verified,
    /// Nothing failed but the chain could not be checked (unknown CSCA, unsupported algorithm).
    NotVerified,
    /// A check failed: the data or the SOD was altered, or is not genuine.
    Failed,
}

/// Each step of passive authentication, separately (issue 3: "report each step's result").
#[derive(Debug, Clone, Serialize)]
pub struct PaReport {
    /// The LDS hash algorithm.
    pub hash_algorithm: Option<HashAlgorithm>,
    /// Each read data group's hash check.
    pub data_groups: Vec<DgHashCheck>,
    /// The document signer's signature over the LDS security object.
    pub signature: Result<SignatureCheck, String>,
    /// The document signer certificate against the CSCA list.
    pub chain: ChainStatus,
    /// Remarks that do not change the verdict (expired certificates).
    pub notes: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
}

impl PaReport {
    /// Whether every read data group's hash matched.
    pub fn hashes_ok(&self) -> bool {
        self.data_groups.iter().all(|check| check.status == DgHashStatus::Ok)
    }

    fn failed(reason: String) -> PaReport {
        PaReport {
            hash_algorithm: None,
            data_groups: Vec::new(),
            signature: Err(reason),
            chain: ChainStatus::Invalid,
            notes: Vec::new(),
            verdict: Verdict::Failed,
        }
    }
}

/// Runs passive authentication over EF.SOD and the data groups read (number → file bytes), with
/// certificate validity judged at `now`.
pub fn passive_authentication(
    sod_file: &[u8],
    data_groups: &BTreeMap<u8, Vec<u8>>,
    cscas: &CscaStore,
    now: std::time::SystemTime,
) -> PaReport {
    let sod = match Sod::parse(sod_file) {
        Ok(sod) => sod,
        Err(e) => return PaReport::failed(e.to_string()),
    };
    let hash_algorithm = match sod.hash_algorithm() {
        Ok(hash) => hash,
        Err(e) => return PaReport::failed(e.to_string()),
    };
    let stored = sod.data_group_hashes();
    let checks: Vec<DgHashCheck> = data_groups
        .iter()
        .map(|(&number, bytes)| {
            let status = match stored.get(&number) {
                None => DgHashStatus::NotInSod,
                Some(hash) if *hash == hash_algorithm.digest(bytes) => DgHashStatus::Ok,
                Some(_) => DgHashStatus::Mismatch,
            };
            DgHashCheck { data_group: number, status }
        })
        .collect();
    let signature = sod.verify_signature();
    // An algorithm the kiosk lacks leaves the document unverified; a malformed SOD is a failure.
    let signature_unsupported = matches!(signature, Err(SodError::UnsupportedAlgorithm(_)));
    let signature = signature.map_err(|e| e.to_string());
    let mut notes = Vec::new();
    let chain = match sod.signer_certificate() {
        Ok(ds) => {
            note_validity("document signer", ds, now, &mut notes);
            check_chain(ds, cscas, now, &mut notes)
        }
        Err(e) => ChainStatus::Unsupported(e.to_string()),
    };
    let hashes_ok = checks.iter().all(|c| c.status == DgHashStatus::Ok);
    let chain_unchecked = matches!(chain, ChainStatus::CscaUnknown(_) | ChainStatus::Unsupported(_));
    let verdict = match (&signature, &chain) {
        _ if !hashes_ok => Verdict::Failed,
        (Ok(SignatureCheck::Valid), ChainStatus::Ok(_)) => Verdict::Verified,
        (Ok(SignatureCheck::Valid), _) if chain_unchecked => Verdict::NotVerified,
        (Err(_), ChainStatus::Ok(_)) if signature_unsupported => Verdict::NotVerified,
        (Err(_), _) if signature_unsupported && chain_unchecked => Verdict::NotVerified,
        _ => Verdict::Failed,
    };
    PaReport { hash_algorithm: Some(hash_algorithm), data_groups: checks, signature, chain, notes, verdict }
}

fn note_validity(what: &str, cert: &Certificate, now: std::time::SystemTime, notes: &mut Vec<String>) {
    let validity = &cert.tbs_certificate.validity;
    if now > validity.not_after.to_system_time() {
        notes.push(format!("the {what} certificate expired on {}", validity.not_after));
    } else if now < validity.not_before.to_system_time() {
        notes.push(format!("the {what} certificate is not valid before {}", validity.not_before));
    }
}

fn check_chain(
    ds: &Certificate,
    cscas: &CscaStore,
    now: std::time::SystemTime,
    notes: &mut Vec<String>,
) -> ChainStatus {
    let issuer = &ds.tbs_certificate.issuer;
    let candidates: Vec<&Certificate> =
        cscas.certificates.iter().filter(|csca| csca.tbs_certificate.subject == *issuer).collect();
    if candidates.is_empty() {
        return ChainStatus::CscaUnknown(issuer.to_string());
    }
    let Ok(tbs) = ds.tbs_certificate.to_der() else { return ChainStatus::Invalid };
    let mut unsupported = None;
    for csca in candidates {
        match verify_signature(
            &csca.tbs_certificate.subject_public_key_info,
            &ds.signature_algorithm,
            None,
            &tbs,
            ds.signature.raw_bytes(),
        ) {
            Ok(true) => {
                note_validity("CSCA", csca, now, notes);
                return ChainStatus::Ok(csca.tbs_certificate.subject.to_string());
            }
            Ok(false) => {}
            Err(e) => unsupported = Some(e.to_string()),
        }
    }
    unsupported.map_or(ChainStatus::Invalid, ChainStatus::Unsupported)
}

/// Builds EF.SOD (tag `77` around a CMS SignedData with an LDSSecurityObject) over `data_groups`,
/// signed with `sign` (which returns the DER signature over the DER of the signed attributes) by
/// the holder of `signer` using `signature_algorithm`. The chip simulator and the tests use it.
pub fn build_sod(
    hash: HashAlgorithm,
    data_groups: &[(u8, &[u8])],
    signer: &Certificate,
    signature_algorithm: AlgorithmIdentifierOwned,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Result<Vec<u8>, der::Error> {
    use cms::cert::IssuerAndSerialNumber;
    use cms::content_info::CmsVersion;
    use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignerInfo, SignerInfos};
    use der::asn1::SetOfVec;
    use x509_cert::attr::Attribute;

    let digest_algorithm = AlgorithmIdentifierOwned { oid: hash.oid(), parameters: None };
    let lds = LdsSecurityObject {
        version: 0,
        hash_algorithm: digest_algorithm.clone(),
        data_group_hash_values: data_groups
            .iter()
            .map(|(number, bytes)| {
                Ok(DataGroupHash {
                    data_group_number: *number,
                    data_group_hash_value: OctetString::new(hash.digest(bytes))?,
                })
            })
            .collect::<der::Result<_>>()?,
        lds_version_info: None,
    };
    let lds_der = lds.to_der()?;
    let attribute = |oid, value: der::Any| -> der::Result<Attribute> {
        Ok(Attribute { oid, values: SetOfVec::try_from(vec![value])? })
    };
    let signed_attrs = SetOfVec::try_from(vec![
        attribute(oid::CONTENT_TYPE, der::Any::encode_from(&oid::LDS_SECURITY_OBJECT)?)?,
        attribute(oid::MESSAGE_DIGEST, der::Any::encode_from(&OctetString::new(hash.digest(&lds_der))?)?)?,
    ])?;
    let signature = sign(&signed_attrs.to_der()?);
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.tbs_certificate.issuer.clone(),
            serial_number: signer.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: digest_algorithm.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let signed_data = SignedData {
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![digest_algorithm])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::LDS_SECURITY_OBJECT,
            econtent: Some(der::Any::encode_from(&OctetString::new(lds_der)?)?),
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(vec![CertificateChoices::Certificate(signer.clone())])?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    let info = ContentInfo { content_type: oid::SIGNED_DATA, content: der::Any::encode_from(&signed_data)? };
    Ok(tlv::encode(0x77, &info.to_der()?))
}

/// ECDSA P-256 keys and certificates for the simulator's test PKI and for tests: a CSCA and a
/// document signer it issues, built with the `x509-cert` types and signed with `p256`.
pub mod test_pki {
    use std::str::FromStr;
    use std::time::Duration;

    use der::Encode;
    use der::asn1::BitString;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use x509_cert::Certificate;
    use x509_cert::certificate::{TbsCertificate, Version};
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
    use x509_cert::time::{Time, Validity};

    use super::{HashAlgorithm, oid};

    /// ecdsa-with-SHA256, the signature algorithm of everything this module signs.
    pub fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned { oid: oid::ECDSA_SHA256, parameters: None }
    }

    /// A P-256 key from a 32-byte scalar (deterministic for tests); `None` if the bytes are not a
    /// valid scalar.
    pub fn key_from_bytes(bytes: &[u8]) -> Option<SigningKey> {
        SigningKey::from_slice(bytes).ok()
    }

    /// A P-256 key derived from a label (SHA-256 of it as the scalar): stable across runs.
    pub fn key_from_label(label: &str) -> SigningKey {
        let mut counter = 0u32;
        loop {
            let seed = HashAlgorithm::Sha256.digest(format!("{label}/{counter}").as_bytes());
            if let Some(key) = key_from_bytes(&seed) {
                return key;
            }
            counter += 1;
        }
    }

    /// The DER ECDSA signature of SHA-256(`message`) (empty, so never valid, if signing failed,
    /// which a 32-byte prehash on P-256 cannot make happen).
    pub fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
        let prehash = HashAlgorithm::Sha256.digest(message);
        let signature: Result<p256::ecdsa::Signature, _> = key.sign_prehash(&prehash);
        signature.map(|s| s.to_der().as_bytes().to_vec()).unwrap_or_default()
    }

    /// The SubjectPublicKeyInfo of a P-256 key.
    pub fn spki(key: &SigningKey) -> der::Result<SubjectPublicKeyInfoOwned> {
        let point = key.verifying_key().to_sec1_point(false);
        Ok(SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oid::EC_PUBLIC_KEY,
                parameters: Some(der::Any::encode_from(&oid::P256)?),
            },
            subject_public_key: BitString::from_bytes(point.as_bytes())?,
        })
    }

    /// A certificate for `subject_key` named `subject`, issued by `issuer` (signed with
    /// `issuer_key`), valid from 2020-01-01 for `years` years.
    pub fn certificate(
        subject: &str,
        subject_key: &SigningKey,
        issuer: &str,
        issuer_key: &SigningKey,
        serial: u8,
        years: u64,
    ) -> der::Result<Certificate> {
        const START_2020: u64 = 1_577_836_800;
        let time = |secs| -> der::Result<Time> {
            Ok(Time::GeneralTime(der::asn1::GeneralizedTime::from_unix_duration(Duration::from_secs(secs))?))
        };
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[serial])?,
            signature: ecdsa_sha256(),
            issuer: Name::from_str(issuer)?,
            validity: Validity { not_before: time(START_2020)?, not_after: time(START_2020 + years * 365 * 86_400)? },
            subject: Name::from_str(subject)?,
            subject_public_key_info: spki(subject_key)?,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: None,
        };
        let signature = sign(issuer_key, &tbs.to_der()?);
        Ok(Certificate {
            tbs_certificate: tbs,
            signature_algorithm: ecdsa_sha256(),
            signature: BitString::from_bytes(&signature)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use der::asn1::BitString;
    use ecdsa::signature::hazmat::PrehashSigner;

    use super::*;

    fn ec_spki(curve: ObjectIdentifier, point: &[u8]) -> SubjectPublicKeyInfoOwned {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oid::EC_PUBLIC_KEY,
                parameters: Some(der::Any::encode_from(&curve).unwrap()),
            },
            subject_public_key: BitString::from_bytes(point).unwrap(),
        }
    }

    fn algorithm(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned { oid, parameters: None }
    }

    #[test]
    fn ecdsa_verifies_on_p384_and_brainpool_and_refuses_a_changed_message() {
        let message = b"signed attributes";
        let key = ecdsa::SigningKey::<p384::NistP384>::from_slice(&[7; 48]).unwrap();
        let sig: ecdsa::Signature<p384::NistP384> = key.sign_prehash(&HashAlgorithm::Sha384.digest(message)).unwrap();
        let spki = ec_spki(oid::P384, key.verifying_key().to_sec1_point(false).as_bytes());
        let der_sig = sig.to_der();
        let verify = |m: &[u8]| verify_signature(&spki, &algorithm(oid::ECDSA_SHA384), None, m, der_sig.as_bytes());
        assert_eq!(verify(message), Ok(true));
        assert_eq!(verify(b"signed attributez"), Ok(false));

        let key = ecdsa::SigningKey::<bp256::BrainpoolP256r1>::from_slice(&[9; 32]).unwrap();
        let sig: ecdsa::Signature<bp256::BrainpoolP256r1> =
            key.sign_prehash(&HashAlgorithm::Sha256.digest(message)).unwrap();
        let spki = ec_spki(oid::BRAINPOOL_P256, key.verifying_key().to_sec1_point(false).as_bytes());
        let der_sig = sig.to_der();
        // Key OID as the signature algorithm, hash from the SignerInfo's digest algorithm.
        let verified = verify_signature(
            &spki,
            &algorithm(oid::EC_PUBLIC_KEY),
            Some(HashAlgorithm::Sha256),
            message,
            der_sig.as_bytes(),
        );
        assert_eq!(verified, Ok(true));
        let unknown_curve = ec_spki(ObjectIdentifier::new_unwrap("1.3.132.0.35"), &[4; 133]);
        let refused = verify_signature(&unknown_curve, &algorithm(oid::ECDSA_SHA512), None, message, &[0x30, 0]);
        assert!(matches!(refused, Err(SodError::UnsupportedAlgorithm(_))));
        let dsa = verify_signature(
            &spki,
            &algorithm(ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.2")),
            None,
            message,
            &[],
        );
        assert!(matches!(dsa, Err(SodError::UnsupportedAlgorithm(_))));
    }

    fn sod_signed_by(signing_key: &p256::ecdsa::SigningKey, dg1: &[u8]) -> (Vec<u8>, CscaStore) {
        let csca_key = test_pki::key_from_label("pa test CSCA");
        let ds_key = test_pki::key_from_label("pa test DS");
        let csca =
            test_pki::certificate("CN=PA Test CSCA,C=UT", &csca_key, "CN=PA Test CSCA,C=UT", &csca_key, 1, 10).unwrap();
        let ds =
            test_pki::certificate("CN=PA Test DS,C=UT", &ds_key, "CN=PA Test CSCA,C=UT", &csca_key, 2, 10).unwrap();
        let sod = build_sod(HashAlgorithm::Sha256, &[(1, dg1)], &ds, test_pki::ecdsa_sha256(), |m| {
            test_pki::sign(signing_key, m)
        })
        .unwrap();
        (sod, CscaStore::from_certificates(vec![csca]))
    }

    #[test]
    fn a_signature_by_another_key_fails_and_expired_certificates_are_noted() {
        let dg1 = b"a data group".to_vec();
        let groups = BTreeMap::from([(1u8, dg1.clone())]);
        let in_2025 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        let (sod, cscas) = sod_signed_by(&test_pki::key_from_label("pa test DS"), &dg1);
        let good = passive_authentication(&sod, &groups, &cscas, in_2025);
        assert_eq!(good.verdict, Verdict::Verified, "{good:?}");
        assert!(good.notes.is_empty());
        let in_2045 = SystemTime::UNIX_EPOCH + Duration::from_secs(2_366_000_000);
        let late = passive_authentication(&sod, &groups, &cscas, in_2045);
        assert_eq!(late.verdict, Verdict::Verified, "expiry is a note, not a failure");
        assert!(late.notes.iter().any(|n| n.contains("document signer certificate expired")), "{:?}", late.notes);
        let (forged, cscas) = sod_signed_by(&test_pki::key_from_label("somebody else"), &dg1);
        let report = passive_authentication(&forged, &groups, &cscas, in_2025);
        assert_eq!(report.signature, Ok(SignatureCheck::Invalid));
        assert_eq!(report.verdict, Verdict::Failed);
        let garbage = passive_authentication(&[0x77, 0x03, 0x30, 0x01, 0x00], &groups, &cscas, in_2025);
        assert_eq!(garbage.verdict, Verdict::Failed);
        assert!(garbage.signature.is_err());
    }

    #[test]
    fn csca_directories_take_der_and_pem_and_name_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_pki::key_from_label("dir CSCA");
        let cert = test_pki::certificate("CN=Dir CSCA,C=UT", &key, "CN=Dir CSCA,C=UT", &key, 1, 10).unwrap();
        let der = cert.to_der().unwrap();
        std::fs::write(dir.path().join("a.der"), &der).unwrap();
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der).unwrap();
        std::fs::write(dir.path().join("b.pem"), pem.repeat(2)).unwrap();
        std::fs::write(dir.path().join("README.md"), "not a certificate, ignored").unwrap();
        assert_eq!(CscaStore::load_dir(dir.path()).unwrap().len(), 3);
        std::fs::write(dir.path().join("c.cer"), b"garbage").unwrap();
        let error = CscaStore::load_dir(dir.path()).unwrap_err();
        assert!(error.to_string().contains("c.cer"), "{error}");
        assert!(CscaStore::load_dir(&dir.path().join("missing")).is_err());
    }
}
