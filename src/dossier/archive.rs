//! The payload: `manifest.json` first, then the files, in one deterministic ustar archive, which the
//! seal step encrypts as one byte string.
//!
//! Why ustar: a 40-year-old POSIX format (POSIX.1-1988, IEEE Std 1003.1) every language and backend
//! can read. Why no compression: the files are JPEG, PNG and PDF (already compressed) and the
//! manifest is a few kilobytes. Why deterministic: the same dossier gives the same bytes, so tests and
//! the backend can compare digests. Every header has mtime 0, uid/gid 0, no user or group name, mode
//! 0644, entry type "regular file", and names are single path components of at most 100 bytes (the
//! ustar name field, so no GNU or pax extension is ever needed).
//!
//! The reader is for the opening side (the backend, and tests): it refuses anything the writer would
//! not produce that could hurt the reader — paths with directories or `..`, duplicates, links —
//! and checks every file against the manifest's size and SHA-256, with no file missing or extra.

use std::collections::HashSet;
use std::io::Read;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::manifest::{FileEntry, Personal, SCHEMA_VERSION, sha256_hex};

/// Name of the manifest entry, always first.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Longest entry name: the ustar `name` field.
pub const MAX_NAME_BYTES: usize = 100;
/// File mode of every entry: owner read/write, others read.
const MODE: u32 = 0o644;

/// Why a payload cannot be written or opened.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A file name is too long for a ustar header.
    #[error(
        "file name of {bytes} bytes is longer than the {MAX_NAME_BYTES} a ustar archive holds; lower [dossier] max_file_name_bytes"
    )]
    NameTooLong {
        /// Length in bytes.
        bytes: usize,
    },
    /// Writing the archive failed.
    #[error("cannot write the payload archive ({0}); report this fault")]
    Write(std::io::Error),
    /// The archive is not a readable tar file.
    #[error("the payload is not a readable tar archive ({0}); reject the packet and ask the kiosk to resend it")]
    Unreadable(#[from] std::io::Error),
    /// The first entry is not `manifest.json`.
    #[error("the payload does not start with manifest.json; reject the packet")]
    ManifestNotFirst,
    /// The manifest is not valid JSON of the expected shape.
    #[error("manifest.json cannot be read ({0}); reject the packet")]
    BadManifest(#[from] serde_json::Error),
    /// The manifest has a schema version this reader does not know.
    #[error(
        "manifest.json has schema version {found}, this software reads version {SCHEMA_VERSION}; update the backend"
    )]
    UnsupportedVersion {
        /// The version in the manifest.
        found: u32,
    },
    /// An entry is not a plain file (link, directory, device…).
    #[error("entry {index} of the payload is not a plain file; reject the packet")]
    NotAFile {
        /// 0-based entry index.
        index: usize,
    },
    /// An entry name is not a single, plain file name: it could escape the target directory.
    #[error("entry {index} of the payload has an unsafe name (directories, `..` or non-UTF-8); reject the packet")]
    UnsafeName {
        /// 0-based entry index.
        index: usize,
    },
    /// Two entries (or two manifest lines) have the same name.
    #[error("the payload holds a file name twice; reject the packet")]
    Duplicate {
        /// The name (may hold the applicant's name: redacted in `Debug`, left out of the message).
        name: Personal,
    },
    /// A file in the archive is not listed in the manifest.
    #[error("the payload holds a file the manifest does not list; reject the packet")]
    Extra {
        /// The name (redacted in `Debug`).
        name: Personal,
    },
    /// A file listed in the manifest is not in the archive.
    #[error("the manifest lists a file the payload does not hold; reject the packet")]
    Missing {
        /// The name (redacted in `Debug`).
        name: Personal,
    },
    /// A file's size or SHA-256 differs from the manifest: it was damaged or altered.
    #[error("a file does not match its size and SHA-256 in the manifest: the payload was altered; reject the packet")]
    Tampered {
        /// The name (redacted in `Debug`).
        name: Personal,
    },
}

/// One file to put in the archive (borrowed).
#[derive(Clone, Copy)]
pub struct ArchiveInput<'a> {
    /// Entry name.
    pub name: &'a str,
    /// Content.
    pub bytes: &'a [u8],
}

/// Writes the payload: `manifest.json` then `files`, in order.
pub fn write(manifest_json: &[u8], files: &[ArchiveInput<'_>]) -> Result<Vec<u8>, ArchiveError> {
    let total: usize = files.iter().map(|f| f.bytes.len() + 1024).sum::<usize>() + manifest_json.len() + 2048;
    let mut builder = tar::Builder::new(Vec::with_capacity(total));
    let entries =
        std::iter::once(ArchiveInput { name: MANIFEST_NAME, bytes: manifest_json }).chain(files.iter().copied());
    for file in entries {
        if file.name.len() > MAX_NAME_BYTES {
            return Err(ArchiveError::NameTooLong { bytes: file.name.len() });
        }
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(file.bytes.len() as u64);
        header.set_mode(MODE);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        builder.append_data(&mut header, file.name, file.bytes).map_err(ArchiveError::Write)?;
    }
    builder.into_inner().map_err(ArchiveError::Write)
}

/// The parts of the manifest the reader needs; the rest is the caller's business.
#[derive(Deserialize)]
struct Listing {
    schema_version: u32,
    files: Vec<FileEntry>,
}

/// An opened, verified payload.
pub struct OpenedPayload {
    /// The `manifest.json` bytes.
    pub manifest_json: Vec<u8>,
    /// The files in archive order, each with its manifest entry; contents are wiped on drop.
    pub files: Vec<(FileEntry, Zeroizing<Vec<u8>>)>,
}

impl std::fmt::Debug for OpenedPayload {
    /// File names can hold the applicant's name: only counts are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenedPayload({} manifest bytes, {} files)", self.manifest_json.len(), self.files.len())
    }
}

/// Opens a payload and verifies it against its manifest (see the module documentation).
pub fn open(payload: &[u8]) -> Result<OpenedPayload, ArchiveError> {
    let mut archive = tar::Archive::new(payload);
    let mut entries = archive.entries()?;
    let mut manifest_json = Vec::new();
    match entries.next() {
        Some(entry) => {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() || &*entry.path_bytes() != MANIFEST_NAME.as_bytes() {
                return Err(ArchiveError::ManifestNotFirst);
            }
            entry.read_to_end(&mut manifest_json)?;
        }
        None => return Err(ArchiveError::ManifestNotFirst),
    }
    let listing: Listing = serde_json::from_slice(&manifest_json)?;
    if listing.schema_version != SCHEMA_VERSION {
        return Err(ArchiveError::UnsupportedVersion { found: listing.schema_version });
    }
    let mut listed = HashSet::new();
    for entry in &listing.files {
        if entry.name == MANIFEST_NAME || !listed.insert(entry.name.as_str()) {
            return Err(ArchiveError::Duplicate { name: entry.name.as_str().into() });
        }
    }

    let mut seen = HashSet::new();
    let mut files = Vec::with_capacity(listing.files.len());
    for (index, entry) in entries.enumerate().map(|(i, e)| (i + 1, e)) {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            return Err(ArchiveError::NotAFile { index });
        }
        let name = safe_name(&entry.path_bytes()).ok_or(ArchiveError::UnsafeName { index })?;
        if !seen.insert(name.clone()) || name == MANIFEST_NAME {
            return Err(ArchiveError::Duplicate { name: Personal::new(name) });
        }
        let Some(listed) = listing.files.iter().find(|f| f.name == name) else {
            return Err(ArchiveError::Extra { name: Personal::new(name) });
        };
        let mut bytes =
            Zeroizing::new(Vec::with_capacity(usize::try_from(listed.size).unwrap_or(0).min(payload.len())));
        entry.read_to_end(&mut bytes)?;
        if bytes.len() as u64 != listed.size || sha256_hex(&bytes) != listed.sha256 {
            return Err(ArchiveError::Tampered { name: Personal::new(name) });
        }
        files.push((listed.clone(), bytes));
    }
    if let Some(missing) = listing.files.iter().find(|f| !seen.contains(&f.name)) {
        return Err(ArchiveError::Missing { name: missing.name.as_str().into() });
    }
    Ok(OpenedPayload { manifest_json, files })
}

/// A name that is one plain path component in UTF-8: no separators, not `.` or `..`, no NUL.
fn safe_name(raw: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(raw).ok()?;
    let plain = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0']);
    plain.then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_for(files: &[(&str, &[u8])]) -> Vec<u8> {
        let entries: Vec<FileEntry> =
            files.iter().map(|(name, bytes)| FileEntry::describe(name, "application/octet-stream", bytes)).collect();
        serde_json::to_vec(&serde_json::json!({ "schema_version": SCHEMA_VERSION, "files": entries })).unwrap()
    }

    fn build(files: &[(&str, &[u8])]) -> Vec<u8> {
        let inputs: Vec<ArchiveInput<'_>> = files.iter().map(|&(name, bytes)| ArchiveInput { name, bytes }).collect();
        write(&manifest_for(files), &inputs).unwrap()
    }

    /// A raw ustar archive, bypassing the writer's own checks, for the attacks below.
    fn raw_archive(entries: &[(&[u8], &[u8], tar::EntryType)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, bytes, kind) in entries {
            let mut header = tar::Header::new_ustar();
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_entry_type(*kind);
            header.set_size(bytes.len() as u64);
            header.set_mode(MODE);
            header.set_cksum();
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(bytes);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    const FILES: [(&str, &[u8]); 2] = [("card-front.jpg", b"front bytes"), ("Nguyễn Văn An_Căn cước.pdf", b"%PDF")];

    #[test]
    fn round_trip_keeps_order_names_and_bytes() {
        let opened = open(&build(&FILES)).unwrap();
        assert_eq!(opened.manifest_json, manifest_for(&FILES));
        let names: Vec<&str> = opened.files.iter().map(|(e, _)| e.name.as_str()).collect();
        assert_eq!(names, vec!["card-front.jpg", "Nguyễn Văn An_Căn cước.pdf"]);
        assert_eq!(opened.files[0].1.as_slice(), b"front bytes");
        assert_eq!(opened.files[1].1.as_slice(), b"%PDF");
    }

    #[test]
    fn output_is_deterministic_ustar() {
        let (a, b) = (build(&FILES), build(&FILES));
        assert_eq!(a, b);
        // Header of the first entry: name, mode, uid, gid, mtime, magic.
        assert_eq!(&a[..MANIFEST_NAME.len()], MANIFEST_NAME.as_bytes());
        assert_eq!(&a[100..107], b"0000644");
        assert_eq!(&a[108..115], b"0000000");
        assert_eq!(&a[136..147], b"00000000000");
        assert_eq!(&a[257..263], b"ustar\0");
        assert_eq!(a.len() % 512, 0);
    }

    #[test]
    fn a_flipped_byte_is_detected() {
        let mut payload = build(&FILES);
        let at = payload.windows(11).position(|w| w == b"front bytes").unwrap();
        payload[at] ^= 0x20;
        assert!(matches!(open(&payload), Err(ArchiveError::Tampered { name }) if name.expose() == "card-front.jpg"));
    }

    #[test]
    fn traversal_names_are_refused() {
        let manifest = manifest_for(&[("x", b"1")]);
        for bad in [&b"../x"[..], b"/etc/x", b"a/x", b"..", b"a\\x"] {
            let payload = raw_archive(&[
                (MANIFEST_NAME.as_bytes(), &manifest, tar::EntryType::Regular),
                (bad, b"1", tar::EntryType::Regular),
            ]);
            assert!(matches!(open(&payload), Err(ArchiveError::UnsafeName { index: 1 })), "{bad:?}");
        }
    }

    #[test]
    fn links_duplicates_extra_and_missing_are_refused() {
        let manifest = manifest_for(&[("x", b"1")]);
        let m = (MANIFEST_NAME.as_bytes(), &manifest[..], tar::EntryType::Regular);
        let link = raw_archive(&[m, (b"x", b"", tar::EntryType::Symlink)]);
        assert!(matches!(open(&link), Err(ArchiveError::NotAFile { index: 1 })));
        let twice = raw_archive(&[m, (b"x", b"1", tar::EntryType::Regular), (b"x", b"1", tar::EntryType::Regular)]);
        assert!(matches!(open(&twice), Err(ArchiveError::Duplicate { .. })));
        let extra = raw_archive(&[m, (b"x", b"1", tar::EntryType::Regular), (b"y", b"2", tar::EntryType::Regular)]);
        assert!(matches!(open(&extra), Err(ArchiveError::Extra { name }) if name.expose() == "y"));
        let missing = raw_archive(&[m]);
        assert!(matches!(open(&missing), Err(ArchiveError::Missing { name }) if name.expose() == "x"));
        let second_manifest = raw_archive(&[m, (MANIFEST_NAME.as_bytes(), b"{}", tar::EntryType::Regular)]);
        assert!(matches!(open(&second_manifest), Err(ArchiveError::Duplicate { .. })));
    }

    #[test]
    fn manifest_must_come_first_and_be_readable() {
        let manifest = manifest_for(&[("x", b"1")]);
        let late = raw_archive(&[
            (b"x", b"1", tar::EntryType::Regular),
            (MANIFEST_NAME.as_bytes(), &manifest, tar::EntryType::Regular),
        ]);
        assert!(matches!(open(&late), Err(ArchiveError::ManifestNotFirst)));
        let junk = raw_archive(&[(MANIFEST_NAME.as_bytes(), b"not json", tar::EntryType::Regular)]);
        assert!(matches!(open(&junk), Err(ArchiveError::BadManifest(_))));
        let future = serde_json::to_vec(&serde_json::json!({ "schema_version": 99, "files": [] })).unwrap();
        let future = raw_archive(&[(MANIFEST_NAME.as_bytes(), &future, tar::EntryType::Regular)]);
        assert!(matches!(open(&future), Err(ArchiveError::UnsupportedVersion { found: 99 })));
        assert!(open(&[]).is_err());
    }

    #[test]
    fn long_names_are_refused_by_the_writer() {
        let long = "a".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            write(b"{}", &[ArchiveInput { name: &long, bytes: b"" }]),
            Err(ArchiveError::NameTooLong { bytes: 101 })
        ));
    }
}
