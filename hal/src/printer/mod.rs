//! Receipt printers.
//!
//! A receipt is a device-independent list of items; drivers render text they cannot print natively
//! (Vietnamese, CJK) as raster with [`raster::TextRenderer`].

use image::GrayImage;

use crate::{Device, Result};

#[cfg(feature = "serial")]
pub mod escpos;
pub mod raster;
pub mod sim;

/// Horizontal alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

/// Text size on the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextSize {
    /// Fine print.
    Small,
    /// Body text.
    #[default]
    Normal,
    /// Headings and the dossier code.
    Large,
}

/// One item of a receipt, top to bottom.
#[derive(Clone, PartialEq)]
pub enum ReceiptItem {
    /// A paragraph of text, wrapped to the paper width.
    Text {
        /// The text (any script the configured fonts cover).
        text: String,
        /// Size.
        size: TextSize,
        /// Alignment.
        align: Align,
        /// Bold.
        bold: bool,
    },
    /// A QR code, centred.
    Qr {
        /// Content.
        data: String,
        /// Width of one module in printer dots.
        module_dots: u8,
    },
    /// A grey image, centred and dithered by the driver.
    Image(GrayImage),
    /// A horizontal rule.
    Rule,
    /// Blank lines.
    Feed(u8),
}

impl std::fmt::Debug for ReceiptItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Receipt text can hold a name: show only its length.
        match self {
            ReceiptItem::Text { text, size, .. } => write!(f, "Text({} chars, {size:?})", text.chars().count()),
            ReceiptItem::Qr { data, .. } => write!(f, "Qr({} bytes)", data.len()),
            ReceiptItem::Image(image) => write!(f, "Image{:?}", image.dimensions()),
            ReceiptItem::Rule => f.write_str("Rule"),
            ReceiptItem::Feed(lines) => write!(f, "Feed({lines})"),
        }
    }
}

/// A receipt to print, ending with a cut.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Receipt {
    /// Items, top to bottom.
    pub items: Vec<ReceiptItem>,
}

impl Receipt {
    /// An empty receipt.
    pub fn new() -> Self {
        Receipt::default()
    }

    /// Adds body text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.items.push(ReceiptItem::Text {
            text: text.into(),
            size: TextSize::Normal,
            align: Align::Left,
            bold: false,
        });
        self
    }

    /// Adds a centred bold heading.
    pub fn heading(mut self, text: impl Into<String>) -> Self {
        self.items.push(ReceiptItem::Text {
            text: text.into(),
            size: TextSize::Large,
            align: Align::Center,
            bold: true,
        });
        self
    }

    /// Adds any item.
    pub fn item(mut self, item: ReceiptItem) -> Self {
        self.items.push(item);
        self
    }

    /// Adds a QR code with modules of `module_dots` dots.
    pub fn qr(mut self, data: impl Into<String>, module_dots: u8) -> Self {
        self.items.push(ReceiptItem::Qr { data: data.into(), module_dots });
        self
    }
}

/// Paper state of a receipt printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaperStatus {
    /// Enough paper.
    Ok,
    /// The roll is nearly finished: print, but tell a technician.
    NearEnd,
    /// No paper: printing fails with [`crate::ErrorKind::NoMedium`].
    Out,
}

/// A receipt printer.
pub trait ReceiptPrinter: Device {
    /// Asks the printer for its paper state.
    fn paper_status(&mut self) -> Result<PaperStatus>;

    /// Prints and cuts a receipt.
    fn print(&mut self, receipt: &Receipt) -> Result<()>;
}
