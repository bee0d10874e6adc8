//! The dates the statutory holidays hang on that the Gregorian calendar does not give: the
//! lunar New Year (春节), the Dragon Boat Festival (端午, 5th day of the 5th lunar month), the
//! Mid-Autumn Festival (中秋, 15th day of the 8th lunar month) and the Qingming solar term
//! (清明), for every supported year, 2000–2100, as local (Asia/Shanghai) dates.
//!
//! The table was computed for this project and cross-checked three ways: the Hong Kong
//! Observatory's lunar tables (through the `lunardate` Python package), the 寿星天文历
//! algorithm (`sxtwl`) and an independent astronomical computation of Qingming (the Sun at
//! 15° ecliptic longitude, PyEphem). All three agree for every year; the tests also check it
//! against published dates (and the shipped 2025 and 2026 schedules).

use chrono::NaiveDate;

/// The first year the calendar supports.
pub const FIRST_YEAR: i32 = 2000;
/// The last year the calendar supports.
pub const LAST_YEAR: i32 = 2100;

/// Per year from 2000: Spring Festival, Qingming, Dragon Boat, Mid-Autumn, each as month × 100
/// + day.
const TABLE: [[u16; 4]; 101] = [
    [205, 404, 606, 912],  // 2000
    [124, 405, 625, 1001], // 2001
    [212, 405, 615, 921],  // 2002
    [201, 405, 604, 911],  // 2003
    [122, 404, 622, 928],  // 2004
    [209, 405, 611, 918],  // 2005
    [129, 405, 531, 1006], // 2006
    [218, 405, 619, 925],  // 2007
    [207, 404, 608, 914],  // 2008
    [126, 404, 528, 1003], // 2009
    [214, 405, 616, 922],  // 2010
    [203, 405, 606, 912],  // 2011
    [123, 404, 623, 930],  // 2012
    [210, 404, 612, 919],  // 2013
    [131, 405, 602, 908],  // 2014
    [219, 405, 620, 927],  // 2015
    [208, 404, 609, 915],  // 2016
    [128, 404, 530, 1004], // 2017
    [216, 405, 618, 924],  // 2018
    [205, 405, 607, 913],  // 2019
    [125, 404, 625, 1001], // 2020
    [212, 404, 614, 921],  // 2021
    [201, 405, 603, 910],  // 2022
    [122, 405, 622, 929],  // 2023
    [210, 404, 610, 917],  // 2024
    [129, 404, 531, 1006], // 2025
    [217, 405, 619, 925],  // 2026
    [206, 405, 609, 915],  // 2027
    [126, 404, 528, 1003], // 2028
    [213, 404, 616, 922],  // 2029
    [203, 405, 605, 912],  // 2030
    [123, 405, 624, 1001], // 2031
    [211, 404, 612, 919],  // 2032
    [131, 404, 601, 908],  // 2033
    [219, 405, 620, 927],  // 2034
    [208, 405, 610, 916],  // 2035
    [128, 404, 530, 1004], // 2036
    [215, 404, 618, 924],  // 2037
    [204, 405, 607, 913],  // 2038
    [124, 405, 527, 1002], // 2039
    [212, 404, 614, 920],  // 2040
    [201, 404, 603, 910],  // 2041
    [122, 404, 622, 928],  // 2042
    [210, 405, 611, 917],  // 2043
    [130, 404, 531, 1005], // 2044
    [217, 404, 619, 925],  // 2045
    [206, 404, 608, 915],  // 2046
    [126, 405, 529, 1004], // 2047
    [214, 404, 615, 922],  // 2048
    [202, 404, 604, 911],  // 2049
    [123, 404, 623, 930],  // 2050
    [211, 405, 613, 919],  // 2051
    [201, 404, 601, 907],  // 2052
    [219, 404, 620, 926],  // 2053
    [208, 404, 610, 916],  // 2054
    [128, 405, 530, 1005], // 2055
    [215, 404, 617, 924],  // 2056
    [204, 404, 606, 913],  // 2057
    [124, 404, 625, 1002], // 2058
    [212, 405, 614, 921],  // 2059
    [202, 404, 603, 909],  // 2060
    [121, 404, 622, 928],  // 2061
    [209, 404, 611, 917],  // 2062
    [129, 405, 601, 1006], // 2063
    [217, 404, 619, 925],  // 2064
    [205, 404, 608, 915],  // 2065
    [126, 404, 528, 1003], // 2066
    [214, 405, 616, 923],  // 2067
    [203, 404, 604, 911],  // 2068
    [123, 404, 623, 929],  // 2069
    [211, 404, 613, 919],  // 2070
    [131, 405, 602, 908],  // 2071
    [219, 404, 620, 926],  // 2072
    [207, 404, 610, 916],  // 2073
    [127, 404, 530, 1005], // 2074
    [215, 404, 617, 924],  // 2075
    [205, 404, 606, 912],  // 2076
    [124, 404, 624, 1001], // 2077
    [212, 404, 614, 920],  // 2078
    [202, 404, 604, 910],  // 2079
    [122, 404, 622, 928],  // 2080
    [209, 404, 611, 917],  // 2081
    [129, 404, 601, 1006], // 2082
    [217, 404, 619, 926],  // 2083
    [206, 404, 607, 914],  // 2084
    [126, 404, 527, 1003], // 2085
    [214, 404, 615, 922],  // 2086
    [203, 404, 605, 911],  // 2087
    [124, 404, 623, 929],  // 2088
    [210, 404, 613, 918],  // 2089
    [130, 404, 602, 908],  // 2090
    [218, 404, 621, 927],  // 2091
    [207, 404, 609, 916],  // 2092
    [127, 404, 529, 1005], // 2093
    [215, 404, 617, 924],  // 2094
    [205, 404, 606, 913],  // 2095
    [125, 404, 624, 930],  // 2096
    [212, 404, 614, 920],  // 2097
    [201, 404, 604, 909],  // 2098
    [121, 404, 623, 929],  // 2099
    [209, 405, 612, 918],  // 2100
];

/// The festival dates of one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Festivals {
    /// 春节: the first day of the first lunar month.
    pub spring_festival: NaiveDate,
    /// 清明: the day of the Qingming solar term.
    pub qingming: NaiveDate,
    /// 端午: the 5th day of the 5th lunar month.
    pub dragon_boat: NaiveDate,
    /// 中秋: the 15th day of the 8th lunar month.
    pub mid_autumn: NaiveDate,
}

/// The festival dates of `year`, for 2000–2100.
pub fn festivals(year: i32) -> Option<Festivals> {
    let row = TABLE.get(usize::try_from(year.checked_sub(FIRST_YEAR)?).ok()?)?;
    let date = |mmdd: u16| NaiveDate::from_ymd_opt(year, u32::from(mmdd / 100), u32::from(mmdd % 100));
    Some(Festivals {
        spring_festival: date(row[0])?,
        qingming: date(row[1])?,
        dragon_boat: date(row[2])?,
        mid_autumn: date(row[3])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn every_supported_year_has_plausible_dates() {
        for year in FIRST_YEAR..=LAST_YEAR {
            let f = festivals(year).unwrap_or_else(|| unreachable!("{year}"));
            // The lunar New Year falls between 21 January and 20 February.
            assert!(d(&format!("{year}-01-21")) <= f.spring_festival, "{year}");
            assert!(f.spring_festival <= d(&format!("{year}-02-20")), "{year}");
            assert!(matches!((f.qingming.month(), f.qingming.day()), (4, 4..=6)), "{year}");
            // 5/5 and 8/15: 4 and 7 lunar months (of 29–30 days) after New Year, or one more
            // when a leap month comes between.
            let after = |x: NaiveDate| (x - f.spring_festival).num_days();
            assert!((120..=155).contains(&after(f.dragon_boat)), "{year}: {}", after(f.dragon_boat));
            assert!((215..=255).contains(&after(f.mid_autumn)), "{year}: {}", after(f.mid_autumn));
        }
        assert_eq!(festivals(1999), None);
        assert_eq!(festivals(2101), None);
    }

    #[test]
    fn published_dates() {
        let cases = [
            // (year, Spring Festival, Qingming, Dragon Boat, Mid-Autumn) as published.
            (2015, "2015-02-19", "2015-04-05", "2015-06-20", "2015-09-27"),
            (2020, "2020-01-25", "2020-04-04", "2020-06-25", "2020-10-01"),
            (2021, "2021-02-12", "2021-04-04", "2021-06-14", "2021-09-21"),
            (2022, "2022-02-01", "2022-04-05", "2022-06-03", "2022-09-10"),
            (2023, "2023-01-22", "2023-04-05", "2023-06-22", "2023-09-29"),
            (2024, "2024-02-10", "2024-04-04", "2024-06-10", "2024-09-17"),
            (2025, "2025-01-29", "2025-04-04", "2025-05-31", "2025-10-06"),
            (2026, "2026-02-17", "2026-04-05", "2026-06-19", "2026-09-25"),
            (2027, "2027-02-06", "2027-04-05", "2027-06-09", "2027-09-15"),
        ];
        for (year, sf, qm, db, ma) in cases {
            let f = festivals(year).unwrap_or_else(|| unreachable!("{year}"));
            assert_eq!(
                (f.spring_festival, f.qingming, f.dragon_boat, f.mid_autumn),
                (d(sf), d(qm), d(db), d(ma)),
                "{year}"
            );
        }
        let f2028 = festivals(2028).unwrap_or_else(|| unreachable!());
        assert_eq!(f2028.spring_festival, d("2028-01-26"));
        assert_eq!(f2028.mid_autumn, d("2028-10-03"), "Mid-Autumn on the third day of National Day");
    }
}
