//! Reading Prism's log: which requests it received, how it answered, and whether it found
//! anything wrong with them.
//!
//! Prism writes one block of lines per request, starting with
//! `[HTTP SERVER] get /realm/users/u/orgs ℹ  info      Request received`. The contract tests
//! send one request at a time, so the lines up to the next such line belong to that request.

use openapi_codegen::model::Operation;
use std::collections::BTreeMap;

/// One request as Prism logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Lower-case method, as logged.
    pub method: String,
    /// The path, still percent-encoded, without the query.
    pub path: String,
    /// The status Prism answered with, when it logged one.
    pub status: Option<u16>,
    /// Lines that report something wrong with the request (or Prism's answer).
    pub problems: Vec<String>,
}

/// A whole log, judged.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Every request, in order.
    pub requests: Vec<Request>,
    /// Requests without a token that Prism rejected with 401, as the tests intend.
    pub rejected_as_intended: usize,
    /// Everything that makes the run fail, one line each.
    pub violations: Vec<String>,
    /// Per operation name: how many requests Prism accepted and answered with a success.
    pub accepted: BTreeMap<String, usize>,
    /// Per operation name: the non-success statuses Prism answered with (forced by the tests).
    pub errors: BTreeMap<String, Vec<u16>>,
}

const REQUEST_RECEIVED: &str = "Request received";
/// The error types of Prism's problem documents that mean the request broke the contract.
const PROBLEM_TYPES: &[&str] =
    &["UNAUTHORIZED", "NO_PATH_MATCHED", "NO_METHOD_MATCHED", "UNPROCESSABLE_ENTITY", "NOT_ACCEPTABLE", "errors#"];
/// Warnings that say nothing about the request: Prism found no body to send for the `Accept`
/// header of an operation whose answer has none.
const HARMLESS_WARNINGS: &[&str] = &["Unable to find content for"];

/// Whether a log line reports a problem: a violation, an error, a rejected request, or a
/// warning not known to be harmless.
pub fn is_problem(line: &str) -> bool {
    line.contains("Violation:")
        || line.contains('✖')
        || line.contains("did not pass the validation rules")
        || PROBLEM_TYPES.iter().any(|t| line.contains(t))
        || (line.contains('⚠') && !HARMLESS_WARNINGS.iter().any(|w| line.contains(w)))
}

/// Splits a log into requests.
pub fn requests(log: &str) -> (Vec<Request>, Vec<String>) {
    let mut requests: Vec<Request> = Vec::new();
    let mut outside = Vec::new();
    for line in log.lines() {
        if line.contains(REQUEST_RECEIVED) {
            if let Some((method, path)) = method_and_path(line) {
                requests.push(Request { method, path, status: None, problems: Vec::new() });
                continue;
            }
        }
        match requests.last_mut() {
            Some(request) => {
                if let Some(status) = answered_status(line) {
                    request.status = Some(status);
                }
                if line.contains("errors#UNAUTHORIZED") {
                    request.status = Some(401);
                }
                if is_problem(line) {
                    request.problems.push(line.trim().to_owned());
                }
            }
            None if is_problem(line) => outside.push(line.trim().to_owned()),
            None => {}
        }
    }
    (requests, outside)
}

/// `get /a/b` from `[HTTP SERVER] get /a/b ℹ  info      Request received`.
fn method_and_path(line: &str) -> Option<(String, String)> {
    let rest = &line[line.find("[HTTP SERVER] ")? + "[HTTP SERVER] ".len()..];
    let mut words = rest.split_whitespace();
    let method = words.next()?.to_ascii_lowercase();
    let path = words.next()?;
    let path = path.split('?').next().unwrap_or(path);
    path.starts_with('/').then(|| (method, path.to_owned()))
}

/// `200` from `> Responding with "200"`.
fn answered_status(line: &str) -> Option<u16> {
    let rest = &line[line.find("Responding with \"")? + "Responding with \"".len()..];
    rest.split('"').next()?.parse().ok()
}

/// Whether the request was sent without a token on purpose: its first segment is
/// [`NO_TOKEN_REALM`](super::NO_TOKEN_REALM).
fn meant_to_lack_a_token(request: &Request) -> bool {
    request.path.trim_start_matches('/').split('/').next() == Some(super::NO_TOKEN_REALM)
}

/// What a token-less request may, and must, cause: Prism's rejection for want of credentials.
fn is_the_intended_rejection(line: &str) -> bool {
    line.contains("did not pass the validation rules")
        || line.contains("Invalid security scheme used")
        || line.contains("errors#UNAUTHORIZED")
}

/// The operation a logged request is for: the same method, and a path template whose literal
/// segments match (the template with the most literal segments wins, as in OpenAPI).
pub fn operation_for<'a>(operations: &'a [Operation], method: &str, path: &str) -> Option<&'a Operation> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    operations
        .iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method))
        .filter_map(|op| {
            let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
            if template.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (pattern, segment) in template.iter().zip(&segments) {
                if pattern.starts_with('{') && pattern.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if pattern == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, op))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, op)| op)
}

/// Judges a whole log against the operations the clients have.
pub fn judge(log: &str, operations: &[Operation]) -> Verdict {
    let (requests, outside) = requests(log);
    let mut verdict = Verdict::default();
    for line in outside {
        verdict.violations.push(format!("before any request: {line}"));
    }
    for request in &requests {
        let shown = format!("{} {}", request.method.to_ascii_uppercase(), request.path);
        let operation = operation_for(operations, &request.method, &request.path);
        if meant_to_lack_a_token(request) {
            let rejected = request.problems.iter().any(|line| line.contains("errors#UNAUTHORIZED"));
            for line in request.problems.iter().filter(|line| !is_the_intended_rejection(line)) {
                verdict.violations.push(format!("{shown}: {line}"));
            }
            if rejected {
                verdict.rejected_as_intended += 1;
            } else {
                verdict.violations.push(format!("{shown}: sent without a token, but Prism did not reject it"));
            }
            continue;
        }
        for line in &request.problems {
            verdict.violations.push(format!("{shown}: {line}"));
        }
        let Some(operation) = operation else {
            verdict.violations.push(format!("{shown}: matches no operation of the spec"));
            continue;
        };
        match request.status {
            Some(status) if (200..300).contains(&status) && request.problems.is_empty() => {
                *verdict.accepted.entry(operation.name.clone()).or_default() += 1;
            }
            Some(status) => verdict.errors.entry(operation.name.clone()).or_default().push(status),
            None if request.problems.is_empty() => {
                verdict.violations.push(format!("{shown}: Prism logged no answer"));
            }
            None => {}
        }
    }
    verdict.requests = requests;
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as Prism 5.14.2 writes them, for one accepted request, one forced 404, one without
    /// a token, one with a bad body, one with a bad query and one to a path the spec lacks.
    const LOG: &str = "\
[4:29:33 PM] › [CLI] …  awaiting  Starting Prism…
[4:29:34 PM] › [CLI] ℹ  info      GET        http://127.0.0.1:4917/voluptatem/users/x/orgs
[4:29:34 PM] › [CLI] ▶  start     Prism is listening on http://127.0.0.1:4917
[4:29:41 PM] › [HTTP SERVER] get /r/users/u/orgs ℹ  info      Request received
[4:29:41 PM] ›     [NEGOTIATOR] ℹ  info      Request contains an accept header: application/json
[4:29:41 PM] ›     [VALIDATOR] ✔  success   The request passed the validation rules. Looking for the best response
[4:29:41 PM] ›     [NEGOTIATOR] ✔  success   Found a compatible content for application/json
[4:29:41 PM] ›     [NEGOTIATOR] ✔  success   Responding with the requested status code 200
[4:29:41 PM] ›     [NEGOTIATOR] ℹ  info      > Responding with \"200\"
[4:29:41 PM] › [HTTP SERVER] post /r/magic-link ℹ  info      Request received
[4:29:41 PM] ›     [NEGOTIATOR] ℹ  info      Request contains an accept header: application/json
[4:29:41 PM] ›     [VALIDATOR] ✔  success   The request passed the validation rules. Looking for the best response
[4:29:41 PM] ›     [NEGOTIATOR] ⚠  warning   Unable to find content for application/json
[4:29:41 PM] ›     [NEGOTIATOR] ✔  success   Responding with the requested status code 404
[4:29:41 PM] ›     [NEGOTIATOR] ℹ  info      > Responding with \"404\"
[4:29:41 PM] › [HTTP SERVER] get /contract-no-token/users/u/orgs ℹ  info      Request received
[4:29:41 PM] ›     [NEGOTIATOR] ℹ  info      Request contains an accept header: application/json
[4:29:41 PM] ›     [VALIDATOR] ⚠  warning   Request did not pass the validation rules
[4:29:41 PM] ›     [VALIDATOR] ✖  error     Invalid security scheme used
[4:29:41 PM] › [HTTP SERVER] get /contract-no-token/users/u/orgs ✖  error     Request terminated with error: https://stoplight.io/prism/errors#UNAUTHORIZED: Invalid security scheme used
";

    const BAD_BODY: &str = "\
[4:29:41 PM] › [HTTP SERVER] post /r/magic-link ℹ  info      Request received
[4:29:41 PM] ›     [VALIDATOR] ⚠  warning   Request did not pass the validation rules
[4:29:41 PM] ›     [VALIDATOR] ✖  error     Request body must have required property 'client_id'
[4:29:41 PM] ›     [NEGOTIATOR] ✔  success   Found response 400. I'll try with it.
[4:29:41 PM] ›     [NEGOTIATOR] ℹ  info      > Responding with \"400\"
[4:29:41 PM] ›     [VALIDATOR] ✖  error     Violation: request.body Request body must have required property 'client_id'
";

    const BAD_QUERY_AND_PATH: &str = "\
[4:32:39 PM] › [HTTP SERVER] get /r/users/u/orgs ℹ  info      Request received
[4:32:39 PM] ›     [VALIDATOR] ⚠  warning   Request did not pass the validation rules
[4:32:39 PM] ›     [VALIDATOR] ✖  error     Request query parameter first must be integer
[4:32:39 PM] › [HTTP SERVER] get /r/users/u/orgs ✖  error     Request terminated with error: https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY: Invalid request
[4:29:41 PM] › [HTTP SERVER] get /r/nothing ℹ  info      Request received
[4:29:41 PM] › [HTTP SERVER] get /r/nothing ✖  error     Request terminated with error: https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR: Route not resolved, no path matched
";

    fn users_operations() -> Vec<Operation> {
        let root = crate::workspace_root();
        let text = std::fs::read_to_string(root.join(crate::codegen::DEFAULT_SPEC)).expect("spec");
        openapi_codegen::model(&text, "spec", &[]).expect("model").operations
    }

    #[test]
    fn accepted_forced_and_rejected_requests_pass() {
        let verdict = judge(LOG, &users_operations());
        assert_eq!(verdict.violations, Vec::<String>::new());
        assert_eq!(verdict.requests.len(), 3);
        assert_eq!(verdict.rejected_as_intended, 1);
        assert_eq!(verdict.accepted.get("realm_users_user_id_orgs_get"), Some(&1));
        assert_eq!(verdict.errors.get("create_magic_link"), Some(&vec![404]));
    }

    #[test]
    fn a_body_violation_fails_the_run() {
        let verdict = judge(BAD_BODY, &users_operations());
        assert_eq!(verdict.violations.len(), 3, "{:#?}", verdict.violations);
        assert!(verdict.violations.iter().any(|v| v.contains("Violation: request.body")));
        assert!(verdict.accepted.is_empty());
    }

    #[test]
    fn a_rejected_query_and_an_unknown_path_fail_the_run() {
        let verdict = judge(BAD_QUERY_AND_PATH, &users_operations());
        assert!(verdict.violations.iter().any(|v| v.contains("UNPROCESSABLE_ENTITY")), "{:#?}", verdict.violations);
        assert!(verdict.violations.iter().any(|v| v.contains("NO_PATH_MATCHED")), "{:#?}", verdict.violations);
        assert!(verdict.violations.iter().any(|v| v.contains("GET /r/nothing: matches no operation")));
        assert!(verdict.accepted.is_empty());
    }

    #[test]
    fn a_token_less_request_that_prism_accepts_fails_the_run() {
        let log = LOG.replace("/r/users/u/orgs", "/contract-no-token/users/u/orgs");
        let verdict = judge(&log, &users_operations());
        assert!(
            verdict.violations.iter().any(|v| v.contains("did not reject it")),
            "an accepted token-less request is a failure: {:#?}",
            verdict.violations
        );
    }

    #[test]
    fn an_unauthorized_request_with_a_token_fails_the_run() {
        let log = LOG.replace("/contract-no-token/", "/r/");
        let verdict = judge(&log, &users_operations());
        assert!(verdict.violations.iter().any(|v| v.contains("UNAUTHORIZED")), "{:#?}", verdict.violations);
    }

    #[test]
    fn paths_match_the_most_literal_template() {
        let operations = users_operations();
        let name = |method, path| operation_for(&operations, method, path).map(|op| op.name.as_str());
        assert_eq!(name("get", "/r/orgs/count"), Some("get_organizations_count"));
        assert_eq!(name("get", "/r/orgs/me"), Some("get_me"));
        assert_eq!(name("get", "/r/orgs/o-1"), Some("get_organization_by_id"));
        assert_eq!(name("GET", "/r/users/a%2Fb/orgs"), Some("realm_users_user_id_orgs_get"));
        assert_eq!(name("get", "/r/users//orgs"), None);
        assert_eq!(name("post", "/r/users/u/orgs"), None);
    }
}
