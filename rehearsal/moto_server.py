"""moto's server mode for the deploy rehearsal (rehearsal/rehearse.ts), with the gaps of moto 5.2.1
that stand between it and a real `serverless deploy` worked around. Each gap is named below, with
what AWS does, what moto does, and what this file does about it. Nothing here changes the template:
an error the template itself causes still fails the deploy.

1. VALIDATION: AWS's ValidateTemplate fails only on errors; moto runs cfn-lint and fails on its first
   finding of any level, so the framework's own HTTP API routes (warning W3005, a DependsOn that a
   Ref already implies) stop every deploy. Here: only cfn-lint errors (E...) fail validation.
2. OUTPUTS: after a change set executes, moto keeps the outputs of the stack as it was before (none,
   for a new stack), so `serverless info` and the replay CLI find nothing. Here: outputs are computed
   again from the executed template.
3. SSM REFERENCES: AWS resolves `{{resolve:ssm:NAME}}` in resource properties at deploy time; moto
   leaves the text as it is. Here: resolved from moto's own SSM parameters (a missing one fails).
4. LIST PARAMETERS: moto does not split a CommaDelimitedList parameter's default. The template no
   longer has one (lists are resolved at package time, deploy/settings.cjs): nothing to do.
5. UNSUPPORTED RESOURCES: moto has no HTTP API, CloudWatch alarm or bucket policy resources; it keeps
   a placeholder for each. Nothing to do: the rehearsal calls the functions, not the HTTP API.
6. FUNCTIONS: moto runs a function in Docker, which this machine does not have. Here: the deployed
   zip runs with the machine's Node.js (rehearsal/invoke.cjs), with the function's deployed
   environment plus what the Lambda runtime provides (region, credentials, task root), the AWS SDK
   from the project's node_modules (the runtime ships it), every AWS call sent to this server, and
   the runtime's CA bundle (/var/runtime/ca-cert.pem) replaced by the rehearsal's database CA.
7. CUSTOM RESOURCES: AWS waits for a custom resource's answer and fails (and rolls back) the stack on
   FAILED; moto marks the stack complete at once and ignores FAILED answers. Here: the stack stays
   in progress until every custom resource has answered (bounded by its ServiceTimeout), then is
   complete, or ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE with the answer's reason in a resource
   event. Resources are not actually rolled back (moto cannot), which `serverless remove` cleans up.
8. BUCKET NOTIFICATIONS: AWS applies an AWS::S3::Bucket's NotificationConfiguration (and checks the
   queue's policy, sending it an s3:TestEvent); moto's CloudFormation creates the bucket without it,
   so objects are never announced. Here: the bucket's queue notifications are applied through
   moto's own PutBucketNotificationConfiguration (which sends the test event, as AWS does).
9. SECRETS: AWS creates an AWS::SecretsManager::Secret (here the query API's cursor secret, with a
   GenerateSecretString) and its Ref is the secret's ARN; moto's CloudFormation has no such resource,
   so the Ref is empty and the status function's CURSOR_SECRET_ARN is missing. Here: the secret is
   created through moto's own Secrets Manager, with a random value of the asked length, and removed
   with the stack.
"""

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

from moto import settings
import moto.awslambda.models as lambda_models
import moto.cloudformation.models as cfn_models
import moto.cloudformation.parsing as cfn_parsing
import moto.cloudformation.responses as cfn_responses
from moto.server import main

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = sys.argv[sys.argv.index("-p") + 1] if "-p" in sys.argv else "5000"
ENDPOINT = f"http://127.0.0.1:{PORT}"
# The custom resources' ResponseURL: moto builds it from these (for a Docker host by default).
os.environ["MOTO_PORT"] = PORT
settings.moto_server_host = lambda: "http://127.0.0.1"

# 1. VALIDATION
_validate = cfn_models.CloudFormationBackend.validate_template


def validate_errors_only(self, template):
    return [match for match in _validate(self, template) if match.rule.id.startswith("E")]


cfn_models.CloudFormationBackend.validate_template = validate_errors_only

# 3. SSM REFERENCES (clean_json calls itself through the module's global name, so this wraps every level)
SSM_REFERENCE = re.compile(r"\{\{resolve:ssm:([^}:]+)(?::\d+)?\}\}")
_clean_json = cfn_parsing.clean_json


def clean_json(resource_json, resources_map):
    if isinstance(resource_json, str) and "{{resolve:ssm:" in resource_json:
        from moto.ssm.models import ssm_backends

        ssm = ssm_backends[resources_map._account_id][resources_map._region_name]

        def value(match):
            parameter = ssm.get_parameter(match.group(1))
            if parameter is None:
                raise ValueError(f"SSM parameter {match.group(1)} (a {{{{resolve:ssm}}}} reference) does not exist")
            return parameter.value

        return SSM_REFERENCE.sub(value, resource_json)
    return _clean_json(resource_json, resources_map)


cfn_parsing.clean_json = clean_json

# 6. FUNCTIONS
RUNTIME_CA_BUNDLE = "/var/runtime/ca-cert.pem"


def invoke_with_node(self, event=None):
    with tempfile.TemporaryDirectory(prefix="rehearsal-lambda-") as task_root:
        zipfile.ZipFile(io.BytesIO(self.code_bytes)).extractall(task_root)
        module, export = self.handler.rsplit(".", 1)
        environment = {key: str(value) for key, value in (self.environment_vars or {}).items()}
        if environment.get("NODE_EXTRA_CA_CERTS") == RUNTIME_CA_BUNDLE:
            environment["NODE_EXTRA_CA_CERTS"] = os.environ["REHEARSAL_CA_FILE"]
        environment.update(
            {
                "PATH": os.environ.get("PATH", ""),
                "NODE_PATH": os.environ["REHEARSAL_NODE_PATH"],
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ACCESS_KEY_ID": "rehearsal",
                "AWS_SECRET_ACCESS_KEY": "rehearsal",
                "AWS_ENDPOINT_URL": ENDPOINT,
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
                "LAMBDA_TASK_ROOT": task_root,
            }
        )
        result_file = os.path.join(task_root, ".result.json")
        command = ["node", os.path.join(HERE, "invoke.cjs"), module, export, str(self.timeout), result_file]
        try:
            process = subprocess.run(
                command,
                input=json.dumps(event if event is not None else {}),
                env=environment,
                cwd=task_root,
                capture_output=True,
                text=True,
                timeout=self.timeout + 5,
            )
            logs = process.stdout + process.stderr
        except subprocess.TimeoutExpired as error:
            message = f"Task timed out after {self.timeout} seconds"
            return json.dumps({"errorMessage": message}), True, f"{error.stdout or ''}{error.stderr or ''}{message}"
        sys.stderr.write(f"[lambda {self.function_name}] {logs}\n")
        with open(result_file, encoding="utf8") as file:
            result = file.read()
        return result, process.returncode != 0, logs


lambda_models.LambdaFunction._invoke_lambda = invoke_with_node

# 7. CUSTOM RESOURCES
_process_cfn_response = cfn_responses.CloudFormationResponse.process_cfn_response


def process_cfn_response(self):
    if self._get_param("Status") == "FAILED":
        stack = self.cloudformation_backend.get_stack(self._get_param("StackId"))
        resource = stack.get_custom_resource(self._get_param("LogicalResourceId"))
        resource.failed_reason = self._get_param("Reason") or "no reason given"
        resource.set_data({})
        return 200, {"status": 200}, json.dumps("{}")
    return _process_cfn_response(self)


cfn_responses.CloudFormationResponse.process_cfn_response = process_cfn_response

_execute_change_set = cfn_models.CloudFormationBackend.execute_change_set


def service_timeout(stack, logical_id):
    resource = stack.template_dict.get("Resources", {}).get(logical_id, {})
    return int(resource.get("Properties", {}).get("ServiceTimeout", 3600))


def settle(stack, kind):
    """Waits for the custom resources' answers, then gives the stack the status AWS would."""
    pending = dict(stack.custom_resources)
    deadline = time.time() + max((service_timeout(stack, key) for key in pending), default=0)
    while time.time() < deadline and not all(resource.is_created() for resource in pending.values()):
        time.sleep(0.2)
    failures = []
    for logical_id, resource in pending.items():
        reason = getattr(resource, "failed_reason", None)
        if not resource.is_created():
            reason = "the custom resource did not answer within its ServiceTimeout"
        if reason:
            failures.append((logical_id, reason))
            stack.events.append(
                cfn_models.Event(
                    stack_id=stack.stack_id,
                    stack_name=stack.name,
                    logical_resource_id=logical_id,
                    physical_resource_id=resource.physical_resource_id,
                    resource_type=stack.template_dict["Resources"][logical_id]["Type"],
                    resource_status=f"{kind}_FAILED",
                    resource_status_reason=reason,
                    resource_properties=None,
                )
            )
    if failures:
        stack.status = "ROLLBACK_COMPLETE" if kind == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
    else:
        stack.status = f"{kind}_COMPLETE"
    stack._add_stack_event(stack.status)


def execute_change_set(self, change_set_name, stack_name=None):
    _execute_change_set(self, change_set_name, stack_name)
    change_set = next(
        (cs for arn, cs in self.change_sets.items() if change_set_name in (arn, cs.change_set_name)), None
    )
    stack = self.stacks[change_set.stack_id]
    # 2. OUTPUTS
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    # Answers may already be in (a quick function): settle() then returns at once.
    kind = change_set.change_set_type
    if stack.custom_resources:
        stack.status = f"{kind}_IN_PROGRESS"
        threading.Thread(target=settle, args=(stack, kind), daemon=True).start()


cfn_models.CloudFormationBackend.execute_change_set = execute_change_set

# 8. BUCKET NOTIFICATIONS
import moto.s3.models as s3_models  # noqa: E402

_create_bucket = s3_models.FakeBucket.create_from_cloudformation_json.__func__


def create_bucket_with_notifications(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    queues = cloudformation_json.get("Properties", {}).get("NotificationConfiguration", {}).get("QueueConfigurations", [])
    if queues:
        # CloudFormation's shape (QueueConfigurations, Event, Filter.S3Key.Rules) to the API's.
        config = {
            "QueueConfiguration": [
                {
                    "Queue": queue["Queue"],
                    "Event": [queue["Event"]],
                    **({"Filter": {"S3Key": {"FilterRule": queue["Filter"]["S3Key"]["Rules"]}}} if "Filter" in queue else {}),
                }
                for queue in queues
            ]
        }
        backend = s3_models.s3_backends[account_id][s3_models.get_partition(region_name)]
        backend.put_bucket_notification_configuration(bucket.name, config)
    return bucket


s3_models.FakeBucket.create_from_cloudformation_json = classmethod(create_bucket_with_notifications)

# 9. SECRETS
import secrets as random_source  # noqa: E402
import string  # noqa: E402

from moto.core.common_models import CloudFormationModel  # noqa: E402
import moto.secretsmanager.models as secrets_models  # noqa: E402


class GeneratedSecret(CloudFormationModel):
    # moto's model registry files a model under the service its module names.
    __module__ = "moto.secretsmanager.models"

    def __init__(self, arn, name):
        self.arn = arn
        self.name = name

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::Secret"

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        generate = properties.get("GenerateSecretString")
        if generate is not None:
            alphabet = string.ascii_letters + string.digits
            value = "".join(random_source.choice(alphabet) for _ in range(int(generate.get("PasswordLength", 32))))
        else:
            value = properties.get("SecretString", "")
        backend = secrets_models.secretsmanager_backends[account_id][region_name]
        name = properties.get("Name", resource_name)
        created = json.loads(
            backend.create_secret(
                name=name,
                secret_string=value,
                secret_binary=None,
                description=properties.get("Description"),
                tags=properties.get("Tags"),
                kms_key_id=None,
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
        )
        return cls(created["ARN"], name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backend = secrets_models.secretsmanager_backends[account_id][region_name]
        backend.delete_secret(resource_name, recovery_window_in_days=None, force_delete_without_recovery=True)


if __name__ == "__main__":
    main(sys.argv[1:])
