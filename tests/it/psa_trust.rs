//! Outbound trust, for both PSAs (issue 15 item 9): no redirect followed, URLs with userinfo
//! and plain http to a remote host refused at validation (with file:line), credentials redacted
//! from any server text reckon prints, and nothing sent outside `RECKON_PSA_HOSTS`.

use std::path::Path;
use std::time::Duration;

use axum::http::Method;
use reckon::observed::LineRef;
use reckon::psa::Psa;
use reckon::psa::autotask::AutotaskPsa;
use reckon::psa::connectwise::{ConnectWisePsa, Options};
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::autotask_adapter::{credentials, quick};
use crate::connectwise::{KEYS, Reach, assert_no_secret, tenant, workspace};
use crate::connectwise_wire::psa;
use crate::sim::autotask::{self as at, Sim, autotask_psa_block};
use crate::sim::connectwise::{FaultKind, Simulator};
use crate::support::{Run, copy_of, reckon_with_env};

const AUTOTASK_KEYS: &[(&str, &str)] = &[
    ("AUTOTASK_USERNAME", at::USERNAME),
    ("AUTOTASK_SECRET", at::SECRET),
    ("AUTOTASK_INTEGRATION_CODE", at::INTEGRATION_CODE),
];

/// `reckon ARGS --period 2026-10` with `env` and, when given, `RECKON_PSA_HOSTS`.
fn reckon(dir: &Path, args: &[&str], env: &[(&str, &str)], hosts: Option<&str>) -> Run {
    let mut all = env.to_vec();
    if let Some(hosts) = hosts {
        all.push(("RECKON_PSA_HOSTS", hosts));
    }
    let mut args = args.to_vec();
    if args[0] != "check" && args[0] != "validate" {
        args.extend_from_slice(&["--period", "2026-10"]);
    }
    reckon_with_env(dir, &args, &all)
}

/// Rewrites `reckon.yaml`'s `from` to `to`.
fn edit(dir: &Path, from: &str, to: &str) {
    let file = dir.join("reckon.yaml");
    let yaml = std::fs::read_to_string(&file).expect("reckon.yaml");
    assert!(yaml.contains(from), "{yaml}");
    std::fs::write(&file, yaml.replace(from, to)).expect("write");
}

/// The 1-based line of `reckon.yaml` holding `needle`.
fn line_of(dir: &Path, needle: &str) -> usize {
    let yaml = std::fs::read_to_string(dir.join("reckon.yaml")).expect("reckon.yaml");
    yaml.lines().position(|l| l.contains(needle)).expect("line") + 1
}

/// examples/quickstart pointed at the Autotask simulator (its sandbox removed).
fn autotask_workspace(sim: &Sim) -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    std::fs::remove_dir_all(ws.path().join("sandbox")).expect("no sandbox");
    edit(
        ws.path(),
        "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n",
        &autotask_psa_block(&sim.base_url()),
    );
    ws
}

#[test]
fn connectwise_outside_the_allowlist_gets_no_request_at_all() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::Discover);
    let plan = reckon(ws.path(), &["plan"], KEYS, Some("api-na.myconnectwise.net"));
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr
            .contains("127.0.0.1 is not in RECKON_PSA_HOSTS (api-na.myconnectwise.net)"),
        "{}",
        plan.stderr
    );
    assert!(
        sim.state().requests.is_empty(),
        "{:?}",
        sim.state().requests
    );
    let check = reckon(ws.path(), &["check"], KEYS, Some("*.myconnectwise.net"));
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        sim.state().requests.is_empty(),
        "check sends nothing either"
    );
    // Inside it, the same workspace plans as usual.
    let allowed = reckon(ws.path(), &["plan"], KEYS, Some("127.0.0.1"));
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(!sim.state().requests.is_empty());
}

#[test]
fn autotask_outside_the_allowlist_gets_no_request_at_all() {
    let sim = Sim::start();
    let ws = autotask_workspace(&sim);
    let plan = reckon(
        ws.path(),
        &["plan"],
        AUTOTASK_KEYS,
        Some("webservices5.autotask.net"),
    );
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr
            .contains("is not in RECKON_PSA_HOSTS (webservices5.autotask.net)"),
        "{}",
        plan.stderr
    );
    assert_eq!(sim.total_requests(), 0, "{:?}", sim.log());
    let allowed = reckon(ws.path(), &["check"], AUTOTASK_KEYS, Some("127.0.0.1"));
    assert_eq!(allowed.code, 0, "{}\n{}", allowed.stdout, allowed.stderr);
}

/// `validate` refuses a PSA URL with userinfo or plain http to a remote host, at its line,
/// without printing the password.
#[test]
fn psa_urls_with_userinfo_or_remote_plain_http_are_refused_at_their_line() {
    let password = "hunter2-planted-pw";
    let cases = [
        (
            "tests/fixtures/connectwise",
            "  site: api-na.myconnectwise.net",
            format!("  site: https://admin:{password}@api-na.myconnectwise.net"),
            "psa.site is refused: it holds a user name or password",
        ),
        (
            "tests/fixtures/connectwise",
            "  site: api-na.myconnectwise.net",
            "  site: api-na.myconnectwise.net\n  base_url: http://cw.example.com/v2025_1/apis/3.0"
                .to_owned(),
            "psa.base_url is refused: it is plain http:// to cw.example.com",
        ),
        (
            "examples/quickstart",
            "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n",
            autotask_psa_block(&format!("http://api:{password}@127.0.0.1:9/ATServicesRest")),
            "psa.base_url is refused: it holds a user name or password",
        ),
        (
            "examples/quickstart",
            "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n",
            autotask_psa_block("http://webservices5.autotask.net/ATServicesRest"),
            "psa.base_url is refused: it is plain http:// to webservices5.autotask.net",
        ),
    ];
    for (fixture, from, to, expected) in cases {
        let ws = copy_of(fixture);
        edit(ws.path(), from, &to);
        let field = if expected.starts_with("psa.site") {
            "site:"
        } else {
            "base_url:"
        };
        let line = line_of(ws.path(), field);
        let env = [KEYS, AUTOTASK_KEYS].concat();
        let validate = reckon(ws.path(), &["validate"], &env, None);
        let output = format!("{}{}", validate.stdout, validate.stderr);
        assert_eq!(validate.code, 1, "{output}");
        assert!(output.contains(expected), "{expected}:\n{output}");
        assert!(
            output.contains(&format!("reckon.yaml:{line}")),
            "line {line}:\n{output}"
        );
        assert!(
            !output.contains(password),
            "the password was printed:\n{output}"
        );
    }
}

/// A server echoing the credentials in its 401 body, the key straddling reckon's 200-character
/// cut: every form of them is redacted from what `check` and `plan` print.
#[test]
fn credentials_echoed_by_the_server_are_redacted() {
    for padding in [0, 120, 160] {
        let sim = Simulator::start(tenant());
        let ws = workspace(&sim, Reach::BaseUrl);
        sim.state()
            .fault(
                Method::GET,
                "/",
                FaultKind::EchoCredentials { padding },
                100,
            )
            .fault(
                Method::POST,
                "/",
                FaultKind::EchoCredentials { padding },
                100,
            );
        for args in [&["plan"][..], &["check"]] {
            let run = reckon(ws.path(), args, KEYS, None);
            assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
            let output = format!("{}{}", run.stdout, run.stderr);
            if padding <= 120 {
                // Within the 200 characters kept (the redacted header is shorter than the raw).
                assert!(
                    output.contains("Unauthorized. Request headers: Authorization: Basic ****"),
                    "{output}"
                );
            }
            assert_no_secret(&output, &[]);
            // Nor a prefix of the private key cut at 200 characters.
            assert!(!output.contains("sim-priv"), "{output}");
        }
    }
}

/// An Autotask error body echoing the credential headers.
#[tokio::test]
async fn autotask_error_bodies_have_credentials_redacted() {
    let server = MockServer::start().await;
    let echoed = format!(
        "bad request; UserName: {}; Secret: {}; ApiIntegrationCode: {}",
        at::USERNAME,
        at::SECRET,
        at::INTEGRATION_CODE
    );
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [echoed]})))
        .mount(&server)
        .await;
    let error = autotask_at(&server)
        .companies()
        .await
        .expect_err("400")
        .to_string();
    assert!(
        error.contains("UserName: ****; Secret: ****; ApiIntegrationCode: ****"),
        "{error}"
    );
    for credential in [at::USERNAME, at::SECRET, at::INTEGRATION_CODE] {
        assert!(!error.contains(credential), "{error}");
    }
}

fn autotask_at(server: &MockServer) -> AutotaskPsa {
    let base = format!("{}/ATServicesRest", server.uri());
    AutotaskPsa::new(credentials(), Some(base), quick()).expect("client")
}

fn connectwise_at(server: &MockServer) -> ConnectWisePsa {
    let options = Options {
        timeout: Duration::from_secs(5),
        attempts: 2,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(1),
        ..Options::default()
    };
    psa(server, false, options)
}

/// A server redirecting elsewhere, and the elsewhere that must see nothing.
async fn redirecting(status: u16) -> (MockServer, MockServer) {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("Location", format!("{}/steal?token=abc", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&elsewhere)
        .await;
    (server, elsewhere)
}

#[tokio::test]
async fn connectwise_follows_no_redirect_for_a_read_or_a_write() {
    let (server, elsewhere) = redirecting(302).await;
    let psa = connectwise_at(&server);
    let error = psa.companies().await.expect_err("redirect").to_string();
    let target = elsewhere.uri();
    assert!(
        error.contains(&format!(
            "HTTP 302: a redirect to {target}, which reckon does not follow"
        )),
        "{error}"
    );
    assert!(!error.contains("token=abc"), "{error}");
    let (server, elsewhere) = redirecting(307).await;
    let psa = connectwise_at(&server);
    let line = LineRef {
        contract: "300".into(),
        line: "25".into(),
    };
    let written = psa
        .set_quantity(&line, dec!(1), dec!(2), crate::autotask_adapter::at())
        .await;
    assert!(written.is_err(), "{written:?}");
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[tokio::test]
async fn autotask_follows_no_redirect() {
    let (server, elsewhere) = redirecting(307).await;
    let error = autotask_at(&server)
        .companies()
        .await
        .expect_err("redirect")
        .to_string();
    assert!(error.contains("HTTP 307: a redirect to"), "{error}");
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}
