//! The demo district: a fictional district with three subdistricts (one with 14 communities,
//! as in the seed report), 60 grids with polygons and household counts, ten departments with
//! stationed units, the category catalogue, one user per role (named after the role), and a
//! few hundred cases driven through the real use cases into every state.
//!
//! Seeding is idempotent: nodes, users and the catalogue already present are left alone, and
//! cases are only generated into an empty case table.

use crate::cases::{NewCaseInput, ReporterInput, TransitionInput};
use crate::ops::Ops;
use crate::{AppError, Result};
use chuishao_domain::access::Role;
use chuishao_domain::ids::CaseId;
use chuishao_domain::org::{NewOrgNode, OrgKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The demo district's region code (fictional, in Beijing's 1101xx range).
pub const DISTRICT_CODE: &str = "110199";
/// Number of cases the demo generates.
pub const DEMO_CASES: usize = 320;

/// What seeding did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub orgs_created: usize,
    pub users_created: usize,
    pub categories: usize,
    pub cases_created: usize,
    pub whistles_created: usize,
}

const SUBDISTRICTS: &[(&str, OrgKind, &str, &str, &str)] = &[
    ("001", OrgKind::Subdistrict, "和平街道", "Heping Subdistrict", "HP"),
    ("002", OrgKind::Subdistrict, "东湖街道", "Donghu Subdistrict", "DH"),
    ("003", OrgKind::Township, "青山镇", "Qingshan Township", "QS"),
];

const HEPING_COMMUNITIES: &[(&str, &str)] = &[
    ("樱花园社区", "Yinghuayuan Community"),
    ("青年湖社区", "Qingnianhu Community"),
    ("和平里北社区", "Hepingli North Community"),
    ("和平里南社区", "Hepingli South Community"),
    ("柳荫社区", "Liuyin Community"),
    ("民旺社区", "Minwang Community"),
    ("兴化社区", "Xinghua Community"),
    ("安华社区", "Anhua Community"),
    ("枫林社区", "Fenglin Community"),
    ("桃园社区", "Taoyuan Community"),
    ("松园社区", "Songyuan Community"),
    ("竹园社区", "Zhuyuan Community"),
    ("梅园社区", "Meiyuan Community"),
    ("兰园社区", "Lanyuan Community"),
];
const DONGHU_COMMUNITIES: &[(&str, &str)] =
    &[("湖畔社区", "Hupan Community"), ("望湖社区", "Wanghu Community"), ("东湖里社区", "Donghuli Community")];
const QINGSHAN_VILLAGES: &[(&str, &str)] =
    &[("上庄村", "Shangzhuang Village"), ("下庄村", "Xiazhuang Village"), ("石门村", "Shimen Village")];

/// A unit name suffix a department uses for the teams it stations in subdistricts (zh, en).
type StationedSuffix = Option<(&'static str, &'static str)>;

/// (code, 中文, English, the suffix of the unit it stations in every subdistrict).
const DEPARTMENTS: &[(&str, &str, &str, StationedSuffix)] = &[
    ("CGW", "区城市管理委员会", "District City Management Commission", None),
    (
        "CGZF",
        "区城市管理综合行政执法局",
        "District Urban Management Law Enforcement Bureau",
        Some(("城管执法队", "Law Enforcement Team")),
    ),
    ("ZJW", "区住房和城乡建设委员会", "District Housing and Construction Commission", None),
    ("SCJG", "区市场监督管理局", "District Market Regulation Bureau", Some(("市场监管所", "Market Regulation Office"))),
    ("SHJ", "区生态环境局", "District Ecology and Environment Bureau", None),
    ("JTW", "区交通委员会", "District Transport Commission", None),
    ("SWJ", "区水务局", "District Water Authority", None),
    ("YLJ", "区园林绿化局", "District Landscaping and Greening Bureau", None),
    ("GAJ", "区公安分局", "District Public Security Sub-bureau", Some(("派出所", "Police Station"))),
    ("GHZR", "区规划和自然资源分局", "District Planning and Natural Resources Sub-bureau", None),
];

/// Grid cell size in degrees (about 190 m × 170 m at Beijing's latitude).
const CELL_LAT: f64 = 0.0016;
const CELL_LON: f64 = 0.0022;
const ORIGIN_LAT: f64 = 39.975;
const ORIGIN_LON: f64 = 116.395;

fn rect(lat_n: f64, lon_w: f64, rows: f64, cols: f64) -> String {
    let (s, e) = (lat_n - rows * CELL_LAT, lon_w + cols * CELL_LON);
    let r = |v: f64| (v * 1e6).round() / 1e6;
    format!(
        "{{\"type\":\"Polygon\",\"coordinates\":[[[{w},{n}],[{e},{n}],[{e},{s}],[{w},{s}],[{w},{n}]]]}}",
        w = r(lon_w),
        n = r(lat_n),
        e = r(e),
        s = r(s)
    )
}

fn node(code: String, kind: OrgKind, zh: &str, en: &str, parent: Option<&str>) -> NewOrgNode {
    NewOrgNode {
        code,
        kind,
        name_zh: zh.into(),
        name_en: en.into(),
        parent_code: parent.map(String::from),
        households: None,
        population: None,
        stationed_in_code: None,
        geometry: None,
    }
}

/// The demo organisation tree, parents first. Communities are laid out 2 wide (Heping) or 1
/// wide, each three grids across, numbered west→east as the DB11 coding asks.
pub fn demo_orgs() -> Vec<NewOrgNode> {
    let mut rng = StdRng::seed_from_u64(110_199);
    let mut out = Vec::new();
    let mut district = node(DISTRICT_CODE.into(), OrgKind::District, "吹哨示范区", "Chuishao Demo District", None);
    district.geometry = Some(rect(ORIGIN_LAT, ORIGIN_LON, 7.0, 12.0));
    out.push(district);
    let mut col0 = 0.0;
    for (i, (sub, kind, zh, en, _)) in SUBDISTRICTS.iter().enumerate() {
        let sub_code = format!("{DISTRICT_CODE}{sub}");
        let communities = match i {
            0 => HEPING_COMMUNITIES,
            1 => DONGHU_COMMUNITIES,
            _ => QINGSHAN_VILLAGES,
        };
        let width = if communities.len() > 7 { 2 } else { 1 };
        let rows = communities.len().div_ceil(width) as f64;
        let mut s = node(sub_code.clone(), *kind, zh, en, Some(DISTRICT_CODE));
        s.geometry = Some(rect(ORIGIN_LAT, ORIGIN_LON + col0 * CELL_LON, rows, 3.0 * width as f64));
        let sub_index = out.len();
        out.push(s);
        let mut sub_households = 0;
        for (c, (czh, cen)) in communities.iter().enumerate() {
            let community_code = format!("{sub_code}{:03}", c + 1);
            let (row, col) = ((c / width) as f64, (c % width) as f64 * 3.0);
            let lat_n = ORIGIN_LAT - row * CELL_LAT;
            let lon_w = ORIGIN_LON + (col0 + col) * CELL_LON;
            let ckind = if *kind == OrgKind::Township { OrgKind::Village } else { OrgKind::Community };
            let mut cn = node(community_code.clone(), ckind, czh, cen, Some(&sub_code));
            cn.geometry = Some(rect(lat_n, lon_w, 1.0, 3.0));
            let community_index = out.len();
            out.push(cn);
            let mut community_households = 0;
            for g in 0..3 {
                // One estate as in the seed report: 2,880 households under a single worker.
                let households: i64 = if i == 0 && c == 2 && g == 1 { 2880 } else { rng.random_range(180..=420) };
                community_households += households;
                let mut gn = node(
                    format!("{community_code}{:03}", g + 1),
                    OrgKind::Grid,
                    &format!("{}第{}网格", czh.trim_end_matches("社区").trim_end_matches('村'), g + 1),
                    &format!("{} Grid {}", cen.trim_end_matches(" Community").trim_end_matches(" Village"), g + 1),
                    Some(&community_code),
                );
                gn.households = Some(households);
                gn.population = Some((households as f64 * rng.random_range(2.3..2.9)) as i64);
                gn.geometry = Some(rect(lat_n, lon_w + g as f64 * CELL_LON, 1.0, 1.0));
                out.push(gn);
            }
            out[community_index].households = Some(community_households);
            sub_households += community_households;
        }
        out[sub_index].households = Some(sub_households);
        col0 += 3.0 * width as f64;
    }
    for (code, zh, en, stationed) in DEPARTMENTS {
        out.push(node((*code).into(), OrgKind::Department, zh, en, Some(DISTRICT_CODE)));
        if let Some((szh, sen)) = stationed {
            for (sub, _, subzh, suben, short) in SUBDISTRICTS {
                let mut n = node(
                    format!("{code}-{short}"),
                    OrgKind::StationedUnit,
                    &format!("{}{}", subzh.trim_end_matches("街道").trim_end_matches('镇'), szh),
                    &format!("{} {}", suben.trim_end_matches(" Subdistrict").trim_end_matches(" Township"), sen),
                    Some(code),
                );
                n.stationed_in_code = Some(format!("{DISTRICT_CODE}{sub}"));
                out.push(n);
            }
        }
    }
    out
}

/// Users: one per role, named after it, plus a staff account per department and a
/// subdistrict dispatcher for Heping (直派 cases).
fn demo_users() -> Vec<(String, String, Role, String)> {
    let heping = format!("{DISTRICT_CODE}001");
    let community = format!("{heping}001");
    let grid = format!("{community}001");
    let mut users: Vec<(String, String, Role, String)> = vec![
        ("admin".into(), "系统管理员".into(), Role::Admin, DISTRICT_CODE.into()),
        ("dispatcher".into(), "区指挥中心调度员".into(), Role::Dispatcher, DISTRICT_CODE.into()),
        ("subdistrict_leader".into(), "和平街道负责人".into(), Role::SubdistrictLeader, heping.clone()),
        ("department_staff".into(), "城管执法局工作人员".into(), Role::DepartmentStaff, "CGZF".into()),
        ("grid_worker".into(), "樱花园第1网格网格员".into(), Role::GridWorker, grid),
        ("street_chief".into(), "樱花园社区街巷长".into(), Role::StreetChief, community.clone()),
        ("community_worker".into(), "樱花园社区工作人员".into(), Role::CommunityWorker, community),
        ("viewer".into(), "区领导（只读）".into(), Role::Viewer, DISTRICT_CODE.into()),
        ("integrator".into(), "12345热线对接系统".into(), Role::Integrator, DISTRICT_CODE.into()),
        ("dispatcher_heping".into(), "和平街道指挥中心".into(), Role::Dispatcher, heping),
    ];
    for (code, zh, _, _) in DEPARTMENTS {
        users.push((
            format!("staff_{}", code.to_lowercase()),
            format!("{zh}工作人员"),
            Role::DepartmentStaff,
            (*code).into(),
        ));
    }
    users
}

const PLACES: &[&str] =
    &["小区东门", "3号楼北侧", "菜市场旁", "公交站附近", "幼儿园门口", "主路与辅路交叉口", "南侧胡同", "停车场入口"];

impl Ops<'_> {
    /// Creates the demo users that do not exist yet; returns how many were created.
    pub async fn seed_demo_users(&self) -> Result<usize> {
        let mut created = 0;
        let mut new_names = Vec::new();
        for (username, display, role, org) in demo_users() {
            if self.store.user_by_username(&username).await?.is_none() {
                self.admin().create_user(&username, &display, &[(role, org.as_str())]).await?;
                created += 1;
                new_names.push(username);
            }
        }
        // The staff console's documented demo password (docs/operations.md).
        self.admin().set_demo_passwords(&new_names).await?;
        Ok(created)
    }

    /// Seeds the demo district (idempotently).
    pub async fn seed_demo(&self) -> Result<DemoReport> {
        let mut report =
            DemoReport { orgs_created: self.admin().import_orgs(&demo_orgs()).await?, ..DemoReport::default() };
        let (n, _) = self.admin().import_catalogue(crate::admin::catalogue::DEMO_CATALOGUE).await?;
        report.categories = n;
        report.users_created = self.seed_demo_users().await?;
        self.grids().seed_demo_streets().await?;
        self.grids().seed_demo_patrols().await?;
        let existing: i64 = self.store.count_cases_by_status().await?.iter().map(|(_, n)| n).sum();
        if existing == 0 {
            report.cases_created = self.seed_demo_cases(DEMO_CASES).await?;
            // Fire the deadline warnings and overdue events the seeded history has run into.
            self.calendar().timer_tick(self.now_ms()).await?;
        }
        report.whistles_created = self.whistles().seed_demo_whistles().await?;
        Ok(report)
    }

    #[allow(unused_assignments)] // `version` is refreshed after every step, also the last
    async fn seed_demo_cases(&self, count: usize) -> Result<usize> {
        let mut rng = StdRng::seed_from_u64(2017);
        let now = self.now_ms();
        let day = 86_400_000i64;
        let dispatcher = self.admin().actor_for("dispatcher").await?;
        let integrator = self.admin().actor_for("integrator").await?;
        let categories = self.admin().list_categories().await?;
        let grids: Vec<_> = self.store.list_orgs(Some(OrgKind::Grid)).await?;
        if categories.is_empty() || grids.is_empty() {
            return Ok(0);
        }
        let geometries: std::collections::HashMap<_, _> =
            self.store.org_geometries("/", OrgKind::Grid).await?.into_iter().collect();
        let mut staff = std::collections::HashMap::new();
        for (code, ..) in DEPARTMENTS {
            staff.insert(*code, self.admin().actor_for(&format!("staff_{}", code.to_lowercase())).await?);
        }
        let mut created: Vec<CaseId> = Vec::new();
        for i in 0..count {
            let grid = &grids[rng.random_range(0..grids.len())];
            let cat = &categories[rng.random_range(0..categories.len())];
            let lineage = self.admin().org_lineage(grid.id).await?;
            let community = lineage.iter().find(|n| matches!(n.kind, OrgKind::Community | OrgKind::Village));
            let community_name = community.map(|c| c.name_zh.as_str()).unwrap_or("");
            let place = PLACES[rng.random_range(0..PLACES.len())];
            let age = rng.random_range(0..60 * day);
            let mut t = now - age;
            let reporter = if rng.random_bool(0.6) {
                Some(ReporterInput {
                    name: Some(
                        ["张先生", "李女士", "王阿姨", "刘师傅", "陈同学", "赵大爷"][rng.random_range(0..6)].into(),
                    ),
                    phone: Some(format!("13{}{:08}", rng.random_range(0..10), rng.random_range(0..100_000_000u32))),
                })
            } else {
                None
            };
            let (lat_n, lon_w) = grid_corner(geometries.get(&grid.id).map(String::as_str));
            let input = NewCaseInput {
                source: Some(["hotline", "web", "api", "hotline", "open311"][rng.random_range(0..5)].into()),
                category_code: Some(cat.code.clone()),
                urgency: None,
                description: format!("{community_name}{place}{}，{}", cat.name_zh, cat.description_zh),
                lat: Some(lat_n - rng.random_range(0.0..CELL_LAT)),
                lon: Some(lon_w + rng.random_range(0.0..CELL_LON)),
                address: Some(format!("{community_name}{place}")),
                subdistrict_code: None,
                community_code: None,
                grid_code: Some(grid.code.clone()),
                reporter,
            };
            let case = self.cases().submit_case_at(&integrator, &input, None, t).await?.case;
            let id = CaseId(case.id);
            let mut version = case.version;
            // Where this case's story ends.
            let roll = rng.random_range(0..100);
            macro_rules! go {
                ($actor:expr, step($action:expr, &|$x:ident| $body:expr)) => {{
                    t = (t + rng.random_range(600_000..2 * day)).min(now - 60_000);
                    #[allow(unused_variables, unused_mut)]
                    let mut $x = TransitionInput { action: $action.into(), version, ..TransitionInput::default() };
                    $body;
                    let view = match self.cases().transition_at($actor, id, &$x, t).await {
                        // A deadline past the loaded calendar years: the story ends here.
                        Err(AppError::Calendar(_)) => {
                            created.push(id);
                            continue;
                        }
                        other => other?,
                    };
                    version = view.version;
                }};
            }
            if roll < 8 {
                created.push(id);
                continue; // received
            }
            if roll < 12 {
                go!(&dispatcher, step("reject", &|x| x.reason = Some("不属于受理范围，已告知诉求人咨询渠道".into())));
                created.push(id);
                continue;
            }
            if roll < 14 && created.len() > 10 {
                let primary = created[rng.random_range(0..created.len())];
                let p = self.store.case_by_id(primary).await?;
                if p.is_some_and(|p| !matches!(p.status.as_str(), "closed" | "rejected" | "merged")) {
                    go!(&dispatcher, step("merge", &|x| x.primary_id = Some(primary.0)));
                    created.push(id);
                    continue;
                }
            }
            go!(&dispatcher, step("register", &|x| {}));
            if roll < 20 {
                created.push(id);
                continue; // registered
            }
            let dept = cat.department_code.clone().unwrap_or_else(|| "CGW".into());
            let sub_short = SUBDISTRICTS
                .iter()
                .find(|(s, ..)| lineage.iter().any(|n| n.code == format!("{DISTRICT_CODE}{s}")))
                .map(|(.., short)| *short)
                .unwrap_or("HP");
            let stationed = format!("{dept}-{sub_short}");
            let handler = if self.admin().org_by_code(&stationed).await?.is_some() { stationed } else { dept.clone() };
            let handler_actor = staff.get(dept.as_str()).unwrap_or(&dispatcher).clone();
            go!(&dispatcher, step("dispatch", &|x| x.handler_code = Some(handler.clone())));
            if roll < 24 {
                go!(&handler_actor, step("return", &|x| x.reason = Some("该问题不属于本单位职责，请重新派遣".into())));
                created.push(id);
                continue; // returned to registered
            }
            if roll < 32 {
                if roll < 27 {
                    go!(&dispatcher, step("supervise", &|x| x.note = Some("临近时限，请加快办理".into())));
                }
                created.push(id);
                continue; // dispatched
            }
            go!(&handler_actor, step("accept", &|x| {}));
            if roll < 46 {
                match roll % 4 {
                    0 => go!(
                        &handler_actor,
                        step("request_extension", &|x| {
                            x.days = Some(5);
                            x.reason = Some("需协调产权单位，申请延期".into());
                        })
                    ),
                    1 => go!(
                        &dispatcher,
                        step("park", &|x| x.reason = Some("需结合明年春季施工统一解决，挂账办理".into()))
                    ),
                    2 => go!(&dispatcher, step("supervise", &|x| x.note = Some("群众多次反映，请重点督办".into()))),
                    _ => {}
                }
                created.push(id);
                continue; // accepted
            }
            go!(
                &handler_actor,
                step("resolve", &|x| {
                    x.result = Some("已安排人员现场处置完毕".into());
                    x.evidence = Some(vec![format!("demo-photo-{i}.jpg")]);
                })
            );
            if roll < 54 {
                created.push(id);
                continue; // resolved
            }
            if roll < 57 {
                go!(
                    &dispatcher,
                    step("verify", &|x| {
                        x.passed = Some(false);
                        x.note = Some("现场核查问题仍存在".into());
                    })
                );
                created.push(id);
                continue; // reopened to dispatched
            }
            go!(
                &dispatcher,
                step("verify", &|x| {
                    x.passed = Some(true);
                    x.note = Some("现场核查已整改".into());
                })
            );
            if roll < 62 {
                created.push(id);
                continue; // verified
            }
            let satisfied = rng.random_range(0..10);
            go!(
                &dispatcher,
                step("callback", &|x| {
                    x.solved = Some(satisfied > 0);
                    x.satisfaction = Some(
                        ["dissatisfied", "basically_satisfied", "satisfied", "satisfied", "satisfied"]
                            [(satisfied / 2) as usize]
                            .into(),
                    );
                })
            );
            go!(&dispatcher, step("close", &|x| {}));
            created.push(id);
        }
        Ok(created.len())
    }
}

/// North-west corner of a grid polygon written by `rect` (lat, lon).
fn grid_corner(geometry: Option<&str>) -> (f64, f64) {
    let nums: Vec<f64> = geometry
        .unwrap_or("")
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|s| s.parse().ok())
        .collect();
    match nums.as_slice() {
        [lon, lat, ..] => (*lat, *lon),
        _ => (ORIGIN_LAT, ORIGIN_LON),
    }
}
