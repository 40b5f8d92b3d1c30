//! Ownership under a lagging tagging index, through the test proxy against moto.
//!
//! AWS's Resource Groups Tagging API answers from an eventually consistent index: it
//! keeps listing a deleted function, with the tags it had, for hours, and misses one
//! created or tagged moments ago. moto's answers are always current, so the proxy's
//! [`Proxy::freeze_tag_index`] serves a snapshot taken at a moment the test chooses.
//! lade must prove ownership with a consistent read (`GetFunction`) before it changes
//! or deletes a function, and must find by name what the index does not list yet.

mod support;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use support::account::Account;
use support::project::{Project, write};
use support::proxy::{Faults, Proxy};
use support::small::small_project;

/// `lade ARGS` in `project` through `proxy`: (success, stdout, stderr).
fn through(project: &Project, proxy: &Proxy, args: &[&str]) -> (bool, String, String) {
    let output = project.command(args, proxy.env()).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ok(project: &Project, proxy: &Proxy, args: &[&str]) -> String {
    let (ok, stdout, stderr) = through(project, proxy, args);
    assert!(ok, "lade {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&support::moto().sdk_config().await)
}

/// The function's code hash and tags, straight from Lambda; `None` when it is gone.
async fn function(
    client: &aws_sdk_lambda::Client,
    name: &str,
) -> Option<(String, std::collections::HashMap<String, String>)> {
    let found = client
        .get_function()
        .function_name(name)
        .send()
        .await
        .ok()?;
    let sha = found.configuration()?.code_sha256()?.to_owned();
    Some((sha, found.tags().cloned().unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_re_created_by_someone_else_under_a_lagging_index_is_not_touched() {
    let project = small_project("lag");
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    ok(&project, &proxy, &["apply", "--yes"]);
    // A plan now reads the index with both functions in it; from here on, the index
    // answers with that, as AWS's does for hours after a delete.
    ok(&project, &proxy, &["plan"]);
    proxy.freeze_tag_index();

    // Someone deletes `get` and makes a function of their own under its name, with
    // the same role and no lade tags.
    let client = lambda().await;
    let name = project.physical("get");
    let old = client
        .get_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let role = old.configuration().unwrap().role().unwrap().to_owned();
    client
        .delete_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    client
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler("app.handler")
        .role(role)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(support::python_zip(
                    "def handler(e, c):\n    return 'theirs'\n",
                )))
                .build(),
        )
        .tags("owner", "someone")
        .send()
        .await
        .unwrap();
    let theirs = function(&client, &name).await.unwrap();

    // The manifest's code for `get` changes: the index alone would make the function
    // look like lade's, and the plan would update it. It refuses instead.
    write(
        &project.path().join("get/app.py"),
        "def handler(event, context):\n    return 'changed'\n",
    );
    let (applied, stdout, stderr) = through(&project, &proxy, &["apply", "--yes"]);
    assert!(!applied, "apply must refuse:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("function `{name}`: it has no `lade:project` tag")),
        "{stderr}"
    );
    assert_eq!(function(&client, &name).await.unwrap(), theirs);
    assert!(
        proxy.served_from_tag_index() >= 1,
        "the apply read the old index"
    );

    // A destroy under the same index deletes what is lade's and leaves theirs alone.
    let stdout = ok(&project, &proxy, &["destroy", "--yes"]);
    assert!(
        function(&client, &project.physical("list")).await.is_none(),
        "lade's own function is destroyed:\n{stdout}"
    );
    assert_eq!(function(&client, &name).await.unwrap(), theirs, "{stdout}");
    assert!(
        !stdout.contains(&format!("delete function {name}")),
        "{stdout}"
    );
    client
        .delete_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_seconds_after_apply_destroys_what_the_index_does_not_list_yet() {
    let project = small_project("lagd");
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    // The index is read (empty) and frozen before the apply: it never lists the
    // functions the apply creates, as AWS's may not for a while after a create.
    ok(&project, &proxy, &["plan"]);
    proxy.freeze_tag_index();
    ok(&project, &proxy, &["apply", "--yes"]);

    let served = proxy.served_from_tag_index();
    let stdout = ok(&project, &proxy, &["destroy", "--yes"]);
    assert!(
        proxy.served_from_tag_index() > served,
        "the destroy read the old, empty index"
    );
    assert!(!stdout.contains("Nothing to destroy"), "{stdout}");
    let client = lambda().await;
    for key in ["list", "get"] {
        assert!(
            function(&client, &project.physical(key)).await.is_none(),
            "{key} was not destroyed:\n{stdout}"
        );
    }
    let owned = Account::new().await.owned(&project.name).await;
    assert!(owned.is_empty(), "left behind: {owned:?}");

    // Now there is nothing, and destroy says so.
    let stdout = ok(&project, &proxy, &["destroy", "--yes"]);
    assert!(
        stdout.starts_with(&format!(
            "Nothing to destroy. Project {} stage dev owns nothing in this account.",
            project.name
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("matches the manifest"), "{stdout}");
}

#[test]
fn the_json_plan_records_the_region_from_the_environment() {
    // The small manifest names no region; the environment says us-east-1.
    let project = small_project("region");
    let plan: serde_json::Value = serde_json::from_str(&project.ok(&["plan", "--json"])).unwrap();
    assert_eq!(plan["region"], support::REGION, "{plan}");
}
