//! V4L2 cameras: UVC webcams and other capture nodes that deliver MJPEG or YUYV.
//!
//! The driver opens a capture node, picks MJPEG when the camera offers it (YUYV otherwise) at the
//! configured size, and streams through memory-mapped buffers. The stream starts on the first
//! [`Camera::frame`] and ends with [`Camera::stop`], so an idle kiosk does not keep the camera
//! (and its LED) on.
//!
//! The `v4l` crate decodes some driver answers with `unwrap`/`expect` (capability strings,
//! control types, format enums) and panics in the stream's `Drop` when `VIDIOC_STREAMOFF` fails.
//! Those calls run under `guarded`, which turns such a panic into a [`ErrorKind::Protocol`]
//! error: a quirky driver must fail the camera, not the kiosk.

mod mjpeg;
mod mode;

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::RgbImage;
use v4l::buffer::{Flags as BufferFlags, Metadata, Type};
use v4l::capability::Flags as CapabilityFlags;
use v4l::control::{Control, Description, Flags as ControlFlags, Value};
use v4l::framesize::FrameSizeEnum;
use v4l::io::traits::CaptureStream;
use v4l::prelude::{Device as V4lDevice, MmapStream};
use v4l::video::Capture;
use v4l::video::capture::Parameters;
use v4l::{Format, FourCC};

use self::mode::{ControlRange, Offer, PixelFormat, Sizes, exposure_mode};
use super::yuyv::yuyv_to_rgb;
use super::{Camera, Exposure, Focus, Frame};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

/// Camera control IDs from the kernel's `linux/v4l2-controls.h` (camera class, base 0x009A0900).
mod cid {
    use v4l::v4l_sys;

    /// `V4L2_CID_EXPOSURE_AUTO` (`exposure_auto`), a menu of `enum v4l2_exposure_auto_type`.
    pub const EXPOSURE_AUTO: u32 = v4l_sys::V4L2_CID_EXPOSURE_AUTO;
    /// `V4L2_CID_EXPOSURE_ABSOLUTE` (`exposure_time_absolute`), in units of 100 µs.
    pub const EXPOSURE_ABSOLUTE: u32 = v4l_sys::V4L2_CID_EXPOSURE_ABSOLUTE;
    /// `V4L2_CID_FOCUS_AUTO` (`focus_automatic_continuous`), boolean.
    pub const FOCUS_AUTO: u32 = v4l_sys::V4L2_CID_FOCUS_AUTO;
    /// `V4L2_CID_FOCUS_ABSOLUTE` (`focus_absolute`), in driver units.
    pub const FOCUS_ABSOLUTE: u32 = v4l_sys::V4L2_CID_FOCUS_ABSOLUTE;
}

/// Buffers in the mmap ring: one being decoded, the others filling. Four is what most UVC
/// applications use; fewer drops frames at 30 fps when decoding a 1080p JPEG takes a while.
const BUFFERS: u32 = 4;

/// Consecutive corrupt frames after which [`Camera::frame`] gives up with a protocol error
/// instead of waiting for its deadline (a few corrupt frames after stream start are normal for UVC).
const MAX_BAD_FRAMES: u32 = 5;

/// How long the self-test waits for its frame: UVC cameras take up to a second or two to
/// deliver the first frame after `VIDIOC_STREAMON` while auto-exposure settles.
const SELF_TEST_TIMEOUT: Duration = Duration::from_secs(4);

/// A V4L2 capture device delivering RGB frames.
pub struct V4lCamera {
    path: PathBuf,
    device: V4lDevice,
    requested: (u32, u32),
    negotiated: Negotiated,
    controls: Controls,
    streaming: Option<Streaming>,
}

/// What `VIDIOC_S_FMT` settled on.
#[derive(Debug, Clone, Copy)]
struct Negotiated {
    format: PixelFormat,
    width: u32,
    height: u32,
    /// Bytes per line (`bytesperline`); YUYV rows may be padded.
    stride: u32,
}

/// A running mmap stream.
struct Streaming {
    stream: MmapStream<'static>,
    started: Instant,
    delivered: u64,
}

/// The four camera controls the kiosk uses, as far as the camera has them.
#[derive(Debug, Default)]
struct Controls {
    exposure_auto: Option<ControlRange>,
    exposure_time: Option<ControlRange>,
    focus_auto: Option<ControlRange>,
    focus_position: Option<ControlRange>,
}

impl V4lCamera {
    /// Opens the capture node at `path` (`/dev/video0`, or better a stable
    /// `/dev/v4l/by-id/...-video-index0` link) and configures `width`×`height` at `fps`.
    ///
    /// MJPEG is chosen when the camera offers it, YUYV otherwise; when the exact size is not
    /// offered the nearest is used and [`Camera::resolution`] tells which. A missing path is
    /// [`ErrorKind::NotPresent`]; a node that cannot capture, or a camera with neither format,
    /// is [`ErrorKind::Unsupported`].
    pub fn open(path: &Path, width: u32, height: u32, fps: u32) -> Result<V4lCamera> {
        if path.as_os_str().is_empty() {
            return Err(DeviceError::new(ErrorKind::NotPresent, "no camera device path configured"));
        }
        let device =
            V4lDevice::with_path(path).map_err(|e| DeviceError::from_io(&format!("open {}", path.display()), e))?;
        let caps = guarded("VIDIOC_QUERYCAP", || device.query_caps())?;
        if !caps.capabilities.contains(CapabilityFlags::VIDEO_CAPTURE) {
            // UVC cameras create a second node per camera for metadata; it cannot capture.
            return Err(DeviceError::new(
                ErrorKind::Unsupported,
                format!(
                    "{} ({}) is not a video capture node; a UVC camera's capture node is usually the first of its /dev/videoN pair",
                    path.display(),
                    caps.card
                ),
            ));
        }
        if !caps.capabilities.contains(CapabilityFlags::STREAMING) {
            return Err(DeviceError::new(
                ErrorKind::Unsupported,
                format!("{} ({}) does not support streaming I/O", path.display(), caps.card),
            ));
        }

        let offers = offers(&device)?;
        let choice = mode::choose(&offers, (width, height)).ok_or_else(|| {
            DeviceError::new(ErrorKind::Unsupported, format!("{} offers neither MJPEG nor YUYV", caps.card))
        })?;
        let negotiated = negotiate(&device, choice)?;
        if (negotiated.width, negotiated.height) != (width, height) {
            tracing::warn!(
                camera = %path.display(),
                requested = %format!("{width}x{height}"),
                delivered = %format!("{}x{}", negotiated.width, negotiated.height),
                "camera does not offer the configured size"
            );
        }
        set_frame_rate(&device, fps);
        let controls = Controls::query(&device);
        Ok(V4lCamera {
            path: path.to_owned(),
            device,
            requested: (width, height),
            negotiated,
            controls,
            streaming: None,
        })
    }

    fn start_stream(&mut self) -> Result<()> {
        let stream = MmapStream::with_buffers(&self.device, Type::VideoCapture, BUFFERS)
            .map_err(|e| DeviceError::from_io("VIDIOC_REQBUFS (another program may be using the camera)", e))?;
        self.streaming = Some(Streaming { stream, started: Instant::now(), delivered: 0 });
        Ok(())
    }

    /// Dequeues buffers until one decodes or the deadline passes. Any I/O error leaves the
    /// `v4l` stream with a buffer index it would queue twice, so the stream is dropped and the
    /// next call starts a fresh one.
    fn next_frame(&mut self, deadline: Instant) -> Result<Frame> {
        let (mut skipped, mut corrupt) = (0u32, 0u32);
        let mut last_bad: Option<DeviceError> = None;
        loop {
            let Some(streaming) = self.streaming.as_mut() else {
                return Err(DeviceError::new(ErrorKind::Other, "camera stream is not running"));
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            // After a skipped buffer, do not poll past the deadline (a timed-out poll costs a
            // stream restart).
            if skipped > 0 && remaining.is_zero() {
                return Err(last_bad.unwrap_or_else(timeout_error));
            }
            streaming.stream.set_timeout(poll_timeout(remaining));
            let decoded = match streaming.stream.next() {
                Ok((buffer, metadata)) => decode_buffer(&self.negotiated, buffer, metadata),
                Err(error) => {
                    self.stop();
                    return Err(match (error.kind(), last_bad) {
                        (io::ErrorKind::TimedOut, Some(bad)) => bad,
                        (io::ErrorKind::TimedOut, None) => timeout_error(),
                        // ENOSPC from VIDIOC_STREAMON: the USB bus cannot reserve the bandwidth.
                        _ if error.raw_os_error() == Some(28) => DeviceError::new(
                            ErrorKind::Busy,
                            "not enough USB bandwidth for the stream: use another USB port or a smaller size",
                        )
                        .with_source(error),
                        _ => DeviceError::from_io("VIDIOC_QBUF/DQBUF", error),
                    });
                }
            };
            match decoded {
                Some(Ok(image)) => {
                    let frame = Frame { image, sequence: streaming.delivered, timestamp: streaming.started.elapsed() };
                    streaming.delivered += 1;
                    return Ok(frame);
                }
                Some(Err(error)) => {
                    (skipped, corrupt) = (skipped + 1, corrupt + 1);
                    tracing::debug!(camera = %self.path.display(), %error, "skipping a corrupt frame");
                    if corrupt >= MAX_BAD_FRAMES {
                        return Err(error);
                    }
                    last_bad = Some(error);
                }
                // An empty buffer (some UVC cameras send one right after STREAMON): wait on.
                None => skipped += 1,
            }
        }
    }

    fn write_control(&self, id: u32, name: &str, value: Value) -> Result<()> {
        self.device.set_control(Control { id, value }).map_err(|error| match error.kind() {
            // EINVAL: value or control refused; EACCES: read-only or inactive control.
            io::ErrorKind::InvalidInput | io::ErrorKind::PermissionDenied => {
                DeviceError::new(ErrorKind::Unsupported, format!("camera refuses {name}: {error}")).with_source(error)
            }
            _ => DeviceError::from_io(&format!("set {name}"), error),
        })
    }
}

impl Drop for V4lCamera {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Device for V4lCamera {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Camera, driver: "v4l".into(), location: self.path.display().to_string() }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            let caps = guarded("VIDIOC_QUERYCAP", || self.device.query_caps())?;
            let was_streaming = self.streaming.is_some();
            let frame = self.frame(SELF_TEST_TIMEOUT);
            if !was_streaming {
                self.stop();
            }
            let frame = frame?;
            let delivered = frame.image.dimensions();
            if delivered != self.resolution() {
                return Err(DeviceError::new(
                    ErrorKind::Protocol,
                    format!(
                        "frame is {}x{}, the stream was set up for {}x{}",
                        delivered.0, delivered.1, self.negotiated.width, self.negotiated.height
                    ),
                ));
            }
            let resolution = format!("{}x{}", delivered.0, delivered.1);
            let health = if delivered == self.requested {
                Health::ok(info)
            } else {
                let (w, h) = self.requested;
                Health::degraded(info, format!("camera delivers {resolution}, configured {w}x{h}"))
            };
            Ok(health
                .with_detail("driver", caps.driver)
                .with_detail("card", caps.card)
                .with_detail("bus", caps.bus)
                .with_detail("format", self.negotiated.format.name())
                .with_detail("resolution", resolution)
                .with_detail("controls", self.controls.names()))
        })
    }
}

impl Camera for V4lCamera {
    fn resolution(&self) -> (u32, u32) {
        (self.negotiated.width, self.negotiated.height)
    }

    fn frame(&mut self, timeout: Duration) -> Result<Frame> {
        let now = Instant::now();
        // A huge timeout means "wait as long as it takes"; cap it where Instant cannot overflow.
        let deadline = now.checked_add(timeout).unwrap_or_else(|| now + Duration::from_secs(86_400));
        if self.streaming.is_none() {
            self.start_stream()?;
        }
        self.next_frame(deadline)
    }

    fn set_exposure(&mut self, exposure: Exposure) -> Result<()> {
        let mode = self.controls.exposure_auto.as_ref().ok_or_else(|| unsupported("exposure_auto"))?;
        match exposure {
            Exposure::Auto => {
                let auto = mode::auto_exposure_mode(mode).ok_or_else(|| {
                    DeviceError::new(ErrorKind::Unsupported, "camera offers no automatic exposure mode")
                })?;
                self.write_control(cid::EXPOSURE_AUTO, "exposure_auto", Value::Integer(auto))
            }
            Exposure::Manual(time) => {
                let range =
                    self.controls.exposure_time.as_ref().ok_or_else(|| unsupported("exposure_time_absolute"))?;
                if !mode.accepts(exposure_mode::MANUAL) {
                    return Err(DeviceError::new(ErrorKind::Unsupported, "camera offers no manual exposure mode"));
                }
                let time = range.fit(i64::from(time));
                // The time control is inactive (EACCES) until the mode is manual.
                self.write_control(cid::EXPOSURE_AUTO, "exposure_auto", Value::Integer(exposure_mode::MANUAL))?;
                self.write_control(cid::EXPOSURE_ABSOLUTE, "exposure_time_absolute", Value::Integer(time))
            }
        }
    }

    fn set_focus(&mut self, focus: Focus) -> Result<()> {
        match focus {
            Focus::Auto => {
                if self.controls.focus_auto.is_none() {
                    return Err(unsupported("focus_automatic_continuous"));
                }
                self.write_control(cid::FOCUS_AUTO, "focus_automatic_continuous", Value::Boolean(true))
            }
            Focus::Manual(position) => {
                let range = self.controls.focus_position.as_ref().ok_or_else(|| unsupported("focus_absolute"))?;
                let position = range.fit(i64::from(position));
                // Cameras without autofocus have focus_absolute alone; with it, turn it off first
                // or the position is ignored (EACCES, control inactive).
                if self.controls.focus_auto.is_some() {
                    self.write_control(cid::FOCUS_AUTO, "focus_automatic_continuous", Value::Boolean(false))?;
                }
                self.write_control(cid::FOCUS_ABSOLUTE, "focus_absolute", Value::Integer(position))
            }
        }
    }

    fn stop(&mut self) {
        if let Some(streaming) = self.streaming.take() {
            // Dropping the stream issues VIDIOC_STREAMOFF and unmaps the buffers; the v4l crate
            // panics if that fails for any reason but an unplugged device.
            let dropped = panic::catch_unwind(AssertUnwindSafe(move || drop(streaming)));
            if dropped.is_err() {
                tracing::warn!(camera = %self.path.display(), "VIDIOC_STREAMOFF failed while stopping the stream");
            }
        }
    }
}

impl Controls {
    /// Reads the ranges of the controls the kiosk uses. A camera whose control list cannot be
    /// read is treated as having none (setting one is then [`ErrorKind::Unsupported`]).
    fn query(device: &V4lDevice) -> Controls {
        let descriptions = match guarded("VIDIOC_QUERY_EXT_CTRL", || device.query_controls()) {
            Ok(descriptions) => descriptions,
            Err(error) => {
                tracing::warn!(%error, "camera controls cannot be listed; exposure and focus are unavailable");
                Vec::new()
            }
        };
        let range = |id: u32| descriptions.iter().find(|d| d.id == id).and_then(control_range);
        Controls {
            exposure_auto: range(cid::EXPOSURE_AUTO),
            exposure_time: range(cid::EXPOSURE_ABSOLUTE),
            focus_auto: range(cid::FOCUS_AUTO),
            focus_position: range(cid::FOCUS_ABSOLUTE),
        }
    }

    /// The V4L2 names of the controls present, for the self-test.
    fn names(&self) -> String {
        let present = [
            (self.exposure_auto.is_some(), "exposure_auto"),
            (self.exposure_time.is_some(), "exposure_time_absolute"),
            (self.focus_auto.is_some(), "focus_automatic_continuous"),
            (self.focus_position.is_some(), "focus_absolute"),
        ];
        let names: Vec<&str> = present.iter().filter(|(has, _)| *has).map(|(_, name)| *name).collect();
        if names.is_empty() { "none".into() } else { names.join(", ") }
    }
}

fn control_range(description: &Description) -> Option<ControlRange> {
    if description.flags.contains(ControlFlags::DISABLED) {
        return None;
    }
    let menu = description.items.as_ref().map(|items| items.iter().map(|(index, _)| *index).collect());
    Some(ControlRange { min: description.minimum, max: description.maximum, step: description.step, menu })
}

/// The MJPEG and YUYV formats the device offers, with their frame sizes.
fn offers(device: &V4lDevice) -> Result<Vec<Offer>> {
    let formats = guarded("VIDIOC_ENUM_FMT", || device.enum_formats())?;
    let offers = formats
        .iter()
        .filter_map(|description| PixelFormat::from_fourcc(description.fourcc.repr))
        .map(|format| {
            // Some drivers do not enumerate sizes; VIDIOC_S_FMT will still adjust the request.
            let sizes = guarded("VIDIOC_ENUM_FRAMESIZES", || device.enum_framesizes(FourCC::new(&format.fourcc())))
                .map(|sizes| sizes.into_iter().map(|s| frame_sizes(s.size)).collect())
                .unwrap_or_default();
            Offer { format, sizes }
        })
        .collect();
    Ok(offers)
}

fn frame_sizes(size: FrameSizeEnum) -> Sizes {
    match size {
        FrameSizeEnum::Discrete(d) => Sizes::Discrete { width: d.width, height: d.height },
        FrameSizeEnum::Stepwise(s) => Sizes::Stepwise {
            min: (s.min_width, s.min_height),
            max: (s.max_width, s.max_height),
            step: (s.step_width, s.step_height),
        },
    }
}

/// Sets the format and reads back what the driver made of it (V4L2 drivers adjust a request
/// to the nearest they support instead of failing).
fn negotiate(device: &V4lDevice, choice: mode::Choice) -> Result<Negotiated> {
    let request = Format::new(choice.width, choice.height, FourCC::new(&choice.format.fourcc()));
    let actual = guarded("VIDIOC_S_FMT", || device.set_format(&request))?;
    let Some(format) = PixelFormat::from_fourcc(actual.fourcc.repr) else {
        return Err(DeviceError::new(
            ErrorKind::Unsupported,
            format!("camera replaced {} with {}", choice.format.name(), String::from_utf8_lossy(&actual.fourcc.repr)),
        ));
    };
    if actual.width == 0 || actual.height == 0 {
        return Err(DeviceError::new(
            ErrorKind::Protocol,
            format!("camera set up a {}x{} frame", actual.width, actual.height),
        ));
    }
    Ok(Negotiated { format, width: actual.width, height: actual.height, stride: actual.stride })
}

/// Asks for `fps`; many UVC cameras only offer fixed rates and some drivers no VIDIOC_S_PARM at
/// all, so a refusal is logged, not fatal.
fn set_frame_rate(device: &V4lDevice, fps: u32) {
    match guarded("VIDIOC_S_PARM", || device.set_params(&Parameters::with_fps(fps.max(1)))) {
        Ok(params) => {
            let interval = params.interval;
            tracing::debug!(fps, interval = %format!("{}/{}", interval.numerator, interval.denominator), "camera frame rate");
        }
        Err(error) => tracing::debug!(fps, %error, "camera keeps its frame rate"),
    }
}

/// Decodes one dequeued buffer: `None` for an empty buffer, an error for a corrupt one.
fn decode_buffer(negotiated: &Negotiated, buffer: &[u8], metadata: &Metadata) -> Option<Result<RgbImage>> {
    if metadata.flags.contains(BufferFlags::ERROR) {
        // V4L2_BUF_FLAG_ERROR: the driver says the data is damaged (USB packet loss).
        return Some(Err(DeviceError::new(ErrorKind::Protocol, "camera flagged the frame as corrupt")));
    }
    let used = usize::try_from(metadata.bytesused).unwrap_or(usize::MAX).min(buffer.len());
    if used == 0 {
        return None;
    }
    let data = &buffer[..used];
    let image = match negotiated.format {
        PixelFormat::Mjpeg => mjpeg::decode(data),
        PixelFormat::Yuyv => yuyv_to_rgb(data, negotiated.width, negotiated.height, negotiated.stride),
    };
    Some(image.and_then(|image| {
        if image.dimensions() == (negotiated.width, negotiated.height) {
            Ok(image)
        } else {
            let (w, h) = image.dimensions();
            Err(DeviceError::new(
                ErrorKind::Protocol,
                format!("frame is {w}x{h}, the stream was set up for {}x{}", negotiated.width, negotiated.height),
            ))
        }
    }))
}

/// The poll(2) timeout for the remaining time: rounded up to whole milliseconds (rounding down
/// would spin on a zero timeout) and capped below `i32::MAX` ms, which the v4l crate converts with
/// an `unwrap`.
fn poll_timeout(remaining: Duration) -> Duration {
    const MAX: Duration = Duration::from_secs(86_400);
    let millis = remaining.min(MAX).as_micros().div_ceil(1000);
    Duration::from_millis(u64::try_from(millis).unwrap_or(86_400_000))
}

fn timeout_error() -> DeviceError {
    DeviceError::new(ErrorKind::Timeout, "no frame from the camera before the deadline")
}

fn unsupported(control: &str) -> DeviceError {
    DeviceError::new(ErrorKind::Unsupported, format!("camera has no {control} control"))
}

/// Runs a `v4l` call whose decoding of the driver's answer may panic (see the module comment):
/// an I/O error is classified as usual, a panic becomes a protocol error.
fn guarded<T>(what: &str, call: impl FnOnce() -> io::Result<T>) -> Result<T> {
    match panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(DeviceError::from_io(what, error)),
        Err(_) => {
            Err(DeviceError::new(ErrorKind::Protocol, format!("{what}: the driver's answer could not be decoded")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(bytesused: u32, flags: BufferFlags) -> Metadata {
        Metadata { bytesused, flags, ..Metadata::default() }
    }

    fn yuyv(width: u32, height: u32) -> Negotiated {
        Negotiated { format: PixelFormat::Yuyv, width, height, stride: width * 2 }
    }

    #[test]
    fn a_missing_device_node_is_not_present() {
        let error = V4lCamera::open(Path::new("/dev/v4l/by-id/no-such-camera"), 640, 480, 15).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::NotPresent);
        let error = V4lCamera::open(Path::new(""), 640, 480, 15).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::NotPresent);
    }

    #[test]
    fn a_node_that_is_not_a_camera_is_refused_without_panicking() {
        // /dev/null opens but answers VIDIOC_QUERYCAP with ENOTTY.
        let error = V4lCamera::open(Path::new("/dev/null"), 640, 480, 15).err().unwrap();
        assert_ne!(error.kind(), ErrorKind::NotPresent);
    }

    #[test]
    fn buffers_decode_only_up_to_bytesused() {
        let mut buffer = [16u8, 128, 16, 128].repeat(2);
        buffer.extend_from_slice(&[0xAA; 64]);
        let image = decode_buffer(&yuyv(2, 2), &buffer, &metadata(8, BufferFlags::empty())).unwrap().unwrap();
        assert_eq!(image.dimensions(), (2, 2));
        assert!(image.pixels().all(|p| p.0 == [0, 0, 0]));
    }

    #[test]
    fn flagged_short_and_empty_buffers_are_told_apart() {
        let buffer = [16u8, 128, 16, 128].repeat(2);
        let flagged = decode_buffer(&yuyv(2, 2), &buffer, &metadata(8, BufferFlags::ERROR)).unwrap();
        assert_eq!(flagged.unwrap_err().kind(), ErrorKind::Protocol);
        let short = decode_buffer(&yuyv(2, 2), &buffer, &metadata(6, BufferFlags::empty())).unwrap();
        assert_eq!(short.unwrap_err().kind(), ErrorKind::Protocol);
        assert!(decode_buffer(&yuyv(2, 2), &buffer, &metadata(0, BufferFlags::empty())).is_none());
        // bytesused beyond the mapping (a driver bug) is limited to the mapping.
        let image = decode_buffer(&yuyv(2, 2), &buffer, &metadata(u32::MAX, BufferFlags::empty())).unwrap();
        assert!(image.is_ok());
    }

    #[test]
    fn an_mjpeg_frame_of_the_wrong_size_is_a_protocol_error() {
        let mut jpeg = Vec::new();
        let image = RgbImage::new(8, 8);
        image::ImageEncoder::write_image(
            image::codecs::jpeg::JpegEncoder::new(&mut jpeg),
            image.as_raw(),
            8,
            8,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
        let mjpeg = |width, height| Negotiated { format: PixelFormat::Mjpeg, width, height, stride: 0 };
        let len = jpeg.len() as u32;
        assert!(decode_buffer(&mjpeg(8, 8), &jpeg, &metadata(len, BufferFlags::empty())).unwrap().is_ok());
        let wrong = decode_buffer(&mjpeg(16, 8), &jpeg, &metadata(len, BufferFlags::empty())).unwrap();
        assert_eq!(wrong.unwrap_err().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn poll_timeouts_round_up_and_stay_in_range() {
        assert_eq!(poll_timeout(Duration::ZERO), Duration::ZERO);
        assert_eq!(poll_timeout(Duration::from_micros(1)), Duration::from_millis(1));
        assert_eq!(poll_timeout(Duration::from_millis(40)), Duration::from_millis(40));
        assert_eq!(poll_timeout(Duration::MAX), Duration::from_secs(86_400));
    }

    #[test]
    fn panics_in_the_v4l_crate_become_protocol_errors() {
        let error = guarded::<()>("VIDIOC_QUERYCAP", || panic!("invalid utf-8 in card name")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Protocol);
        let error = guarded::<()>("open", || Err(io::Error::from_raw_os_error(19))).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Disconnected);
        assert_eq!(guarded("ok", || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn control_ids_are_the_kernel_camera_class_ones() {
        // linux/v4l2-controls.h: V4L2_CID_CAMERA_CLASS_BASE = 0x009A0900.
        assert_eq!(cid::EXPOSURE_AUTO, 0x009A_0901);
        assert_eq!(cid::EXPOSURE_ABSOLUTE, 0x009A_0902);
        assert_eq!(cid::FOCUS_ABSOLUTE, 0x009A_090A);
        assert_eq!(cid::FOCUS_AUTO, 0x009A_090C);
    }

    #[test]
    fn disabled_controls_count_as_missing() {
        let mut description = Description {
            id: cid::FOCUS_ABSOLUTE,
            typ: v4l::control::Type::Integer,
            name: "Focus, Absolute".into(),
            minimum: 0,
            maximum: 250,
            step: 5,
            default: 0,
            flags: ControlFlags::empty(),
            items: None,
        };
        assert_eq!(control_range(&description), Some(ControlRange { min: 0, max: 250, step: 5, menu: None }));
        description.flags = ControlFlags::DISABLED;
        assert_eq!(control_range(&description), None);
    }
}
