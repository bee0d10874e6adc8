//! Geometry storage on both engines: places created with their paths (parents in the same
//! write), updates in place, streets upserted, the revision bumped, all in one transaction.

use super::org;
use chuishao_domain::org::OrgKind;
use chuishao_store::testing::TestDb;
use chuishao_store::{GeoNodeWrite, StreetWrite};

conformance!(geo_writes_create_update_and_bump_the_revision, geo_writes_roll_back_whole);

fn node(code: &str, kind: &str, parent: Option<&str>, exists: bool) -> GeoNodeWrite {
    GeoNodeWrite {
        code: code.into(),
        kind: kind.into(),
        name_zh: format!("地{code}"),
        name_en: format!("Place {code}"),
        parent_code: parent.map(String::from),
        households: Some(100),
        population: None,
        geometry: format!("{{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]],\"c\":\"{code}\"}}"),
        exists,
    }
}

async fn seed_district(db: &TestDb) {
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_org(&org("110199", OrgKind::District, None), None, None, 1).await.unwrap();
    tx.commit().await.unwrap();
}

async fn geo_writes_create_update_and_bump_the_revision(db: &TestDb) {
    seed_district(db).await;
    assert_eq!(db.store.geo_revision().await.unwrap(), 0);
    let nodes = vec![
        node("110199", "district", None, true),
        node("110199001", "subdistrict", Some("110199"), false),
        node("110199001001", "community", Some("110199001"), false),
        node("110199001001001", "grid", Some("110199001001"), false),
        node("110199001001002", "grid", Some("110199001001"), false),
    ];
    let street = StreetWrite {
        code: "S1".into(),
        name_zh: "东街".into(),
        name_en: "East Street".into(),
        community_code: "110199001001".into(),
        geometry: "{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}".into(),
    };
    let mut tx = db.store.begin().await.unwrap();
    tx.write_geo(&nodes, std::slice::from_ref(&street), 7).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.store.geo_revision().await.unwrap(), 1);

    let d = db.store.org_by_code("110199").await.unwrap().unwrap();
    let s = db.store.org_by_code("110199001").await.unwrap().unwrap();
    let c = db.store.org_by_code("110199001001").await.unwrap().unwrap();
    let g = db.store.org_by_code("110199001001002").await.unwrap().unwrap();
    assert_eq!(g.path, format!("/{}/{}/{}/{}/", d.id, s.id, c.id, g.id));
    assert_eq!(g.parent_id, Some(c.id));
    assert_eq!(g.households, Some(100));

    let rows = db.store.geo_rows().await.unwrap();
    assert_eq!(rows.len(), 6, "{rows:?}");
    let st = rows.iter().find(|r| r.kind == "street").unwrap();
    assert_eq!(st.parent_code.as_deref(), Some("110199001001"));
    assert!(rows.iter().any(|r| r.code == "110199" && r.geometry.contains("110199")));

    // Again: updates in place (households kept when not given), the street replaced.
    let mut again = node("110199001001001", "grid", Some("110199001001"), true);
    again.households = None;
    again.name_zh = "新名字".into();
    let street2 = StreetWrite { name_zh: "东大街".into(), ..street };
    let mut tx = db.store.begin().await.unwrap();
    tx.write_geo(&[again], &[street2], 8).await.unwrap();
    tx.commit().await.unwrap();
    let g1 = db.store.org_by_code("110199001001001").await.unwrap().unwrap();
    assert_eq!((g1.name_zh.as_str(), g1.households), ("新名字", Some(100)));
    let rows = db.store.geo_rows().await.unwrap();
    assert_eq!(rows.iter().filter(|r| r.kind == "street").map(|r| r.name_zh.as_str()).collect::<Vec<_>>(), ["东大街"]);
    assert_eq!(db.store.geo_revision().await.unwrap(), 2);
    assert_eq!(db.store.street_codes().await.unwrap(), ["S1"]);
}

async fn geo_writes_roll_back_whole(db: &TestDb) {
    seed_district(db).await;
    let mut tx = db.store.begin().await.unwrap();
    tx.write_geo(&[node("110199001", "subdistrict", Some("110199"), false)], &[], 7).await.unwrap();
    drop(tx);
    assert!(db.store.org_by_code("110199001").await.unwrap().is_none());
    assert_eq!(db.store.geo_revision().await.unwrap(), 0);
    assert!(db.store.geo_rows().await.unwrap().is_empty());
}
