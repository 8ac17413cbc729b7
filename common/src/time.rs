//! Conversions between chrono times and `google.protobuf.Timestamp`.

use chrono::{DateTime, Utc};

/// A UTC time as a protobuf timestamp.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
