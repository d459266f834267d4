//! The systemd notification protocol against a real datagram socket standing in for systemd's
//! `NOTIFY_SOCKET`. One test function, because the protocol is configured through the process
//! environment, which parallel tests would share.

use std::io::ErrorKind;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use kiosk::systemd::ServiceManager;

fn receive(socket: &UnixDatagram) -> Option<String> {
    let mut buffer = [0u8; 4096];
    match socket.recv(&mut buffer) {
        Ok(n) => Some(String::from_utf8_lossy(&buffer[..n]).into_owned()),
        Err(error) if error.kind() == ErrorKind::WouldBlock => None,
        Err(error) => panic!("reading the notify socket: {error}"),
    }
}

#[test]
fn ready_status_and_watchdog_reach_the_notify_socket() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notify");
    let systemd = UnixDatagram::bind(&path).expect("bind the fake NOTIFY_SOCKET");
    systemd.set_nonblocking(true).expect("non-blocking socket");

    // Not supervised yet: nothing is sent, there is no watchdog.
    // SAFETY: this is the only test in this binary, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("NOTIFY_SOCKET");
        std::env::set_var("WATCHDOG_USEC", "2000000");
        std::env::set_var("WATCHDOG_PID", std::process::id().to_string());
    }
    let unsupervised = ServiceManager::from_env();
    assert!(!unsupervised.is_supervised());
    assert!(unsupervised.watchdog().is_none());
    unsupervised.ready("starting").expect("no-op outside systemd");
    assert_eq!(receive(&systemd), None);

    unsafe { std::env::set_var("NOTIFY_SOCKET", &path) };
    let manager = ServiceManager::from_env();
    assert!(manager.is_supervised());

    manager.ready("serving\nWATCHDOG=1").expect("READY=1 sent");
    assert_eq!(receive(&systemd).as_deref(), Some("READY=1\nSTATUS=serving WATCHDOG=1\n"));
    manager.status("outbox: 2 waiting").expect("STATUS sent");
    assert_eq!(receive(&systemd).as_deref(), Some("STATUS=outbox: 2 waiting\n"));

    // WatchdogSec=2s: ping at once, then not again before 1 s, then again.
    let mut watchdog = manager.watchdog().expect("WATCHDOG_USEC is set for this pid");
    assert_eq!(watchdog.interval(), Duration::from_secs(1));
    let start = Instant::now();
    assert!(watchdog.tick_at(start).expect("first ping"));
    assert_eq!(receive(&systemd).as_deref(), Some("WATCHDOG=1\n"));
    assert!(!watchdog.tick_at(start + Duration::from_millis(500)).expect("not due"));
    assert_eq!(receive(&systemd), None);
    assert!(watchdog.tick_at(start + Duration::from_secs(1)).expect("second ping"));
    assert_eq!(receive(&systemd).as_deref(), Some("WATCHDOG=1\n"));

    manager.stopping().expect("STOPPING=1 sent");
    assert_eq!(receive(&systemd).as_deref(), Some("STOPPING=1\n"));

    // systemd gone (socket removed): the error says what failed and what to check.
    drop(systemd);
    std::fs::remove_file(&path).expect("remove the socket");
    let error = watchdog.tick_at(start + Duration::from_secs(2)).expect_err("nobody listens");
    let message = error.to_string();
    assert!(message.contains("WATCHDOG=1") && message.contains("NOTIFY_SOCKET"), "{message}");

    // A watchdog meant for another process (inherited environment) is not ours.
    unsafe { std::env::set_var("WATCHDOG_PID", "1") };
    assert!(ServiceManager::from_env().watchdog().is_none());
}
