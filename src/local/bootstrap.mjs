// lade's stand-in for the Lambda Node.js runtime, run by `lade invoke --local` and
// `lade serve` (src/local/run.rs). It loads the handler as Lambda does, calls it once
// with the event read from stdin and a minimal context, and writes the outcome to the
// file named by LADE_RESULT_FILE: {"ok": response} or {"error": {errorType,
// errorMessage, trace}}, the shape Lambda's Node.js runtime reports. Its stdout is
// the caller's stderr: what the handler logs is its log.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const env = process.env;

function failure(errorType, errorMessage, trace = []) {
  return { error: { errorType, errorMessage, trace } };
}

function fromThrown(thrown) {
  if (thrown instanceof Error) {
    return failure(thrown.name || "Error", thrown.message, String(thrown.stack || "").split("\n"));
  }
  return failure(typeof thrown, String(thrown));
}

// `src/app.handler` -> the file `src/app` with .js, .mjs or .cjs, and the export
// `handler` (a dotted path after the first dot, as Lambda reads nested exports).
async function load(root, handler) {
  const base = path.basename(handler);
  const dot = base.indexOf(".");
  if (dot < 1) {
    return [null, failure("Runtime.MalformedHandlerName", `Bad handler ${handler}`)];
  }
  const modulePath = path.join(path.dirname(handler), base.slice(0, dot));
  const names = base.slice(dot + 1).split(".");
  const file = [".js", ".mjs", ".cjs"]
    .map((extension) => path.resolve(root, modulePath + extension))
    .find(existsSync);
  if (!file) {
    return [
      null,
      failure("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`),
    ];
  }
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (thrown) {
    const reason = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    return [null, failure("Runtime.ImportModuleError", reason)];
  }
  // A CommonJS module's exports are also its default export.
  const pick = (from) => names.reduce((value, name) => (value == null ? value : value[name]), from);
  let fn = pick(module);
  if (fn === undefined && module.default) fn = pick(module.default);
  if (typeof fn !== "function") {
    return [
      null,
      failure("Runtime.HandlerNotFound", `${modulePath}.${names.join(".")} is undefined or not exported`),
    ];
  }
  return [fn, null];
}

function context() {
  const deadline = Number(env.LADE_DEADLINE_MS || 0);
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME || "",
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION || "$LATEST",
    invokedFunctionArn: env.LADE_INVOKED_FUNCTION_ARN || "",
    // A string, as Lambda's runtime reads it from the environment.
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || "128",
    awsRequestId: env.LADE_REQUEST_ID || "",
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME || "",
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME || "",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

// Calls the handler: an async handler's promise, or a callback handler's callback.
function call(fn, event) {
  return new Promise((resolve, reject) => {
    const callback = (error, response) => (error ? reject(error) : resolve(response));
    try {
      const result = fn(event, context(), callback);
      if (result && typeof result.then === "function") {
        result.then(resolve, reject);
      } else if (fn.length < 3) {
        resolve(result);
      }
    } catch (thrown) {
      reject(thrown);
    }
  });
}

async function run() {
  const event = JSON.parse(readFileSync(0, "utf8"));
  const [fn, failed] = await load(env.LAMBDA_TASK_ROOT, env._HANDLER);
  if (failed) return failed;
  let response;
  try {
    response = await call(fn, event);
  } catch (thrown) {
    return fromThrown(thrown);
  }
  try {
    JSON.stringify(response);
  } catch (thrown) {
    return failure("Runtime.MarshalError", `Unable to stringify response body: ${thrown.message}`);
  }
  return { ok: response === undefined ? null : response };
}

const outcome = await run();
writeFileSync(env.LADE_RESULT_FILE, JSON.stringify(outcome));
// As Lambda freezes the environment once the response is sent, do not wait for
// timers or sockets the handler left open.
process.exit(0);
