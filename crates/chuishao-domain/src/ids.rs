//! Identifier newtypes and the public tracking code.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A case's internal id.
    CaseId
);
id_type!(
    /// An organisation node's id (district, subdistrict, community, grid, department, …).
    OrgId
);
id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A whistle's id.
    WhistleId
);
id_type!(
    /// A patrol's id.
    PatrolId
);

id_type!(
    /// A party organisation registered with its community (双报到).
    PartyOrgId
);
id_type!(
    /// A party member registered with the community where they live (双报到).
    MemberId
);
id_type!(
    /// A community post (岗位) members are assigned to.
    PostId
);
id_type!(
    /// A community activity.
    ActivityId
);
id_type!(
    /// A volunteer's account (separate from staff users).
    VolunteerId
);

/// The alphabet of tracking codes: digits and upper-case letters without the look-alikes
/// 0/O, 1/I/L, so a code read out over the phone or typed from a receipt survives.
pub const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Length of a tracking code: 31^10 ≈ 8·10^14 codes, unguessable at any request rate we allow.
pub const TRACKING_LEN: usize = 10;

/// A case's public tracking code, shown to the reporter and used on the public tracking page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackingCode(String);

impl TrackingCode {
    /// Builds a code from `TRACKING_LEN` random bytes (each taken modulo the alphabet size;
    /// the caller supplies uniformly random indices).
    pub fn from_indices(indices: &[usize; TRACKING_LEN]) -> Self {
        let s = indices.iter().map(|i| TRACKING_ALPHABET[i % TRACKING_ALPHABET.len()] as char).collect();
        TrackingCode(s)
    }

    /// Parses user input: case-insensitive, tolerant of spaces and dashes.
    pub fn parse(input: &str) -> Option<Self> {
        let s: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_uppercase()).collect();
        (s.len() == TRACKING_LEN && s.bytes().all(|b| TRACKING_ALPHABET.contains(&b))).then_some(TrackingCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_round_trip_and_reject_ambiguous_letters() {
        let code = TrackingCode::from_indices(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 30]);
        assert_eq!(code.as_str(), "23456789AZ");
        assert_eq!(TrackingCode::parse("2345-6789 az"), Some(code));
        assert_eq!(TrackingCode::parse("O3456789AZ"), None);
        assert_eq!(TrackingCode::parse("2345678"), None);
    }
}
