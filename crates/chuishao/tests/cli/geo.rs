//! `chuishao import geo` and `chuishao export geo` as an operator runs them.

use super::chuishao;

#[test]
fn import_refuses_huge_and_invalid_files_and_round_trips_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    let (ok, _, err) = chuishao(&db, &["demo"]);
    assert!(ok, "{err}");
    let exported = dir.path().join("demo.geojson");
    let (ok, _, err) = chuishao(&db, &["export", "geo", exported.to_str().unwrap()]);
    assert!(ok, "{err}");

    // A 200 MB file is refused before it is read (sparse: it takes no disk).
    let huge = dir.path().join("huge.geojson");
    std::fs::File::create(&huge).unwrap().set_len(200 * 1024 * 1024).unwrap();
    let (ok, _, err) = chuishao(&db, &["import", "geo", huge.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("209715200 bytes; the limit is 67108864 bytes") && err.contains("nothing was imported"),
        "{err}"
    );

    // Every problem listed, nothing written.
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"level":"grid","code":"110199001001009","name":"x","parent_code":"110199009001"},
             "geometry":{"type":"Polygon","coordinates":[[[116.5,39.9],[116.6,39.9],[116.6,40.0],[116.5,39.9]]]}},
            {"type":"Feature","properties":{"level":"grid","code":"110199001001010","name":"y","parent_code":"110199001001"},
             "geometry":{"type":"Polygon","coordinates":[[[116.5,39.9],[116.6,39.9],[116.6,40.0]]]}}]}"#,
    )
    .unwrap();
    let (ok, _, err) = chuishao(&db, &["import", "geo", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("2 problem(s); nothing was imported"), "{err}");
    assert!(err.contains("feature 0 (110199001001009): unknown parent code 110199009001"), "{err}");
    assert!(err.contains("feature 1 (110199001001010)"), "{err}");

    // The export re-imports as it is: every place updated, none created.
    let (ok, out, err) = chuishao(&db, &["import", "geo", exported.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("0 places created"), "{out}");
    assert!(err.contains("validated"), "progress is shown: {err}");
    let again = dir.path().join("again.geojson");
    let (ok, _, _) = chuishao(&db, &["export", "geo", again.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(std::fs::read(&exported).unwrap(), std::fs::read(&again).unwrap());
}
