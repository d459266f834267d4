//! The eSCL driver against a simulated eSCL scanner: a `tiny_http` server on 127.0.0.1 that
//! answers capabilities and status, accepts jobs and serves JPEG pages it encodes at the
//! resolution it was asked for.

use std::collections::HashMap;
use std::io::Cursor;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use image::{ImageFormat, Rgb, RgbImage};
use tiny_http::{Header, Method, Request, Response, Server};

use super::*;
use crate::HealthStatus;

/// The simulated platen: US letter width by A4 height, in 1/300 inch.
const PLATEN_WIDTH: u32 = 2550;
const PLATEN_HEIGHT: u32 = 3508;
const RED: Rgb<u8> = Rgb([200, 30, 40]);
const BLUE: Rgb<u8> = Rgb([30, 40, 200]);

fn capabilities_xml(adf: bool) -> String {
    let resolutions: String = [75, 100, 200, 300, 600]
        .iter()
        .map(|r| {
            format!(
                "<scan:DiscreteResolution><scan:XResolution>{r}</scan:XResolution>\
                 <scan:YResolution>{r}</scan:YResolution></scan:DiscreteResolution>"
            )
        })
        .collect();
    let adf = if adf {
        "<scan:Adf><scan:AdfSimplexInputCaps><scan:MinWidth>591</scan:MinWidth><scan:MaxWidth>2550</scan:MaxWidth>\
         <scan:MinHeight>591</scan:MinHeight><scan:MaxHeight>4200</scan:MaxHeight></scan:AdfSimplexInputCaps>\
         <scan:FeederCapacity>50</scan:FeederCapacity></scan:Adf>"
    } else {
        ""
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerCapabilities xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm" xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03">
  <pwg:Version>2.63</pwg:Version>
  <pwg:MakeAndModel>Simulated OfficeJet 9000</pwg:MakeAndModel>
  <pwg:SerialNumber>SIM0042</pwg:SerialNumber>
  <scan:UUID>4509a320-00a0-008f-00b6-002507510eca</scan:UUID>
  <scan:AdminURI>http://127.0.0.1/</scan:AdminURI>
  <scan:Platen>
    <scan:PlatenInputCaps>
      <scan:MinWidth>8</scan:MinWidth><scan:MaxWidth>{PLATEN_WIDTH}</scan:MaxWidth>
      <scan:MinHeight>8</scan:MinHeight><scan:MaxHeight>{PLATEN_HEIGHT}</scan:MaxHeight>
      <scan:MaxScanRegions>1</scan:MaxScanRegions>
      <scan:SettingProfiles><scan:SettingProfile>
        <scan:ColorModes><scan:ColorMode>BlackAndWhite1</scan:ColorMode><scan:ColorMode>Grayscale8</scan:ColorMode><scan:ColorMode>RGB24</scan:ColorMode></scan:ColorModes>
        <scan:DocumentFormats>
          <pwg:DocumentFormat>application/pdf</pwg:DocumentFormat><pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat>
          <scan:DocumentFormatExt>application/pdf</scan:DocumentFormatExt><scan:DocumentFormatExt>image/jpeg</scan:DocumentFormatExt>
        </scan:DocumentFormats>
        <scan:SupportedResolutions><scan:DiscreteResolutions>{resolutions}</scan:DiscreteResolutions></scan:SupportedResolutions>
      </scan:SettingProfile></scan:SettingProfiles>
      <scan:SupportedIntents><scan:Intent>Document</scan:Intent><scan:Intent>Photo</scan:Intent></scan:SupportedIntents>
      <scan:MaxOpticalXResolution>1200</scan:MaxOpticalXResolution><scan:MaxOpticalYResolution>1200</scan:MaxOpticalYResolution>
    </scan:PlatenInputCaps>
  </scan:Platen>
  {adf}
</scan:ScannerCapabilities>"#
    )
}

fn status_xml(state: &str, adf_state: Option<&str>) -> String {
    let adf = adf_state.map(|s| format!("<scan:AdfState>{s}</scan:AdfState>")).unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm" xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03">
  <pwg:Version>2.63</pwg:Version>
  <pwg:State>{state}</pwg:State>
  {adf}
  <scan:Jobs></scan:Jobs>
</scan:ScannerStatus>"#
    )
}

/// What the page request answers once the not-ready answers are used up.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Page {
    Jpeg,
    Garbage,
    NeverReady,
}

#[derive(Debug, Clone)]
struct Behaviour {
    capabilities: String,
    status: String,
    /// Status of `POST ScanJobs` (201 for a working scanner).
    create_status: u16,
    absolute_location: bool,
    /// `503` answers to `NextDocument` before the page.
    not_ready: usize,
    page: Page,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            capabilities: capabilities_xml(false),
            status: status_xml("Idle", None),
            create_status: 201,
            absolute_location: false,
            not_ready: 0,
            page: Page::Jpeg,
        }
    }
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: String,
}

struct Job {
    size: (u32, u32),
    not_ready: usize,
    delivered: bool,
}

/// A simulated eSCL scanner on 127.0.0.1, port chosen by the kernel.
struct SimEscl {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimEscl {
    fn start(behaviour: Behaviour) -> Self {
        let server = Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || serve(server, port, behaviour, seen, stop))
        };
        SimEscl { port, seen, stop, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/eSCL", self.port)
    }

    fn scanner(&self) -> EsclScanner {
        // Generous: rendering and encoding a 300-dpi platen takes the simulated server seconds on a
        // loaded machine, and these tests are not about timeouts (those set their own).
        let mut scanner = EsclScanner::new(&self.url(), Duration::from_secs(20)).unwrap();
        scanner.poll_interval = Duration::from_millis(10);
        scanner
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, method: &str, path_end: &str) -> usize {
        self.seen().iter().filter(|s| s.method == method && s.path.ends_with(path_end)).count()
    }
}

impl Drop for SimEscl {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server: Server, port: u16, behaviour: Behaviour, seen: Arc<Mutex<Vec<Seen>>>, stop: Arc<AtomicBool>) {
    let mut jobs: HashMap<String, Job> = HashMap::new();
    let mut next_id = 1;
    while !stop.load(Ordering::SeqCst) {
        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(10)) else { continue };
        let mut body = String::new();
        let _ = request.as_reader().read_to_string(&mut body);
        let path = request.url().to_owned();
        seen.lock().unwrap().push(Seen {
            method: request.method().to_string(),
            path: path.clone(),
            body: body.clone(),
        });
        match (request.method(), path.as_str()) {
            (Method::Get, "/eSCL/ScannerCapabilities") => reply_xml(request, &behaviour.capabilities),
            (Method::Get, "/eSCL/ScannerStatus") => reply_xml(request, &behaviour.status),
            (Method::Post, "/eSCL/ScanJobs") if behaviour.create_status != 201 => {
                reply(request, behaviour.create_status, Vec::new(), &[])
            }
            (Method::Post, "/eSCL/ScanJobs") => {
                let job_path = format!("/eSCL/ScanJobs/{next_id}");
                next_id += 1;
                let dpi = setting(&body, "XResolution").unwrap_or(300);
                let width = setting(&body, "Width").unwrap_or(PLATEN_WIDTH);
                let height = setting(&body, "Height").unwrap_or(PLATEN_HEIGHT);
                let size = (width * dpi / 300, height * dpi / 300);
                jobs.insert(job_path.clone(), Job { size, not_ready: behaviour.not_ready, delivered: false });
                let location =
                    if behaviour.absolute_location { format!("http://127.0.0.1:{port}{job_path}") } else { job_path };
                reply(request, 201, Vec::new(), &[("Location", &location)]);
            }
            (Method::Get, _) if path.ends_with("/NextDocument") => {
                let job = jobs.get_mut(path.trim_end_matches("/NextDocument"));
                match job {
                    None => reply(request, 404, Vec::new(), &[]),
                    Some(job) if job.delivered => reply(request, 404, Vec::new(), &[]),
                    Some(job) if job.not_ready > 0 || behaviour.page == Page::NeverReady => {
                        job.not_ready = job.not_ready.saturating_sub(1);
                        reply(request, 503, Vec::new(), &[]);
                    }
                    Some(job) => {
                        job.delivered = true;
                        let page = match behaviour.page {
                            Page::Garbage => b"\xff\xd8\xff\xe0 this is not a JPEG at all".to_vec(),
                            _ => synthetic_jpeg(job.size),
                        };
                        reply(request, 200, page, &[("Content-Type", "image/jpeg")]);
                    }
                }
            }
            (Method::Delete, _) if jobs.remove(&path).is_some() => reply(request, 200, Vec::new(), &[]),
            _ => reply(request, 404, Vec::new(), &[]),
        }
    }
}

fn reply(request: Request, status: u16, body: Vec<u8>, headers: &[(&str, &str)]) {
    let mut response = Response::from_data(body).with_status_code(status);
    for (name, value) in headers {
        response.add_header(Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap());
    }
    let _ = request.respond(response);
}

fn reply_xml(request: Request, xml: &str) {
    reply(request, 200, xml.as_bytes().to_vec(), &[("Content-Type", "text/xml")]);
}

/// A numeric ScanSettings element, by local name, whatever its namespace.
fn setting(body: &str, local: &str) -> Option<u32> {
    let document = roxmltree::Document::parse(body).ok()?;
    let node = document.descendants().find(|n| n.is_element() && n.tag_name().name() == local)?;
    node.text()?.trim().parse().ok()
}

fn setting_text(body: &str, local: &str) -> Option<String> {
    let document = roxmltree::Document::parse(body).ok()?;
    let node = document.descendants().find(|n| n.is_element() && n.tag_name().name() == local)?;
    Some(node.text()?.trim().to_owned())
}

/// Left half red, right half blue: easy to check after JPEG compression.
fn synthetic_jpeg((width, height): (u32, u32)) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, _| if x < width / 2 { RED } else { BLUE });
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg).unwrap();
    bytes
}

fn close_to(pixel: &Rgb<u8>, expected: Rgb<u8>) -> bool {
    pixel.0.iter().zip(expected.0).all(|(&a, b)| a.abs_diff(b) <= 12)
}

fn white(dpi: u32) -> ScanRequest {
    ScanRequest { lights: vec![Light::White], dpi }
}

#[test]
fn self_test_reads_the_capabilities_and_passes_an_idle_scanner() {
    let sim = SimEscl::start(Behaviour::default());
    let mut scanner = sim.scanner();
    let health = scanner.self_test();
    assert_eq!(health.status, HealthStatus::Ok, "{:?}", health.reason);
    assert_eq!(health.device.driver, "escl");
    assert_eq!(health.device.location, sim.url());
    assert_eq!(health.details["make_and_model"], "Simulated OfficeJet 9000");
    assert_eq!(health.details["escl_version"], "2.63");
    assert_eq!(health.details["platen_resolutions_dpi"], "75, 100, 200, 300, 600");
    assert_eq!(health.details["platen_area_mm"], "216 x 297");
    assert_eq!(health.details["adf"], "no");
    assert_eq!(health.details["state"], "Idle");
    assert_eq!(sim.count("GET", "/eSCL/ScannerCapabilities"), 1);
    assert_eq!(sim.count("GET", "/eSCL/ScannerStatus"), 1);
}

#[test]
fn self_test_degrades_a_busy_scanner_and_fails_a_stopped_one() {
    let busy = SimEscl::start(Behaviour { status: status_xml("Processing", None), ..Behaviour::default() });
    let health = busy.scanner().self_test();
    assert_eq!(health.status, HealthStatus::Degraded);
    assert!(health.reason.as_deref().unwrap_or_default().contains("busy"), "{:?}", health.reason);

    let stopped = SimEscl::start(Behaviour { status: status_xml("Stopped", None), ..Behaviour::default() });
    let health = stopped.scanner().self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert!(health.reason.as_deref().unwrap_or_default().contains("Stopped"), "{:?}", health.reason);
    // The failed record still tells the technician which scanner it is.
    assert_eq!(health.details["make_and_model"], "Simulated OfficeJet 9000");
}

#[test]
fn self_test_reports_malformed_capabilities_as_a_protocol_failure() {
    let sim = SimEscl::start(Behaviour { capabilities: "<scan:ScannerCapabilities".into(), ..Behaviour::default() });
    let health = sim.scanner().self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert_eq!(health.error_kind, Some(ErrorKind::Protocol));
}

#[test]
fn a_scan_returns_the_page_at_the_nearest_supported_resolution() {
    let sim = SimEscl::start(Behaviour::default());
    let mut scanner = sim.scanner();
    // 80 dpi is not offered; 75 is the nearest.
    let images = scanner.scan(&white(80)).unwrap();
    assert_eq!(images.len(), 1);
    let scan = &images[0];
    assert_eq!(scan.light, Light::White);
    assert_eq!(scan.dpi, 75);
    assert_eq!(scan.image.dimensions(), (PLATEN_WIDTH * 75 / 300, PLATEN_HEIGHT * 75 / 300));
    let (width, height) = scan.image.dimensions();
    assert!(close_to(scan.image.get_pixel(width / 4, height / 2), RED));
    assert!(close_to(scan.image.get_pixel(3 * width / 4, height / 2), BLUE));
    // One page fetched, then the 404 that closes a platen job; no cancel.
    assert_eq!(sim.count("GET", "/eSCL/ScanJobs/1/NextDocument"), 2);
    assert_eq!(sim.count("DELETE", ""), 0);
}

#[test]
fn the_posted_scan_settings_carry_the_chosen_resolution_and_the_whole_platen() {
    let sim = SimEscl::start(Behaviour::default());
    let mut scanner = sim.scanner();
    scanner.scan(&white(250)).unwrap();
    let posts: Vec<Seen> = sim.seen().into_iter().filter(|s| s.method == "POST").collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, "/eSCL/ScanJobs");
    let body = &posts[0].body;
    // 250 lies between 200 and 300: the tie goes to the sharper one.
    assert_eq!(setting(body, "XResolution"), Some(300));
    assert_eq!(setting(body, "YResolution"), Some(300));
    assert_eq!(setting_text(body, "Version").as_deref(), Some("2.63"));
    assert_eq!(setting_text(body, "InputSource").as_deref(), Some("Platen"));
    assert_eq!(setting_text(body, "ColorMode").as_deref(), Some("RGB24"));
    assert_eq!(setting_text(body, "DocumentFormatExt").as_deref(), Some("image/jpeg"));
    assert_eq!(setting_text(body, "ContentRegionUnits").as_deref(), Some("escl:ThreeHundredthsOfInches"));
    assert_eq!(setting(body, "XOffset"), Some(0));
    assert_eq!(setting(body, "Width"), Some(PLATEN_WIDTH));
    assert_eq!(setting(body, "Height"), Some(PLATEN_HEIGHT));
}

#[test]
fn a_page_that_is_not_ready_twice_comes_on_the_third_ask() {
    let sim = SimEscl::start(Behaviour { not_ready: 2, absolute_location: true, ..Behaviour::default() });
    let mut scanner = sim.scanner();
    let images = scanner.scan(&white(100)).unwrap();
    assert_eq!(images[0].dpi, 100);
    assert_eq!(images[0].image.dimensions(), (PLATEN_WIDTH / 3, PLATEN_HEIGHT / 3));
    // Two 503s, the page, and the closing 404.
    assert_eq!(sim.count("GET", "/eSCL/ScanJobs/1/NextDocument"), 4);
}

#[test]
fn a_page_that_never_comes_times_out_and_the_job_is_deleted() {
    let sim = SimEscl::start(Behaviour { page: Page::NeverReady, ..Behaviour::default() });
    let mut scanner = EsclScanner::new(&sim.url(), Duration::from_millis(300)).unwrap();
    scanner.poll_interval = Duration::from_millis(20);
    let started = Instant::now();
    let error = scanner.scan(&white(75)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(sim.count("GET", "/NextDocument") >= 2);
    assert_eq!(sim.count("DELETE", "/eSCL/ScanJobs/1"), 1);
}

#[test]
fn a_refused_job_is_busy() {
    for status in [503, 409] {
        let sim = SimEscl::start(Behaviour { create_status: status, ..Behaviour::default() });
        let error = sim.scanner().scan(&white(300)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Busy, "HTTP {status}: {error}");
        assert_eq!(sim.count("GET", "/NextDocument"), 0);
    }
}

#[test]
fn a_garbage_page_is_a_protocol_error() {
    let sim = SimEscl::start(Behaviour { page: Page::Garbage, ..Behaviour::default() });
    let error = sim.scanner().scan(&white(300)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn infrared_and_ultraviolet_are_unsupported_before_any_request() {
    let sim = SimEscl::start(Behaviour::default());
    let mut scanner = sim.scanner();
    for light in [Light::Infrared, Light::Ultraviolet] {
        let request = ScanRequest { lights: vec![Light::White, light], dpi: 300 };
        let error = scanner.scan(&request).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(error.message().contains("no IR/UV light"), "{error}");
    }
    assert!(sim.seen().is_empty());
}

#[test]
fn the_feeder_state_tells_whether_a_document_is_present() {
    let loaded = SimEscl::start(Behaviour {
        capabilities: capabilities_xml(true),
        status: status_xml("Idle", Some("ScannerAdfLoaded")),
        ..Behaviour::default()
    });
    assert!(loaded.scanner().document_present().unwrap());

    let empty = SimEscl::start(Behaviour {
        capabilities: capabilities_xml(true),
        status: status_xml("Idle", Some("ScannerAdfEmpty")),
        ..Behaviour::default()
    });
    let mut scanner = empty.scanner();
    assert!(!scanner.document_present().unwrap());
    assert_eq!(scanner.self_test().details["adf"], "yes");

    let jammed = SimEscl::start(Behaviour {
        capabilities: capabilities_xml(true),
        status: status_xml("Idle", Some("ScannerAdfJam")),
        ..Behaviour::default()
    });
    let mut scanner = jammed.scanner();
    assert_eq!(scanner.document_present().unwrap_err().kind(), ErrorKind::Other);
    assert_eq!(scanner.self_test().status, HealthStatus::Degraded);
}

#[test]
fn a_platen_only_scanner_cannot_tell_whether_a_document_is_present() {
    let sim = SimEscl::start(Behaviour::default());
    let error = sim.scanner().document_present().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported, "{error}");
    // Decided from the capabilities alone.
    assert_eq!(sim.count("GET", "/ScannerStatus"), 0);
}

#[test]
fn nobody_listening_is_not_present() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut scanner = EsclScanner::new(&format!("http://127.0.0.1:{port}/eSCL"), Duration::from_secs(1)).unwrap();
    let health = scanner.self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert_eq!(health.error_kind, Some(ErrorKind::NotPresent), "{:?}", health.reason);
    assert_eq!(scanner.scan(&white(300)).unwrap_err().kind(), ErrorKind::NotPresent);
}

#[test]
fn a_scanner_that_goes_away_is_disconnected() {
    let sim = SimEscl::start(Behaviour::default());
    let address = format!("127.0.0.1:{}", sim.port);
    let mut scanner = sim.scanner();
    assert_eq!(scanner.self_test().status, HealthStatus::Ok);
    drop(sim);
    // tiny_http closes its listener on its own thread: wait until connections are refused.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(&address).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let error = scanner.scan(&white(300)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Disconnected, "{error}");
}

#[test]
fn a_scanner_that_never_answers_times_out() {
    // The kernel completes the handshake on the backlog; nobody ever reads or answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut scanner = EsclScanner::new(&format!("http://127.0.0.1:{port}/eSCL"), Duration::from_millis(200)).unwrap();
    let started = Instant::now();
    let health = scanner.self_test();
    assert_eq!(health.error_kind, Some(ErrorKind::Timeout), "{:?}", health.reason);
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(listener);
}

#[test]
fn an_https_scanner_is_refused_because_tls_is_not_built_in() {
    let error = EsclScanner::new("https://127.0.0.1/eSCL", Duration::from_secs(1)).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(error.message().contains("TLS"), "{error}");
}

#[test]
fn no_lights_means_no_job() {
    let sim = SimEscl::start(Behaviour::default());
    let images = sim.scanner().scan(&ScanRequest { lights: Vec::new(), dpi: 300 }).unwrap();
    assert!(images.is_empty());
    assert!(sim.seen().is_empty());
}

#[test]
fn a_feeder_only_scanner_fails_the_self_test_and_cannot_scan_the_glass() {
    let with_platen = capabilities_xml(true);
    let start = with_platen.find("<scan:Platen>").unwrap();
    let end = with_platen.find("</scan:Platen>").unwrap() + "</scan:Platen>".len();
    let feeder_only = format!("{}{}", &with_platen[..start], &with_platen[end..]);
    assert!(!feeder_only.contains("Platen"));
    let sim = SimEscl::start(Behaviour { capabilities: feeder_only, ..Behaviour::default() });
    let mut scanner = sim.scanner();
    let health = scanner.self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert_eq!(health.error_kind, Some(ErrorKind::Unsupported));
    assert_eq!(scanner.scan(&white(300)).unwrap_err().kind(), ErrorKind::Unsupported);
    assert_eq!(sim.count("POST", "/ScanJobs"), 0);
}
