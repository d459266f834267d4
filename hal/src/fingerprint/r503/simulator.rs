//! A simulated R503 on the device end of a serial line (a pseudo-terminal in tests).
//!
//! It answers VfyPwd, ReadSysPara, GenImg, UpImage and AuraLedConfig as the module does, streams the
//! image in data packets of its configured size, and lets a test place or lift the finger and
//! inject faults on the wire.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::GrayImage;

use super::packet::{
    DEFAULT_ADDRESS, DEFAULT_PASSWORD, Decoder, Instruction, POWER_ON_BYTE, Packet, PacketError, PacketKind,
    PacketSize, confirmation,
};
use super::{AuraLed, IMAGE_BYTES, IMAGE_HEIGHT, IMAGE_WIDTH, SystemParameters};
use crate::serial::{is_retryable, write_all_before};

/// How long the simulator keeps trying to hand one packet to a host that does not read.
const WRITE_PATIENCE: Duration = Duration::from_secs(2);

/// Status register bits (manual, "System status register").
const STATUS_PASSWORD_VERIFIED: u16 = 1 << 2;
const STATUS_IMAGE_IN_BUFFER: u16 = 1 << 3;

/// What the simulated module is set to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// The address it answers to and sends from.
    pub address: u32,
    /// Its handshake password; other than 0, every command but VfyPwd needs VfyPwd first.
    pub password: u32,
    /// Payload bytes per data packet.
    pub packet_size: PacketSize,
    /// Templates its library holds (200 on the R503).
    pub library_size: u16,
    /// Matching threshold 1..5.
    pub security_level: u16,
    /// The baud rate it reports.
    pub baud_rate: u32,
    /// Whether it sends the power-on byte 0x55 when it starts, as a real module does.
    pub announce_power_on: bool,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            address: DEFAULT_ADDRESS,
            password: DEFAULT_PASSWORD,
            packet_size: PacketSize::Bytes128,
            library_size: 200,
            security_level: 3,
            baud_rate: super::DEFAULT_BAUD,
            announce_power_on: true,
        }
    }
}

/// A simulated R503 running on its own thread; dropping the handle stops it.
///
/// The port must time out its reads (serial ports and [`crate::serial::pty_pair`] do), so the thread
/// notices [`R503Simulator::stop`]. It also stops when the host closes its end of the line.
pub struct R503Simulator {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for R503Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("R503Simulator").field("running", &self.is_running()).finish_non_exhaustive()
    }
}

struct Shared {
    module: Mutex<Module>,
    stop: AtomicBool,
    running: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Module> {
        // Plain data: a panicking test thread cannot leave it in a state that matters.
        self.module.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl R503Simulator {
    /// Starts a factory-set module on `port` whose sensor sees `image` (256 x 288) when a finger is
    /// placed.
    pub fn spawn(port: impl Read + Write + Send + 'static, image: GrayImage) -> io::Result<Self> {
        R503Simulator::spawn_with(port, image, SimulatorConfig::default())
    }

    /// Starts a module set to `config`.
    pub fn spawn_with(
        port: impl Read + Write + Send + 'static,
        image: GrayImage,
        config: SimulatorConfig,
    ) -> io::Result<Self> {
        if image.dimensions() != (IMAGE_WIDTH, IMAGE_HEIGHT) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the R503 image is {IMAGE_WIDTH}x{IMAGE_HEIGHT}, not {}x{}", image.width(), image.height()),
            ));
        }
        let shared = Arc::new(Shared {
            module: Mutex::new(Module::new(config, pack_image(&image))),
            stop: AtomicBool::new(false),
            running: AtomicBool::new(true),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("r503-sim".into()).spawn(move || serve(port, &worker))?;
        Ok(R503Simulator { shared, thread: Some(thread) })
    }

    /// Places (`true`) or lifts the finger.
    pub fn set_finger(&self, present: bool) {
        self.shared.lock().finger = present;
    }

    /// Corrupts the checksum of the next `count` packets it sends (acknowledgements and data).
    pub fn corrupt_next_packets(&self, count: u32) {
        self.corrupt_packets_after(0, count);
    }

    /// Sends `skip` packets intact, then corrupts the checksum of the following `count`.
    pub fn corrupt_packets_after(&self, skip: u32, count: u32) {
        let mut module = self.shared.lock();
        module.corrupt = Scheduled { skip, value: count };
    }

    /// Sends `bytes` on the line just before its next packet.
    pub fn send_garbage_before_next_packet(&self, bytes: &[u8]) {
        self.send_garbage_after(0, bytes);
    }

    /// Sends `skip` packets, then `bytes`, then the rest (in the middle of an image upload, say).
    pub fn send_garbage_after(&self, skip: u32, bytes: &[u8]) {
        let mut module = self.shared.lock();
        module.garbage = Scheduled { skip, value: bytes.to_vec() };
    }

    /// Stops (`true`) or resumes answering; commands are still read and logged.
    pub fn set_silent(&self, silent: bool) {
        self.shared.lock().silent = silent;
    }

    /// Ends the next image upload with an end-of-data packet after only `bytes` bytes of image.
    pub fn truncate_next_image(&self, bytes: usize) {
        self.shared.lock().truncate_at = Some(bytes);
    }

    /// The instruction codes received so far, in order (unknown ones too).
    pub fn instructions(&self) -> Vec<u8> {
        self.shared.lock().received.clone()
    }

    /// The last ring-light setting received.
    pub fn ring_light(&self) -> Option<AuraLed> {
        self.shared.lock().ring_light
    }

    /// Whether the thread still serves the port.
    pub fn is_running(&self) -> bool {
        self.shared.running.load(Ordering::Acquire)
    }

    /// Stops the thread and closes the device end of the line, as if the module were unplugged.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            // The thread only ends by returning; a panic in it has nothing left to clean up.
            let _ = thread.join();
        }
    }
}

impl Drop for R503Simulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The thread: read command packets, answer them.
fn serve(mut port: impl Read + Write, shared: &Shared) {
    let (address, announce) = {
        let module = shared.lock();
        (module.config.address, module.config.announce_power_on)
    };
    let mut decoder = Decoder::new(address);
    let mut alive = !announce || send(&mut port, &[POWER_ON_BYTE], shared);
    let mut buf = [0u8; 512];
    while alive && !shared.stop.load(Ordering::Acquire) {
        match port.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => decoder.push(&buf[..n]),
            Err(e) if is_retryable(&e) => continue,
            // The host closed its end (EIO, hang-up): the cable is out.
            Err(_) => break,
        }
        while let Some(decoded) = decoder.next_packet() {
            let replies = match decoded {
                Ok(packet) if packet.kind() == PacketKind::Command => shared.lock().answer(packet.payload()),
                // Data packets only follow downloads, which this module does not take.
                Ok(_) => continue,
                // The module reports a command it could not receive.
                Err(PacketError::BadChecksum { .. }) => shared.lock().reply_to_unreadable_command(),
                // Addressed to another module on the bus: not ours to answer.
                Err(_) => continue,
            };
            alive = replies.iter().all(|bytes| send(&mut port, bytes, shared));
            if !alive {
                break;
            }
        }
    }
    shared.running.store(false, Ordering::Release);
}

/// Writes one packet; false when the line is gone or the simulator was told to stop.
fn send(port: &mut impl Write, bytes: &[u8], shared: &Shared) -> bool {
    !shared.stop.load(Ordering::Acquire) && write_all_before(port, bytes, Instant::now() + WRITE_PATIENCE).is_ok()
}

/// The module's state.
struct Module {
    config: SimulatorConfig,
    /// The sensor's view as the 4-bit packed bytes UpImage sends.
    image: Vec<u8>,
    finger: bool,
    image_in_buffer: bool,
    password_verified: bool,
    ring_light: Option<AuraLed>,
    received: Vec<u8>,
    corrupt: Scheduled<u32>,
    garbage: Scheduled<Vec<u8>>,
    silent: bool,
    truncate_at: Option<usize>,
}

impl Module {
    fn new(config: SimulatorConfig, image: Vec<u8>) -> Self {
        Module {
            config,
            image,
            finger: false,
            image_in_buffer: false,
            password_verified: false,
            ring_light: None,
            received: Vec::new(),
            corrupt: Scheduled::default(),
            garbage: Scheduled::default(),
            silent: false,
            truncate_at: None,
        }
    }

    /// The packets (as wire bytes) answering a command payload.
    fn answer(&mut self, payload: &[u8]) -> Vec<Vec<u8>> {
        let Some((&code, parameters)) = payload.split_first() else {
            return self.reply_to_unreadable_command();
        };
        self.received.push(code);
        if self.silent {
            return Vec::new();
        }
        let instruction = Instruction::from_code(code);
        if self.config.password != DEFAULT_PASSWORD
            && !self.password_verified
            && instruction != Some(Instruction::VfyPwd)
        {
            return vec![self.ack(confirmation::PASSWORD_REQUIRED, &[])];
        }
        match instruction {
            Some(Instruction::VfyPwd) => self.verify_password(parameters),
            Some(Instruction::ReadSysPara) => {
                let parameters = self.system_parameters().to_bytes();
                vec![self.ack(confirmation::OK, &parameters)]
            }
            Some(Instruction::GenImg) => {
                // GenImg overwrites the image buffer whether or not a finger is there.
                self.image_in_buffer = self.finger;
                let code = if self.finger { confirmation::OK } else { confirmation::NO_FINGER };
                vec![self.ack(code, &[])]
            }
            Some(Instruction::UpImage) => self.upload_image(),
            Some(Instruction::AuraLedConfig) => match AuraLed::from_parameters(parameters) {
                Some(led) => {
                    self.ring_light = Some(led);
                    vec![self.ack(confirmation::OK, &[])]
                }
                None => vec![self.ack(confirmation::RECEIVE_ERROR, &[])],
            },
            None => vec![self.ack(confirmation::RECEIVE_ERROR, &[])],
        }
    }

    fn reply_to_unreadable_command(&mut self) -> Vec<Vec<u8>> {
        if self.silent { Vec::new() } else { vec![self.ack(confirmation::RECEIVE_ERROR, &[])] }
    }

    fn verify_password(&mut self, parameters: &[u8]) -> Vec<Vec<u8>> {
        let Ok(password) = <[u8; 4]>::try_from(parameters) else {
            return vec![self.ack(confirmation::RECEIVE_ERROR, &[])];
        };
        self.password_verified = u32::from_be_bytes(password) == self.config.password;
        let code = if self.password_verified { confirmation::OK } else { confirmation::WRONG_PASSWORD };
        vec![self.ack(code, &[])]
    }

    fn system_parameters(&self) -> SystemParameters {
        let mut status = 0;
        if self.password_verified {
            status |= STATUS_PASSWORD_VERIFIED;
        }
        if self.image_in_buffer {
            status |= STATUS_IMAGE_IN_BUFFER;
        }
        SystemParameters {
            status,
            system_id: 0x0009,
            library_size: self.config.library_size,
            security_level: self.config.security_level,
            address: self.config.address,
            packet_size: self.config.packet_size,
            baud_rate: self.config.baud_rate,
        }
    }

    /// The acknowledgement, then the image in data packets of the configured size, the last one
    /// marked end-of-data.
    fn upload_image(&mut self) -> Vec<Vec<u8>> {
        if !self.image_in_buffer {
            return vec![self.ack(confirmation::UPLOAD_FAILED, &[])];
        }
        let length = self.truncate_at.take().map_or(IMAGE_BYTES, |at| at.min(IMAGE_BYTES));
        let image = self.image[..length].to_vec();
        let chunks: Vec<&[u8]> =
            if image.is_empty() { vec![&[]] } else { image.chunks(self.config.packet_size.bytes()).collect() };
        let mut packets = vec![self.ack(confirmation::OK, &[])];
        for (index, chunk) in chunks.iter().enumerate() {
            let kind = if index + 1 == chunks.len() { PacketKind::EndData } else { PacketKind::Data };
            packets.push(self.wire(kind, chunk.to_vec()));
        }
        packets
    }

    fn ack(&mut self, code: u8, parameters: &[u8]) -> Vec<u8> {
        let mut payload = Vec::with_capacity(1 + parameters.len());
        payload.push(code);
        payload.extend_from_slice(parameters);
        self.wire(PacketKind::Ack, payload)
    }

    /// A packet as it goes on the wire, with any injected fault.
    fn wire(&mut self, kind: PacketKind, payload: Vec<u8>) -> Vec<u8> {
        let mut bytes = match self.garbage.due() {
            Some(garbage) => std::mem::take(garbage),
            None => Vec::new(),
        };
        // Payloads here are an acknowledgement or one data chunk, never above the packet limit.
        match Packet::new(self.config.address, kind, payload) {
            Ok(packet) => bytes.extend_from_slice(&packet.encode()),
            Err(_) => return bytes,
        }
        if let Some(count) = self.corrupt.due().filter(|count| **count > 0) {
            *count -= 1;
            if let Some(last) = bytes.last_mut() {
                *last ^= 0x5A;
            }
        }
        bytes
    }
}

/// A fault that applies once `skip` more packets have gone out.
#[derive(Debug, Default)]
struct Scheduled<T> {
    skip: u32,
    value: T,
}

impl<T> Scheduled<T> {
    /// Counts one packet going out; the fault's value once no packets are left to skip.
    fn due(&mut self) -> Option<&mut T> {
        if self.skip > 0 {
            self.skip -= 1;
            None
        } else {
            Some(&mut self.value)
        }
    }
}

/// The sensor's 4-bit view of `image`: the top four bits of each pixel, two pixels per byte, high
/// nibble first.
fn pack_image(image: &GrayImage) -> Vec<u8> {
    image.as_raw().chunks(2).map(|pair| (pair[0] & 0xF0) | (pair.get(1).copied().unwrap_or(0) >> 4)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module() -> Module {
        Module::new(SimulatorConfig::default(), vec![0x12; IMAGE_BYTES])
    }

    fn decode(bytes: &[Vec<u8>]) -> Vec<Packet> {
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        bytes.iter().for_each(|b| decoder.push(b));
        std::iter::from_fn(|| decoder.next_packet()).map(|p| p.unwrap()).collect()
    }

    #[test]
    fn pixels_pack_high_nibble_first() {
        let image = GrayImage::from_raw(4, 1, vec![0xAB, 0xCD, 0x0F, 0xF0]).unwrap();
        assert_eq!(pack_image(&image), [0xAC, 0x0F]);
    }

    #[test]
    fn an_upload_streams_full_packets_then_an_end_packet() {
        let mut module = module();
        module.finger = true;
        module.answer(&[Instruction::GenImg.code()]);
        let packets = decode(&module.upload_image());
        assert_eq!(packets.len(), 1 + IMAGE_BYTES / 128);
        assert_eq!(packets[0].payload(), [confirmation::OK]);
        assert!(packets[1..packets.len() - 1].iter().all(|p| p.kind() == PacketKind::Data && p.payload().len() == 128));
        assert_eq!(packets.last().map(Packet::kind), Some(PacketKind::EndData));
    }

    #[test]
    fn commands_wait_for_the_password_when_one_is_set() {
        let mut module = Module::new(SimulatorConfig { password: 42, ..SimulatorConfig::default() }, Vec::new());
        let refused = decode(&module.answer(&[Instruction::GenImg.code()]));
        assert_eq!(refused[0].payload(), [confirmation::PASSWORD_REQUIRED]);
        let verified = decode(&module.answer(&[Instruction::VfyPwd.code(), 0, 0, 0, 42]));
        assert_eq!(verified[0].payload(), [confirmation::OK]);
        let no_finger = decode(&module.answer(&[Instruction::GenImg.code()]));
        assert_eq!(no_finger[0].payload(), [confirmation::NO_FINGER]);
    }

    #[test]
    fn upload_without_an_image_in_the_buffer_fails_like_the_module() {
        let packets = decode(&module().answer(&[Instruction::UpImage.code()]));
        assert_eq!(packets.len(), 1);
        assert_eq!(packets[0].payload(), [confirmation::UPLOAD_FAILED]);
    }
}
