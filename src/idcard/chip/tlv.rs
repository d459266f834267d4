//! BER-TLV as ISO/IEC 7816-4 §5.2 and ICAO Doc 9303-10 §4.4 use it for the LDS: tags of up to three
//! bytes, definite lengths of up to four bytes.
//!
//! Everything the chip sends is untrusted: every length is checked against the input, tags and
//! lengths are bounded and nesting is limited ([`MAX_DEPTH`]), so no input can make the parser panic,
//! loop or allocate beyond the input's size.

/// How deep constructed objects may nest before the input is refused (the deepest LDS structure,
/// DG2's biometric template, nests four levels).
pub const MAX_DEPTH: usize = 16;

/// Why bytes are not BER-TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// The input ends inside a tag, a length or a value.
    #[error("the data ends in the middle of a data object")]
    Truncated,
    /// A tag longer than three bytes (Doc 9303 uses at most two).
    #[error("a tag is longer than three bytes")]
    TagTooLong,
    /// The indefinite length form `80`, or a length of more than four bytes.
    #[error("a length is indefinite or longer than four bytes")]
    BadLength,
    /// Constructed objects nest deeper than [`MAX_DEPTH`].
    #[error("data objects nest too deeply")]
    TooDeep,
}

/// One data object: its tag (the tag bytes as a big-endian number, e.g. `0x5F1F`) and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, all its bytes (`0x61`, `0x5F1F`, `0x7F61`).
    pub tag: u32,
    /// The value bytes.
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Whether the tag announces a constructed object (bit 6 of the first tag byte).
    pub fn is_constructed(&self) -> bool {
        let first = if self.tag > 0xFFFF {
            self.tag >> 16
        } else if self.tag > 0xFF {
            self.tag >> 8
        } else {
            self.tag
        };
        first & 0x20 != 0
    }

    /// The objects inside a constructed value.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, TlvError> {
        parse_all(self.value)
    }

    /// The first direct child with `tag`.
    pub fn child(&self, tag: u32) -> Result<Option<Tlv<'a>>, TlvError> {
        Ok(self.children()?.into_iter().find(|child| child.tag == tag))
    }
}

/// Reads one object from the front of `input`; returns it and the bytes after it.
pub fn parse_one(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, rest) = read_tag(input)?;
    let (len, rest) = read_length(rest)?;
    if rest.len() < len {
        return Err(TlvError::Truncated);
    }
    let (value, rest) = rest.split_at(len);
    Ok((Tlv { tag, value }, rest))
}

/// Reads the whole of `input` as a sequence of objects. `00` and `FF` bytes between objects are
/// skipped as ISO/IEC 7816-4 §5.2 allows (some chips pad files with them).
pub fn parse_all(input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut objects = Vec::new();
    let mut rest = input;
    loop {
        while let [0x00 | 0xFF, tail @ ..] = rest {
            rest = tail;
        }
        if rest.is_empty() {
            return Ok(objects);
        }
        let (object, tail) = parse_one(rest)?;
        objects.push(object);
        rest = tail;
    }
}

/// Checks that `input` is well-formed all the way down (constructed values parsed recursively), to
/// at most [`MAX_DEPTH`] levels.
pub fn validate(input: &[u8]) -> Result<(), TlvError> {
    validate_at(input, 0)
}

fn validate_at(input: &[u8], depth: usize) -> Result<(), TlvError> {
    if depth > MAX_DEPTH {
        return Err(TlvError::TooDeep);
    }
    for object in parse_all(input)? {
        if object.is_constructed() {
            validate_at(object.value, depth + 1)?;
        }
    }
    Ok(())
}

/// The total length (header and value) of the object at the front of `header`, from its first
/// bytes only: the chip reader uses it to learn a file's size from its first few bytes.
pub fn encoded_length(header: &[u8]) -> Result<usize, TlvError> {
    let (_, rest) = read_tag(header)?;
    let (len, after) = read_length(rest)?;
    let header_len = header.len() - after.len();
    header_len.checked_add(len).ok_or(TlvError::BadLength)
}

fn read_tag(input: &[u8]) -> Result<(u32, &[u8]), TlvError> {
    let (&first, mut rest) = input.split_first().ok_or(TlvError::Truncated)?;
    let mut tag = u32::from(first);
    if first & 0x1F != 0x1F {
        return Ok((tag, rest));
    }
    for count in 1.. {
        if count > 2 {
            return Err(TlvError::TagTooLong);
        }
        let (&next, tail) = rest.split_first().ok_or(TlvError::Truncated)?;
        tag = (tag << 8) | u32::from(next);
        rest = tail;
        if next & 0x80 == 0 {
            break;
        }
    }
    Ok((tag, rest))
}

fn read_length(input: &[u8]) -> Result<(usize, &[u8]), TlvError> {
    let (&first, rest) = input.split_first().ok_or(TlvError::Truncated)?;
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    let count = usize::from(first & 0x7F);
    if count == 0 || count > 4 {
        return Err(TlvError::BadLength);
    }
    if rest.len() < count {
        return Err(TlvError::Truncated);
    }
    let (bytes, rest) = rest.split_at(count);
    let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((len, rest))
}

/// Appends a data object (tag of one to three bytes, minimal definite length): the simulator and
/// the tests build LDS files with it.
pub fn append(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    let tag_bytes = tag.to_be_bytes();
    let skip = tag_bytes.iter().take_while(|&&b| b == 0).count().min(3);
    out.extend_from_slice(&tag_bytes[skip..]);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let len_bytes = (len as u32).to_be_bytes();
        let skip = len_bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&len_bytes[skip..]);
    }
    out.extend_from_slice(value);
}

/// [`append`] into a new buffer.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    append(&mut out, tag, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_multi_byte_tags_and_long_lengths() {
        let mut dg1 = Vec::new();
        append(&mut dg1, 0x5F1F, &[b'A'; 200]);
        let outer = encode(0x61, &dg1);
        assert_eq!(&outer[..6], &[0x61, 0x81, 0xCC, 0x5F, 0x1F, 0x81]);
        assert_eq!(encoded_length(&outer[..4]), Ok(outer.len()));
        let (object, rest) = parse_one(&outer).unwrap();
        assert!(rest.is_empty());
        assert_eq!(object.tag, 0x61);
        assert!(object.is_constructed());
        let inner = object.child(0x5F1F).unwrap().unwrap();
        assert_eq!(inner.value.len(), 200);
        assert!(!inner.is_constructed());
        let big = encode(0x7F2E, &vec![0; 70_000]);
        assert_eq!(&big[..5], &[0x7F, 0x2E, 0x83, 0x01, 0x11]);
        assert_eq!(parse_one(&big).unwrap().0.value.len(), 70_000);
    }

    #[test]
    fn refuses_malformed_input_precisely() {
        assert_eq!(parse_one(&[]), Err(TlvError::Truncated));
        assert_eq!(parse_one(&[0x61, 0x05, 0x01]), Err(TlvError::Truncated));
        assert_eq!(parse_one(&[0x61, 0x80]), Err(TlvError::BadLength));
        assert_eq!(parse_one(&[0x61, 0x85, 1, 1, 1, 1, 1]), Err(TlvError::BadLength));
        assert_eq!(parse_one(&[0x5F, 0x81, 0x81, 0x81, 0x01, 0x00]), Err(TlvError::TagTooLong));
        assert_eq!(parse_one(&[0x5F]), Err(TlvError::Truncated));
        let mut deep = vec![0x04, 0x00];
        for _ in 0..=MAX_DEPTH + 1 {
            deep = encode(0x30, &deep);
        }
        assert_eq!(validate(&deep), Err(TlvError::TooDeep));
    }

    #[test]
    fn padding_bytes_between_objects_are_skipped() {
        let objects = parse_all(&[0x04, 0x01, 0xAA, 0x00, 0xFF, 0x04, 0x00]).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].value, &[0xAA]);
    }
}
