//! Every acknowledged write survives a crash: the real binary serves a SQLite file, clients
//! file cases concurrently, the server is killed with SIGKILL in the middle of the load, and
//! after a restart every case that got its 201 is there and the audit chain is intact.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const BIN: &str = env!("CARGO_BIN_EXE_chuishao");

fn chuishao(db: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN).arg("--database-url").arg(db).args(args).env("CHUISHAO_LOG", "warn").output().unwrap();
    assert!(out.status.success(), "chuishao {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Starts `serve` on a free port and returns the child and its address.
fn serve(db: &str) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--database-url", db, "serve", "--listen", "127.0.0.1:0"])
        .env("CHUISHAO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().to_string();
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_cases_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    chuishao(&db, &["migrate"]);
    chuishao(&db, &["demo"]);
    let token_out = chuishao(&db, &["users", "create-token", "integrator"]);
    let token = String::from_utf8(token_out.stdout).unwrap().lines().last().unwrap().to_string();

    let (mut child, addr) = serve(&db);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = reqwest::Client::new();
    let mut clients = Vec::new();
    for c in 0..16 {
        let (client, addr, token, acked) = (client.clone(), addr.clone(), token.clone(), acked.clone());
        clients.push(tokio::spawn(async move {
            for i in 0..200 {
                let body = serde_json::json!({
                    "description": format!("崩溃测试 {c}-{i}"),
                    "category_code": "E0101",
                    "grid_code": "110199001001001"
                });
                let res =
                    client.post(format!("http://{addr}/api/v1/cases")).bearer_auth(&token).json(&body).send().await;
                match res {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => return, // the server died mid-response: not acknowledged
                        };
                        acked.lock().unwrap().push(v["tracking_code"].as_str().unwrap().to_string());
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    // Kill the server hard once a good number of cases were acknowledged, mid-stream.
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        if acked.lock().unwrap().len() >= 400 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 400 && acked.len() < 3200, "the kill must land mid-load ({} acked)", acked.len());

    // Restart: every acknowledged case is there, and the chain is whole.
    let verify = chuishao(&db, &["audit", "verify"]);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact"));
    let (mut child, addr) = serve(&db);
    for code in &acked {
        let r = client.get(format!("http://{addr}/api/v1/public/cases/{code}")).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK, "acknowledged case {code} lost");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
