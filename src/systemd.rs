//! The kiosk as a systemd service: readiness, status line and watchdog (`sd_notify(3)` protocol,
//! through the `sd-notify` crate).
//!
//! `intake-kiosk.service` runs the kiosk with `Type=notify`, `NotifyAccess=main` and `WatchdogSec=`:
//! systemd waits for `READY=1` before it counts the kiosk as started, shows the last `STATUS=` line in
//! `systemctl status`, and kills and restarts the kiosk when no `WATCHDOG=1` arrives within
//! `WatchdogSec`. The watchdog must prove that the *event loop* still turns, so [`Watchdog::tick`] is
//! meant to be called from the loop itself (once per iteration or from a loop timer), never from a
//! helper thread: a wedged loop then stops pinging and systemd restarts the kiosk.
//!
//! Outside systemd (a developer's terminal, tests) nothing is sent and nothing fails.
//!
//! Wiring: `kiosk run` (the Slint UI, a later issue) is to call [`ServiceManager::from_env`] at start,
//! [`ServiceManager::ready`] once the first screen is shown, and `tick()` from its event loop.

use std::time::{Duration, Instant};

use sd_notify::NotifyState;

/// Sending a notification to the service manager failed.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not send {what} to systemd through $NOTIFY_SOCKET: {source}; check that the unit has \
     NotifyAccess=main and that the kiosk runs as the unit's main process"
)]
pub struct NotifyError {
    /// What was being sent (`READY=1`, `STATUS`, `WATCHDOG=1`, `STOPPING=1`).
    what: &'static str,
    /// The socket error.
    #[source]
    source: std::io::Error,
}

/// The service manager that started the kiosk, as told by its environment (read once at start).
#[derive(Debug)]
pub struct ServiceManager {
    /// `NOTIFY_SOCKET` was set: the kiosk runs as a `Type=notify` service.
    notify: bool,
    /// `WATCHDOG_USEC` (for this process): how long systemd waits for a ping.
    watchdog_timeout: Option<Duration>,
}

impl ServiceManager {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the environment systemd set up.
    /// A `WATCHDOG_PID` naming another process means the watchdog is not ours (a child inherited
    /// the environment) and is ignored.
    pub fn from_env() -> Self {
        Self { notify: std::env::var_os("NOTIFY_SOCKET").is_some(), watchdog_timeout: sd_notify::watchdog_enabled() }
    }

    /// Whether a service manager listens for notifications.
    pub fn is_supervised(&self) -> bool {
        self.notify
    }

    /// The watchdog the unit asked for (`WatchdogSec=`), if any. Hand it to the event loop.
    pub fn watchdog(&self) -> Option<Watchdog> {
        if !self.notify {
            return None;
        }
        self.watchdog_timeout.and_then(Watchdog::for_timeout)
    }

    /// Tells systemd the kiosk has started (`READY=1`) with a status line.
    pub fn ready(&self, status: &str) -> Result<(), NotifyError> {
        self.send("READY=1", &[NotifyState::Ready, NotifyState::Status(&one_line(status))])
    }

    /// Sets the status line shown by `systemctl status` (e.g. "serving", "outbox: 3 waiting").
    /// It goes to the journal and the technician's screen: never put personal data in it.
    pub fn status(&self, status: &str) -> Result<(), NotifyError> {
        self.send("STATUS", &[NotifyState::Status(&one_line(status))])
    }

    /// Tells systemd the kiosk is shutting down on purpose (`STOPPING=1`).
    pub fn stopping(&self) -> Result<(), NotifyError> {
        self.send("STOPPING=1", &[NotifyState::Stopping])
    }

    fn send(&self, what: &'static str, states: &[NotifyState<'_>]) -> Result<(), NotifyError> {
        if !self.notify {
            return Ok(());
        }
        sd_notify::notify(states).map_err(|source| NotifyError { what, source })
    }
}

/// Pings systemd's watchdog at half the watchdog timeout, the interval `sd_watchdog_enabled(3)`
/// recommends, so one late loop iteration does not cost a restart.
#[derive(Debug)]
pub struct Watchdog {
    interval: Duration,
    last_ping: Option<Instant>,
}

impl Watchdog {
    /// A watchdog for systemd's timeout (`WatchdogSec`); `None` for a zero timeout (watchdog off).
    pub fn for_timeout(timeout: Duration) -> Option<Self> {
        if timeout.is_zero() {
            return None;
        }
        Some(Self { interval: timeout / 2, last_ping: None })
    }

    /// How often the watchdog is pinged.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Call from every turn of the event loop: pings systemd (`WATCHDOG=1`) when the last ping is
    /// half a timeout old, else does nothing (cheap). Returns whether it pinged.
    pub fn tick(&mut self) -> Result<bool, NotifyError> {
        self.tick_at(Instant::now())
    }

    /// [`Watchdog::tick`] at a given instant (the loop's clock, or a test's).
    pub fn tick_at(&mut self, now: Instant) -> Result<bool, NotifyError> {
        if !self.is_due(now) {
            return Ok(false);
        }
        sd_notify::notify(&[NotifyState::Watchdog]).map_err(|source| NotifyError { what: "WATCHDOG=1", source })?;
        self.last_ping = Some(now);
        Ok(true)
    }

    /// Whether a ping is due at `now` (the first tick always pings).
    pub fn is_due(&self, now: Instant) -> bool {
        match self.last_ping {
            None => true,
            Some(last) => now.saturating_duration_since(last) >= self.interval,
        }
    }
}

/// The protocol is one `KEY=value` per line: a newline inside a status would start a new
/// assignment (a status could otherwise smuggle `READY=1` or `WATCHDOG=1`).
fn one_line(status: &str) -> String {
    status.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_at_half_the_timeout() {
        let watchdog = Watchdog::for_timeout(Duration::from_secs(30)).expect("watchdog on");
        assert_eq!(watchdog.interval(), Duration::from_secs(15));
    }

    #[test]
    fn zero_timeout_is_no_watchdog() {
        assert!(Watchdog::for_timeout(Duration::ZERO).is_none());
    }

    #[test]
    fn first_tick_is_due_then_not_until_the_interval() {
        let mut watchdog = Watchdog::for_timeout(Duration::from_secs(10)).expect("watchdog on");
        let start = Instant::now();
        assert!(watchdog.is_due(start));
        watchdog.last_ping = Some(start);
        assert!(!watchdog.is_due(start + Duration::from_millis(4_999)));
        assert!(watchdog.is_due(start + Duration::from_secs(5)));
        // An instant before the last ping (clocks read in another order) never panics or pings.
        watchdog.last_ping = Some(start + Duration::from_secs(1));
        assert!(!watchdog.is_due(start));
    }

    #[test]
    fn status_stays_on_one_line() {
        assert_eq!(one_line("outbox\nREADY=1\r"), "outbox READY=1 ");
    }

    #[test]
    fn unsupervised_manager_sends_nothing_and_has_no_watchdog() {
        let manager = ServiceManager { notify: false, watchdog_timeout: Some(Duration::from_secs(20)) };
        assert!(!manager.is_supervised());
        assert!(manager.watchdog().is_none());
        assert!(manager.ready("serving").is_ok());
        assert!(manager.status("serving").is_ok());
    }

    #[test]
    fn supervised_manager_hands_out_its_watchdog() {
        let manager = ServiceManager { notify: true, watchdog_timeout: Some(Duration::from_secs(20)) };
        let watchdog = manager.watchdog().expect("watchdog configured");
        assert_eq!(watchdog.interval(), Duration::from_secs(10));
    }
}
