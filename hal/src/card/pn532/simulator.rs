//! A simulated PN532 v1.6 with an optional card in its field, on the device end of a serial line
//! (a pty in tests).
//!
//! It reads the same frames a PN532 reads and answers like one: asleep until the HSU wake-up,
//! an ACK for every readable command, a response frame after it, the last response again on a
//! NACK, silence for frames it cannot read. APDUs go to a [`SimCard`]; answers longer than one
//! frame are chained with the MI bit, and so are long commands from the host. Faults are injected
//! through the [`SimulatorHandle`].

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::command::{self, Modulation, response_code};
use super::error::STATUS_MI;
use super::frame::{ACK, Decoder, Frame, FrameError, MAX_EXTENDED_LEN, MAX_NORMAL_LEN, TFI_HOST, TFI_PN532};
use crate::card::CardProtocol;
use crate::card::sim::SimCard;
use crate::serial::is_retryable;

/// Status byte: success.
const STATUS_OK: u8 = 0x00;
/// Status byte: the target did not answer (UM0701-02 §7.1).
const STATUS_TIMEOUT: u8 = 0x01;
/// Status byte: command not acceptable in the current context, e.g. no such target (§7.1).
const STATUS_NOT_ACCEPTABLE: u8 = 0x27;
/// SEL_RES of an ISO/IEC 14443-4 card that is not an NFC-DEP device.
const SEL_RES_ISO_DEP: u8 = 0x20;
/// The one target number the simulator lists.
const TARGET: u8 = 0x01;
/// The most card-response bytes one InDataExchange response carries: the firmware's 264-byte
/// packet-data limit minus response code and status byte (§6.2.1.2).
const MAX_DATA_IN: usize = MAX_EXTENDED_LEN - 3;

/// How the simulated PN532 behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatorOptions {
    /// The most card-response bytes one InDataExchange response frame carries before the rest is
    /// chained with MI. The default 252 keeps every response in a normal frame; up to 262 (the
    /// firmware's limit) the simulator uses extended frames like a PN532 does.
    pub max_data_per_frame: usize,
    /// What GetFirmwareVersion answers: IC, version, revision, supported protocols.
    pub firmware: [u8; 4],
    /// Whether the simulator ignores everything until the HSU wake-up (`0x55`), like a PN532
    /// after power-on.
    pub require_wake_up: bool,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions { max_data_per_frame: 252, firmware: [0x32, 0x01, 0x06, 0x07], require_wake_up: true }
    }
}

/// What the simulator has seen and done, for tests to assert on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimulatorStats {
    /// Times it was woken from sleep.
    pub wake_ups: u32,
    /// Command frames received.
    pub commands: u32,
    /// Cards activated by InListPassiveTarget.
    pub activations: u32,
    /// APDUs handed to the card.
    pub apdus: u32,
    /// InDataExchange frames received with MI set in Tg (a chained command).
    pub chained_commands: u32,
    /// InDataExchange responses sent with MI set in the status (a chained response).
    pub chained_responses: u32,
    /// Response frames sent in the extended format.
    pub extended_frames: u32,
    /// NACKs received.
    pub nacks: u32,
    /// Frames from the host it could not read and ignored.
    pub ignored_frames: u32,
}

/// Faults to show on the next frames.
#[derive(Debug, Default)]
struct Faults {
    corrupt_responses: u32,
    garbage: Vec<u8>,
    silent: bool,
    withhold_responses: bool,
}

/// The simulated PN532: its state and the card in its field. Started with [`Pn532Simulator::spawn`].
pub struct Pn532Simulator {
    options: SimulatorOptions,
    decoder: Decoder,
    awake: bool,
    card: Option<Box<dyn SimCard>>,
    /// The card in the field went through activation (it is in an ISO/IEC 14443-4 session).
    card_active: bool,
    /// The PN532 holds a listed target (until InRelease or the next InListPassiveTarget).
    target_listed: bool,
    chained_command: Vec<u8>,
    chained_response: Vec<u8>,
    last_response: Option<Frame>,
    faults: Faults,
    stats: SimulatorStats,
}

impl Pn532Simulator {
    /// Runs a simulated PN532 with `card` in its field on a thread that serves `port`, with the
    /// default options. Reads on `port` must time out (the pty pair's do) so the thread notices
    /// [`SimulatorHandle::stop`]; it also ends when the other end of the line closes.
    pub fn spawn(port: impl Read + Write + Send + 'static, card: Option<Box<dyn SimCard>>) -> SimulatorHandle {
        Pn532Simulator::spawn_with(port, card, SimulatorOptions::default())
    }

    /// Like [`Pn532Simulator::spawn`], with other options.
    pub fn spawn_with(
        port: impl Read + Write + Send + 'static,
        card: Option<Box<dyn SimCard>>,
        options: SimulatorOptions,
    ) -> SimulatorHandle {
        let shared = Arc::new(Mutex::new(Pn532Simulator::new(card, options)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            std::thread::Builder::new().name("pn532-sim".into()).spawn(move || serve(port, &shared, &stop))
        };
        let thread = thread.map_err(|error| tracing::error!(%error, "cannot start the PN532 simulator")).ok();
        SimulatorHandle { shared, stop, thread }
    }

    fn new(card: Option<Box<dyn SimCard>>, options: SimulatorOptions) -> Self {
        let options =
            SimulatorOptions { max_data_per_frame: options.max_data_per_frame.clamp(1, MAX_DATA_IN), ..options };
        Pn532Simulator {
            options,
            decoder: Decoder::new(),
            awake: !options.require_wake_up,
            card,
            card_active: false,
            target_listed: false,
            chained_command: Vec::new(),
            chained_response: Vec::new(),
            last_response: None,
            faults: Faults::default(),
            stats: SimulatorStats::default(),
        }
    }

    /// Takes bytes from the host and returns the bytes to send back.
    fn receive(&mut self, bytes: &[u8]) -> Vec<u8> {
        if !self.awake {
            if !bytes.contains(&0x55) {
                return Vec::new(); // asleep: the PN532 only notices the wake-up bytes
            }
            self.awake = true;
            self.stats.wake_ups += 1;
        }
        self.decoder.push(bytes);
        let mut out = Vec::new();
        while let Some(frame) = self.decoder.next_frame() {
            self.on_frame(frame, &mut out);
        }
        out
    }

    fn on_frame(&mut self, frame: Result<Frame, FrameError>, out: &mut Vec<u8>) {
        match frame {
            Ok(Frame::Information { tfi: TFI_HOST, data }) => self.on_command(&data, out),
            Ok(Frame::Nack) => {
                self.stats.nacks += 1;
                if let Some(last) = self.last_response.clone() {
                    self.send_response(&last, out);
                }
            }
            // An ACK from the host aborts the command in progress; every command here is done at once.
            Ok(Frame::Ack) => {}
            // A PN532 does not answer frames it cannot read: the host times out and sends again.
            Ok(_) | Err(_) => self.stats.ignored_frames += 1,
        }
    }

    fn on_command(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.stats.commands += 1;
        if self.faults.silent {
            return;
        }
        self.emit(&ACK, out);
        let response = match data.split_first().and_then(|(&code, params)| Some((code, self.execute(code, params)?))) {
            Some((code, mut params)) => {
                params.insert(0, response_code(code));
                Frame::Information { tfi: TFI_PN532, data: params }
            }
            None => Frame::Error,
        };
        if self.faults.withhold_responses {
            return;
        }
        self.send_response(&response, out);
        self.last_response = Some(response);
    }

    /// Runs one command; its response parameters, or `None` for a syntax error (error frame).
    fn execute(&mut self, code: u8, params: &[u8]) -> Option<Vec<u8>> {
        match code {
            command::GET_FIRMWARE_VERSION => Some(self.options.firmware.to_vec()),
            command::SAM_CONFIGURATION => matches!(params.first(), Some(0x01..=0x04)).then(Vec::new),
            command::RF_CONFIGURATION => (!params.is_empty()).then(Vec::new),
            command::DIAGNOSE => self.diagnose(params),
            command::IN_LIST_PASSIVE_TARGET => self.list_passive_target(params),
            command::IN_DATA_EXCHANGE => self.data_exchange(params),
            command::IN_RELEASE => self.release(params),
            _ => None,
        }
    }

    /// Diagnose: only the card presence test (NumTst 6) is simulated.
    fn diagnose(&self, params: &[u8]) -> Option<Vec<u8>> {
        if params != [command::DIAGNOSE_CARD_PRESENCE] {
            return None;
        }
        Some(vec![self.target_status()])
    }

    /// Whether the listed target can be reached: no target, a card gone, or fine.
    fn target_status(&self) -> u8 {
        if !self.target_listed {
            STATUS_NOT_ACCEPTABLE
        } else if self.card.is_none() || !self.card_active {
            STATUS_TIMEOUT
        } else {
            STATUS_OK
        }
    }

    fn list_passive_target(&mut self, params: &[u8]) -> Option<Vec<u8>> {
        // MaxTg is 1 or 2; one card fits in the simulated field either way.
        let [1..=2, baud_type, initiator_data @ ..] = params else {
            return None;
        };
        let modulation = match baud_type {
            0x00 => Modulation::TypeA,
            0x03 if !initiator_data.is_empty() => Modulation::TypeB, // type B needs the AFI
            0x03 => return None,
            _ => return Some(vec![0x00]),
        };
        self.target_listed = false;
        self.chained_command.clear();
        self.chained_response.clear();
        let Some(card) = self.card.as_mut().filter(|card| answers_to(card.protocol(), modulation)) else {
            return Some(vec![0x00]); // NbTg 0: no card answered
        };
        card.reset();
        let mut response = vec![0x01, TARGET];
        response.extend(match modulation {
            Modulation::TypeA => type_a_target_data(card.as_ref()),
            Modulation::TypeB => type_b_target_data(card.as_ref()),
        });
        self.card_active = true;
        self.target_listed = true;
        self.stats.activations += 1;
        Some(response)
    }

    fn data_exchange(&mut self, params: &[u8]) -> Option<Vec<u8>> {
        let (&tg, data) = params.split_first()?;
        if !self.target_listed || tg & 0x3F != TARGET {
            return Some(vec![STATUS_NOT_ACCEPTABLE]);
        }
        if self.target_status() != STATUS_OK {
            self.chained_command.clear();
            self.chained_response.clear();
            return Some(vec![STATUS_TIMEOUT]);
        }
        if tg & command::TG_MI != 0 {
            self.chained_command.extend_from_slice(data);
            self.stats.chained_commands += 1;
            return Some(vec![STATUS_OK]);
        }
        if data.is_empty() && !self.chained_response.is_empty() {
            return Some(self.next_response_piece());
        }
        let mut apdu = std::mem::take(&mut self.chained_command);
        apdu.extend_from_slice(data);
        let card = self.card.as_mut()?;
        self.chained_response = card.process(&apdu);
        self.stats.apdus += 1;
        Some(self.next_response_piece())
    }

    /// The status byte and the next piece of the card's response; MI while more is left.
    fn next_response_piece(&mut self) -> Vec<u8> {
        let count = self.chained_response.len().min(self.options.max_data_per_frame);
        let rest = self.chained_response.split_off(count);
        let piece = std::mem::replace(&mut self.chained_response, rest);
        let status = if self.chained_response.is_empty() {
            STATUS_OK
        } else {
            self.stats.chained_responses += 1;
            STATUS_MI
        };
        let mut response = vec![status];
        response.extend(piece);
        response
    }

    fn release(&mut self, params: &[u8]) -> Option<Vec<u8>> {
        let [tg] = params else {
            return None;
        };
        if *tg != 0 && !(*tg == TARGET && self.target_listed) {
            return Some(vec![STATUS_NOT_ACCEPTABLE]);
        }
        self.target_listed = false;
        self.card_active = false;
        self.chained_command.clear();
        self.chained_response.clear();
        Some(vec![STATUS_OK])
    }

    fn send_response(&mut self, response: &Frame, out: &mut Vec<u8>) {
        let Ok(mut bytes) = response.encode() else {
            return; // cannot happen: responses are kept within the firmware's frame limit
        };
        if matches!(response, Frame::Information { data, .. } if data.len() + 1 > MAX_NORMAL_LEN) {
            self.stats.extended_frames += 1;
        }
        if self.faults.corrupt_responses > 0 {
            self.faults.corrupt_responses -= 1;
            let dcs = bytes.len() - 2;
            bytes[dcs] = bytes[dcs].wrapping_add(1);
        }
        self.emit(&bytes, out);
    }

    /// Queues a frame, after the garbage a test asked for.
    fn emit(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        out.append(&mut self.faults.garbage);
        out.extend_from_slice(bytes);
    }

    fn insert_card(&mut self, card: Box<dyn SimCard>) {
        self.card = Some(card);
        self.card_active = false;
    }

    fn remove_card(&mut self) -> Option<Box<dyn SimCard>> {
        self.card_active = false;
        self.card.take()
    }
}

fn answers_to(protocol: CardProtocol, modulation: Modulation) -> bool {
    matches!(
        (protocol, modulation),
        (CardProtocol::TypeA, Modulation::TypeA) | (CardProtocol::TypeB, Modulation::TypeB)
    )
}

/// SENS_RES, SEL_RES, NFCID1 and ATS as InListPassiveTarget reports them (§7.3.5); the card's
/// ATR is sent as the ATS after its length byte.
fn type_a_target_data(card: &dyn SimCard) -> Vec<u8> {
    let mut uid = card.uid();
    uid.truncate(10);
    // SENS_RES (ATQA) bits 8-7 give the UID size: single, double or triple (ISO/IEC 14443-3 §6.5.2).
    let uid_size = match uid.len() {
        0..=4 => 0x04,
        5..=7 => 0x44,
        _ => 0x84,
    };
    let mut ats = card.atr();
    ats.truncate(253);
    let mut data = vec![0x00, uid_size, SEL_RES_ISO_DEP, len_byte(&uid)];
    data.extend_from_slice(&uid);
    data.push(len_byte(&ats) + 1);
    data.extend_from_slice(&ats);
    data
}

/// ATQB, ATTRIB_RES length and ATTRIB_RES (§7.3.5). A card whose ATR is a whole ATQB gets it
/// sent as is; otherwise one is built from its UID: ISO/IEC 14443-4, 256-byte frames.
fn type_b_target_data(card: &dyn SimCard) -> Vec<u8> {
    let atr = card.atr();
    let mut data = if atr.len() == command::ATQB_LEN && atr[0] == 0x50 {
        atr
    } else {
        let mut pupi = card.uid();
        pupi.resize(4, 0x00);
        let mut atqb = vec![0x50];
        atqb.extend_from_slice(&pupi);
        atqb.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x71]);
        atqb
    };
    data.extend_from_slice(&[0x01, 0x00]);
    data
}

fn len_byte(bytes: &[u8]) -> u8 {
    u8::try_from(bytes.len()).unwrap_or(u8::MAX)
}

/// Controls a running [`Pn532Simulator`]: the card in its field, injected faults, and the thread.
/// Dropping the handle stops the thread and closes the simulator's end of the line.
pub struct SimulatorHandle {
    shared: Arc<Mutex<Pn532Simulator>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimulatorHandle {
    fn simulator(&self) -> MutexGuard<'_, Pn532Simulator> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts a card in the field; the host must activate it (poll) before talking to it.
    pub fn insert_card(&self, card: Box<dyn SimCard>) {
        self.simulator().insert_card(card);
    }

    /// Takes the card out of the field: exchanges with it fail with status 0x01 (timeout) from
    /// now on. Returns the card, so a test can put it back.
    pub fn remove_card(&self) -> Option<Box<dyn SimCard>> {
        self.simulator().remove_card()
    }

    /// Corrupts the data checksum of the next `count` response frames (ACKs are left alone).
    pub fn corrupt_next_responses(&self, count: u32) {
        self.simulator().faults.corrupt_responses = count;
    }

    /// Sends `bytes` before the next frame the simulator sends.
    pub fn send_garbage_before_next_frame(&self, bytes: &[u8]) {
        self.simulator().faults.garbage.extend_from_slice(bytes);
    }

    /// Stops (or resumes) answering at all: no ACK, no response.
    pub fn set_silent(&self, silent: bool) {
        self.simulator().faults.silent = silent;
    }

    /// Acknowledges commands and runs them but sends no response frame (or resumes responding).
    pub fn set_withhold_responses(&self, withhold: bool) {
        self.simulator().faults.withhold_responses = withhold;
    }

    /// What the simulator has seen and done so far.
    pub fn stats(&self) -> SimulatorStats {
        self.simulator().stats
    }

    /// Whether the simulator thread still serves the line.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|thread| !thread.is_finished())
    }

    /// Stops the thread and closes the simulator's end of the line.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the PN532 simulator thread panicked");
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle").field("running", &self.is_running()).finish_non_exhaustive()
    }
}

/// The simulator thread: reads what the host sends, answers, until stopped or the line closes.
fn serve(mut port: impl Read + Write, shared: &Mutex<Pn532Simulator>, stop: &AtomicBool) {
    let mut buffer = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        let count = match port.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) if is_retryable(&error) => continue,
            Err(_) => break,
        };
        let reply = shared.lock().unwrap_or_else(PoisonError::into_inner).receive(&buffer[..count]);
        if !reply.is_empty() && port.write_all(&reply).and_then(|()| port.flush()).is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::pn532::frame::{NACK, encode_information};
    use crate::card::sim::FileCard;

    fn command(data: &[u8]) -> Vec<u8> {
        encode_information(TFI_HOST, data).unwrap()
    }

    fn frames(bytes: &[u8]) -> Vec<Frame> {
        let mut decoder = Decoder::new();
        decoder.push(bytes);
        std::iter::from_fn(|| decoder.next_frame()).map(|frame| frame.unwrap()).collect()
    }

    fn awake_simulator(card: Option<Box<dyn SimCard>>) -> Pn532Simulator {
        Pn532Simulator::new(card, SimulatorOptions { require_wake_up: false, ..SimulatorOptions::default() })
    }

    #[test]
    fn it_sleeps_until_the_hsu_wake_up_then_acks_and_answers() {
        let mut simulator = Pn532Simulator::new(None, SimulatorOptions::default());
        assert!(simulator.receive(&command(&[command::GET_FIRMWARE_VERSION])).is_empty());
        let mut woken = command::HSU_WAKE_UP.to_vec();
        woken.extend(command(&[command::SAM_CONFIGURATION, 0x01]));
        let answer = frames(&simulator.receive(&woken));
        assert_eq!(answer, [Frame::Ack, Frame::Information { tfi: TFI_PN532, data: vec![0x15] }]);
        assert_eq!(simulator.stats.wake_ups, 1);
    }

    #[test]
    fn a_nack_gets_the_last_response_again_and_unknown_commands_an_error_frame() {
        let mut simulator = awake_simulator(None);
        simulator.receive(&command(&[command::GET_FIRMWARE_VERSION]));
        let again = frames(&simulator.receive(&NACK));
        assert_eq!(again, [Frame::Information { tfi: TFI_PN532, data: vec![0x03, 0x32, 0x01, 0x06, 0x07] }]);
        assert_eq!(frames(&simulator.receive(&command(&[0x99]))), [Frame::Ack, Frame::Error]);
    }

    #[test]
    fn a_response_longer_than_the_frame_limit_is_chained_with_mi() {
        let mut simulator = awake_simulator(Some(Box::new(FileCard::sample())));
        simulator.receive(&command(&[command::IN_LIST_PASSIVE_TARGET, 0x01, 0x00]));
        simulator.options.max_data_per_frame = 4;
        let mut select = vec![command::IN_DATA_EXCHANGE, TARGET, 0x00, 0xA4, 0x04, 0x0C, 0x07];
        select.extend_from_slice(&crate::card::sim::EMRTD_AID);
        simulator.receive(&command(&select));
        let select_ef = [command::IN_DATA_EXCHANGE, TARGET, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E];
        simulator.receive(&command(&select_ef));
        let read = frames(&simulator.receive(&command(&[command::IN_DATA_EXCHANGE, TARGET, 0x00, 0xB0, 0, 0, 6])));
        assert_eq!(read[1], Frame::Information { tfi: TFI_PN532, data: vec![0x41, STATUS_MI, 0x60, 0x14, 0x5F, 0x01] });
        let rest = frames(&simulator.receive(&command(&[command::IN_DATA_EXCHANGE, TARGET])));
        assert_eq!(rest[1], Frame::Information { tfi: TFI_PN532, data: vec![0x41, STATUS_OK, 0x04, b'0', 0x90, 0x00] });
    }
}
