//! Assertions on the rich error statuses every service answers with.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Asserts an error's code, its `ErrorInfo` reason and domain, and that it
/// carries a request id; returns the status for further checks.
#[track_caller]
pub fn assert_error<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    reason: &str,
    domain: &str,
) -> Status {
    let status = result.expect_err("expected an error");
    assert_eq!(status.code(), code, "{status:?}");
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.reason, reason, "{status:?}");
    assert_eq!(info.domain, domain, "{status:?}");
    let request = details.request_info().expect("a RequestInfo");
    assert!(!request.request_id.is_empty(), "an empty request id");
    status
}

/// The fields named in a status's `BadRequest`, in order.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}
