//! The host side of the PN532 dialog (UM0701-02 §6.2.2): send a command frame, wait for the ACK,
//! read the response, ask again with a NACK when it arrives damaged, abort with an ACK when it
//! does not arrive.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::command::{self, response_code};
use super::error::Pn532Error;
use super::frame::{self, ACK, Decoder, Frame, FrameError, NACK, TFI_HOST, TFI_PN532};
use crate::serial::is_retryable;

/// How long the link listens for stale bytes before it configures the PN532 afresh.
const STALE_QUIET: Duration = Duration::from_millis(10);

/// Why no frame was read.
#[derive(Debug)]
enum ReceiveError {
    /// The deadline passed.
    Timeout,
    /// A frame arrived damaged.
    Frame(FrameError),
    /// The transport failed.
    Io(io::Error),
}

/// One serial line to a PN532, with the deadlines and retry budget of the dialog.
pub(super) struct Link<T> {
    port: T,
    decoder: Decoder,
    /// How long the PN532 may take to acknowledge a command.
    pub ack_timeout: Duration,
    /// How many times a damaged response is asked for again.
    pub nack_retries: u32,
}

impl<T: Read + Write> Link<T> {
    pub fn new(port: T, ack_timeout: Duration, nack_retries: u32) -> Self {
        Link { port, decoder: Decoder::new(), ack_timeout, nack_retries }
    }

    /// Drops bytes left from an earlier, abandoned exchange.
    pub fn discard_stale_input(&mut self) -> Result<(), Pn532Error> {
        self.decoder.clear();
        crate::serial::drain(&mut self.port, STALE_QUIET)
            .map(|_| ())
            .map_err(|source| Pn532Error::Io { context: "discard stale input", source })
    }

    /// Sends the HSU wake-up sequence; the next command must be SAMConfiguration.
    pub fn wake_up(&mut self) -> Result<(), Pn532Error> {
        self.write(&command::HSU_WAKE_UP, "write wake-up")
    }

    /// Runs one command and returns the parameters of its response (after the response code).
    pub fn call(&mut self, command: u8, params: &[u8], timeout: Duration) -> Result<Vec<u8>, Pn532Error> {
        let mut data = Vec::with_capacity(params.len() + 1);
        data.push(command);
        data.extend_from_slice(params);
        let bytes = frame::encode_information(TFI_HOST, &data)
            .map_err(|_| Pn532Error::CommandTooLong { command, len: params.len() })?;
        self.write(&bytes, "write command")?;
        self.await_ack(command)?;
        self.await_response(command, timeout)
    }

    fn await_ack(&mut self, command: u8) -> Result<(), Pn532Error> {
        let deadline = Instant::now() + self.ack_timeout;
        loop {
            match self.receive(deadline) {
                Ok(Frame::Ack) => return Ok(()),
                Ok(Frame::Error) => return Err(Pn532Error::ErrorFrame { command }),
                Ok(Frame::Nack) => return Err(Pn532Error::ExpectedAck { command, received: "a NACK" }),
                // A late response to an abandoned command: not ours, keep waiting.
                Ok(Frame::Information { .. }) => tracing::debug!(command, "pn532: skipped a stale response"),
                Err(ReceiveError::Timeout) => {
                    return Err(Pn532Error::NoAck { command, waited: self.ack_timeout });
                }
                Err(ReceiveError::Frame(_)) => {
                    return Err(Pn532Error::ExpectedAck { command, received: "a corrupt frame" });
                }
                Err(ReceiveError::Io(source)) => return Err(Pn532Error::Io { context: "read ACK", source }),
            }
        }
    }

    /// Reads the response, asking for it again with a NACK while it arrives damaged (§6.2.1.4).
    fn await_response(&mut self, command: u8, timeout: Duration) -> Result<Vec<u8>, Pn532Error> {
        let mut nacks = 0;
        let mut deadline = Instant::now() + timeout;
        loop {
            match self.receive(deadline) {
                Ok(frame) => {
                    if let Some(params) = accept_response(command, frame)? {
                        return Ok(params);
                    }
                }
                Err(ReceiveError::Frame(error)) if nacks < self.nack_retries => {
                    tracing::debug!(command, %error, "pn532: damaged response, sending NACK");
                    nacks += 1;
                    self.write(&NACK, "write NACK")?;
                    deadline = Instant::now() + timeout;
                }
                Err(ReceiveError::Frame(last)) => return Err(Pn532Error::Corrupt { command, nacks, last }),
                Err(ReceiveError::Timeout) => {
                    self.abort();
                    return Err(Pn532Error::NoResponse { command, waited: timeout });
                }
                Err(ReceiveError::Io(source)) => return Err(Pn532Error::Io { context: "read response", source }),
            }
        }
    }

    /// Tells the PN532 to give up the command in progress (an ACK from the host aborts, §6.2.1.3).
    /// Best effort: the caller reports the timeout that led here, not a failure of this write.
    fn abort(&mut self) {
        if let Err(error) = self.write(&ACK, "write abort") {
            tracing::debug!(%error, "pn532: could not abort the command");
        }
        self.decoder.clear();
    }

    fn write(&mut self, bytes: &[u8], context: &'static str) -> Result<(), Pn532Error> {
        self.port.write_all(bytes).and_then(|()| self.port.flush()).map_err(|source| Pn532Error::Io { context, source })
    }

    /// The next frame before `deadline`. A start code with a broken length is skipped as garbage,
    /// but if nothing valid follows it is reported rather than a plain timeout, so a response whose
    /// length bytes were hit is asked for again.
    fn receive(&mut self, deadline: Instant) -> Result<Frame, ReceiveError> {
        let mut false_start = None;
        loop {
            match self.decoder.next_frame() {
                Some(Ok(frame)) => return Ok(frame),
                Some(Err(error)) if error.is_false_start() => false_start = Some(error),
                Some(Err(error)) => return Err(ReceiveError::Frame(error)),
                None => match self.fill(deadline) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                        return Err(false_start.map_or(ReceiveError::Timeout, ReceiveError::Frame));
                    }
                    Err(error) => return Err(ReceiveError::Io(error)),
                },
            }
        }
    }

    /// Reads what the port has (at least one byte) into the decoder, or times out at `deadline`.
    fn fill(&mut self, deadline: Instant) -> io::Result<()> {
        let mut chunk = [0u8; 300];
        loop {
            if Instant::now() >= deadline {
                return Err(io::ErrorKind::TimedOut.into());
            }
            match self.port.read(&mut chunk) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "serial line closed")),
                Ok(count) => {
                    self.decoder.push(&chunk[..count]);
                    return Ok(());
                }
                Err(error) if is_retryable(&error) => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// The response parameters if `frame` answers `command`; `None` for frames to pass over (a
/// repeated ACK, a stale response to an abandoned command).
fn accept_response(command: u8, frame: Frame) -> Result<Option<Vec<u8>>, Pn532Error> {
    match frame {
        Frame::Information { tfi: TFI_PN532, mut data } if data.first() == Some(&response_code(command)) => {
            data.remove(0);
            Ok(Some(data))
        }
        Frame::Information { tfi: TFI_PN532, data } => {
            tracing::debug!(command, code = data.first().copied(), "pn532: skipped a stale response");
            Ok(None)
        }
        Frame::Information { tfi, data } => {
            Err(Pn532Error::UnexpectedResponse { command, tfi, code: data.first().copied().unwrap_or(0) })
        }
        Frame::Error => Err(Pn532Error::ErrorFrame { command }),
        Frame::Ack | Frame::Nack => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port that plays back scripted bytes and records what the driver writes.
    struct Scripted {
        incoming: Vec<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.incoming.is_empty() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let chunk = self.incoming.remove(0);
            buf[..chunk.len()].copy_from_slice(&chunk);
            Ok(chunk.len())
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn link(incoming: Vec<Vec<u8>>) -> Link<Scripted> {
        Link::new(Scripted { incoming, written: Vec::new() }, Duration::from_millis(30), 1)
    }

    fn response(data: &[u8]) -> Vec<u8> {
        frame::encode_information(TFI_PN532, data).unwrap()
    }

    #[test]
    fn a_command_is_framed_acknowledged_and_answered() {
        let mut link = link(vec![ACK.to_vec(), response(&[0x03, 0x32, 0x01, 0x06, 0x07])]);
        let params = link.call(command::GET_FIRMWARE_VERSION, &[], Duration::from_millis(30)).unwrap();
        assert_eq!(params, [0x32, 0x01, 0x06, 0x07]);
        assert_eq!(link.port.written, [0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00]);
    }

    #[test]
    fn a_damaged_response_is_asked_for_again_with_a_nack() {
        let mut damaged = response(&[0x15]);
        let dcs = damaged.len() - 2;
        damaged[dcs] ^= 0x55;
        let mut link = link(vec![ACK.to_vec(), damaged, response(&[0x15])]);
        assert_eq!(
            link.call(command::SAM_CONFIGURATION, &[0x01], Duration::from_millis(30)).unwrap(),
            Vec::<u8>::new()
        );
        assert!(link.port.written.ends_with(&NACK));
    }

    #[test]
    fn a_missing_response_is_aborted_with_an_ack_and_times_out() {
        let mut link = link(vec![ACK.to_vec()]);
        let error = link.call(command::GET_FIRMWARE_VERSION, &[], Duration::from_millis(30)).unwrap_err();
        assert!(matches!(error, Pn532Error::NoResponse { command: 0x02, .. }), "{error}");
        assert!(link.port.written.ends_with(&ACK));
    }

    #[test]
    fn an_error_frame_and_a_foreign_tfi_are_protocol_errors() {
        let mut link = link(vec![ACK.to_vec(), Frame::Error.encode().unwrap()]);
        let error = link.call(0x99, &[], Duration::from_millis(30)).unwrap_err();
        assert!(matches!(error, Pn532Error::ErrorFrame { command: 0x99 }));
        let mut link = self::link(vec![ACK.to_vec(), frame::encode_information(TFI_HOST, &[0x03]).unwrap()]);
        let error = link.call(command::GET_FIRMWARE_VERSION, &[], Duration::from_millis(30)).unwrap_err();
        assert!(matches!(error, Pn532Error::UnexpectedResponse { tfi: TFI_HOST, .. }));
    }

    #[test]
    fn a_stale_response_is_passed_over() {
        let stale = response(&[0x4B, 0x00]);
        let mut link = link(vec![stale.clone(), ACK.to_vec(), stale, response(&[0x03, 0x32, 0x01, 0x06, 0x07])]);
        assert!(link.call(command::GET_FIRMWARE_VERSION, &[], Duration::from_millis(30)).is_ok());
    }
}
