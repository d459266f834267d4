//! The eSCL XML documents: `ScannerCapabilities` and `ScannerStatus` in, `ScanSettings` out.
//!
//! Element names and values follow the Mopria eSCL Technical Specification (v2.x): capabilities per
//! input source (`scan:Platen/scan:PlatenInputCaps`, `scan:Adf/scan:AdfSimplexInputCaps`), sizes in
//! three-hundredths of an inch, resolutions as a discrete list or as X/Y ranges with a step.
//!
//! Reading is deliberately tolerant: prefixes are whatever the firmware chose (`scan:`, `escl:`, a
//! default namespace), so elements are matched by namespace URI and local name only, and an element
//! is accepted from either of the two eSCL namespaces because firmware does not always put it in the
//! one the specification names. Unknown elements are ignored.

use roxmltree::{Document, Node};

/// The eSCL namespace (`scan:` in the specification).
pub const SCAN_NS: &str = "http://schemas.hp.com/imaging/escl/2011/05/03";
/// The PWG semantic-model namespace (`pwg:` in the specification).
pub const PWG_NS: &str = "http://www.pwg.org/schemas/2010/12/sm";

/// Ranges wider than this are cut: a resolution list is for choosing, and a hostile or broken
/// `Step` of 1 over `1..u32::MAX` must not exhaust memory.
const MAX_RANGE_VALUES: usize = 4096;

/// Why an eSCL XML document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML (or a DTD, which is refused).
    #[error("malformed XML: {0}")]
    Syntax(#[from] roxmltree::Error),
    /// Well-formed XML, but not the document that was asked for.
    #[error("expected a {expected} document, found <{found}>")]
    UnexpectedRoot {
        /// The local name of the expected root element.
        expected: &'static str,
        /// The local name of the root element found (shortened).
        found: String,
    },
    /// A numeric element that does not hold a number.
    #[error("element {element} does not hold a number: {value:?}")]
    NotANumber {
        /// The local name of the element.
        element: &'static str,
        /// The text found (shortened).
        value: String,
    },
}

/// What an input source (platen or feeder) can do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputCaps {
    /// Smallest scan width, in 1/300 inch (`scan:MinWidth`).
    pub min_width: u32,
    /// Largest scan width, in 1/300 inch (`scan:MaxWidth`); 0 when not advertised.
    pub max_width: u32,
    /// Smallest scan height, in 1/300 inch (`scan:MinHeight`).
    pub min_height: u32,
    /// Largest scan height, in 1/300 inch (`scan:MaxHeight`); 0 when not advertised.
    pub max_height: u32,
    /// Resolutions with equal X and Y, in dots per inch, ascending, over all setting profiles.
    pub resolutions: Vec<u32>,
    /// Colour modes (`RGB24`, `Grayscale8`, ...), over all setting profiles.
    pub color_modes: Vec<String>,
    /// Document formats (MIME types, lower case) from `pwg:DocumentFormat` and
    /// `scan:DocumentFormatExt`, over all setting profiles.
    pub document_formats: Vec<String>,
}

impl InputCaps {
    /// The supported resolution nearest to `dpi`; on a tie the higher one, since a document scan
    /// loses more from too few dots than from too many. `None` if no resolution is advertised.
    pub fn nearest_resolution(&self, dpi: u32) -> Option<u32> {
        self.resolutions.iter().copied().min_by_key(|&r| (r.abs_diff(dpi), std::cmp::Reverse(r)))
    }

    /// Whether the source may deliver `format`; a source that lists no format is given the
    /// benefit of the doubt.
    pub fn offers_format(&self, format: &str) -> bool {
        self.document_formats.is_empty() || self.document_formats.iter().any(|f| f.eq_ignore_ascii_case(format))
    }

    /// Whether the source may scan in `mode`; a source that lists no colour mode is given the
    /// benefit of the doubt.
    pub fn offers_color_mode(&self, mode: &str) -> bool {
        self.color_modes.is_empty() || self.color_modes.iter().any(|m| m == mode)
    }
}

/// A scanner's `ScannerCapabilities` document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScannerCapabilities {
    /// eSCL version the scanner implements (`pwg:Version`, e.g. `2.63`).
    pub version: Option<String>,
    /// Make and model (`pwg:MakeAndModel`).
    pub make_and_model: Option<String>,
    /// Serial number (`pwg:SerialNumber`).
    pub serial_number: Option<String>,
    /// The flatbed glass, if the scanner has one.
    pub platen: Option<InputCaps>,
    /// The automatic document feeder, if the scanner has one (simplex capabilities; empty caps if
    /// the feeder is announced without them).
    pub adf: Option<InputCaps>,
}

/// The scanner state (`pwg:State`, PWG 5108.01 semantic model values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerState {
    /// Ready for a job.
    Idle,
    /// Working on a job.
    Processing,
    /// Running a self-test or calibration.
    Testing,
    /// Stopped, typically needing attention (cover open, jam, error).
    Stopped,
    /// Out of service.
    Down,
    /// A value this driver does not know (kept for the technician).
    Other(String),
}

impl ScannerState {
    fn parse(text: &str) -> Self {
        match text {
            "Idle" => ScannerState::Idle,
            "Processing" => ScannerState::Processing,
            "Testing" => ScannerState::Testing,
            "Stopped" => ScannerState::Stopped,
            "Down" => ScannerState::Down,
            other => ScannerState::Other(shorten(other)),
        }
    }
}

impl std::fmt::Display for ScannerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScannerState::Idle => "Idle",
            ScannerState::Processing => "Processing",
            ScannerState::Testing => "Testing",
            ScannerState::Stopped => "Stopped",
            ScannerState::Down => "Down",
            ScannerState::Other(other) => other,
        })
    }
}

/// The feeder state (`scan:AdfState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdfState {
    /// Paper is in the feeder (`ScannerAdfLoaded`).
    Loaded,
    /// The feeder is empty (`ScannerAdfEmpty`).
    Empty,
    /// The feeder is pulling paper (`ScannerAdfProcessing`).
    Processing,
    /// Paper jam (`ScannerAdfJam`).
    Jam,
    /// Feeder door or hatch open (`ScannerAdfDoorOpen`, `ScannerAdfHatchOpen`).
    Open,
    /// Any other value (mispick, multipick, tray failure, ...), kept for the technician.
    Other(String),
}

impl AdfState {
    fn parse(text: &str) -> Self {
        match text {
            "ScannerAdfLoaded" => AdfState::Loaded,
            "ScannerAdfEmpty" => AdfState::Empty,
            "ScannerAdfProcessing" => AdfState::Processing,
            "ScannerAdfJam" => AdfState::Jam,
            "ScannerAdfDoorOpen" | "ScannerAdfHatchOpen" => AdfState::Open,
            other => AdfState::Other(shorten(other)),
        }
    }

    /// Whether the feeder needs a person before it can work again.
    pub fn needs_attention(&self) -> bool {
        matches!(self, AdfState::Jam | AdfState::Open | AdfState::Other(_))
    }
}

impl std::fmt::Display for AdfState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AdfState::Loaded => "ScannerAdfLoaded",
            AdfState::Empty => "ScannerAdfEmpty",
            AdfState::Processing => "ScannerAdfProcessing",
            AdfState::Jam => "ScannerAdfJam",
            AdfState::Open => "ScannerAdfDoorOpen",
            AdfState::Other(other) => other,
        })
    }
}

/// A scanner's `ScannerStatus` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerStatus {
    /// The scanner state.
    pub state: ScannerState,
    /// The feeder state, if the scanner reports one.
    pub adf_state: Option<AdfState>,
}

/// Parses a `ScannerCapabilities` document.
pub fn parse_capabilities(text: &str) -> Result<ScannerCapabilities, XmlError> {
    let document = Document::parse(text)?;
    let root = expect_root(&document, "ScannerCapabilities")?;
    let platen = child(root, "Platen").map(|platen| match child(platen, "PlatenInputCaps") {
        Some(caps) => parse_input_caps(caps),
        // Some firmware puts the caps straight under scan:Platen.
        None => parse_input_caps(platen),
    });
    let adf = child(root, "Adf").map(|adf| match child(adf, "AdfSimplexInputCaps") {
        Some(caps) => parse_input_caps(caps),
        None => Ok(InputCaps::default()),
    });
    Ok(ScannerCapabilities {
        version: text_of(root, "Version"),
        make_and_model: text_of(root, "MakeAndModel"),
        serial_number: text_of(root, "SerialNumber"),
        platen: platen.transpose()?,
        adf: adf.transpose()?,
    })
}

/// Parses a `ScannerStatus` document. A missing `pwg:State` reads as an unknown state.
pub fn parse_status(text: &str) -> Result<ScannerStatus, XmlError> {
    let document = Document::parse(text)?;
    let root = expect_root(&document, "ScannerStatus")?;
    let state = text_of(root, "State").map_or(ScannerState::Other("(no State)".into()), |s| ScannerState::parse(&s));
    let adf_state = text_of(root, "AdfState").map(|s| AdfState::parse(&s));
    Ok(ScannerStatus { state, adf_state })
}

fn parse_input_caps(caps: Node) -> Result<InputCaps, XmlError> {
    let mut input = InputCaps {
        min_width: number_of(caps, "MinWidth")?.unwrap_or(0),
        max_width: number_of(caps, "MaxWidth")?.unwrap_or(0),
        min_height: number_of(caps, "MinHeight")?.unwrap_or(0),
        max_height: number_of(caps, "MaxHeight")?.unwrap_or(0),
        ..InputCaps::default()
    };
    // Setting profiles may be absent on minimal firmware: then the resolution and mode elements
    // sit directly in the input caps, and searching descendants finds them either way.
    for mode in descendants(caps, "ColorMode") {
        if let Some(mode) = own_text(mode)
            && !input.color_modes.contains(&mode)
        {
            input.color_modes.push(mode);
        }
    }
    for format in descendants(caps, "DocumentFormat").chain(descendants(caps, "DocumentFormatExt")) {
        if let Some(format) = own_text(format).map(|f| f.to_ascii_lowercase())
            && !input.document_formats.contains(&format)
        {
            input.document_formats.push(format);
        }
    }
    let mut resolutions = Vec::new();
    for discrete in descendants(caps, "DiscreteResolution") {
        let x = number_of(discrete, "XResolution")?;
        let y = number_of(discrete, "YResolution")?;
        // A ScannedImage has one dpi: only square resolutions are usable.
        if let (Some(x), Some(y)) = (x, y)
            && x == y
            && x > 0
        {
            resolutions.push(x);
        }
    }
    // Ranges are searched as descendants too: some servers close an empty scan:ResolutionRange and
    // put the X/Y ranges beside it.
    let x_range = descendants(caps, "XResolutionRange").next().map(parse_range).transpose()?.flatten();
    let y_range = descendants(caps, "YResolutionRange").next().map(parse_range).transpose()?.flatten();
    if let Some(x_range) = x_range {
        resolutions.extend(square_resolutions(x_range, y_range.unwrap_or(x_range)));
    }
    resolutions.sort_unstable();
    resolutions.dedup();
    input.resolutions = resolutions;
    Ok(input)
}

/// A resolution range: every `min + k * step` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    min: u32,
    max: u32,
    step: u32,
}

impl Range {
    fn values(self) -> impl Iterator<Item = u32> {
        (self.min..=self.max).step_by(self.step as usize).take(MAX_RANGE_VALUES)
    }

    fn contains(self, value: u32) -> bool {
        (self.min..=self.max).contains(&value) && (value - self.min).is_multiple_of(self.step)
    }
}

fn parse_range(node: Node) -> Result<Option<Range>, XmlError> {
    let (Some(min), Some(max)) = (number_of(node, "Min")?, number_of(node, "Max")?) else {
        return Ok(None);
    };
    if min == 0 || min > max {
        return Ok(None);
    }
    let step = number_of(node, "Step")?.unwrap_or(1).max(1);
    Ok(Some(Range { min, max, step }))
}

/// The resolutions both ranges allow. When the grids never meet, the X values inside the Y bounds
/// are offered, then the X values alone: a scan at a resolution the scanner rounds is better than
/// no scan, and the test image the scanner returns still shows the result.
fn square_resolutions(x: Range, y: Range) -> Vec<u32> {
    let both: Vec<u32> = x.values().filter(|&v| y.contains(v)).collect();
    if !both.is_empty() {
        return both;
    }
    let within: Vec<u32> = x.values().filter(|v| (y.min..=y.max).contains(v)).collect();
    if !within.is_empty() {
        return within;
    }
    x.values().collect()
}

/// The settings of one scan job (`scan:ScanSettings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSettings {
    /// The eSCL version to announce.
    pub version: String,
    /// X and Y resolution, in dots per inch.
    pub resolution: u32,
    /// Width and height of the scan region from the top-left corner, in 1/300 inch; `None` lets
    /// the scanner use its default (whole) area.
    pub region: Option<(u32, u32)>,
}

impl ScanSettings {
    /// The settings for a colour JPEG scan of the platen; the version echoes the scanner's own
    /// when it is a plausible 2.x, otherwise 2.0.
    pub fn platen_jpeg(scanner_version: Option<&str>, resolution: u32, platen: &InputCaps) -> Self {
        let version = match scanner_version {
            Some(v) if is_plausible_2x(v) => v.to_owned(),
            _ => "2.0".to_owned(),
        };
        let region = (platen.max_width > 0 && platen.max_height > 0).then_some((platen.max_width, platen.max_height));
        ScanSettings { version, resolution, region }
    }

    /// The XML body of `POST ScanJobs`.
    ///
    /// `pwg:DocumentFormat` is sent beside `scan:DocumentFormatExt` because firmware written for
    /// eSCL 2.0 reads only the former; both name the same format.
    pub fn to_xml(&self) -> String {
        let region = match self.region {
            Some((width, height)) => format!(
                "  <pwg:ScanRegions>\n    <pwg:ScanRegion>\n      \
                 <pwg:ContentRegionUnits>escl:ThreeHundredthsOfInches</pwg:ContentRegionUnits>\n      \
                 <pwg:XOffset>0</pwg:XOffset>\n      <pwg:YOffset>0</pwg:YOffset>\n      \
                 <pwg:Width>{width}</pwg:Width>\n      <pwg:Height>{height}</pwg:Height>\n    \
                 </pwg:ScanRegion>\n  </pwg:ScanRegions>\n"
            ),
            None => String::new(),
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <scan:ScanSettings xmlns:scan=\"{SCAN_NS}\" xmlns:pwg=\"{PWG_NS}\">\n  \
             <pwg:Version>{version}</pwg:Version>\n\
             {region}  \
             <pwg:InputSource>Platen</pwg:InputSource>\n  \
             <scan:ColorMode>RGB24</scan:ColorMode>\n  \
             <pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat>\n  \
             <scan:DocumentFormatExt>image/jpeg</scan:DocumentFormatExt>\n  \
             <scan:XResolution>{resolution}</scan:XResolution>\n  \
             <scan:YResolution>{resolution}</scan:YResolution>\n\
             </scan:ScanSettings>\n",
            version = self.version,
            resolution = self.resolution,
        )
    }
}

/// `2.` followed by digits and dots only, so the scanner's text can go into our XML unescaped.
fn is_plausible_2x(version: &str) -> bool {
    version.len() <= 8
        && version
            .strip_prefix("2.")
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_escl(node: Node, local: &str) -> bool {
    let name = node.tag_name();
    node.is_element() && name.name() == local && matches!(name.namespace(), Some(SCAN_NS | PWG_NS))
}

fn expect_root<'a, 'input>(document: &'a Document<'input>, local: &'static str) -> Result<Node<'a, 'input>, XmlError> {
    let root = document.root_element();
    if is_escl(root, local) {
        Ok(root)
    } else {
        Err(XmlError::UnexpectedRoot { expected: local, found: shorten(root.tag_name().name()) })
    }
}

fn child<'a, 'input>(node: Node<'a, 'input>, local: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| is_escl(*c, local))
}

fn descendants<'a, 'input: 'a>(node: Node<'a, 'input>, local: &'static str) -> impl Iterator<Item = Node<'a, 'input>> {
    node.descendants().filter(move |d| is_escl(*d, local))
}

fn own_text(node: Node) -> Option<String> {
    node.text().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

fn text_of(node: Node, local: &str) -> Option<String> {
    child(node, local).and_then(own_text)
}

fn number_of(node: Node, local: &'static str) -> Result<Option<u32>, XmlError> {
    match child(node, local).and_then(own_text) {
        None => Ok(None),
        Some(text) => {
            text.parse().map(Some).map_err(|_| XmlError::NotANumber { element: local, value: shorten(&text) })
        }
    }
}

/// Device text in an error message is cut short: it is for a technician, not a dump.
fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Capabilities as an HP-style scanner sends them: discrete resolutions, platen and ADF.
    const HP_STYLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03"
    xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
  <pwg:Version>2.63</pwg:Version>
  <pwg:MakeAndModel>Example LaserJet MFP 400</pwg:MakeAndModel>
  <pwg:SerialNumber>EX0001</pwg:SerialNumber>
  <scan:Platen>
    <scan:PlatenInputCaps>
      <scan:MinWidth>8</scan:MinWidth><scan:MaxWidth>2550</scan:MaxWidth>
      <scan:MinHeight>8</scan:MinHeight><scan:MaxHeight>3508</scan:MaxHeight>
      <scan:SettingProfiles><scan:SettingProfile>
        <scan:ColorModes><scan:ColorMode>Grayscale8</scan:ColorMode><scan:ColorMode>RGB24</scan:ColorMode></scan:ColorModes>
        <scan:DocumentFormats><pwg:DocumentFormat>application/pdf</pwg:DocumentFormat>
          <pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat><scan:DocumentFormatExt>image/JPEG</scan:DocumentFormatExt></scan:DocumentFormats>
        <scan:SupportedResolutions><scan:DiscreteResolutions>
          <scan:DiscreteResolution><scan:XResolution>600</scan:XResolution><scan:YResolution>600</scan:YResolution></scan:DiscreteResolution>
          <scan:DiscreteResolution><scan:XResolution>300</scan:XResolution><scan:YResolution>300</scan:YResolution></scan:DiscreteResolution>
          <scan:DiscreteResolution><scan:XResolution>300</scan:XResolution><scan:YResolution>600</scan:YResolution></scan:DiscreteResolution>
          <scan:DiscreteResolution><scan:XResolution>75</scan:XResolution><scan:YResolution>75</scan:YResolution></scan:DiscreteResolution>
        </scan:DiscreteResolutions></scan:SupportedResolutions>
      </scan:SettingProfile></scan:SettingProfiles>
    </scan:PlatenInputCaps>
  </scan:Platen>
  <scan:Adf>
    <scan:AdfSimplexInputCaps>
      <scan:MaxWidth>2550</scan:MaxWidth><scan:MaxHeight>4200</scan:MaxHeight>
    </scan:AdfSimplexInputCaps>
  </scan:Adf>
</scan:ScannerCapabilities>"#;

    #[test]
    fn capabilities_give_model_version_sizes_and_square_resolutions() {
        let caps = parse_capabilities(HP_STYLE).unwrap();
        assert_eq!(caps.version.as_deref(), Some("2.63"));
        assert_eq!(caps.make_and_model.as_deref(), Some("Example LaserJet MFP 400"));
        let platen = caps.platen.unwrap();
        assert_eq!((platen.max_width, platen.max_height), (2550, 3508));
        // 300x600 is not square and must not be offered.
        assert_eq!(platen.resolutions, vec![75, 300, 600]);
        assert_eq!(platen.color_modes, vec!["Grayscale8", "RGB24"]);
        assert_eq!(platen.document_formats, vec!["application/pdf", "image/jpeg"]);
        assert_eq!(caps.adf.unwrap().max_height, 4200);
    }

    #[test]
    fn prefixes_do_not_matter_only_namespaces_do() {
        let default_ns = r#"<ScannerCapabilities xmlns="http://schemas.hp.com/imaging/escl/2011/05/03"
              xmlns:p="http://www.pwg.org/schemas/2010/12/sm">
            <p:MakeAndModel> Odd Prefix 1 </p:MakeAndModel>
            <Platen><PlatenInputCaps><MaxWidth>100</MaxWidth><MaxHeight>200</MaxHeight>
              <DiscreteResolution><XResolution>150</XResolution><YResolution>150</YResolution></DiscreteResolution>
            </PlatenInputCaps></Platen></ScannerCapabilities>"#;
        let caps = parse_capabilities(default_ns).unwrap();
        assert_eq!(caps.make_and_model.as_deref(), Some("Odd Prefix 1"));
        assert_eq!(caps.platen.unwrap().resolutions, vec![150]);
        assert!(caps.adf.is_none());

        // The right prefix bound to a foreign namespace is not eSCL.
        let foreign = r#"<scan:ScannerCapabilities xmlns:scan="urn:not-escl"/>"#;
        assert!(matches!(parse_capabilities(foreign), Err(XmlError::UnexpectedRoot { .. })));
    }

    #[test]
    fn resolution_ranges_are_expanded_on_the_common_grid() {
        let ranges = r#"<scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03">
          <scan:Platen><scan:PlatenInputCaps><scan:SupportedResolutions><scan:ResolutionRange/>
            <scan:XResolutionRange><scan:Min>100</scan:Min><scan:Max>1200</scan:Max><scan:Step>100</scan:Step></scan:XResolutionRange>
            <scan:YResolutionRange><scan:Min>200</scan:Min><scan:Max>600</scan:Max><scan:Step>200</scan:Step></scan:YResolutionRange>
          </scan:SupportedResolutions></scan:PlatenInputCaps></scan:Platen></scan:ScannerCapabilities>"#;
        let platen = parse_capabilities(ranges).unwrap().platen.unwrap();
        assert_eq!(platen.resolutions, vec![200, 400, 600]);
        assert_eq!(platen.nearest_resolution(1000), Some(600));
        assert_eq!(platen.nearest_resolution(290), Some(200));
        // Equidistant: the higher resolution wins.
        assert_eq!(platen.nearest_resolution(300), Some(400));
    }

    #[test]
    fn a_huge_range_is_capped() {
        let x = Range { min: 1, max: u32::MAX, step: 1 };
        assert_eq!(square_resolutions(x, x).len(), MAX_RANGE_VALUES);
    }

    #[test]
    fn garbage_numbers_and_garbage_xml_are_errors() {
        let bad_number = r#"<scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03">
          <scan:Platen><scan:PlatenInputCaps><scan:MaxWidth>wide</scan:MaxWidth></scan:PlatenInputCaps></scan:Platen>
          </scan:ScannerCapabilities>"#;
        assert!(matches!(parse_capabilities(bad_number), Err(XmlError::NotANumber { element: "MaxWidth", .. })));
        assert!(matches!(parse_capabilities("<scan:Scanner"), Err(XmlError::Syntax(_))));
        assert!(matches!(parse_status("\u{0}\u{ff}junk"), Err(XmlError::Syntax(_))));
    }

    #[test]
    fn status_gives_state_and_feeder_state() {
        let status = parse_status(
            r#"<scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03"
                 xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
               <pwg:Version>2.0</pwg:Version><pwg:State>Processing</pwg:State>
               <scan:AdfState>ScannerAdfJam</scan:AdfState></scan:ScannerStatus>"#,
        )
        .unwrap();
        assert_eq!(status.state, ScannerState::Processing);
        assert_eq!(status.adf_state, Some(AdfState::Jam));
        assert!(AdfState::Jam.needs_attention());
        assert!(!AdfState::Loaded.needs_attention());

        let bare = parse_status(r#"<ScannerStatus xmlns="http://schemas.hp.com/imaging/escl/2011/05/03"/>"#).unwrap();
        assert!(matches!(bare.state, ScannerState::Other(_)));
        assert_eq!(bare.adf_state, None);
    }

    #[test]
    fn scan_settings_are_well_formed_escl() {
        let platen = InputCaps { max_width: 2550, max_height: 3508, ..InputCaps::default() };
        let settings = ScanSettings::platen_jpeg(Some("2.63"), 300, &platen);
        let xml = settings.to_xml();
        let document = Document::parse(&xml).unwrap();
        let root = document.root_element();
        assert!(is_escl(root, "ScanSettings"));
        assert_eq!(text_of(root, "Version").as_deref(), Some("2.63"));
        assert_eq!(text_of(root, "InputSource").as_deref(), Some("Platen"));
        assert_eq!(text_of(root, "ColorMode").as_deref(), Some("RGB24"));
        assert_eq!(text_of(root, "DocumentFormatExt").as_deref(), Some("image/jpeg"));
        assert_eq!(number_of(root, "XResolution").unwrap(), Some(300));
        assert_eq!(number_of(root, "YResolution").unwrap(), Some(300));
        let region = descendants(root, "ScanRegion").next().unwrap();
        assert_eq!(text_of(region, "ContentRegionUnits").as_deref(), Some("escl:ThreeHundredthsOfInches"));
        assert_eq!(number_of(region, "Width").unwrap(), Some(2550));
        assert_eq!(number_of(region, "Height").unwrap(), Some(3508));
    }

    #[test]
    fn scanner_version_is_echoed_only_when_it_is_a_safe_2x() {
        let platen = InputCaps::default();
        assert_eq!(ScanSettings::platen_jpeg(Some("2.1"), 300, &platen).version, "2.1");
        assert_eq!(ScanSettings::platen_jpeg(Some("3.0"), 300, &platen).version, "2.0");
        assert_eq!(ScanSettings::platen_jpeg(Some("2.0</pwg:Version>"), 300, &platen).version, "2.0");
        assert_eq!(ScanSettings::platen_jpeg(None, 300, &platen).version, "2.0");
        // Unknown platen size: no region, the scanner scans its default area.
        assert!(!ScanSettings::platen_jpeg(None, 300, &platen).to_xml().contains("ScanRegion"));
    }
}
