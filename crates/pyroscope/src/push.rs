//! Encoding of push requests (pyroscope-write §8.1, `wire.md` §1.3).
//!
//! Design decision: a one-series `PushRequest` is encoded once into a [`Bytes`] *series frame*
//! (tag `0x0A`, varint length, series bytes). Because `series` is the only field of
//! `PushRequest`, the concatenation of frames is itself a valid request, so endpoints and batches
//! share frames instead of re-encoding.

use bytes::{Bytes, BytesMut};
use prost::Message;

use crate::generated::push::v1::{PushRequest, RawProfileSeries, RawSample as WireSample};
use crate::generated::types::v1::LabelPair;
use crate::receiver::RawSample;

/// Encode `PushRequest { series: [ { labels, samples } ] }` (no annotations) into one frame.
/// The profile bytes are shared with `samples` until they are copied into the frame.
pub fn encode_series(labels: Vec<LabelPair>, samples: &[RawSample]) -> Bytes {
    let request = PushRequest {
        series: vec![RawProfileSeries {
            labels,
            samples: samples
                .iter()
                .map(|s| WireSample {
                    raw_profile: s.raw_profile.clone(),
                    id: s.id.clone(),
                })
                .collect(),
            annotations: Vec::new(),
        }],
    };
    Bytes::from(request.encode_to_vec())
}

/// The body of a request carrying several frames: their concatenation (one allocation).
pub fn concat_frames<'a>(frames: impl IntoIterator<Item = &'a Bytes>) -> Bytes {
    let frames: Vec<&Bytes> = frames.into_iter().collect();
    if let [only] = frames.as_slice() {
        return Bytes::clone(only);
    }
    let mut body = BytesMut::with_capacity(frames.iter().map(|f| f.len()).sum());
    for frame in frames {
        body.extend_from_slice(frame);
    }
    body.freeze()
}
