//! Connect error codes (`wire.md` §2.3): the 16 code strings, their numbers and the HTTP status
//! a Connect server answers with.
//!
//! Design decision: one table, [`Code::ALL`], drives every conversion, so the string, number and
//! status of a code can never disagree. Shared by writers (classifying a server's answer),
//! receivers (answering with a code) and test fakes.

use std::fmt;

/// A Connect error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// `canceled` (1, HTTP 499).
    Canceled,
    /// `unknown` (2, HTTP 500).
    Unknown,
    /// `invalid_argument` (3, HTTP 400).
    InvalidArgument,
    /// `deadline_exceeded` (4, HTTP 504).
    DeadlineExceeded,
    /// `not_found` (5, HTTP 404).
    NotFound,
    /// `already_exists` (6, HTTP 409).
    AlreadyExists,
    /// `permission_denied` (7, HTTP 403).
    PermissionDenied,
    /// `resource_exhausted` (8, HTTP 429).
    ResourceExhausted,
    /// `failed_precondition` (9, HTTP 400; older Connect versions: 412).
    FailedPrecondition,
    /// `aborted` (10, HTTP 409).
    Aborted,
    /// `out_of_range` (11, HTTP 400).
    OutOfRange,
    /// `unimplemented` (12, HTTP 501; older Connect versions: 404).
    Unimplemented,
    /// `internal` (13, HTTP 500).
    Internal,
    /// `unavailable` (14, HTTP 503).
    Unavailable,
    /// `data_loss` (15, HTTP 500).
    DataLoss,
    /// `unauthenticated` (16, HTTP 401).
    Unauthenticated,
}

impl Code {
    /// Every code with its string, number and HTTP status, in number order.
    pub const ALL: [(Code, &'static str, u32, u16); 16] = [
        (Code::Canceled, "canceled", 1, 499),
        (Code::Unknown, "unknown", 2, 500),
        (Code::InvalidArgument, "invalid_argument", 3, 400),
        (Code::DeadlineExceeded, "deadline_exceeded", 4, 504),
        (Code::NotFound, "not_found", 5, 404),
        (Code::AlreadyExists, "already_exists", 6, 409),
        (Code::PermissionDenied, "permission_denied", 7, 403),
        (Code::ResourceExhausted, "resource_exhausted", 8, 429),
        (Code::FailedPrecondition, "failed_precondition", 9, 400),
        (Code::Aborted, "aborted", 10, 409),
        (Code::OutOfRange, "out_of_range", 11, 400),
        (Code::Unimplemented, "unimplemented", 12, 501),
        (Code::Internal, "internal", 13, 500),
        (Code::Unavailable, "unavailable", 14, 503),
        (Code::DataLoss, "data_loss", 15, 500),
        (Code::Unauthenticated, "unauthenticated", 16, 401),
    ];

    fn row(self) -> (Code, &'static str, u32, u16) {
        // The table is in declaration order, so the discriminant is the index.
        Self::ALL[self as usize]
    }

    /// The code string, e.g. `resource_exhausted`.
    pub fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The code number, e.g. 8.
    pub fn number(self) -> u32 {
        self.row().2
    }

    /// The HTTP status a Connect server answers with, e.g. 429.
    pub fn http_status(self) -> u16 {
        self.row().3
    }

    /// The code of a string; `None` for anything but the 16 exact lower-case strings.
    pub fn from_name(name: &str) -> Option<Code> {
        Self::ALL.iter().find(|row| row.1 == name).map(|row| row.0)
    }

    /// The code of a number (1–16).
    pub fn from_number(number: u32) -> Option<Code> {
        Self::ALL
            .iter()
            .find(|row| row.2 == number)
            .map(|row| row.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips() {
        // wire.md §8 item 4: string ↔ number ↔ HTTP status for all 16 rows
        let expected = [
            ("canceled", 1, 499),
            ("unknown", 2, 500),
            ("invalid_argument", 3, 400),
            ("deadline_exceeded", 4, 504),
            ("not_found", 5, 404),
            ("already_exists", 6, 409),
            ("permission_denied", 7, 403),
            ("resource_exhausted", 8, 429),
            ("failed_precondition", 9, 400),
            ("aborted", 10, 409),
            ("out_of_range", 11, 400),
            ("unimplemented", 12, 501),
            ("internal", 13, 500),
            ("unavailable", 14, 503),
            ("data_loss", 15, 500),
            ("unauthenticated", 16, 401),
        ];
        for (name, number, status) in expected {
            let code = Code::from_name(name);
            assert_eq!(code.map(Code::number), Some(number), "{name}");
            assert_eq!(code.map(Code::http_status), Some(status), "{name}");
            assert_eq!(
                Code::from_number(number).map(Code::as_str),
                Some(name),
                "{number}"
            );
            assert_eq!(code.map(|c| c.to_string()).as_deref(), Some(name));
        }
        for bogus in ["bogus", "", "Unavailable", "ok", "UNKNOWN"] {
            assert_eq!(Code::from_name(bogus), None, "{bogus}");
        }
        assert_eq!(Code::from_number(0), None);
        assert_eq!(Code::from_number(17), None);
    }
}
