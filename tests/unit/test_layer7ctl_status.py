"""``layer7ctl status``: one synchronous invoke of the stack's drift check, its findings, and the exit code."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from layer7ctl.__main__ import main
from layer7ctl.clients import Clients
from layer7ctl.views import make_console
from tests.unit.test_layer7ctl import OUTPUTS, NoCalls, cloudformation

FUNCTION = "MilvusLayer7-StepsCheckDrift1A2B3C4D-AbCdEf123456"
HOST = "milvus.example.com"
MATCHES = {"host": HOST, "matches": True, "findings": []}
DRIFTED = {"host": HOST, "matches": False, "findings": [
    {"kind": "Layer4Back", "what": "Service milvus/milvus-demo is LoadBalancer again", "means": "a second entry",
     "do": "set service.type=ClusterIP"},
    {"kind": "CertificateExpiring", "what": "certificate arn:x ends in 10 days", "means": "clients refuse it",
     "do": "renew it"}]}


class FakeLambda:
    """Answers Invoke as Lambda does: the payload as a stream, FunctionError when the function raised."""

    def __init__(self, result: dict[str, Any], *, function_error: str | None = None) -> None:
        self.result, self.function_error = result, function_error
        self.invoked: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.invoked.append({**kwargs, "Payload": json.loads(kwargs["Payload"])})
        answer: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.result).encode())}
        if self.function_error:
            answer["FunctionError"] = self.function_error
        return answer


def run(argv: list[str], lam: FakeLambda, outputs: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    cfn = cloudformation(outputs={**OUTPUTS, "DriftCheckFunctionName": FUNCTION} if outputs is None else outputs)
    code = main(argv, connect=lambda region, profile: Clients(sfn=NoCalls(), cfn=cfn, region="us-east-1", lambda_=lam),
                console=make_console(out))
    return code, out.getvalue()


def test_a_matching_host_exits_0_after_one_synchronous_invoke_of_the_stacks_function():
    lam = FakeLambda(MATCHES)
    code, out = run(["status", "--host", HOST], lam)
    assert code == 0
    assert out == f"matches  {HOST}: as its recorded setup\n"
    assert lam.invoked == [{"FunctionName": FUNCTION, "InvocationType": "RequestResponse",
                            "Payload": {"host": HOST}}]


def test_findings_print_one_line_each_and_exit_1():
    code, out = run(["status", "--host", HOST, "--namespace", "vector-db", "--certificate-days", "45"],
                    lam := FakeLambda(DRIFTED))
    assert code == 1
    assert out.splitlines() == [
        "Layer4Back  Service milvus/milvus-demo is LoadBalancer again -- do: set service.type=ClusterIP",
        "CertificateExpiring  certificate arn:x ends in 10 days -- do: renew it"]
    assert lam.invoked[0]["Payload"] == {"host": HOST, "namespace": "vector-db", "certificateDays": 45}


def test_json_prints_the_report_as_the_function_returned_it():
    code, out = run(["status", "--host", HOST, "--json"], FakeLambda(DRIFTED))
    assert code == 1 and json.loads(out) == DRIFTED


def test_the_function_refusing_the_input_is_one_line_and_exit_2(capsys):
    refused = {"errorType": "InvalidInput", "errorMessage": "host: give the host to check. Nothing was read"}
    code, _ = run(["status"], FakeLambda(refused, function_error="Unhandled"))
    assert code == 2
    assert capsys.readouterr().err == (f"error: the drift check {FUNCTION} failed: InvalidInput: host: give the "
                                       "host to check. Nothing was read\n")


def test_any_other_failure_of_the_function_is_exit_3(capsys):
    forbidden = {"errorType": "KubernetesForbidden", "errorMessage": "the cluster refused"}
    code, _ = run(["status", "--host", HOST], FakeLambda(forbidden, function_error="Unhandled"))
    assert code == 3 and "KubernetesForbidden: the cluster refused" in capsys.readouterr().err


def test_a_stack_without_the_output_is_one_line_and_exit_2(capsys):
    code, _ = run(["status", "--host", HOST], FakeLambda(MATCHES), outputs=OUTPUTS)
    assert code == 2 and "has no output DriftCheckFunctionName" in capsys.readouterr().err


def test_a_function_named_on_the_command_line_skips_the_stack():
    lam = FakeLambda(MATCHES)
    out = io.StringIO()
    code = main(["status", "--host", HOST, "--drift-check-function", "my-check"],
                connect=lambda region, profile: Clients(sfn=NoCalls(), cfn=NoCalls(), region="us-east-1", lambda_=lam),
                console=make_console(out))
    assert code == 0 and lam.invoked[0]["FunctionName"] == "my-check"


@pytest.mark.parametrize("value", ["-1", "3651", "soon"])
def test_certificate_days_out_of_range_is_refused_before_any_call(value, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["status", "--certificate-days", value], connect=lambda region, profile: pytest.fail("connected"))
    assert exited.value.code == 2
