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
