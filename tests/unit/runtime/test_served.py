"""The served engine against small local HTTP stubs: what it sends, what it reads back, and how
it fails. No model: the stubs tokenise into UTF-8 bytes, as the scripted engine does."""

from __future__ import annotations

import json
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from josi._errors import ConfigError, ContractError, EndpointError, GrammarError
from josi.contracts import grammar_text, pin_free_text, verbatim_free_text
from josi.evals import load_cases
from josi.pytest_plugin import worker_endpoint
from josi.runtime import (
    JosiRuntime,
    Retry,
    RuntimeConfig,
    ServedEngine,
    ServedFeatureWarning,
    call_seed,
    free_port,
)

FAST = Retry(attempts=3, backoff_s=0.01, timeout_s=0.5)
TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
REQUEST = '{"action":"answer_question","free_text":"hi","question":"hi","confidence":0.9}'
CASE = next(c for c in load_cases("schema") if c.run == "interpret" and not c.history)


class Stub:
    """A llama-server look-alike (``/props``, ``/tokenize``, ``/v1/completions``) whose
    completion answers can be scripted: a dict (JSON), bytes (sent as is), an int (that
    HTTP status), or a float (sleep that long, then answer normally)."""

    def __init__(self, kind: str = "llama-server") -> None:
        self.kind = kind
        self.completions: list[dict[str, Any]] = []
        self.script: list[Any] = []
        self.text = REQUEST
        self.usage_delta = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, body: Any) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/props" and stub.kind == "llama-server":
                    settings = {"n_ctx": 4096}
                    self._send(
                        200, {"default_generation_settings": settings, "chat_template": TEMPLATE}
                    )
                elif self.path == "/v1/models" and stub.kind == "vllm":
                    self._send(200, {"data": [{"id": "josi", "max_model_len": 2048}]})
                else:
                    self._send(404, {"detail": "Not Found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/extras/tokenize/count" and stub.kind == "llama-cpp-python":
                    self._send(200, {"count": len(body["input"].encode())})
                elif self.path == "/tokenize" and stub.kind in ("llama-server", "vllm"):
                    text = body.get("content", body.get("prompt", ""))
                    self._send(200, {"tokens": list(text.encode())})
                elif self.path == "/v1/completions":
                    stub.completions.append(body)
                    if body["max_tokens"] == 1:
                        self._send(200, stub.answer(body))  # preparing the cache
                        return
                    action = stub.script.pop(0) if stub.script else None
                    if isinstance(action, float):
                        time.sleep(action)
                    if isinstance(action, int) and not isinstance(action, bool):
                        self._send(action, {"error": {"message": f"status {action}"}})
                    elif isinstance(action, bytes):
                        self._send(200, action)
                    elif isinstance(action, dict):
                        self._send(action.pop("status", 200), action)
                    else:
                        self._send(200, stub.answer(body))
                else:
                    self._send(404, {"detail": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *args: None  # a client that timed out hung up
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = len(body["prompt"].encode()) + self.usage_delta
        return {
            "choices": [{"text": self.text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": 7},
        }

    def calls(self) -> list[dict[str, Any]]:
        """The completion requests the runtime made for its calls (not the cache preparation)."""
        return [c for c in self.completions if c["max_tokens"] != 1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


def _config(url: str, **options: Any) -> RuntimeConfig:
    return RuntimeConfig(
        gguf="not-here.gguf", prompt_style="compact", endpoint=url, deterministic=True, **options
    )


def _runtime(url: str, **options: Any) -> JosiRuntime:
    config = _config(url, **options)
    return JosiRuntime(config, _engine=ServedEngine(config, retry=FAST))


def test_interpreter_call_sends_the_rendered_prompt_grammar_sampler_and_seed(stub):
    runtime = _runtime(stub.url)
    call = runtime.interpret(CASE.context, CASE.message)
    [sent] = stub.calls()
    messages = runtime.messages("interpreter", CASE.context, CASE.message)
    prompt = runtime.render(messages)
    assert sent["prompt"] == prompt  # the project's rendering, not the server's chat template
    assert sent["grammar"] == pin_free_text(grammar_text(), verbatim_free_text(CASE.message))
    assert sent["seed"] == call_seed(0, "interpreter", list(prompt.encode()))
    config = runtime.config
    assert sent["temperature"] == 0.0 and sent["max_tokens"] == config.max_tokens
    assert (sent["top_p"], sent["top_k"], sent["min_p"]) == (config.top_p, config.top_k, 0.05)
    assert sent["repeat_penalty"] == 1.0 and sent["dry_multiplier"] == 0.0
    assert call.raw == REQUEST and call.parse.ok
    assert (call.stats.prompt_tokens, call.stats.completion_tokens) == (len(prompt.encode()), 7)
    assert call.stats.stopped == "eog"


def test_the_cache_is_reset_then_holds_the_system_prompt_alone(stub):
    runtime = _runtime(stub.url)
    runtime.interpret(CASE.context, CASE.message)
    reset, prefix, call = stub.completions
    assert reset["max_tokens"] == 1 and not reset["prompt"].startswith("<|im_start|>")
    system = runtime.messages("interpreter", CASE.context, CASE.message)[0]
    assert prefix["prompt"] == runtime.render([system], add_generation_prompt=False)
    assert call["prompt"].startswith(prefix["prompt"])
    stub.completions.clear()
    runtime.with_config(prefix_cache=False).interpret(CASE.context, CASE.message)
    assert [c["max_tokens"] for c in stub.completions] == [1, runtime.config.max_tokens]


def test_coach_call_sends_dry_to_llama_server(stub):
    stub.text = "Nice, enjoy the run."
    runtime = _runtime(stub.url)
    runtime.coach(CASE.context, CASE.message, REQUEST)
    [sent] = stub.calls()
    dry = runtime.config.dry("coach")
    assert sent["dry_multiplier"] == dry.multiplier and sent["dry_base"] == dry.base
    assert sent["dry_allowed_length"] == dry.allowed_length
    assert sent["dry_sequence_breakers"] == list(dry.breakers)
    assert "grammar" not in sent


@pytest.mark.parametrize("kind", ["llama-cpp-python", "vllm"])
def test_servers_without_dry_say_so_once(stub, kind):
    engine = ServedEngine(_config(stub.url), retry=FAST)
    engine.kind = kind
    dry = _config(stub.url).dry("coach")
    with pytest.warns(ServedFeatureWarning, match="no DRY sampler"):
        payload = engine._payload("p", **_sampling(), grammar="root ::= [a]", dry=dry)
    assert not any(key.startswith("dry") for key in payload)
    assert engine.unsupported == {"dry"}
    if kind == "vllm":
        assert payload["structured_outputs"] == {"grammar": "root ::= [a]"}
        assert "grammar" not in payload
    else:
        assert payload["grammar"] == "root ::= [a]"


def _sampling() -> dict[str, Any]:
    return {
        "max_tokens": 8,
        "temperature": 0.0,
        "top_p": 0.9,
        "top_k": 40,
        "min_p": 0.05,
        "seed": 3,
    }


@pytest.mark.parametrize("kind", ["llama-server", "llama-cpp-python", "vllm"])
def test_detects_the_server_kind(kind):
    server = Stub(kind)
    try:
        if kind == "llama-server":
            engine = ServedEngine(_config(server.url), retry=FAST)
            assert engine.kind == kind and engine.chat_template == TEMPLATE
        else:
            # Neither exposes the chat template: the GGUF must be at hand.
            with pytest.raises(ConfigError, match=f"a {kind} endpoint needs the GGUF"):
                ServedEngine(_config(server.url), retry=FAST)
    finally:
        server.close()


def test_the_server_context_size_holds_the_budget(stub):
    engine = ServedEngine(_config(stub.url, n_ctx=8192), retry=FAST)
    assert engine.n_ctx == 4096


def test_a_prompt_that_fills_the_context_is_refused_before_the_server_is_asked(stub):
    engine = ServedEngine(_config(stub.url), retry=FAST)
    with pytest.raises(ContractError, match="prompt has 4095 tokens but the context holds 4096"):
        engine.generate(
            [97] * 4095,
            max_tokens=8,
            temperature=0.0,
            top_p=1.0,
            top_k=0,
            min_p=0.0,
            seed=0,
            prompt="a" * 4095,
        )
    assert stub.completions == []


def test_token_counts_come_from_the_server(stub):
    runtime = _runtime(stub.url)
    assert runtime.engine.count_tokens("héllo") == len("héllo".encode())
    assert runtime.engine.tokenize("ab") == [97, 98]


def test_features_that_need_logits_are_refused_in_one_line(stub):
    with pytest.raises(ConfigError, match=r"scoring the actions .* needs the model's raw logits"):
        _runtime(stub.url, score_actions=True)
    with pytest.raises(ConfigError, match="jump_forward"):
        _runtime(stub.url, jump_forward=True)
    with pytest.raises(ConfigError, match="flash_attn and kv_cache_type"):
        _runtime(stub.url, flash_attn=True, kv_cache_type="q8_0")
    runtime = _runtime(stub.url)
    with pytest.raises(ConfigError, match="scoring continuations needs the model's raw logits"):
        runtime.engine.score_continuations([1], [2], ["a", "b"])
    with pytest.raises(ConfigError, match="grammar_accepts needs the model's vocabulary"):
        runtime.grammar_accepts(REQUEST)


def test_a_prompt_the_server_counts_differently_is_an_error(stub):
    stub.usage_delta = 1
    with pytest.raises(ContractError, match=r"read the prompt as .* tokens"):
        _runtime(stub.url).interpret(CASE.context, CASE.message)


# --- failures ---------------------------------------------------------------------------


def test_http_500_is_retried_then_reported(stub):
    stub.script = [500, 500, 500]
    with pytest.raises(EndpointError, match=r"HTTP 500: status 500 \(3 attempts in"):
        _runtime(stub.url).interpret(CASE.context, CASE.message)
    assert len(stub.calls()) == 3


def test_a_failure_then_success_is_retried(stub):
    stub.script = [503, b"<html>bad gateway</html>"]
    call = _runtime(stub.url).interpret(CASE.context, CASE.message)
    assert call.raw == REQUEST and len(stub.calls()) == 3


def test_an_answer_that_is_not_json_is_reported(stub):
    stub.script = [b"garbage"] * 3
    with pytest.raises(EndpointError, match="the answer is not JSON"):
        _runtime(stub.url).interpret(CASE.context, CASE.message)


def test_a_json_answer_without_text_is_reported(stub):
    stub.script = [{"choices": []}]
    with pytest.raises(EndpointError, match=r"answered without choices\[0\]\.text"):
        _runtime(stub.url).interpret(CASE.context, CASE.message)


def test_a_slow_server_times_out_after_bounded_attempts(stub):
    stub.script = [1.0, 1.0, 1.0]
    started = time.monotonic()
    with pytest.raises(EndpointError, match=r"no answer within 0.5s \(3 attempts"):
        _runtime(stub.url).interpret(CASE.context, CASE.message)
    assert time.monotonic() - started < 5


def test_connection_refused_is_reported_after_bounded_attempts():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(EndpointError, match=r"cannot connect .*3 attempts.*server is up"):
        ServedEngine(_config(url), retry=FAST)


def test_a_refused_grammar_is_a_grammar_error_and_not_retried(stub):
    stub.script = [{"status": 400, "error": {"message": "failed to parse grammar"}}]
    with pytest.raises(GrammarError, match="refused the grammar"):
        _runtime(stub.url).interpret(CASE.context, CASE.message)
    assert len(stub.calls()) == 1


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["localhost:8080", "ftp://host", "http://", "http://h:port"])
def test_an_endpoint_must_be_an_http_url(url):
    with pytest.raises(ConfigError, match="must be an http:// or https:// URL"):
        RuntimeConfig(gguf="x.gguf", prompt_style="full", endpoint=url)


def test_each_xdist_worker_takes_the_endpoint_of_its_number():
    urls = ["http://a:1", "http://b:2"]
    picked = [worker_endpoint(urls, f"gw{n}") for n in range(4)]
    assert picked == ["http://a:1", "http://b:2", "http://a:1", "http://b:2"]
    assert worker_endpoint(urls, None) == "http://a:1"
    assert worker_endpoint([], "gw1") is None


def test_the_server_extra_pins_the_runtime_version():
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    runtime = next(d for d in extras["runtime"] if d.startswith("llama-cpp-python"))
    assert extras["server"] == [runtime.replace("llama-cpp-python", "llama-cpp-python[server]")]
    assert "server" in extras["all"][0]
