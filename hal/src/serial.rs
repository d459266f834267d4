//! Byte-stream helpers shared by the serial drivers (PN532, R503, ESC/POS).
//!
//! Drivers are generic over any `Read + Write` transport, so the same code runs on a real serial port
//! and on a pseudo-terminal pair in tests. A transport is expected to time out individual reads
//! (serial ports do, with their configured timeout); these helpers turn that into one deadline per
//! protocol exchange.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// Reads exactly `buf.len()` bytes, retrying short and timed-out reads until `deadline`.
///
/// Returns `TimedOut` once the deadline has passed and `UnexpectedEof` if the transport closed.
pub fn read_exact_before(port: &mut impl Read, buf: &mut [u8], deadline: Instant) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match port.read(&mut buf[filled..]) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "transport closed")),
            Ok(n) => filled += n,
            Err(e) if is_retryable(&e) => {
                if Instant::now() >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no answer in time ({filled} of {} bytes received)", buf.len()),
                    ));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads one byte before `deadline`.
pub fn read_byte_before(port: &mut impl Read, deadline: Instant) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    read_exact_before(port, &mut byte, deadline)?;
    Ok(byte[0])
}

/// Reads and throws away whatever arrives within `quiet` (stale bytes from an earlier exchange).
pub fn drain(port: &mut impl Read, quiet: Duration) -> io::Result<usize> {
    let deadline = Instant::now() + quiet;
    let mut buf = [0u8; 256];
    let mut dropped = 0;
    while Instant::now() < deadline {
        match port.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => dropped += n,
            Err(e) if is_retryable(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(dropped)
}

/// Whether an I/O error only means "nothing yet" (a read or write timed out, would block or was
/// interrupted), so the exchange may go on until its deadline.
pub fn is_retryable(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

/// Writes all of `bytes`, retrying writes a full transmit buffer timed out, until `deadline`, then
/// flushes.
pub fn write_all_before(port: &mut impl Write, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        match port.write(bytes) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "transport accepted no bytes")),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if is_retryable(&e) => {
                if Instant::now() >= deadline {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "transmit buffer stayed full"));
                }
            }
            Err(e) => return Err(e),
        }
    }
    port.flush()
}

/// Opens a real serial port, 8N1, no flow control, with a short per-read timeout (the drivers keep
/// their own deadlines).
#[cfg(feature = "serial")]
pub fn open(path: &str, baud_rate: u32) -> crate::Result<Box<dyn serialport::SerialPort>> {
    if !std::path::Path::new(path).exists() {
        return Err(crate::DeviceError::new(crate::ErrorKind::NotPresent, format!("{path} does not exist")));
    }
    serialport::new(path, baud_rate)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(Duration::from_millis(20))
        .open()
        .map_err(|e| {
            let kind = match e.kind() {
                serialport::ErrorKind::NoDevice | serialport::ErrorKind::Io(io::ErrorKind::NotFound) => {
                    crate::ErrorKind::NotPresent
                }
                _ => crate::ErrorKind::Other,
            };
            crate::DeviceError::new(kind, format!("cannot open {path}: {e}")).with_source(e)
        })
}

/// A connected pseudo-terminal pair for driver tests: `(driver side, device side)`, both with a short
/// read timeout.
#[cfg(all(feature = "serial", unix))]
pub fn pty_pair() -> io::Result<(serialport::TTYPort, serialport::TTYPort)> {
    use serialport::SerialPort;
    let (mut host, mut device) = serialport::TTYPort::pair().map_err(io::Error::other)?;
    host.set_timeout(Duration::from_millis(20)).map_err(io::Error::other)?;
    device.set_timeout(Duration::from_millis(20)).map_err(io::Error::other)?;
    Ok((host, device))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transport that hands out its bytes in small pieces and times out in between.
    struct Trickle {
        chunks: Vec<Vec<u8>>,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.chunks.pop() {
                Some(chunk) if chunk.is_empty() => Err(io::ErrorKind::TimedOut.into()),
                Some(chunk) => {
                    buf[..chunk.len()].copy_from_slice(&chunk);
                    Ok(chunk.len())
                }
                None => Err(io::ErrorKind::TimedOut.into()),
            }
        }
    }

    #[test]
    fn short_and_timed_out_reads_are_joined_before_the_deadline() {
        let mut port = Trickle { chunks: vec![vec![3, 4], vec![], vec![1, 2]] };
        let mut buf = [0u8; 4];
        read_exact_before(&mut port, &mut buf, Instant::now() + Duration::from_secs(1)).unwrap();
        assert_eq!(buf, [1, 2, 3, 4]);
    }

    #[test]
    fn silence_past_the_deadline_is_a_timeout_that_says_how_much_came() {
        let mut port = Trickle { chunks: vec![vec![9]] };
        let mut buf = [0u8; 3];
        let err = read_exact_before(&mut port, &mut buf, Instant::now() + Duration::from_millis(30)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("1 of 3"), "{err}");
    }

    #[test]
    fn a_closed_transport_is_end_of_file() {
        let mut port: &[u8] = &[];
        let err = read_byte_before(&mut port, Instant::now() + Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
