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
