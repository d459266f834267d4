//! eSCL ("AirScan", Mopria "driverless") document scanners over plain HTTP.
//!
//! The protocol (Mopria eSCL Technical Specification v2.x) is a handful of HTTP resources under a
//! root such as `http://192.0.2.10/eSCL`:
//!
//! | request | answer |
//! |---------|--------|
//! | `GET ScannerCapabilities` | sources, sizes, resolutions, formats (XML) |
//! | `GET ScannerStatus` | `pwg:State`, `scan:AdfState` (XML) |
//! | `POST ScanJobs` with `scan:ScanSettings` | `201 Created`, `Location:` the job |
//! | `GET {job}/NextDocument` | `200` a page, `503` not ready yet, `404` no more pages |
//! | `DELETE {job}` | cancels the job |
//!
//! The kiosk scans identity documents on the glass: every job is a colour JPEG of the whole platen
//! at the supported resolution nearest to the request. Only white light exists on such a scanner.

use std::time::{Duration, Instant};

use image::RgbImage;
use tracing::{debug, warn};
use ureq::http::Response;
use ureq::{Agent, Body};

use super::{DocumentScanner, ScanRequest, ScannedImage};
use crate::gpio::Light;
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

mod endpoint;
mod xml;

pub use xml::{AdfState, InputCaps, ScannerCapabilities, ScannerState, ScannerStatus, XmlError};

use endpoint::Endpoint;
use xml::ScanSettings;

/// Capabilities and status documents are a few kilobytes; anything far larger is not eSCL.
const XML_LIMIT: u64 = 1 << 20;
/// A letter-size colour page at 1200 dpi stays well below this as JPEG.
const PAGE_LIMIT: u64 = 256 << 20;
/// Pause between two `NextDocument` polls answered `503`.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A driverless eSCL scanner reached over HTTP.
pub struct EsclScanner {
    endpoint: Endpoint,
    agent: Agent,
    timeout: Duration,
    poll_interval: Duration,
    capabilities: Option<ScannerCapabilities>,
    /// Whether the scanner has answered once: a refused connection then means it went away
    /// (`Disconnected`), before that that it is not there (`NotPresent`).
    reached: bool,
}

impl EsclScanner {
    /// A scanner whose eSCL root is `base_url` (e.g. `http://192.0.2.10:80/eSCL`). `timeout` bounds
    /// each HTTP exchange and the wait for a page. Nothing is sent until the first operation.
    ///
    /// Only `http://` is accepted: this build carries no TLS, so an `https://` URL is `Unsupported`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self> {
        let endpoint = Endpoint::parse(base_url)?;
        let config = Agent::config_builder()
            // Statuses are protocol here (503 = not ready yet), not failures.
            .http_status_as_error(false)
            // The scanner is on the local network: a proxy from the environment must not apply.
            .proxy(None)
            // Embedded HTTP servers drop idle connections without notice; a fresh connection per
            // exchange costs little on a LAN and avoids writing into a dead one.
            .max_idle_connections(0)
            .timeout_global(Some(timeout))
            .user_agent("kiosk-hal-escl")
            .build();
        Ok(EsclScanner {
            endpoint,
            agent: Agent::new_with_config(config),
            timeout,
            poll_interval: POLL_INTERVAL,
            capabilities: None,
            reached: false,
        })
    }

    /// The eSCL root URL, normalised.
    pub fn base_url(&self) -> String {
        self.endpoint.base()
    }

    /// The scanner's capabilities, fetched on first use and kept.
    pub fn capabilities(&mut self) -> Result<&ScannerCapabilities> {
        let capabilities = match self.capabilities.take() {
            Some(capabilities) => capabilities,
            None => self.fetch_capabilities()?,
        };
        Ok(self.capabilities.insert(capabilities))
    }

    /// The scanner's current status.
    pub fn status(&mut self) -> Result<ScannerStatus> {
        let text = self.get_xml("ScannerStatus")?;
        xml::parse_status(&text).map_err(|e| malformed("ScannerStatus", e))
    }

    fn fetch_capabilities(&mut self) -> Result<ScannerCapabilities> {
        let text = self.get_xml("ScannerCapabilities")?;
        xml::parse_capabilities(&text).map_err(|e| malformed("ScannerCapabilities", e))
    }

    /// `GET` of an XML resource under the root, `200` expected.
    fn get_xml(&mut self, name: &str) -> Result<String> {
        let url = self.endpoint.resource(name);
        let result = self.agent.get(&url).header("Accept", "text/xml").call();
        let mut response = self.answered(name, result)?;
        match response.status().as_u16() {
            200 => {}
            404 => {
                return Err(DeviceError::new(
                    ErrorKind::NotPresent,
                    format!("no eSCL service at {url} (HTTP 404): check the scanner's eSCL root path"),
                ));
            }
            503 => return Err(DeviceError::new(ErrorKind::Busy, format!("{name}: scanner unavailable (HTTP 503)"))),
            status => return Err(unexpected_status(name, status)),
        }
        let body = response.body_mut().with_config().limit(XML_LIMIT).read_to_string();
        self.answered(name, body)
    }

    /// Maps a transport failure and notes that the scanner answered when it did.
    fn answered<T>(&mut self, context: &str, result: Result<T, ureq::Error>) -> Result<T> {
        match result {
            Ok(value) => {
                self.reached = true;
                Ok(value)
            }
            Err(error) => Err(transport_error(context, self.reached, error)),
        }
    }

    fn scan_settings(&mut self, dpi: u32) -> Result<ScanSettings> {
        let capabilities = self.capabilities()?;
        let Some(platen) = &capabilities.platen else {
            return Err(DeviceError::new(ErrorKind::Unsupported, "the scanner has no platen (feeder-only)"));
        };
        if !platen.offers_color_mode("RGB24") {
            return Err(DeviceError::new(ErrorKind::Unsupported, "the scanner's platen offers no RGB24 colour mode"));
        }
        if !platen.offers_format("image/jpeg") {
            return Err(DeviceError::new(ErrorKind::Unsupported, "the scanner's platen offers no image/jpeg output"));
        }
        let resolution = platen.nearest_resolution(dpi).ok_or_else(|| {
            DeviceError::new(ErrorKind::Protocol, "ScannerCapabilities name no usable platen resolution")
        })?;
        Ok(ScanSettings::platen_jpeg(capabilities.version.as_deref(), resolution, platen))
    }

    /// One job: create it, fetch its page, let it finish; cancel it if anything fails before the
    /// page is in.
    fn scan_one_page(&mut self, settings: &ScanSettings) -> Result<RgbImage> {
        let job = self.create_job(settings)?;
        match self.fetch_page(&job) {
            Ok(page) => {
                self.finish_job(&job);
                decode_page(&page)
            }
            Err(error) => {
                self.cancel_job(&job);
                Err(error)
            }
        }
    }

    /// `POST ScanJobs`; the job URL on `201 Created`.
    fn create_job(&mut self, settings: &ScanSettings) -> Result<String> {
        let url = self.endpoint.resource("ScanJobs");
        let result =
            self.agent.post(&url).header("Content-Type", "text/xml; charset=utf-8").send(settings.to_xml().as_str());
        let response = self.answered("POST ScanJobs", result)?;
        match response.status().as_u16() {
            200..=299 => {}
            // 409 Conflict / 503 Service Unavailable: another job holds the scanner.
            status @ (409 | 503) => {
                return Err(DeviceError::new(
                    ErrorKind::Busy,
                    format!("scanner refused a new job (HTTP {status}): busy with another one"),
                ));
            }
            status @ (400 | 415 | 422) => {
                return Err(DeviceError::new(
                    ErrorKind::Protocol,
                    format!("scanner rejected the ScanSettings (HTTP {status})"),
                ));
            }
            status => return Err(unexpected_status("POST ScanJobs", status)),
        }
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            DeviceError::new(ErrorKind::Protocol, "scanner created a job but sent no usable Location header")
        })?;
        let job = self.endpoint.job_url(location)?;
        debug!(job = %job, dpi = settings.resolution, "eSCL scan job created");
        Ok(job)
    }

    /// Polls `NextDocument` until the page comes, `503` meaning "not scanned yet".
    fn fetch_page(&mut self, job: &str) -> Result<Vec<u8>> {
        let url = next_document(job);
        let deadline = Instant::now() + self.timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(DeviceError::new(
                    ErrorKind::Timeout,
                    format!("scanner still busy: no page within {} ms", self.timeout.as_millis()),
                ));
            }
            let result = self.agent.get(&url).config().timeout_global(Some(remaining)).build().call();
            let mut response = self.answered("GET NextDocument", result)?;
            match response.status().as_u16() {
                200 => return self.read_page(&mut response),
                503 => std::thread::sleep(self.poll_interval.min(deadline.saturating_duration_since(Instant::now()))),
                404 => {
                    return Err(DeviceError::new(ErrorKind::Protocol, "scan job ended without delivering a page"));
                }
                status => return Err(unexpected_status("GET NextDocument", status)),
            }
        }
    }

    fn read_page(&mut self, response: &mut Response<Body>) -> Result<Vec<u8>> {
        let bytes = response.body_mut().with_config().limit(PAGE_LIMIT).read_to_vec();
        let bytes = self.answered("NextDocument body", bytes)?;
        if bytes.is_empty() {
            return Err(DeviceError::new(ErrorKind::Protocol, "scanner sent an empty page"));
        }
        Ok(bytes)
    }

    /// Asks for the next document once more: a platen job has one page, and the `404` that
    /// follows it is how the scanner closes the job (eSCL NextDocument semantics). Whatever the
    /// answer, the job is not cancelled now: the page is in, and some scanners stay busy for a long
    /// time after a `DELETE` of a job that was about to end on its own.
    fn finish_job(&mut self, job: &str) {
        match self.agent.get(next_document(job)).call() {
            Ok(response) if response.status() == 404 => debug!(job = %job, "eSCL scan job done"),
            Ok(response) => debug!(job = %job, status = response.status().as_u16(), "eSCL job end not confirmed"),
            Err(error) => debug!(job = %job, %error, "eSCL job end not confirmed"),
        }
    }

    /// Best-effort `DELETE` of a job that failed, so the scanner does not stay reserved.
    fn cancel_job(&mut self, job: &str) {
        match self.agent.delete(job).call() {
            Ok(response) if response.status().is_success() => debug!(job = %job, "eSCL scan job cancelled"),
            Ok(response) => warn!(job = %job, status = response.status().as_u16(), "eSCL job cancel refused"),
            Err(error) => warn!(job = %job, %error, "eSCL job cancel failed"),
        }
    }
}

impl Device for EsclScanner {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Scanner, driver: "escl".into(), location: self.endpoint.base() }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            // Always asked afresh: the self-test is where a swapped or reconfigured scanner shows.
            let capabilities = self.fetch_capabilities()?;
            self.capabilities = Some(capabilities.clone());
            let status = self.status()?;
            Ok(judge(info, &capabilities, &status))
        })
    }
}

impl DocumentScanner for EsclScanner {
    fn document_present(&mut self) -> Result<bool> {
        if self.capabilities()?.adf.is_none() {
            return Err(DeviceError::new(
                ErrorKind::Unsupported,
                "a platen-only eSCL scanner cannot tell whether a document lies on the glass",
            ));
        }
        match self.status()?.adf_state {
            Some(AdfState::Loaded) => Ok(true),
            Some(AdfState::Empty) => Ok(false),
            Some(AdfState::Processing) => Err(DeviceError::new(ErrorKind::Busy, "the document feeder is feeding")),
            Some(other) => Err(DeviceError::new(ErrorKind::Other, format!("the document feeder reports {other}"))),
            None => Err(DeviceError::new(ErrorKind::Unsupported, "the scanner reports no feeder state (AdfState)")),
        }
    }

    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<ScannedImage>> {
        if let Some(light) = request.lights.iter().find(|&&light| light != Light::White) {
            return Err(DeviceError::new(
                ErrorKind::Unsupported,
                format!("eSCL scanners have no IR/UV light ({} requested)", light.name()),
            ));
        }
        if request.lights.is_empty() {
            return Ok(Vec::new());
        }
        let settings = self.scan_settings(request.dpi)?;
        let mut images = Vec::with_capacity(request.lights.len());
        for &light in &request.lights {
            let image = self.scan_one_page(&settings)?;
            images.push(ScannedImage { light, image, dpi: settings.resolution });
        }
        Ok(images)
    }
}

/// The self-test verdict from what the scanner said about itself.
fn judge(info: DeviceInfo, capabilities: &ScannerCapabilities, status: &ScannerStatus) -> Health {
    let health = match (&status.state, &capabilities.platen, &status.adf_state) {
        (_, None, _) => Health::failed(
            info,
            &DeviceError::new(
                ErrorKind::Unsupported,
                "the scanner has no platen (feeder-only): cards cannot be scanned",
            ),
        ),
        (ScannerState::Idle, _, Some(adf)) if adf.needs_attention() => {
            Health::degraded(info, format!("document feeder needs attention: {adf}"))
        }
        (ScannerState::Idle, _, _) => Health::ok(info),
        (ScannerState::Processing, _, _) => Health::degraded(info, "busy: the scanner is processing a job"),
        (state, _, _) => {
            Health::failed(info, &DeviceError::new(ErrorKind::Other, format!("scanner reports state {state}")))
        }
    };
    let mut health = health
        .with_detail("make_and_model", capabilities.make_and_model.as_deref().unwrap_or("unknown"))
        .with_detail("escl_version", capabilities.version.as_deref().unwrap_or("unknown"))
        .with_detail("adf", if capabilities.adf.is_some() { "yes" } else { "no" })
        .with_detail("state", &status.state);
    if let Some(platen) = &capabilities.platen {
        let resolutions: Vec<String> = platen.resolutions.iter().map(u32::to_string).collect();
        health = health.with_detail("platen_resolutions_dpi", resolutions.join(", "));
        if platen.max_width > 0 && platen.max_height > 0 {
            let mm = |v: u32| f64::from(v) * 25.4 / 300.0;
            health = health
                .with_detail("platen_area_mm", format!("{:.0} x {:.0}", mm(platen.max_width), mm(platen.max_height)));
        }
    }
    if let Some(adf) = &status.adf_state {
        health = health.with_detail("adf_state", adf);
    }
    health
}

fn next_document(job: &str) -> String {
    format!("{job}/NextDocument")
}

/// Decodes a page; JPEG is what was asked for, PNG is accepted from a scanner that ignores that.
fn decode_page(page: &[u8]) -> Result<RgbImage> {
    let image = image::load_from_memory(page).map_err(|error| {
        DeviceError::new(
            ErrorKind::Protocol,
            format!("scanner sent a page that is not a decodable JPEG ({} bytes)", page.len()),
        )
        .with_source(error)
    })?;
    Ok(image.to_rgb8())
}

fn malformed(document: &str, error: XmlError) -> DeviceError {
    DeviceError::new(ErrorKind::Protocol, format!("malformed {document}: {error}")).with_source(error)
}

fn unexpected_status(context: &str, status: u16) -> DeviceError {
    DeviceError::new(ErrorKind::Protocol, format!("{context}: unexpected HTTP status {status}"))
}

/// Classifies an HTTP transport failure. A scanner that cannot be reached is `NotPresent` until
/// it has answered once and `Disconnected` after.
fn transport_error(context: &str, reached: bool, error: ureq::Error) -> DeviceError {
    use std::io::ErrorKind as Io;
    let unreachable = if reached { ErrorKind::Disconnected } else { ErrorKind::NotPresent };
    let kind = match &error {
        ureq::Error::Timeout(_) => ErrorKind::Timeout,
        ureq::Error::HostNotFound => ErrorKind::NotPresent,
        ureq::Error::ConnectionFailed => unreachable,
        ureq::Error::Io(io) => match io.kind() {
            Io::ConnectionRefused | Io::HostUnreachable | Io::NetworkUnreachable | Io::AddrNotAvailable => unreachable,
            Io::TimedOut | Io::WouldBlock => ErrorKind::Timeout,
            Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof | Io::NotConnected => {
                ErrorKind::Disconnected
            }
            Io::InvalidData => ErrorKind::Protocol,
            _ => ErrorKind::Other,
        },
        ureq::Error::Protocol(_)
        | ureq::Error::BodyExceedsLimit(_)
        | ureq::Error::LargeResponseHeader(..)
        | ureq::Error::TooManyRedirects
        | ureq::Error::RedirectFailed => ErrorKind::Protocol,
        _ => ErrorKind::Other,
    };
    DeviceError::new(kind, format!("{context}: {error}")).with_source(error)
}

#[cfg(test)]
mod tests;
