//! The small manifest of the crash, interrupt and concurrency tests (a role, two
//! functions, two routes: 14 steps from an empty account), and the check that the
//! account holds exactly it.

use super::account::Owned;
use super::project::Project;

pub const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// A role, two functions, two routes.
pub const MANIFEST: &str = "\
project: {project}
roles:
  app:
    managed_policies: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: app
  get:
    source: ./get
    handler: app.handler
    runtime: python3.12
    role: app
api:
  routes:
    GET /items: list
    GET /items/{id}: get
";

/// A fresh project (its own name) with the small manifest.
pub fn small_project(prefix: &str) -> Project {
    let project = Project::new(prefix);
    project.manifest(MANIFEST);
    project
}

/// The account holds exactly what `MANIFEST` describes for `project`: one role with
/// one managed policy, two functions each with one invoke permission scoped to the one
/// API, whose two routes are deployed; nothing else named or tagged for the project.
pub fn assert_exactly_the_manifest(project: &Project, owned: &Owned, label: &str) {
    assert_the_manifest(project, owned, label, false);
}

/// As [`assert_exactly_the_manifest`], but after two runs at once against moto, which
/// differs from AWS in one more way: when two `CreateResource` calls for the same path
/// race, moto creates both, where API Gateway refuses the second with
/// `ConflictException` (which lade's adapter answers by reading the existing
/// resource). So a path that shows twice counts once here.
pub fn assert_the_manifest_after_a_race(project: &Project, owned: &Owned, label: &str) {
    assert_the_manifest(project, owned, label, true);
}

fn assert_the_manifest(project: &Project, owned: &Owned, label: &str, raced: bool) {
    let mut owned = owned.clone();
    if raced {
        for api in &mut owned.apis {
            api.paths.dedup();
        }
    }
    let owned = &owned;
    let name = |key: &str| project.physical(key);
    let role = owned.roles.get(&name("app"));
    assert_eq!(owned.roles.len(), 1, "{label}: roles {:#?}", owned.roles);
    let (attached, inline) = role.unwrap_or_else(|| panic!("{label}: no role {}", name("app")));
    assert_eq!(attached.iter().collect::<Vec<_>>(), [BASIC], "{label}");
    assert!(inline.is_empty(), "{label}: {inline:?}");

    assert_eq!(owned.apis.len(), 1, "{label}: APIs {:#?}", owned.apis);
    let api = &owned.apis[0];
    assert_eq!(api.name, format!("{}-dev", project.name), "{label}");
    assert_eq!(
        api.paths,
        ["/", "/items", "/items/{id}"],
        "{label}: {api:#?}"
    );
    let routes: Vec<(&str, &str, &str)> = api
        .routes
        .iter()
        .map(|((method, path), target)| (method.as_str(), path.as_str(), target.as_str()))
        .collect();
    let (list, get) = (name("list"), name("get"));
    assert_eq!(
        routes,
        [
            ("GET", "/items", list.as_str()),
            ("GET", "/items/{id}", get.as_str())
        ],
        "{label}"
    );
    let stage = api
        .stage
        .as_ref()
        .unwrap_or_else(|| panic!("{label}: no stage"));
    assert!(api.deployments.contains(stage), "{label}: {api:#?}");

    let functions: Vec<&String> = owned.functions.keys().collect();
    assert_eq!(functions, [&get, &list], "{label}");
    let sid = format!("lade-api-{}-dev", project.name);
    for (function, statements) in &owned.functions {
        // Moto differs from AWS here: when two AddPermission calls with the same
        // statement ID race (two applies at once), moto 5.2.5 appends both, where
        // Lambda refuses the second with ResourceConflictException "The statement id
        // (…) provided already exists" (which lade's adapter answers by reading the
        // policy again). So identical statements count once; different ones do not.
        let mut statements = statements.clone();
        statements.dedup();
        let [(found, source)] = &statements[..] else {
            panic!("{label}: {function} has statements {statements:?}");
        };
        assert_eq!(found, &sid, "{label}");
        assert!(
            source.contains(&format!(":{}/", api.id)),
            "{label}: {function}'s permission is for {source}, not API {}",
            api.id
        );
    }
    for arn in &owned.tagged {
        assert!(
            arn.ends_with(&format!(":function:{list}"))
                || arn.ends_with(&format!(":function:{get}")),
            "{label}: {arn} is tagged with the project but not in the manifest"
        );
    }
}
