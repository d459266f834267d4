//! `kiosk`: the intake kiosk's command line. It parses and prints; the `kiosk` library decides.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kiosk::config::{self, Config};
use kiosk::devices::Devices;
use kiosk::technician::{self, CaptureSource};
use kiosk_hal::gpio::Light;

/// Self-service intake kiosk.
#[derive(Debug, Parser)]
#[command(name = "kiosk", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = config::DEFAULT_PATH, env = "KIOSK_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Technician commands for the devices.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Check the configuration file and print a summary.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Machine-readable zones of identity documents.
    #[command(subcommand)]
    Mrz(MrzCommand),
    /// The chip of identity documents (ICAO 9303).
    #[command(subcommand)]
    Chip(ChipCommand),
    /// The certified-copy fee from the configured schedule.
    Fee {
        /// Number of certified copies.
        #[arg(long)]
        copies: u32,
        /// Pages of the original (default: the pages a card counts as).
        #[arg(long)]
        pages: Option<u32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Administrative units (provinces and communes).
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Working days and due times.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The device signing key (`[keys] device_key`).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The outbox of sealed packets waiting for the backend.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Dossiers: codes and sample output.
    #[command(subcommand)]
    Dossier(DossierCommand),
    /// Capture quality of a sample image: measurements, verdict and hint; exit 0 accepted,
    /// 1 rejected, 2 unreadable input.
    Inspect {
        /// What the image shows.
        kind: InspectKind,
        /// The image file (PNG, JPEG).
        image: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Write the corrected crop here (documents: the card at 600 dpi, 2022 x 1275).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// What `kiosk inspect` looks at.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum InspectKind {
    /// An identity card (camera frame or scan).
    Document,
}

#[derive(Debug, Subcommand)]
enum DossierCommand {
    /// Build the sample certified-copy dossier (a made-up person, simulator card) and write its PDF,
    /// manifest and payload archive into a directory, for inspection.
    Sample {
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a typed dossier code (spaces, dashes, case and O/I/L look-alikes are forgiven).
    Check {
        /// The code, e.g. 1D23-FJ75-4CT5.
        code: String,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// Packets by state, bytes, the oldest waiting packet and the last upload error.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create the device key (PKCS#8, mode 0600) and print its public key and key id.
    Init {
        /// Replace an existing key (the backend must then enrol the new public key).
        #[arg(long)]
        force: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the public key and key id of the existing device key.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// When a dossier submitted at a given time is due, by the configured rules and holidays.
    Due {
        /// Which service.
        #[arg(long)]
        service: ServiceArg,
        /// Submission time, RFC 3339 (`2026-11-20T15:30:00+07:00`).
        #[arg(long)]
        submitted: String,
        /// A complex certified-copy case (extra working days).
        #[arg(long)]
        complex: bool,
        /// e-ID: the applicant's photo and fingerprints are already on file.
        #[arg(long)]
        biometrics_on_file: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ServiceArg {
    CertifiedCopy,
    Eid,
}

#[derive(Debug, Subcommand)]
enum UnitsCommand {
    /// Search provinces and communes by name, with or without diacritics.
    Search {
        /// Name or part of it ("ha noi", "Hòa", "ba dinh").
        text: String,
        /// Only communes of this province (2-digit code).
        #[arg(long)]
        province: Option<String>,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
enum ChipCommand {
    /// Read the card on the configured reader (BAC), print its data groups and each passive
    /// authentication step. Prints personal data. Exit 0 read and verified, 1 read but not
    /// verified or a check failed, 2 could not read.
    Read {
        /// The card's MRZ: TD1 (3 lines) or TD3 (2 lines), lines separated by new lines or spaces,
        /// or only document number, date of birth and date of expiry with their check digits (24
        /// characters). Default: the simulated card's MRZ (simulated reader only).
        #[arg(long)]
        mrz: Option<String>,
        /// Use extended-length READ BINARY (PC/SC readers that support it).
        #[arg(long)]
        extended_length: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum MrzCommand {
    /// Parse and validate MRZ lines (TD1, TD2, TD3) given as arguments or on standard input; exit 0
    /// valid, 1 invalid (a check digit fails), 2 unreadable (wrong shape, characters or dates).
    Check {
        /// The MRZ lines; read from standard input when none are given.
        lines: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The date to judge expiry and centuries by (YYYY-MM-DD); default: today in Vietnam.
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum DevicesCommand {
    /// List the configured devices.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Test every device; exit 0 only if every required device works.
    Selftest {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Capture an image from a device and write it to a file.
    Capture {
        /// Which device.
        source: Source,
        /// Output file (.png, .jpg, .bmp).
        #[arg(long)]
        out: PathBuf,
        /// Scanner lights, one image each (default: white).
        #[arg(long, value_delimiter = ',')]
        light: Vec<LightArg>,
    },
    /// Print a test receipt.
    PrintTest,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (exit 0 valid, 2 invalid).
    Check,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Source {
    Camera,
    Scanner,
    Fingerprint,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LightArg {
    White,
    Infrared,
    Ultraviolet,
}

/// Exit status for a configuration that cannot be used.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Commands that need no configuration run on any machine, from any directory.
    if let Command::Dossier(DossierCommand::Check { code }) = &cli.command {
        return dossier_check(code);
    }
    if let Command::Mrz(MrzCommand::Check { lines, json, today }) = cli.command {
        return mrz_check(lines, json, today.as_deref());
    }
    let config = match Config::load(&cli.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("kiosk: configuration error: {error}");
            eprintln!("kiosk: nothing was started; fix the configuration and try again");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(warning) = kiosk::logging::init(&config.logging) {
        eprintln!("kiosk: {warning}");
    }
    match cli.command {
        Command::Config(ConfigCommand::Check) => {
            println!("{}: valid (kiosk {})", config.source.display(), config.kiosk.id);
            ExitCode::SUCCESS
        }
        Command::Devices(command) => devices(&config, command),
        Command::Mrz(_) => unreachable!("handled before the configuration is read"),
        Command::Chip(ChipCommand::Read { mrz, extended_length, json }) => {
            let outcome = kiosk::idcard::chip::command::chip_read(&config, mrz.as_deref(), json, extended_length);
            print!("{}", outcome.stdout);
            eprint!("{}", outcome.stderr);
            ExitCode::from(outcome.exit)
        }
        Command::Fee { copies, pages, json } => fee(&config, copies, pages, json),
        Command::Units(UnitsCommand::Search { text, province, limit }) => {
            units_search(&config, &text, province.as_deref(), limit)
        }
        Command::Calendar(CalendarCommand::Due { service, submitted, complex, biometrics_on_file, json }) => {
            calendar_due(&config, service, &submitted, complex, biometrics_on_file, json)
        }
        Command::Keys(command) => keys(&config, command),
        Command::Outbox(OutboxCommand::Status { json }) => outbox_status(&config, json),
        Command::Dossier(DossierCommand::Sample { out }) => dossier_sample(&config, &out),
        Command::Dossier(DossierCommand::Check { .. }) => unreachable!("handled before the configuration is read"),
        Command::Inspect { kind, image, json, out } => match kind {
            InspectKind::Document => inspect_document(&config, &image, json, out.as_deref()),
        },
    }
}

fn outbox_status(config: &Config, json: bool) -> ExitCode {
    let status = kiosk::outbox::Outbox::open(&config.kiosk.data_dir, &config.outbox)
        .and_then(|outbox| outbox.status(std::time::SystemTime::now()).map(|status| (outbox, status)));
    let (outbox, status) = match status {
        Ok(found) => found,
        Err(error) => {
            eprintln!("kiosk: {error}");
            return ExitCode::from(2);
        }
    };
    if json {
        match serde_json::to_string_pretty(&status) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("kiosk: cannot format the status: {e}"),
        }
    } else {
        println!("outbox {}", outbox.path().display());
        print!("{}", kiosk::outbox::status_text(&status));
    }
    ExitCode::SUCCESS
}

fn keys(config: &Config, command: KeysCommand) -> ExitCode {
    let path = &config.keys.device_key;
    let (result, json) = match command {
        KeysCommand::Init { force, json } => (kiosk::keys::init_device_key(path, force), json),
        KeysCommand::Show { json } => (kiosk::keys::show_device_key(path), json),
    };
    match result {
        Ok(info) if json => match serde_json::to_string_pretty(&info) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kiosk: cannot format the key: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(info) => {
            println!("device key   {}", info.path.display());
            println!("public key   {}", info.public_key);
            println!("key id       {}", info.key_id);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kiosk: {error}");
            ExitCode::FAILURE
        }
    }
}

fn fee(config: &Config, copies: u32, pages: Option<u32>, json: bool) -> ExitCode {
    let result = match pages {
        Some(pages) => config.fees.certified_copy(copies, pages),
        None => config.fees.certified_copy_of_card(copies),
    };
    let breakdown = match result {
        Ok(breakdown) => breakdown,
        Err(error) => {
            eprintln!("kiosk: {error}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&breakdown) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("kiosk: cannot format the fee: {e}"),
        }
    } else {
        for line in &breakdown.lines {
            println!("{:>4} page(s) x {:>7} VND = {:>9} VND", line.pages, vnd(line.unit_fee_vnd), vnd(line.amount_vnd));
        }
        let cap = if breakdown.capped { " (capped)" } else { "" };
        println!("per copy{cap}: {} VND", vnd(breakdown.per_copy_vnd));
        println!("{} copies: {} VND", breakdown.copies, vnd(breakdown.total_vnd));
    }
    ExitCode::SUCCESS
}

/// Vietnamese digit grouping: 200.000.
fn vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn calendar_due(
    config: &Config,
    service: ServiceArg,
    submitted: &str,
    complex: bool,
    biometrics_on_file: bool,
    json: bool,
) -> ExitCode {
    let Some(at) = kiosk::clock::rfc3339_in_vietnam(submitted) else {
        eprintln!("kiosk: --submitted {submitted:?} is not an RFC 3339 time such as 2026-11-20T15:30:00+07:00");
        return ExitCode::from(EXIT_CONFIG);
    };
    let calendar = &config.calendar.work_calendar;
    let rules = &config.calendar.due;
    let (day, time) = match service {
        ServiceArg::CertifiedCopy => calendar.due_certified_copy(at, rules, complex),
        ServiceArg::Eid => calendar.due_eid(at, rules, biometrics_on_file),
    };
    let due = format!("{day}T{time}:00+07:00");
    if json {
        let received = format!("{}T{}:00+07:00", at.0, at.1);
        println!("{}", serde_json::json!({ "submitted": received, "due": due }));
    } else {
        println!("submitted {} {} (Vietnam time), due {due}", at.0, at.1);
    }
    ExitCode::SUCCESS
}

fn units_search(config: &Config, text: &str, province: Option<&str>, limit: usize) -> ExitCode {
    let units = match kiosk::agency::units::AdminUnits::load(&config.agency.units) {
        Ok(units) => units,
        Err(error) => {
            eprintln!("kiosk: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let matches = match province {
        Some(code) if units.province(code).is_none() => {
            eprintln!("kiosk: there is no province with code {code}");
            return ExitCode::FAILURE;
        }
        Some(code) => units.search_communes(code, text, limit),
        None => units.search(text, limit),
    };
    if matches.is_empty() {
        eprintln!("kiosk: nothing matches {text:?}");
        return ExitCode::FAILURE;
    }
    for m in matches {
        match m.commune {
            Some(commune) => println!("{}  {}, {}", commune.code, commune.name, m.province.name),
            None => println!("{}     {}", m.province.code, m.province.name),
        }
    }
    ExitCode::SUCCESS
}

fn mrz_check(mut lines: Vec<String>, json: bool, today: Option<&str>) -> ExitCode {
    use kiosk::idcard::mrz::{Date, Mrz};
    let today = match today.map(str::parse::<Date>) {
        Some(Ok(date)) => date,
        Some(Err(e)) => {
            eprintln!("kiosk: --today: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
        None => match kiosk::clock::today_in_vietnam() {
            Some(date) => date,
            None => {
                eprintln!("kiosk: the system clock is not set; pass --today YYYY-MM-DD");
                return ExitCode::from(2);
            }
        },
    };
    if lines.is_empty() {
        lines = std::io::stdin().lines().map_while(Result::ok).collect();
    }
    match Mrz::read(&lines, today) {
        Err(error) => {
            eprintln!("kiosk: unreadable MRZ: {error}");
            ExitCode::from(2)
        }
        Ok(mrz) => {
            if json {
                match serde_json::to_string_pretty(&mrz) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("kiosk: cannot format the result: {e}"),
                }
            } else {
                print!("{}", mrz.to_text(today));
            }
            if mrz.check_digits_valid() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
    }
}

fn devices(config: &Config, command: DevicesCommand) -> ExitCode {
    let mut devices = Devices::open(config);
    match command {
        DevicesCommand::List { json } => {
            let infos = devices.infos();
            if json {
                let list: Vec<_> = infos
                    .iter()
                    .map(|(info, required)| serde_json::json!({ "kind": info.kind, "driver": info.driver, "location": info.location, "required": required }))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for (info, required) in infos {
                    let need = if required { "required" } else { "optional" };
                    println!("{:<12} {:<11} {:<9} {}", info.kind.to_string(), info.driver, need, info.location);
                }
            }
            ExitCode::SUCCESS
        }
        DevicesCommand::Selftest { json } => {
            let report = technician::self_test(&mut devices, &config.kiosk.id);
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("kiosk: cannot format the report: {e}"),
                }
            } else {
                print!("{}", report.to_text());
            }
            if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        DevicesCommand::Capture { source, out, light } => {
            let source = match source {
                Source::Camera => CaptureSource::Camera,
                Source::Scanner => CaptureSource::Scanner,
                Source::Fingerprint => CaptureSource::Fingerprint,
            };
            let lights: Vec<Light> = light
                .into_iter()
                .map(|l| match l {
                    LightArg::White => Light::White,
                    LightArg::Infrared => Light::Infrared,
                    LightArg::Ultraviolet => Light::Ultraviolet,
                })
                .collect();
            match technician::capture(&mut devices, source, &lights, &out) {
                Ok(files) => {
                    for file in files {
                        println!("wrote {}", file.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("kiosk: capture failed: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        DevicesCommand::PrintTest => match technician::print_test(&mut devices, &config.kiosk.id) {
            Ok(()) => {
                println!("test receipt printed on {}", devices.printer.info().location);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("kiosk: print test failed: {error} → {}", error.kind().advice());
                ExitCode::FAILURE
            }
        },
    }
}

fn dossier_check(code: &str) -> ExitCode {
    match kiosk::dossier::DossierCode::parse(code) {
        Ok(code) => {
            println!("{code}: valid");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kiosk: {error}");
            ExitCode::FAILURE
        }
    }
}

fn dossier_sample(config: &Config, out: &std::path::Path) -> ExitCode {
    use kiosk::dossier::{CertifiedCopyDossier, sample};
    let inputs = sample::certified_copy_inputs(&config.kiosk.id);
    let dossier = match CertifiedCopyDossier::build(&inputs, config) {
        Ok(dossier) => dossier,
        Err(error) => {
            eprintln!("kiosk: cannot build the sample dossier: {error}");
            return ExitCode::FAILURE;
        }
    };
    let written = (|| -> Result<Vec<PathBuf>, String> {
        std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let manifest = dossier.manifest.to_json().map_err(|e| e.to_string())?;
        let payload = dossier.to_archive().map_err(|e| e.to_string())?;
        let mut files: Vec<(&str, &[u8])> = vec![("manifest.json", &manifest), ("payload.tar", &payload)];
        files.extend(dossier.files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())));
        files
            .into_iter()
            .map(|(name, bytes)| {
                let path = out.join(name);
                std::fs::write(&path, bytes)
                    .map(|()| path.clone())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            })
            .collect()
    })();
    match written {
        Ok(paths) => {
            println!("sample dossier {} (made-up person, simulator card):", dossier.manifest.dossier_code);
            for path in paths {
                println!("  {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kiosk: {error}; choose a writable --out directory");
            ExitCode::FAILURE
        }
    }
}

/// Exit status of `kiosk inspect` for an image that cannot be read.
const EXIT_UNREADABLE: u8 = 2;

fn inspect_document(config: &Config, path: &std::path::Path, json: bool, out: Option<&std::path::Path>) -> ExitCode {
    use kiosk::capture::document::{DocumentAnalyzer, Side, rectify};
    use kiosk::capture::{luma, mrz_ocr};
    let frame = match image::open(path) {
        Ok(image) => image.to_rgb8(),
        Err(image::ImageError::IoError(e)) => {
            eprintln!("kiosk: cannot read {}: {e}", path.display());
            return ExitCode::from(EXIT_UNREADABLE);
        }
        Err(e) => {
            eprintln!("kiosk: {} is not a readable image ({e}); give a PNG or JPEG file", path.display());
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let analysis = DocumentAnalyzer::new(config.capture.document.clone()).analyze(&frame);
    let m = &analysis.measurements;
    let crop = m.corners.filter(|_| m.in_frame).and_then(|corners| rectify(&frame, &corners));
    if let (Some(out), Some(crop)) = (out, &crop) {
        if let Err(e) = crop.save(out) {
            eprintln!("kiosk: cannot write the crop to {}: {e}", out.display());
            return ExitCode::from(EXIT_UNREADABLE);
        }
    } else if let Some(out) = out {
        eprintln!("kiosk: no card to crop; {} was not written", out.display());
    }
    // The MRZ of a back (or of a side not recognised) is read from the 600-dpi crop and validated.
    let mrz = crop.as_ref().filter(|_| m.side != Side::Front).map(|crop| {
        let gray = image::GrayImage::from_fn(crop.width(), crop.height(), |x, y| {
            let p = crop.get_pixel(x, y).0;
            image::Luma([luma(p[0], p[1], p[2])])
        });
        let today = kiosk::clock::today_in_vietnam()
            .or_else(|| kiosk::idcard::mrz::Date::new(2026, 1, 1))
            .unwrap_or_else(|| unreachable!("a valid date"));
        mrz_ocr::read_mrz(&gray, today)
    });
    // A zone that was read but fails its check digits is a wrong read or a forgery: never accepted.
    let mrz_invalid = matches!(mrz, Some(Err(mrz_ocr::MrzOcrError::Invalid(_))));
    let accepted = analysis.verdict.accepted && !mrz_invalid;
    if json {
        let mrz_json = match &mrz {
            Some(Ok(reading)) => serde_json::json!({ "valid": true, "lines": reading.lines, "fields": reading.mrz }),
            Some(Err(e)) => serde_json::json!({ "valid": false, "error": e.to_string() }),
            None => serde_json::Value::Null,
        };
        let report = serde_json::json!({
            "kind": "document",
            "accepted": accepted,
            "measurements": m,
            "verdict": analysis.verdict,
            "mrz": mrz_json,
        });
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("kiosk: cannot format the report: {e}"),
        }
    } else {
        print!("{}", document_report(&analysis, config));
        match &mrz {
            // Personal data stays off the terminal: field names only.
            Some(Ok(reading)) => println!(
                "mrz              {}, check digits valid: document code, issuing state, document number, \
                 date of birth, sex, date of expiry, nationality, name, optional data",
                reading.mrz.format
            ),
            Some(Err(e)) => println!("mrz              not read: {e}"),
            None => {}
        }
        let hint = &analysis.verdict.hint_text;
        let verdict = if accepted { "accepted" } else { "rejected" };
        println!("verdict          {verdict} ({}): {} / {}", analysis.verdict.hint_key, hint.en, hint.vi);
    }
    if accepted { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn document_report(analysis: &kiosk::capture::document::DocumentAnalysis, config: &Config) -> String {
    use std::fmt::Write as _;
    let m = &analysis.measurements;
    let t = &config.capture.document;
    let mut out = String::new();
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "{label:<16} {value}");
    };
    row("frame", format!("{} x {}", m.frame_size.0, m.frame_size.1));
    match m.corners {
        Some(c) => row(
            "card corners",
            format!(
                "({:.1}, {:.1}) ({:.1}, {:.1}) ({:.1}, {:.1}) ({:.1}, {:.1})",
                c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
            ),
        ),
        None => row("card corners", "no card found".into()),
    }
    row("in frame", if m.in_frame { "yes".into() } else { "no".into() });
    row(
        "card area",
        format!("{:.1}% of the frame (min {:.1}%)", m.card_area_fraction * 100.0, t.min_card_area_fraction * 100.0),
    );
    row("tilt", format!("{:.1}° (max {:.1}°), rotation {:.1}°", m.tilt_deg, t.max_tilt_deg, m.rotation_deg));
    if let Some(sharpness) = m.sharpness {
        row("sharpness", format!("{sharpness:.0} (min {:.0})", t.min_sharpness));
    }
    if let Some(glare) = m.glare_fraction {
        row("glare", format!("{:.2}% of the card (max {:.2}%)", glare * 100.0, t.max_glare_fraction * 100.0));
    }
    if let (Some(p05), Some(p95)) = (m.luma_p05, m.luma_p95) {
        row(
            "exposure",
            format!("luma p05 {p05} (max {}), p95 {p95} (min {})", t.max_dark_percentile, t.min_bright_percentile),
        );
    }
    row("side", format!("{:?}", m.side).to_lowercase());
    out
}
