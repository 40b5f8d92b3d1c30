//! Checks that fail the plan before anything changes, against moto: a role given by
//! ARN that does not exist (apply would otherwise retry `CreateFunction` for minutes,
//! as if a new role were still propagating), and a managed policy that does not exist
//! (apply would otherwise stop halfway, and every re-run the same way).

mod support;

use support::account::Account;
use support::project::Project;

const MISSING_ROLE: &str = "arn:aws:iam::123456789012:role/no-such-role-for-lade";
const MISSING_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRol";

fn manifest(role: &str, policy: &str) -> String {
    format!(
        "project: {{project}}
roles:
  app:
    managed_policies: [{policy}]
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: {role}
"
    )
}

#[test]
fn a_missing_role_arn_or_managed_policy_fails_the_plan_and_changes_nothing() {
    let project = Project::new("missing");
    project.manifest(&manifest(MISSING_ROLE, MISSING_POLICY));
    for command in [&["plan"][..], &["apply", "--yes"]] {
        let output = project.lade(command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "functions.list.role: role {MISSING_ROLE} does not exist in this account"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "roles.app.managed_policies: managed policy {MISSING_POLICY} does not exist"
            )),
            "{stderr}"
        );
    }
    let owned = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { Account::new().await.owned(&project.name).await });
    assert!(owned.is_empty(), "nothing was made: {owned:?}");

    // With a role and a policy that exist, the same manifest applies.
    project.manifest(&manifest(
        "app",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ));
    project.ok(&["apply", "--yes"]);
    project.ok(&["destroy", "--yes"]);
}
