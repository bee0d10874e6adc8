//! The demo district's whistles: one in every state (summoned, acknowledged, checked in,
//! replied, done, confirmed, rated, cancelled; one overdue, one with a late check-in), and
//! rated whistles spread over the last three months so the scorecards have figures. Made
//! through the real use cases, each step at its own instant of the past.

use super::{SummonInput, WhistleInput, WhistleTransitionInput, WhistleView, parse_state};
use crate::demo::DISTRICT_CODE;
use crate::whistles::Whistles;
use crate::{App, Clock, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::ids::WhistleId;
use std::sync::Arc;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// A clock stopped at one instant: the demo acts in the past.
struct At(i64);

impl Clock for At {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// How far a demo whistle goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Summoned,
    Acknowledged,
    CheckedIn,
    Replied,
    Done,
    Confirmed,
    Rated,
    Cancelled,
    /// Nobody checks in: the timer fires overdue and supervision.
    Overdue,
    /// The last unit checks in 40 minutes after the deadline; all rated.
    LateCheckIn,
}

struct Scenario {
    /// When it was raised, before now.
    ago: i64,
    kind: &'static str,
    /// Subdistrict suffix (`001`…).
    sub: &'static str,
    title: &'static str,
    units: &'static [(&'static str, &'static str)],
    goal: Goal,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        ago: 2 * HOUR,
        kind: "routine",
        sub: "001",
        title: "樱花园小区加装电梯协调",
        units: &[("ZJW", "审核加装方案"), ("GHZR", "规划许可指导")],
        goal: Goal::Summoned,
    },
    Scenario {
        ago: 3 * HOUR,
        kind: "routine",
        sub: "002",
        title: "东湖老旧小区屋面漏雨",
        units: &[("ZJW", "组织维修")],
        goal: Goal::Acknowledged,
    },
    Scenario {
        ago: 90 * MIN,
        kind: "joint_enforcement",
        sub: "001",
        title: "和平里夜市占道经营整治",
        units: &[("CGZF", "清理占道"), ("SCJG", "检查食品安全")],
        goal: Goal::CheckedIn,
    },
    Scenario {
        ago: 5 * HOUR,
        kind: "routine",
        sub: "003",
        title: "青山镇河道垃圾清理",
        units: &[("SWJ", "书面答复清理计划")],
        goal: Goal::Replied,
    },
    Scenario {
        ago: DAY,
        kind: "routine",
        sub: "001",
        title: "和平里南社区违停治理",
        units: &[("JTW", "施划停车位"), ("GAJ", "疏导交通")],
        goal: Goal::Done,
    },
    Scenario {
        ago: 3 * HOUR,
        kind: "emergency",
        sub: "002",
        title: "东湖街道燃气管道破损",
        units: &[("CGW", "现场封控"), ("GAJ", "疏散群众")],
        goal: Goal::Overdue,
    },
    Scenario {
        ago: 6 * DAY,
        kind: "joint_enforcement",
        sub: "002",
        title: "东湖街道违建拆除",
        units: &[("CGZF", "拆除违建"), ("GHZR", "认定违建")],
        goal: Goal::LateCheckIn,
    },
    Scenario {
        ago: 4 * DAY,
        kind: "routine",
        sub: "003",
        title: "青山镇重复报修",
        units: &[("SHJ", "-")],
        goal: Goal::Cancelled,
    },
    Scenario {
        ago: 9 * DAY,
        kind: "routine",
        sub: "001",
        title: "樱花园小区绿地被占",
        units: &[("YLJ", "恢复绿地")],
        goal: Goal::Confirmed,
    },
    Scenario {
        ago: 12 * DAY,
        kind: "emergency",
        sub: "001",
        title: "和平里路面塌陷",
        units: &[("CGW", "围挡抢修"), ("JTW", "交通疏导")],
        goal: Goal::Rated,
    },
    Scenario {
        ago: 20 * DAY,
        kind: "routine",
        sub: "003",
        title: "青山镇农贸市场油烟扰民",
        units: &[("SHJ", "检测油烟"), ("SCJG", "督促商户整改")],
        goal: Goal::Rated,
    },
    Scenario {
        ago: 33 * DAY,
        kind: "joint_enforcement",
        sub: "002",
        title: "东湖街道渣土车夜间抛洒",
        units: &[("CGZF", "查处抛洒"), ("JTW", "查扣车辆")],
        goal: Goal::Rated,
    },
    Scenario {
        ago: 41 * DAY,
        kind: "routine",
        sub: "001",
        title: "和平里北社区停车难",
        units: &[("JTW", "施划车位"), ("ZJW", "协调物业")],
        goal: Goal::LateCheckIn,
    },
    Scenario {
        ago: 50 * DAY,
        kind: "emergency",
        sub: "003",
        title: "青山镇暴雨积水",
        units: &[("SWJ", "抽排积水"), ("CGW", "清理道路")],
        goal: Goal::Rated,
    },
    Scenario {
        ago: 63 * DAY,
        kind: "routine",
        sub: "002",
        title: "东湖小区无物业管理",
        units: &[("ZJW", "引入物业"), ("SCJG", "规范收费")],
        goal: Goal::Rated,
    },
    Scenario {
        ago: 72 * DAY,
        kind: "joint_enforcement",
        sub: "001",
        title: "和平街道无证经营整治",
        units: &[("SCJG", "查处无证经营"), ("CGZF", "清理占道")],
        goal: Goal::LateCheckIn,
    },
    Scenario {
        ago: 84 * DAY,
        kind: "routine",
        sub: "003",
        title: "青山镇绿化带毁损",
        units: &[("YLJ", "补种绿化"), ("GAJ", "查找肇事者")],
        goal: Goal::Rated,
    },
];

impl Whistles<'_> {
    /// This app acting at instant `t`.
    fn at(&self, t: i64) -> App {
        let mut a = self.app.clone();
        a.clock = Arc::new(At(t));
        a
    }

    /// Seeds the demo whistles unless the district already has some. Returns how many.
    pub(crate) async fn seed_demo_whistles(&self) -> Result<usize> {
        let district = match self.admin().org_by_code(DISTRICT_CODE).await? {
            Some(d) => d,
            None => return Ok(0),
        };
        if !self.store.list_whistles(std::slice::from_ref(&district.path), &[], None, 1).await?.is_empty() {
            return Ok(0);
        }
        let dispatcher = self.admin().actor_for("dispatcher").await?;
        let now = self.now_ms();
        for (i, s) in SCENARIOS.iter().enumerate() {
            self.demo_whistle(&dispatcher, s, i, now).await?;
        }
        // Fire the check-in deadlines the seeded history has run into.
        self.whistle_tick(now).await?;
        Ok(SCENARIOS.len())
    }

    async fn demo_whistle(&self, dispatcher: &Actor, s: &Scenario, i: usize, now: i64) -> Result<()> {
        let t0 = now - s.ago;
        let (lat, lon) = (39.97 - 0.01 * (s.sub.as_bytes()[2] - b'1') as f64, 116.40 + 0.001 * i as f64);
        let input = WhistleInput {
            kind: s.kind.into(),
            raised_by_code: Some(format!("{DISTRICT_CODE}{}", s.sub)),
            title: s.title.into(),
            description: format!("{}：本级难以解决，吹哨请相关部门报到。", s.title),
            case_ids: vec![],
            lat,
            lon,
            address: format!("{}附近", s.title),
            units: s
                .units
                .iter()
                .map(|(c, task)| SummonInput { unit_code: (*c).into(), task: (*task).into() })
                .collect(),
            check_in_within: None,
        };
        let mut w = self.at(t0).whistles().raise_whistle(dispatcher, &input).await?;
        if s.goal == Goal::Summoned || s.goal == Goal::Overdue {
            return Ok(());
        }
        if s.goal == Goal::Cancelled {
            self.demo_step(dispatcher, &mut w, t0 + HOUR, "cancel", None, |x| {
                x.reason = Some("重复吹哨，已合并处理".into())
            })
            .await?;
            return Ok(());
        }
        let row = self.store.whistle(w.id).await?.ok_or(crate::AppError::NotFound("whistle"))?;
        let state = parse_state(&row)?;
        let mut staff = Vec::new();
        for (code, _) in s.units {
            staff.push(self.admin().actor_for(&format!("staff_{}", code.to_lowercase())).await?);
        }
        // Every unit acknowledges within minutes, checks in (on time but for the late
        // scenario's last unit, 40 minutes late) or replies, then reports done.
        let mut t = t0;
        for (k, (code, _)) in s.units.iter().enumerate() {
            t = t0 + 5 * MIN + k as i64 * MIN;
            self.demo_step(&staff[k], &mut w, t, "acknowledge", Some(code), |_| {}).await?;
        }
        if s.goal == Goal::Acknowledged {
            return Ok(());
        }
        for (k, (code, _)) in s.units.iter().enumerate() {
            let due = state.units[k].due_at;
            let late = s.goal == Goal::LateCheckIn && k + 1 == s.units.len();
            t = if late { due + 40 * MIN } else { (t0 + (15 + 7 * k as i64) * MIN).min(due - MIN).max(t + MIN) };
            if s.goal == Goal::Replied {
                self.demo_step(&staff[k], &mut w, t, "reply", Some(code), |x| {
                    x.text = Some("已列入本月清理计划，三日内完成。".into())
                })
                .await?;
            } else {
                self.demo_step(&staff[k], &mut w, t, "check_in", Some(code), |x| {
                    x.lat = Some(lat);
                    x.lon = Some(lon);
                })
                .await?;
            }
        }
        if matches!(s.goal, Goal::CheckedIn | Goal::Replied) {
            return Ok(());
        }
        for (k, (code, _)) in s.units.iter().enumerate() {
            t += 2 * HOUR;
            self.demo_step(&staff[k], &mut w, t, "report_done", Some(code), |x| {
                x.report = Some("已完成现场处置。".into());
                x.photos = vec![format!("demo/whistle-{i}-{code}.jpg")];
            })
            .await?;
        }
        if matches!(s.goal, Goal::Acknowledged | Goal::CheckedIn | Goal::Replied | Goal::Done) {
            return Ok(());
        }
        let end = t + DAY;
        self.demo_step(dispatcher, &mut w, end, "confirm", None, |_| {}).await?;
        if s.goal == Goal::Confirmed {
            return Ok(());
        }
        for (k, (code, _)) in s.units.iter().enumerate() {
            let late = s.goal == Goal::LateCheckIn && k + 1 == s.units.len();
            let score = if late { 3 } else { [5, 4, 5, 4, 3][(s.ago / DAY) as usize % 5] };
            self.demo_step(dispatcher, &mut w, end + HOUR, "rate", Some(code), |x| {
                x.score = Some(score);
                x.reason = (score < 4).then(|| "报到不及时，需改进。".to_string());
            })
            .await?;
        }
        Ok(())
    }

    /// One transition at instant `t`, at the whistle's current version.
    async fn demo_step(
        &self,
        actor: &Actor,
        w: &mut WhistleView,
        t: i64,
        action: &str,
        unit: Option<&str>,
        fill: impl FnOnce(&mut WhistleTransitionInput),
    ) -> Result<()> {
        let mut input = WhistleTransitionInput {
            action: action.into(),
            version: w.version,
            unit_code: unit.map(str::to_string),
            ..Default::default()
        };
        fill(&mut input);
        // Never in the future, whatever the working-day calendar made of the deadlines.
        let next = self.at(t.min(self.now_ms())).whistles().whistle_transition(actor, WhistleId(w.id), &input).await?;
        w.version = next.version;
        Ok(())
    }
}
