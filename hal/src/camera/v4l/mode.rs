//! Pure decisions of the V4L2 driver: which pixel format and frame size to ask for, and which
//! control values to write. No ioctl here, so all of it is unit-tested.

/// The pixel formats the driver can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PixelFormat {
    /// Motion JPEG: one JPEG per frame, cheap on USB bandwidth (preferred).
    Mjpeg,
    /// Packed YUV 4:2:2, uncompressed.
    Yuyv,
}

impl PixelFormat {
    /// In order of preference: MJPEG reaches full resolution at full frame rate over USB 2.0,
    /// YUYV usually does not.
    pub(super) const PREFERENCE: [PixelFormat; 2] = [PixelFormat::Mjpeg, PixelFormat::Yuyv];

    /// The V4L2 four-character code (`V4L2_PIX_FMT_MJPEG`, `V4L2_PIX_FMT_YUYV`).
    pub(super) fn fourcc(self) -> [u8; 4] {
        match self {
            PixelFormat::Mjpeg => *b"MJPG",
            PixelFormat::Yuyv => *b"YUYV",
        }
    }

    /// The format behind a four-character code, if the driver decodes it.
    pub(super) fn from_fourcc(code: [u8; 4]) -> Option<PixelFormat> {
        PixelFormat::PREFERENCE.into_iter().find(|f| f.fourcc() == code)
    }

    /// The name shown in health details.
    pub(super) fn name(self) -> &'static str {
        match self {
            PixelFormat::Mjpeg => "MJPEG",
            PixelFormat::Yuyv => "YUYV",
        }
    }
}

/// Frame sizes a format offers (`VIDIOC_ENUM_FRAMESIZES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sizes {
    /// One fixed size.
    Discrete { width: u32, height: u32 },
    /// Every size in a range on a grid (continuous ranges have a step of 1).
    Stepwise { min: (u32, u32), max: (u32, u32), step: (u32, u32) },
}

impl Sizes {
    /// The size of this offer closest to `want`: `want` itself when offered, otherwise the
    /// smallest size covering it, otherwise the largest.
    fn nearest(self, want: (u32, u32)) -> (u32, u32) {
        match self {
            Sizes::Discrete { width, height } => (width, height),
            Sizes::Stepwise { min, max, step } => {
                (snap_up(want.0, min.0, max.0, step.0), snap_up(want.1, min.1, max.1, step.1))
            }
        }
    }
}

/// The smallest grid value `min + k·step` not below `want`, within `min..=max`.
fn snap_up(want: u32, min: u32, max: u32, step: u32) -> u32 {
    let (min, max) = (min.min(max), max.max(min));
    // A zero step would be a driver bug; treat it as continuous.
    let step = u64::from(step.max(1));
    let clamped = u64::from(want.clamp(min, max));
    let offset = (clamped - u64::from(min)).div_ceil(step) * step;
    let snapped = u64::from(min) + offset;
    let value = if snapped > u64::from(max) { snapped - step } else { snapped };
    u32::try_from(value).unwrap_or(max)
}

/// What a device offers for one pixel format it decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Offer {
    /// The pixel format.
    pub format: PixelFormat,
    /// Its frame sizes; empty when the driver does not enumerate them.
    pub sizes: Vec<Sizes>,
}

/// The format and size to request with `VIDIOC_S_FMT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Choice {
    /// Pixel format.
    pub format: PixelFormat,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
}

/// Picks the format and size to ask for: the preferred format that offers exactly `want`,
/// otherwise the preferred format with its nearest size. `None` when the device offers neither
/// MJPEG nor YUYV.
pub(super) fn choose(offers: &[Offer], want: (u32, u32)) -> Option<Choice> {
    let candidates: Vec<Choice> = PixelFormat::PREFERENCE
        .into_iter()
        .filter_map(|format| offers.iter().find(|o| o.format == format))
        .map(|offer| {
            let (width, height) = nearest_size(&offer.sizes, want);
            Choice { format: offer.format, width, height }
        })
        .collect();
    let exact = candidates.iter().find(|c| (c.width, c.height) == want);
    exact.or(candidates.first()).copied()
}

fn nearest_size(sizes: &[Sizes], want: (u32, u32)) -> (u32, u32) {
    let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let options: Vec<(u32, u32)> = sizes.iter().map(|s| s.nearest(want)).collect();
    if let Some(exact) = options.iter().find(|&&size| size == want) {
        return *exact;
    }
    let covering = options.iter().filter(|(w, h)| *w >= want.0 && *h >= want.1).min_by_key(|&&size| area(size));
    let largest = options.iter().max_by_key(|&&size| area(size));
    // No enumeration at all: ask for what was configured and let VIDIOC_S_FMT adjust it.
    covering.or(largest).copied().unwrap_or(want)
}

/// Range of a V4L2 control as reported by `VIDIOC_QUERY_EXT_CTRL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ControlRange {
    /// Minimum value, inclusive.
    pub min: i64,
    /// Maximum value, inclusive.
    pub max: i64,
    /// Step between valid values (0 or 1: every value).
    pub step: u64,
    /// For menu controls, the indices the driver actually implements (`VIDIOC_QUERYMENU`
    /// succeeds for them); `None` for other controls.
    pub menu: Option<Vec<u32>>,
}

impl ControlRange {
    /// Whether `value` is valid for this control.
    pub(super) fn accepts(&self, value: i64) -> bool {
        let in_range = (self.min..=self.max).contains(&value);
        let in_menu = match &self.menu {
            Some(items) => u32::try_from(value).is_ok_and(|v| items.contains(&v)),
            None => true,
        };
        in_range && in_menu
    }

    /// The valid value nearest to `value`: clamped to the range and rounded to the step.
    pub(super) fn fit(&self, value: i64) -> i64 {
        let (min, max) = (self.min.min(self.max), self.max.max(self.min));
        let clamped = i128::from(value.clamp(min, max));
        let step = i128::from(self.step.max(1));
        let offset = clamped - i128::from(min);
        let rounded = i128::from(min) + (offset + step / 2) / step * step;
        let fitted = if rounded > i128::from(max) { rounded - step } else { rounded };
        i64::try_from(fitted).unwrap_or(max)
    }
}

/// Values of the `exposure_auto` menu (`enum v4l2_exposure_auto_type`, V4L2 camera control
/// reference, `V4L2_CID_EXPOSURE_AUTO`).
pub(super) mod exposure_mode {
    /// Automatic exposure time and iris.
    pub const AUTO: i64 = 0;
    /// Manual exposure time and iris.
    pub const MANUAL: i64 = 1;
    /// Manual exposure time, automatic iris.
    pub const SHUTTER_PRIORITY: i64 = 2;
    /// Automatic exposure time, manual iris.
    pub const APERTURE_PRIORITY: i64 = 3;
}

/// The `exposure_auto` value that lets the camera choose its exposure time. UVC webcams have a
/// fixed iris and most offer only MANUAL and APERTURE_PRIORITY (the UVC auto-exposure-mode bitmap,
/// UVC 1.5 §4.2.2.1.2), so full AUTO cannot be assumed.
pub(super) fn auto_exposure_mode(range: &ControlRange) -> Option<i64> {
    [exposure_mode::AUTO, exposure_mode::APERTURE_PRIORITY, exposure_mode::SHUTTER_PRIORITY]
        .into_iter()
        .find(|&mode| range.accepts(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discrete(sizes: &[(u32, u32)]) -> Vec<Sizes> {
        sizes.iter().map(|&(width, height)| Sizes::Discrete { width, height }).collect()
    }

    const WEBCAM: &[(u32, u32)] = &[(640, 480), (1280, 720), (1920, 1080)];

    #[test]
    fn mjpeg_is_preferred_at_the_configured_size() {
        let offers = [
            Offer { format: PixelFormat::Yuyv, sizes: discrete(WEBCAM) },
            Offer { format: PixelFormat::Mjpeg, sizes: discrete(WEBCAM) },
        ];
        let choice = choose(&offers, (1280, 720)).unwrap();
        assert_eq!(choice, Choice { format: PixelFormat::Mjpeg, width: 1280, height: 720 });
    }

    #[test]
    fn yuyv_is_used_when_there_is_no_mjpeg() {
        let offers = [Offer { format: PixelFormat::Yuyv, sizes: discrete(WEBCAM) }];
        let choice = choose(&offers, (640, 480)).unwrap();
        assert_eq!(choice, Choice { format: PixelFormat::Yuyv, width: 640, height: 480 });
    }

    #[test]
    fn an_exact_size_beats_the_format_preference() {
        let offers = [
            Offer { format: PixelFormat::Mjpeg, sizes: discrete(&[(1920, 1080)]) },
            Offer { format: PixelFormat::Yuyv, sizes: discrete(&[(640, 480)]) },
        ];
        assert_eq!(choose(&offers, (640, 480)).unwrap().format, PixelFormat::Yuyv);
        assert_eq!(choose(&offers, (800, 600)).unwrap().format, PixelFormat::Mjpeg);
    }

    #[test]
    fn without_the_exact_size_the_smallest_covering_size_is_chosen() {
        let offers = [Offer { format: PixelFormat::Mjpeg, sizes: discrete(WEBCAM) }];
        let choice = choose(&offers, (1024, 768)).unwrap();
        assert_eq!((choice.width, choice.height), (1920, 1080));
        // Nothing covers it: the largest there is.
        let choice = choose(&offers, (4000, 3000)).unwrap();
        assert_eq!((choice.width, choice.height), (1920, 1080));
    }

    #[test]
    fn stepwise_ranges_snap_to_their_grid() {
        let stepwise = Sizes::Stepwise { min: (160, 120), max: (2592, 1944), step: (16, 8) };
        let offers = [Offer { format: PixelFormat::Yuyv, sizes: vec![stepwise] }];
        let choice = choose(&offers, (1000, 750)).unwrap();
        // 160 + 53·16 = 1008 is the first grid width ≥ 1000; 120 + 79·8 = 752.
        assert_eq!((choice.width, choice.height), (1008, 752));
        let exact = choose(&offers, (1280, 720)).unwrap();
        assert_eq!((exact.width, exact.height), (1280, 720));
        let zero_step = Sizes::Stepwise { min: (100, 100), max: (200, 200), step: (0, 0) };
        assert_eq!(zero_step.nearest((150, 250)), (150, 200));
    }

    #[test]
    fn an_unenumerated_format_is_asked_for_at_the_configured_size() {
        let offers = [Offer { format: PixelFormat::Mjpeg, sizes: vec![] }];
        let choice = choose(&offers, (1280, 720)).unwrap();
        assert_eq!((choice.width, choice.height), (1280, 720));
    }

    #[test]
    fn no_decodable_format_means_no_choice() {
        assert_eq!(choose(&[], (640, 480)), None);
    }

    #[test]
    fn fourcc_codes_round_trip() {
        for format in PixelFormat::PREFERENCE {
            assert_eq!(PixelFormat::from_fourcc(format.fourcc()), Some(format));
        }
        assert_eq!(PixelFormat::from_fourcc(*b"NV12"), None);
    }

    #[test]
    fn control_values_are_clamped_and_rounded_to_the_step() {
        let exposure = ControlRange { min: 3, max: 2047, step: 1, menu: None };
        assert_eq!(exposure.fit(0), 3);
        assert_eq!(exposure.fit(5000), 2047);
        assert_eq!(exposure.fit(156), 156);
        let focus = ControlRange { min: 0, max: 250, step: 5, menu: None };
        assert_eq!(focus.fit(12), 10);
        assert_eq!(focus.fit(13), 15);
        assert_eq!(focus.fit(249), 250);
        let odd = ControlRange { min: 0, max: 13, step: 5, menu: None };
        assert_eq!(odd.fit(13), 10, "rounding up past the maximum falls back a step");
        let extreme = ControlRange { min: i64::MIN, max: i64::MAX, step: 0, menu: None };
        assert_eq!(extreme.fit(42), 42);
    }

    #[test]
    fn auto_exposure_uses_aperture_priority_on_uvc_cameras() {
        let uvc = ControlRange { min: 0, max: 3, step: 1, menu: Some(vec![1, 3]) };
        assert_eq!(auto_exposure_mode(&uvc), Some(exposure_mode::APERTURE_PRIORITY));
        assert!(uvc.accepts(exposure_mode::MANUAL));
        assert!(!uvc.accepts(exposure_mode::AUTO));
        let full = ControlRange { min: 0, max: 3, step: 1, menu: Some(vec![0, 1, 2, 3]) };
        assert_eq!(auto_exposure_mode(&full), Some(exposure_mode::AUTO));
        let manual_only = ControlRange { min: 1, max: 1, step: 1, menu: Some(vec![1]) };
        assert_eq!(auto_exposure_mode(&manual_only), None);
    }
}
