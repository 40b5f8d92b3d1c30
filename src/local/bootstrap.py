# lade's stand-in for the Lambda Python runtime, run by `lade invoke --local` and
# `lade serve` (src/local/run.rs). It imports the handler as Lambda does, calls it once
# with the event read from stdin and a minimal context, and writes the outcome to the
# file named by LADE_RESULT_FILE: {"ok": response} or {"error": {errorMessage,
# errorType, stackTrace}}, the shape Lambda reports. Its stdout is the caller's
# stderr: what the handler prints is its log.
import importlib
import json
import os
import sys
import time
import traceback


class LambdaContext:
    """The attributes of Lambda's Python context object that a local run can know."""

    def __init__(self):
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = env.get("LADE_INVOKED_FUNCTION_ARN", "")
        # A string, as Lambda's runtime reads it from the environment.
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = env.get("LADE_REQUEST_ID", "")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(env.get("LADE_DEADLINE_MS", "0"))

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self):
        return "LambdaContext([aws_request_id={}, function_name={}, memory_limit_in_mb={}])".format(
            self.aws_request_id, self.function_name, self.memory_limit_in_mb
        )


def error(message, kind, trace=()):
    return {"error": {"errorMessage": message, "errorType": kind, "stackTrace": list(trace)}}


def load(handler):
    """`src/app.handler` -> module `src.app`, attribute `handler`, as Lambda splits it."""
    if "." not in handler:
        return None, error(
            "Bad handler '{}': not enough values to unpack (expected 2, got 1)".format(handler),
            "Runtime.MalformedHandlerName",
        )
    module_path, name = handler.rsplit(".", 1)
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # as Lambda: any import-time failure is an import error
        return None, error(
            "Unable to import module '{}': {}".format(module_path, exc),
            "Runtime.ImportModuleError",
        )
    function = getattr(module, name, None)
    if function is None:
        return None, error(
            "Handler '{}' missing on module '{}'".format(name, module_path),
            "Runtime.HandlerNotFound",
        )
    return function, None


def run():
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path.insert(0, task_root)
    event = json.loads(sys.stdin.read())
    function, failed = load(os.environ["_HANDLER"])
    if failed:
        return failed
    try:
        response = function(event, LambdaContext())
    except Exception as exc:
        # The handler's frames only: not this bootstrap's.
        frames = traceback.extract_tb(exc.__traceback__)[1:]
        return error(str(exc), type(exc).__name__, traceback.format_list(frames))
    try:
        json.dumps(response)
    except (TypeError, ValueError) as exc:
        return error("Unable to marshal response: {}".format(exc), "Runtime.MarshalError")
    return {"ok": response}


def main():
    outcome = run()
    sys.stdout.flush()
    with open(os.environ["LADE_RESULT_FILE"], "w", encoding="utf-8") as out:
        json.dump(outcome, out)


main()
