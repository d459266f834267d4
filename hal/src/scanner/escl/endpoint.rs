//! Where the eSCL service lives: the configured root URL, the resources under it, and the job URL
//! a scanner hands back in `Location`.

use ureq::http::Uri;

use crate::{DeviceError, ErrorKind, Result};

/// An eSCL root such as `http://192.0.2.10:80/eSCL`, split into origin and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Endpoint {
    /// `http://host[:port]`.
    origin: String,
    /// The root path without a trailing slash (`/eSCL`, or empty for a root at `/`).
    root: String,
}

impl Endpoint {
    /// Validates a configured root URL. Only plain HTTP is built in.
    pub(super) fn parse(url: &str) -> Result<Self> {
        let invalid = |why: &str| DeviceError::new(ErrorKind::Unsupported, format!("invalid eSCL URL {url:?}: {why}"));
        let uri: Uri = url.trim().parse().map_err(|_| invalid("not a URL"))?;
        match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => {}
            Some(scheme) if scheme.eq_ignore_ascii_case("https") => {
                return Err(DeviceError::new(
                    ErrorKind::Unsupported,
                    format!(
                        "eSCL over https ({url}) is not supported: this build has no TLS, use the scanner's http:// URL"
                    ),
                ));
            }
            Some(_) => return Err(invalid("only http:// is supported")),
            None => return Err(invalid("expected http://host[:port]/path")),
        }
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.host().is_empty() {
            return Err(invalid("no host"));
        }
        if authority.as_str().contains('@') {
            return Err(invalid("credentials in the URL are not supported"));
        }
        if uri.query().is_some() {
            return Err(invalid("the eSCL root takes no query"));
        }
        Ok(Endpoint {
            origin: format!("http://{}", authority.as_str()),
            root: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The root URL as configured, normalised (`http://host:port/eSCL`).
    pub(super) fn base(&self) -> String {
        format!("{}{}", self.origin, self.root)
    }

    /// A resource under the root (`ScannerCapabilities`, `ScanJobs`, ...).
    pub(super) fn resource(&self, name: &str) -> String {
        format!("{}{}/{name}", self.origin, self.root)
    }

    /// The job URL from the `Location` of a `201 Created`.
    ///
    /// Only the path of an absolute `Location` is kept, and it is joined to the origin the job was
    /// posted to: scanners announce host names (`NPI1234.local`) or addresses the kiosk may not
    /// resolve or reach, while the job always lives on the server that created it. A relative
    /// reference resolves against the root directory (RFC 3986 section 5.2), so `ScanJobs/7` and
    /// `/eSCL/ScanJobs/7` name the same job under `/eSCL`.
    pub(super) fn job_url(&self, location: &str) -> Result<String> {
        let location = location.trim();
        let bad = |why: &str| {
            let shown: String = location.chars().take(80).collect();
            DeviceError::new(ErrorKind::Protocol, format!("scan job Location {shown:?} is unusable: {why}"))
        };
        if location.is_empty() {
            return Err(bad("empty"));
        }
        if location.chars().any(|c| c.is_whitespace() || c.is_control() || c == '#') {
            return Err(bad("not a URL path"));
        }
        let path = if let Some(after_scheme) = strip_scheme(location) {
            // Absolute (or network-path) reference: keep its path and query only.
            let uri: Uri = format!("http:{after_scheme}").parse().map_err(|_| bad("not a URL"))?;
            uri.path_and_query().map_or("/", |p| p.as_str()).to_owned()
        } else if location.starts_with('/') {
            location.to_owned()
        } else {
            format!("{}/{location}", self.root)
        };
        let path = path.trim_end_matches('/');
        if path.is_empty() {
            return Err(bad("names the server root, not a job"));
        }
        let url = format!("{}{path}", self.origin);
        url.parse::<Uri>().map_err(|_| bad("not a URL"))?;
        Ok(url)
    }
}

/// `http://x` and `https://x` become `//x`; `//x` stays; anything else is not absolute.
fn strip_scheme(location: &str) -> Option<&str> {
    if location.starts_with("//") {
        return Some(location);
    }
    let colon = location.find(':')?;
    let scheme = &location[..colon];
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        .then(|| &location[colon + 1..])
        .filter(|rest| rest.starts_with("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_urls_are_normalised() {
        let endpoint = Endpoint::parse("http://192.0.2.10:80/eSCL/").unwrap();
        assert_eq!(endpoint.base(), "http://192.0.2.10:80/eSCL");
        assert_eq!(endpoint.resource("ScanJobs"), "http://192.0.2.10:80/eSCL/ScanJobs");
        let bare = Endpoint::parse("HTTP://[::1]:8080").unwrap();
        assert_eq!(bare.resource("ScannerStatus"), "http://[::1]:8080/ScannerStatus");
    }

    #[test]
    fn https_is_refused_with_a_tls_message_and_junk_is_refused() {
        let https = Endpoint::parse("https://192.0.2.10/eSCL").unwrap_err();
        assert_eq!(https.kind(), ErrorKind::Unsupported);
        assert!(https.message().contains("TLS"), "{}", https.message());
        for junk in ["", "192.0.2.10/eSCL", "ftp://192.0.2.10/eSCL", "http:///eSCL", "http://u:p@192.0.2.10/eSCL"] {
            let error = Endpoint::parse(junk).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Unsupported, "{junk:?}");
        }
    }

    #[test]
    fn job_locations_resolve_on_the_origin_the_job_was_posted_to() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080/eSCL").unwrap();
        let expected = "http://127.0.0.1:8080/eSCL/ScanJobs/7";
        assert_eq!(endpoint.job_url("/eSCL/ScanJobs/7").unwrap(), expected);
        assert_eq!(endpoint.job_url("ScanJobs/7/").unwrap(), expected);
        assert_eq!(endpoint.job_url("http://NPI1234.local/eSCL/ScanJobs/7").unwrap(), expected);
        assert_eq!(endpoint.job_url("HTTPS://10.9.9.9:443/eSCL/ScanJobs/7").unwrap(), expected);
        assert_eq!(endpoint.job_url("//other/eSCL/ScanJobs/7").unwrap(), expected);
    }

    #[test]
    fn unusable_locations_are_protocol_errors() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080/eSCL").unwrap();
        for location in ["", "/", "http://host", "/eSCL/Scan Jobs/7", "/eSCL/ScanJobs/7#x", "/a\u{0}b"] {
            let error = endpoint.job_url(location).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Protocol, "{location:?}");
        }
    }
}
