//! The certified-copy PDF ("bản sao điện tử"): both sides of the card on one A4 page at true size,
//! and the file name it is delivered under.
//!
//! Decree 23/2015/ND-CP as amended (and Decree 45/2020 Art. 14 cl. 2) gives an electronic certified
//! copy the validity of the paper one, so the page mirrors a photocopy: A4 portrait, the front above
//! the back, each exactly 85.60 × 53.98 mm (ISO/IEC 7810 ID-1), centred. The JPEG bytes are embedded
//! as they are (DCTDecode): no re-encoding, so the PDF's images are byte-identical to the archived
//! ones.

use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, TextStr};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::jpeg::Jpeg;
use super::timestamp::Timestamp;

/// PostScript points per millimetre (1 pt = 1/72 inch = 25.4/72 mm).
pub const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 width in millimetres (ISO 216).
pub const A4_WIDTH_MM: f32 = 210.0;
/// A4 height in millimetres (ISO 216).
pub const A4_HEIGHT_MM: f32 = 297.0;
/// ID-1 card width in millimetres (ISO/IEC 7810).
pub const CARD_WIDTH_MM: f32 = 85.60;
/// ID-1 card height in millimetres (ISO/IEC 7810).
pub const CARD_HEIGHT_MM: f32 = 53.98;
/// Space between the two sides on the page, in millimetres.
pub const GAP_MM: f32 = 20.0;

/// What goes into the PDF's document information dictionary.
#[derive(Clone, PartialEq, Eq)]
pub struct PdfMetadata {
    /// `/Title`: the file's name without `.pdf` (holds the applicant's name).
    pub title: String,
    /// `/Author`: the executing agency and the kiosk.
    pub author: String,
    /// `/Subject`: the service and the dossier code.
    pub subject: String,
    /// `/Producer`: this software and its version.
    pub producer: String,
    /// `/CreationDate`: when the dossier was submitted.
    pub created: Timestamp,
}

impl std::fmt::Debug for PdfMetadata {
    /// The title holds the applicant's name: redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfMetadata")
            .field("title", &"<redacted>")
            .field("author", &self.author)
            .field("subject", &self.subject)
            .field("producer", &self.producer)
            .field("created", &self.created)
            .finish()
    }
}

/// Builds the one-page certified-copy PDF from the two encoded card sides.
pub fn certified_copy_pdf(front: &Jpeg, back: &Jpeg, metadata: &PdfMetadata) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    let front_id = Ref::new(5);
    let back_id = Ref::new(6);
    let info_id = Ref::new(7);
    let (front_name, back_name) = (Name(b"Front"), Name(b"Back"));

    let mut pdf = Pdf::with_capacity(front.bytes.len() + back.bytes.len() + 4096);
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id).kids([page_id]).count(1);

    let (page_w, page_h) = (A4_WIDTH_MM * PT_PER_MM, A4_HEIGHT_MM * PT_PER_MM);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, page_w, page_h)).parent(pages_id).contents(content_id);
    page.resources().x_objects().pair(front_name, front_id).pair(back_name, back_id);
    page.finish();

    let content = placement_content(&[(front_name, 0), (back_name, 1)]);
    pdf.stream(content_id, &content);

    for (id, jpeg) in [(front_id, front), (back_id, back)] {
        let mut image = pdf.image_xobject(id, &jpeg.bytes);
        image.filter(Filter::DctDecode);
        image.width(i32::try_from(jpeg.width).unwrap_or(i32::MAX));
        image.height(i32::try_from(jpeg.height).unwrap_or(i32::MAX));
        image.color_space().device_rgb();
        image.bits_per_component(8);
        image.finish();
    }

    let created = metadata.created.vietnam();
    let date = Date::new(u16::try_from(created.date.year()).unwrap_or(0))
        .month(created.date.month())
        .day(created.date.day())
        .hour(created.hour)
        .minute(created.minute)
        .second(created.second)
        .utc_offset_hour(7)
        .utc_offset_minute(0);
    pdf.document_info(info_id)
        .title(TextStr(&metadata.title))
        .author(TextStr(&metadata.author))
        .subject(TextStr(&metadata.subject))
        .producer(TextStr(&metadata.producer))
        .creation_date(date);
    pdf.finish()
}

/// Where a card side goes on the page, in points: `(x, y, width, height)` of side `index` (0 = front,
/// on top; 1 = back, below), the two stacked with [`GAP_MM`] between them and centred on A4.
pub fn side_rect(index: usize) -> (f32, f32, f32, f32) {
    let block_h = 2.0 * CARD_HEIGHT_MM + GAP_MM;
    let left = (A4_WIDTH_MM - CARD_WIDTH_MM) / 2.0;
    let top_of_block = (A4_HEIGHT_MM + block_h) / 2.0;
    // PDF's origin is the bottom-left corner; y is the bottom edge of the side.
    let bottom = top_of_block - CARD_HEIGHT_MM - index as f32 * (CARD_HEIGHT_MM + GAP_MM);
    (left * PT_PER_MM, bottom * PT_PER_MM, CARD_WIDTH_MM * PT_PER_MM, CARD_HEIGHT_MM * PT_PER_MM)
}

/// The page content: each image drawn into its rectangle (an image XObject fills the unit square, so
/// the matrix scales it to the card size and moves it into place).
fn placement_content(sides: &[(Name<'_>, usize)]) -> Vec<u8> {
    let mut content = Content::new();
    for &(name, index) in sides {
        let (x, y, w, h) = side_rect(index);
        content.save_state();
        content.transform([w, 0.0, 0.0, h, x, y]);
        content.x_object(name);
        content.restore_state();
    }
    content.finish().to_vec()
}

/// How to name the PDF: the `[dossier]` settings that matter here.
#[derive(Debug, Clone, Copy)]
pub struct FileNameRule<'a> {
    /// The document label after the name (`Citizen Identity Card`).
    pub label: &'a str,
    /// Fold to ASCII (`Nguyễn Văn An` → `Nguyen Van An`).
    pub ascii_fold: bool,
    /// Most bytes the whole name (with `.pdf`) may take.
    pub max_bytes: usize,
}

/// `<Full Name>_<label>.pdf`, safe as a file name everywhere: characters that Windows, Unix or web
/// portals refuse are dropped, runs of spaces collapse to one, and the name part is cut (on a
/// character boundary) so the whole fits in `max_bytes`. An empty name leaves `<label>.pdf`.
pub fn file_name(full_name: &str, rule: &FileNameRule<'_>) -> String {
    let clean = |text: &str| {
        let text = if rule.ascii_fold { fold_to_ascii(text) } else { text.nfc().collect() };
        let kept: String =
            text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).filter(|&c| !is_forbidden(c)).collect();
        let collapsed = kept.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
        // Windows drops trailing dots and spaces; a leading dot hides the file on Unix.
        collapsed.trim_matches(|c| c == '.' || c == ' ').to_owned()
    };
    let label = clean(rule.label);
    let name = clean(full_name);
    let suffix = if label.is_empty() { ".pdf".to_owned() } else { format!("_{label}.pdf") };
    let room = rule.max_bytes.saturating_sub(suffix.len());
    let mut cut = String::new();
    for c in name.chars() {
        if cut.len() + c.len_utf8() > room {
            break;
        }
        cut.push(c);
    }
    let cut = cut.trim_end_matches([' ', '.']);
    match (cut.is_empty(), label.is_empty()) {
        (true, true) => "document.pdf".to_owned(),
        (true, false) => format!("{label}.pdf"),
        (false, _) => format!("{cut}{suffix}"),
    }
}

/// Vietnamese (and other Latin) text without diacritics: `đ`/`Đ` become `d`/`D` (they do not
/// decompose), every other letter loses its marks through canonical decomposition (NFD), and what is
/// still not ASCII is dropped.
pub fn fold_to_ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            other => other,
        })
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .filter(char::is_ascii)
        .collect()
}

/// Characters no file name may hold: path separators, Windows-reserved punctuation, controls.
fn is_forbidden(c: char) -> bool {
    matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: FileNameRule<'static> =
        FileNameRule { label: "Citizen Identity Card", ascii_fold: true, max_bytes: 100 };

    #[test]
    fn the_example_name_folds() {
        assert_eq!(file_name("Nguyễn Văn An", &RULE), "Nguyen Van An_Citizen Identity Card.pdf");
        let keep = FileNameRule { ascii_fold: false, ..RULE };
        assert_eq!(file_name("Nguyễn Văn An", &keep), "Nguyễn Văn An_Citizen Identity Card.pdf");
    }

    #[test]
    fn every_vietnamese_letter_folds_to_its_base() {
        // The 12 vowels with each of the 6 tones (level, grave, hook, tilde, acute, dot), both cases.
        let vowels = [
            ("aàảãáạ", 'a'),
            ("ăằẳẵắặ", 'a'),
            ("âầẩẫấậ", 'a'),
            ("eèẻẽéẹ", 'e'),
            ("êềểễếệ", 'e'),
            ("iìỉĩíị", 'i'),
            ("oòỏõóọ", 'o'),
            ("ôồổỗốộ", 'o'),
            ("ơờởỡớợ", 'o'),
            ("uùủũúụ", 'u'),
            ("ưừửữứự", 'u'),
            ("yỳỷỹýỵ", 'y'),
        ];
        let mut checked = 0;
        for (letters, base) in vowels {
            for letter in letters.chars() {
                assert_eq!(fold_to_ascii(&letter.to_string()), base.to_string(), "{letter}");
                let upper: String = letter.to_uppercase().collect();
                assert_eq!(fold_to_ascii(&upper), base.to_ascii_uppercase().to_string(), "{upper}");
                checked += 2;
            }
        }
        assert_eq!(checked, 144);
        assert_eq!(fold_to_ascii("đĐ"), "dD");
        // Consonants without marks stay.
        assert_eq!(fold_to_ascii("bcdghklmnpqrstvx"), "bcdghklmnpqrstvx");
        // Decomposed input (as some keyboards produce) folds the same way.
        assert_eq!(fold_to_ascii("Nguye\u{302}\u{303}n"), "Nguyen");
    }

    #[test]
    fn forbidden_characters_and_spaces_are_cleaned() {
        assert_eq!(
            file_name("  Trần /Thị\\ \"Bích\"  Ngọc:*? ", &RULE),
            "Tran Thi Bich Ngoc_Citizen Identity Card.pdf"
        );
        assert_eq!(file_name("Lê\tVăn\nTám", &RULE), "Le Van Tam_Citizen Identity Card.pdf");
        assert_eq!(file_name("..Hidden..", &RULE), "Hidden_Citizen Identity Card.pdf");
    }

    #[test]
    fn empty_name_falls_back_to_the_label() {
        assert_eq!(file_name(" / ", &RULE), "Citizen Identity Card.pdf");
        assert_eq!(file_name("", &FileNameRule { label: "", ..RULE }), "document.pdf");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let long = "Nguyễn ".repeat(40);
        let folded = file_name(&long, &RULE);
        assert!(folded.len() <= 100 && folded.ends_with("_Citizen Identity Card.pdf"), "{folded}");
        let kept = file_name(&long, &FileNameRule { ascii_fold: false, max_bytes: 60, ..RULE });
        assert!(kept.len() <= 60, "{kept}");
        assert!(kept.starts_with("Nguyễn Nguyễn") && kept.ends_with("_Citizen Identity Card.pdf"));
        assert!(!kept.contains(" _"));
    }

    #[test]
    fn label_is_configurable() {
        let rule = FileNameRule { label: "Căn cước", ascii_fold: false, ..RULE };
        assert_eq!(file_name("Nguyễn Văn An", &rule), "Nguyễn Văn An_Căn cước.pdf");
    }

    #[test]
    fn sides_are_true_size_centred_and_stacked() {
        let (x0, y0, w0, h0) = side_rect(0);
        let (x1, y1, w1, h1) = side_rect(1);
        assert!((w0 / PT_PER_MM - 85.60).abs() < 1e-3 && (h0 / PT_PER_MM - 53.98).abs() < 1e-3);
        assert_eq!((w0, h0, x0), (w1, h1, x1));
        assert!((x0 + w0 / 2.0 - A4_WIDTH_MM * PT_PER_MM / 2.0).abs() < 1e-3);
        assert!(y0 > y1 + h1, "front above back");
        let middle = (y0 + h0 + y1) / 2.0;
        assert!((middle - A4_HEIGHT_MM * PT_PER_MM / 2.0).abs() < 1e-2);
    }
}
