//! The demo district's community mobilisation: in 樱花园社区 and 青年湖社区, registered party
//! organisations and members with skills (one of each still pending), posts with holders,
//! volunteers' accounts (the members' and residents'), three past activities with attendance,
//! confirmed hours and a no-show, and two upcoming ones with sign-ups. Made through the real
//! use cases, each step at its own instant of the past.

use super::Community;
use super::{
    ActivityInput, ActivityTransitionInput, AssignInput, DecisionInput, MemberInput, PartyOrgInput, PostInput,
    ScanInput, VolunteerRegistration,
};
use crate::Result;
use crate::admin::accounts::DEMO_PASSWORD;
use crate::demo::DISTRICT_CODE;
use crate::time::rfc3339;
use chuishao_domain::community::{Activity, Volunteer};
use chuishao_domain::record::StreamKind;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 樱花园社区 and 青年湖社区 (Heping).
const COMMUNITIES: [&str; 2] = ["110199001001", "110199001002"];
const LAT: f64 = 39.974;
const LON: f64 = 116.396;

/// (community index, unit, organisation, contact, phone, services a year, confirmed)
const ORGS: &[(usize, &str, &str, &str, &str, u32, bool)] = &[
    (0, "区人民医院", "区人民医院党委", "赵敏", "13700000001", 12, true),
    (0, "区实验小学", "区实验小学党支部", "孙丽", "13700000002", 8, true),
    (1, "区司法局", "区司法局机关党支部", "周强", "13700000003", 6, true),
    (1, "区供电公司", "区供电公司党总支", "吴刚", "13700000004", 4, false),
];

/// A demo member: (community index, name, phone, organisation index, skills, services a year,
/// confirmed).
type DemoMember = (usize, &'static str, &'static str, usize, &'static [&'static str], u32, bool);
/// A demo activity: (community index, kind, title, address, days from now, hours long,
/// capacity, skills).
type DemoActivity = (usize, &'static str, &'static str, &'static str, i64, i64, u32, &'static [&'static str]);

const MEMBERS: &[DemoMember] = &[
    (0, "李医生", "13800000101", 0, &["medical", "elderly_care"], 6, true),
    (0, "王护士", "13800000102", 0, &["medical"], 4, true),
    (0, "张老师", "13800000103", 1, &["education", "culture"], 4, true),
    (0, "刘律师", "13800000104", 2, &["legal", "mediation"], 4, true),
    (1, "陈调解", "13800000105", 2, &["mediation"], 4, true),
    (1, "杨师傅", "13800000106", 3, &["trades", "technology"], 3, true),
    (0, "黄会计", "13800000107", 1, &["other"], 2, false),
];

/// Residents who volunteer without being members: (community index, name, phone).
const RESIDENTS: &[(usize, &str, &str)] =
    &[(0, "居民赵大妈", "13900000201"), (0, "居民钱大爷", "13900000202"), (1, "居民孙同学", "13900000203")];

const ACTIVITIES: &[DemoActivity] = &[
    (0, "cleanup", "周末环境大扫除", "樱花园小区东门", -21, 2, 20, &[]),
    (0, "health", "社区义诊", "樱花园社区服务站", -14, 3, 10, &["medical"]),
    (1, "mediation", "法律咨询与调解日", "青年湖社区议事厅", -7, 2, 8, &["legal", "mediation"]),
    (0, "cleanup", "楼道杂物清理", "樱花园3号楼", 3, 2, 15, &[]),
    (1, "education", "青少年科普课堂", "青年湖社区活动室", 6, 2, 30, &["education"]),
];

impl Community<'_> {
    /// Seeds the demo's community mobilisation unless it has any. Answers how many records.
    pub(crate) async fn seed_demo_community(&self) -> Result<usize> {
        let Some(district) = self.app.admin().org_by_code(DISTRICT_CODE).await? else { return Ok(0) };
        let c = *self;
        let paths = [district.path.as_str()];
        if !self.store.community_records(StreamKind::PartyOrg.as_str(), &paths, None, true, 1).await?.is_empty() {
            return Ok(0);
        }
        let worker = self.app.admin().actor_for("community_worker").await?;
        // The second community's worker acts as the subdistrict leader (who manages both).
        let leader = self.app.admin().actor_for("subdistrict_leader").await?;
        let now = self.app.now_ms();
        let t0 = now - 30 * DAY;
        // The community decides a day after the registrations.
        let app1 = self.app.whistles().at(t0 + DAY);
        let c0 = app1.community();
        let mut created = 0;
        let confirm = |version: i64| DecisionInput { action: "confirm".into(), version, reason: None };

        let mut orgs = Vec::new();
        for (i, (ci, unit, org, contact, phone, per_year, ok)) in ORGS.iter().enumerate() {
            let who = if *ci == 0 { &worker } else { &leader };
            let input = PartyOrgInput {
                community_code: COMMUNITIES[*ci].into(),
                unit_name: (*unit).into(),
                org_name: (*org).into(),
                contact_name: (*contact).into(),
                contact_phone: (*phone).into(),
                commitment_per_year: *per_year,
            };
            let o = self.app.whistles().at(t0 + i as i64 * MIN).community().register_party_org(who, &input).await?;
            if *ok {
                c0.decide_party_org(who, o.id, &confirm(o.version)).await?;
            }
            orgs.push(o.id);
            created += 1;
        }

        let mut members = Vec::new();
        for (i, (ci, name, phone, org, skills, per_year, ok)) in MEMBERS.iter().enumerate() {
            let who = if *ci == 0 { &worker } else { &leader };
            let input = MemberInput {
                community_code: COMMUNITIES[*ci].into(),
                name: (*name).into(),
                phone: (*phone).into(),
                unit_name: ORGS[*org].1.into(),
                party_org_id: Some(orgs[*org]),
                skills: skills.iter().map(|s| (*s).to_string()).collect(),
                availability: "周末及工作日晚间".into(),
                commitment_per_year: *per_year,
            };
            let m = self.app.whistles().at(t0 + HOUR + i as i64 * MIN).community().register_member(who, &input).await?;
            if *ok {
                c0.decide_member(who, m.id, &confirm(m.version)).await?;
            }
            members.push((m.id, *ci, *ok));
            created += 1;
        }

        for (ci, name, skill, seats, holders) in [
            (0usize, "调解员", Some("mediation"), 2u32, vec![3usize]),
            (0, "楼门长", None, 6, vec![0, 2]),
            (1, "志愿服务岗", None, 10, vec![4, 5]),
        ] {
            let who = if ci == 0 { &worker } else { &leader };
            let input = PostInput {
                community_code: COMMUNITIES[ci].into(),
                name: name.into(),
                skill: skill.map(String::from),
                seats,
                description: String::new(),
            };
            let mut p = c0.create_post(who, &input).await?;
            for m in holders {
                let a = AssignInput { action: "assign".into(), member_id: members[m].0, version: p.version };
                p = c0.assign(who, p.id, &a).await?;
            }
            created += 1;
        }

        // Volunteers: every confirmed member (linked by phone) and a few residents.
        let mut volunteers: Vec<(Volunteer, usize)> = Vec::new();
        let people = MEMBERS
            .iter()
            .filter(|m| m.6)
            .map(|m| (m.0, m.1, m.2))
            .chain(RESIDENTS.iter().copied())
            .collect::<Vec<_>>();
        for (i, (ci, name, phone)) in people.iter().enumerate() {
            let input = VolunteerRegistration {
                community_code: COMMUNITIES[*ci].into(),
                name: (*name).into(),
                phone: (*phone).into(),
                password: DEMO_PASSWORD.into(),
            };
            let app = self.app.whistles().at(t0 + 2 * HOUR + i as i64 * MIN);
            let v = app.community().register_volunteer(&input).await?;
            let who = if *ci == 0 { &worker } else { &leader };
            c0.decide_volunteer(who, v.id, &confirm(v.version)).await?;
            let v: Volunteer = c.any(v.id).await?.ok_or_else(|| crate::AppError::Internal("volunteer".into()))?;
            volunteers.push((v, *ci));
            created += 1;
        }

        for (i, (ci, kind, title, address, days, hours, capacity, skills)) in ACTIVITIES.iter().enumerate() {
            let who = if *ci == 0 { &worker } else { &leader };
            let start = (now + days * DAY).div_euclid(HOUR) * HOUR + (i as i64 % 3) * HOUR;
            let published_at = if *days < 0 { start - 5 * DAY } else { now - DAY };
            let input = ActivityInput {
                community_code: COMMUNITIES[*ci].into(),
                kind: (*kind).into(),
                title: (*title).into(),
                description: String::new(),
                address: (*address).into(),
                lat: LAT,
                lon: LON,
                starts_at: rfc3339(start),
                ends_at: rfc3339(start + hours * HOUR),
                capacity: *capacity,
                skills: skills.iter().map(|s| (*s).to_string()).collect(),
            };
            let a = self.app.whistles().at(published_at).community().publish_activity(who, &input).await?;
            created += 1;
            let here: Vec<&Volunteer> = volunteers.iter().filter(|(_, c)| c == ci).map(|(v, _)| v).collect();
            for (k, v) in here.iter().enumerate() {
                self.app.whistles().at(published_at + HOUR + k as i64 * MIN).community().sign_up(v, a.id).await?;
            }
            if *days >= 0 {
                continue;
            }
            // On the day: everyone but the last checks in and (all but one) out; the organiser
            // confirms and closes, so the last is a no-show.
            let came = &here[..here.len().saturating_sub(1)];
            for (k, v) in came.iter().enumerate() {
                let at = self.app.whistles().at(start - 10 * MIN + k as i64 * MIN);
                let token = at.community().issue_token(a.id).await?.token;
                at.community().check_in(v, a.id, &ScanInput { token, lat: LAT + 0.0003, lon: LON }).await?;
            }
            for (k, v) in came.iter().enumerate().filter(|(k, _)| k % 3 != 2) {
                let at = self.app.whistles().at(start + hours * HOUR - 5 * MIN + k as i64 * MIN);
                let token = at.community().issue_token(a.id).await?.token;
                at.community().check_out(v, a.id, &ScanInput { token, lat: LAT, lon: LON + 0.0002 }).await?;
            }
            let end = start + hours * HOUR + 30 * MIN;
            let org_app = self.app.whistles().at(end);
            let org = org_app.community();
            for v in came {
                let version = c.any::<Activity>(a.id).await?.map_or(0, |a| a.version);
                let input = ActivityTransitionInput {
                    action: "confirm".into(),
                    version,
                    volunteer_id: Some(v.id.0),
                    half_hours: None,
                    reason: None,
                };
                org.transition(who, a.id, &input).await?;
            }
            let version = c.any::<Activity>(a.id).await?.map_or(0, |a| a.version);
            let close = ActivityTransitionInput {
                action: "close".into(),
                version,
                volunteer_id: None,
                half_hours: None,
                reason: None,
            };
            org.transition(who, a.id, &close).await?;
        }
        Ok(created)
    }
}
