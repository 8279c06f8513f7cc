"""A model behind an OpenAI-compatible HTTP server, in place of the in-process engine.

The runtime renders the prompt exactly as in-process (the project's ChatML rendering under the
GGUF's own chat template) and sends the rendered text to ``/v1/completions`` with the grammar,
the sampler settings and the call's seed; the server returns the text and its token counts.
Prompt-budget and seed token ids come from the server's tokenize endpoint, so they are the
served model's own. Three servers are known, told apart by the endpoints they answer
(docs/served.md says what differs between them):

- ``llama-server`` (llama.cpp): ``/props``, ``/tokenize``; grammar, DRY, per-request seed;
- ``llama-cpp-python`` (``python -m llama_cpp.server``): ``/extras/tokenize``; grammar and
  seed, no DRY sampler;
- ``vllm``: ``/tokenize``; the grammar as ``structured_outputs``, seed, no DRY sampler.

The GGUF named in the config is read here without its weights (llama.cpp's ``vocab_only``):
its chat template, BOS/EOS text and vocabulary, so every grammar compiles here before it is
sent. llama-cpp-python's server does not check a grammar and crashes on one llama.cpp refuses.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from josi._errors import (
    ConfigError,
    ContractError,
    EndpointError,
    GrammarError,
    MissingDependencyError,
    ModelFileError,
)
from josi._lazy import require
from josi.runtime._config import (
    DEFAULT_KV_CACHE_TYPE,
    DryPenalty,
    RuntimeConfig,
    ServedFeatureWarning,
)
from josi.runtime._engine import (
    ContinuationScores,
    Generation,
    check_prompt_fits,
    compile_grammar,
    token_text,
)
from josi.runtime._engine import grammar_accepts as _grammar_accepts

KINDS: tuple[str, ...] = ("llama-server", "llama-cpp-python", "vllm")
_LLAMA_CPP = ("llama-server", "llama-cpp-python")
_NEEDS_LOGITS = (
    "{feature} needs the model's raw logits, which a served model does not expose; "
    "run it in-process (without --josi-endpoint / --endpoint)"
)
_MAX_COUNT_CACHE = 4096


@dataclass(frozen=True)
class Retry:
    """How hard to try one request: bounded attempts, exponential backoff between them."""

    attempts: int = 4
    backoff_s: float = 0.5  # the wait after the first failure; it doubles after each one
    timeout_s: float = 300.0  # one request; a 200-token reply on a busy CPU server is slow


class _Http:
    """JSON over HTTP with bounded retries; the standard library only."""

    def __init__(self, base: str, retry: Retry) -> None:
        self.base, self.retry = base, retry

    def call(
        self, method: str, path: str, payload: Any = None, *, probe: bool = False
    ) -> Any | None:
        """The decoded JSON answer. With ``probe``, None when the server lacks the route.

        Connection failures, timeouts, 5xx answers and answers that are not JSON are retried
        with exponential backoff; a 4xx answer is the request's fault and is not.
        """
        url = self.base + path
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json"} if data is not None else {}
        problem = ""
        started = time.monotonic()
        for attempt in range(self.retry.attempts):
            if attempt:
                time.sleep(self.retry.backoff_s * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.retry.timeout_s) as answer:
                    body = answer.read()
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                if probe and exc.code in (404, 405):
                    return None
                if exc.code < 500:
                    if "grammar" in detail.lower():
                        raise GrammarError(
                            f"{url} refused the grammar (HTTP {exc.code}): {detail}"
                        ) from exc
                    raise EndpointError(
                        f"{url} refused the request (HTTP {exc.code}): {detail}"
                    ) from exc
                problem = f"HTTP {exc.code}: {detail}" if detail else f"HTTP {exc.code}"
                continue
            except TimeoutError:
                problem = f"no answer within {self.retry.timeout_s:g}s"
                continue
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"cannot connect ({reason})"
                continue
            try:
                return json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                problem = f"the answer is not JSON ({body[:60]!r})"
        spent = time.monotonic() - started
        raise EndpointError(
            f"{method} {url}: {problem} ({self.retry.attempts} attempts in {spent:.1f}s); "
            "check that the server is up and serves the model"
        )


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return " ".join(text.split())[:200]
    error = data.get("error", data.get("detail", data)) if isinstance(data, dict) else data
    if isinstance(error, dict):
        error = error.get("message", error)
    return " ".join(str(error).split())[:200]


class _Vocabulary:
    """The GGUF's tokenizer and metadata, loaded without weights."""

    def __init__(self, gguf: Path) -> None:
        self.lc = require("llama_cpp")
        log = io.StringIO()
        try:
            with contextlib.redirect_stderr(log):
                self.llm = self.lc.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelFileError(
                f"llama.cpp could not read the vocabulary of {gguf}: {exc}"
            ) from exc
        self.chat_template: str | None = self.llm.metadata.get("tokenizer.chat_template")
        self.bos_id: int = self.llm.token_bos()
        self.bos_text = token_text(self.llm, self.bos_id)
        self.eos_text = token_text(self.llm, self.llm.token_eos())

    def check_grammar(self, text: str) -> None:
        self.lc.llama_sampler_free(compile_grammar(self.lc, self.llm._model.vocab, text))

    def close(self) -> None:
        self.llm.close()


def _base_url(endpoint: str) -> str:
    base = endpoint.rstrip("/")
    # OpenAI clients are often given the /v1 root; the tokenize routes live beside it.
    return base[: -len("/v1")] if base.endswith("/v1") else base


class ServedEngine:
    """The engine interface of ``Engine`` on an OpenAI-compatible server (``config.endpoint``)."""

    def __init__(
        self, config: RuntimeConfig, *, kind: str | None = None, retry: Retry | None = None
    ) -> None:
        if config.endpoint is None:
            raise ConfigError("a served engine needs an endpoint URL")
        if kind is not None and kind not in KINDS:
            raise ConfigError(f"unknown server kind {kind!r}; expected one of {list(KINDS)}")
        self.endpoint = _base_url(config.endpoint)
        self._http = _Http(self.endpoint, retry or Retry())
        self.kind = kind or self._detect()
        self.unsupported: set[str] = set()  # requested settings this server could not apply
        self._counts: dict[str, int] = {}
        self._resets: list[tuple[str, list[int]]] | None = None
        self._prefixes: dict[tuple[int, ...], str | None] = {}
        self._model: str | None = None
        self._vocab = _Vocabulary(config.gguf) if config.gguf.is_file() else None
        props = self._http.call("GET", "/props", probe=True) or {}
        server_ctx = self._server_n_ctx(props)
        # The server's context is the one that holds the prompt; without a report, the config's.
        self.n_ctx: int = server_ctx or config.n_ctx
        if self._vocab is not None:
            self.chat_template = self._vocab.chat_template
            self.bos_text, self.eos_text = self._vocab.bos_text, self._vocab.eos_text
        elif self.kind == "llama-server" and isinstance(props.get("chat_template"), str):
            self.chat_template = props["chat_template"]
            self.bos_text = str(props.get("bos_token") or "")
            self.eos_text = str(props.get("eos_token") or "")
        else:
            raise ConfigError(
                f"{config.gguf}: no such file; a {self.kind} endpoint needs the GGUF it serves "
                "here too, for its chat template and vocabulary (the weights are not loaded)"
            )
        # What the tokenize endpoint adds to a text on its own (BOS where the model wants one).
        self._added = len(self._tokenize("", special=True))

    # --- the server -----------------------------------------------------------------------

    def _detect(self) -> str:
        props = self._http.call("GET", "/props", probe=True)
        if isinstance(props, dict) and (
            "default_generation_settings" in props or "chat_template" in props
        ):
            return "llama-server"
        count = self._http.call("POST", "/extras/tokenize/count", {"input": "a"}, probe=True)
        if isinstance(count, dict) and "count" in count:
            return "llama-cpp-python"
        tokens = self._http.call("POST", "/tokenize", {"prompt": "a"}, probe=True)
        if isinstance(tokens, dict) and "tokens" in tokens:
            return "vllm"
        raise EndpointError(
            f"{self.endpoint} answers none of llama-server's /props, llama-cpp-python's "
            "/extras/tokenize or vLLM's /tokenize; point --endpoint at one of those servers"
        )

    def _server_n_ctx(self, props: dict[str, Any]) -> int | None:
        if self.kind == "llama-server":
            settings = props.get("default_generation_settings") or {}
            value = settings.get("n_ctx", props.get("n_ctx"))
            return value if isinstance(value, int) and value > 0 else None
        if self.kind == "vllm":
            models = self._http.call("GET", "/v1/models") or {}
            data = models.get("data") or [{}]
            self._model = data[0].get("id")
            value = data[0].get("max_model_len")
            return value if isinstance(value, int) and value > 0 else None
        return None

    def check_config(self, config: RuntimeConfig) -> None:
        """Refuse, in one line each, the settings that need the model in this process."""
        if config.scores_actions:
            raise ConfigError(
                _NEEDS_LOGITS.format(
                    feature="scoring the actions (score_actions, "
                    "confidence_source='action_probability')"
                )
            )
        if config.jump_forward:
            raise ConfigError(
                "jump_forward drives llama.cpp's decode loop in this process; "
                "a served model decodes on the server, so turn it off with --endpoint"
            )
        if config.flash_attn or config.kv_cache_type != DEFAULT_KV_CACHE_TYPE:
            raise ConfigError(
                "flash_attn and kv_cache_type are set where the model is loaded; "
                "a served model takes them from its server's own options"
            )

    # --- tokens ---------------------------------------------------------------------------

    def _tokenize(self, text: str, *, special: bool) -> list[int]:
        """Token ids of ``text``, special tokens parsed; ``special`` adds BOS as the model says."""
        if self.kind == "llama-cpp-python":
            # Its endpoint always adds what the model wants; count_tokens takes that off.
            answer = self._http.call("POST", "/extras/tokenize", {"input": text})
        elif self.kind == "llama-server":
            payload = {"content": text, "add_special": special, "parse_special": True}
            answer = self._http.call("POST", "/tokenize", payload)
        else:
            payload = {"prompt": text, "add_special_tokens": special}
            if self._model:
                payload["model"] = self._model
            answer = self._http.call("POST", "/tokenize", payload)
        tokens = answer.get("tokens") if isinstance(answer, dict) else None
        if not isinstance(tokens, list):
            raise EndpointError(f"{self.endpoint}: the tokenize answer has no token list")
        return [int(t) for t in tokens]

    def tokenize(self, prompt: str) -> list[int]:
        """The served model's token ids of a rendered prompt, as its completions read it."""
        ids = self._tokenize(prompt, special=True)
        bos = self._vocab.bos_id if self._vocab is not None else None
        if bos is not None and bos >= 0 and ids[:2] == [bos, bos]:
            raise ContractError(
                "the rendered prompt starts with two BOS tokens: "
                "the chat template already adds BOS and so does the tokenizer; "
                "fix the template or the add_bos_token metadata"
            )
        return ids

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without BOS: what it adds to a prompt (the budget counts pieces)."""
        count = self._counts.get(text)
        if count is None:
            if self.kind == "llama-cpp-python":
                answer = self._http.call("POST", "/extras/tokenize/count", {"input": text})
                raw = answer.get("count") if isinstance(answer, dict) else None
                if not isinstance(raw, int):
                    raise EndpointError(f"{self.endpoint}: the token count answer has no count")
                count = raw - (self._added if text else 0)
            else:
                count = len(self._tokenize(text, special=False))
            if len(self._counts) >= _MAX_COUNT_CACHE:
                self._counts.clear()
            self._counts[text] = count
        return count

    # --- grammar --------------------------------------------------------------------------

    def check_grammar(self, text: str) -> None:
        """Compile ``text`` on the local vocabulary (without one, llama-server checks it)."""
        if self._vocab is not None:
            self._vocab.check_grammar(text)

    def grammar_accepts(self, grammar: str, text: str) -> bool:
        if self._vocab is None:
            raise ConfigError(
                "grammar_accepts needs the model's vocabulary: give the GGUF the server runs"
            )
        return _grammar_accepts(self._vocab.llm, grammar, text)

    # --- generation -----------------------------------------------------------------------

    def _unsupported(self, feature: str, detail: str) -> None:
        if feature not in self.unsupported:
            self.unsupported.add(feature)
            warnings.warn(f"{self.kind} at {self.endpoint}: {detail}", ServedFeatureWarning, 2)

    def _payload(
        self,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        top_k: int,
        min_p: float,
        seed: int,
        grammar: str | None,
        dry: DryPenalty | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "min_p": min_p,
            "seed": seed,
            "stream": False,
            "n": 1,
        }
        if self.kind == "vllm":
            payload["top_k"] = top_k if top_k > 0 else -1  # vLLM disables top-k with -1
            payload["repetition_penalty"] = 1.0
            if grammar is not None:
                payload["structured_outputs"] = {"grammar": grammar}
            if self._model:
                payload["model"] = self._model
        else:
            # Both llama.cpp servers default to a repeat penalty the in-process chain lacks.
            payload |= {"top_k": top_k, "repeat_penalty": 1.0}
            if grammar is not None:
                payload["grammar"] = grammar
        if self.kind == "llama-server":
            # The in-process chain, in its order; the slot keeps the prefix _start_from left.
            payload["samplers"] = ["dry", "top_k", "top_p", "min_p", "temperature"]
            payload["cache_prompt"] = True
            payload["dry_multiplier"] = dry.multiplier if dry is not None else 0.0
            if dry is not None:
                payload |= {
                    "dry_base": dry.base,
                    "dry_allowed_length": dry.allowed_length,
                    "dry_penalty_last_n": self.n_ctx,
                    "dry_sequence_breakers": list(dry.breakers),
                }
        elif dry is not None:
            self._unsupported(
                "dry", "no DRY sampler; coach replies decode without it (docs/served.md)"
            )
        return payload

    def generate(
        self,
        ids: list[int],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        top_k: int,
        min_p: float,
        seed: int,
        grammar: str | None = None,
        dry: DryPenalty | None = None,
        prefix_len: int = 0,  # the server decides what it reuses
        use_cache: bool = True,
        mode: str = "",
        jump_forward: bool = False,
        jump_rows: int = 0,  # jump-forward only, which a served engine refuses
        prompt: str | None = None,
    ) -> Generation:
        if prompt is None:
            raise ContractError("a served engine sends the prompt text; pass prompt=")
        if jump_forward:
            raise ConfigError("jump_forward runs in-process only")
        check_prompt_fits(len(ids), self.n_ctx)
        if grammar is not None:
            self.check_grammar(grammar)
        payload = self._payload(
            prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            min_p=min_p,
            seed=seed,
            grammar=grammar,
            dry=dry,
        )
        started = time.perf_counter()
        if self.kind in _LLAMA_CPP:
            self._start_from(ids, prompt, prefix_len if use_cache else 0)
        answer = self._http.call("POST", "/v1/completions", payload)
        latency = time.perf_counter() - started
        try:
            choice = answer["choices"][0]
            text = choice["text"]
            if not isinstance(text, str):
                raise TypeError(type(text).__name__)
        except (KeyError, IndexError, TypeError) as exc:
            raise EndpointError(
                f"{self.endpoint}/v1/completions answered without choices[0].text ({exc!r})"
            ) from exc
        usage = answer.get("usage") or {}
        served_prompt = usage.get("prompt_tokens")
        if isinstance(served_prompt, int) and served_prompt != len(ids):
            raise ContractError(
                f"the server read the prompt as {served_prompt} tokens where its tokenize "
                f"endpoint gave {len(ids)}; the prompt budget and seeds would be wrong"
            )
        completion = usage.get("completion_tokens")
        completion = completion if isinstance(completion, int) else 0
        details = usage.get("prompt_tokens_details") or {}
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        budget = min(max_tokens, self.n_ctx - len(ids))
        if choice.get("finish_reason") == "length":
            stopped = "context_full" if budget < max_tokens else "max_tokens"
        else:
            stopped = "eog"
        return Generation(
            text=text,
            prompt_tokens=len(ids),
            completion_tokens=completion,
            cached_tokens=cached if isinstance(cached, int) else 0,
            latency_s=latency,
            stopped=stopped,
            decode_steps=completion,
        )

    def _side_call(self, text: str) -> None:
        payload: dict[str, Any] = {"prompt": text, "max_tokens": 1, "temperature": 0.0}
        payload |= {"repeat_penalty": 1.0, "stream": False}
        if self.kind == "llama-server":
            payload["cache_prompt"] = True
        self._http.call("POST", "/v1/completions", payload)

    def _start_from(self, ids: list[int], prompt: str, prefix_len: int) -> None:
        """Leave the server's KV cache as the in-process engine's is before it decodes ``ids``.

        A llama.cpp server reuses whatever prefix the previous request shares with this one,
        and the same tokens evaluated in other batch splits give logits that differ in the last
        bits, enough to flip a near-tie under greedy decoding. In-process, only the system
        prompt is reused, in the state evaluating it alone leaves (``Engine._prepare``). So:
        a one-token request that shares no prefix empties the cache, then the system prompt
        alone is evaluated, and the call proper reuses exactly that. Without a prefix (or with
        ``prefix_cache`` off) the call is evaluated from an empty cache. This holds while one
        client at a time uses the server (one endpoint per xdist worker).
        """
        self._side_call(self._reset_text(ids[0]))
        if 0 < prefix_len < len(ids):
            text = self._prefix_text(prompt, ids, prefix_len)
            if text is not None:
                self._side_call(text)

    def _reset_text(self, first: int) -> str:
        if self._resets is None:
            self._resets = [(t, self._tokenize(t, special=False)[:1]) for t in ("0", "1")]
        return next(text for text, ids in self._resets if ids != [first])

    def _prefix_text(self, prompt: str, ids: list[int], n: int) -> str | None:
        """The leading text of ``prompt`` that tokenises to ``ids[:n]`` (a line boundary)."""
        key = tuple(ids[:n])
        if key not in self._prefixes:
            found = None
            end = prompt.find("\n")
            while 0 <= end < len(prompt) - 1:
                pieces = self._tokenize(prompt[: end + 1], special=True)
                if pieces == ids[:n]:
                    found = prompt[: end + 1]
                    break
                if len(pieces) > n:
                    break
                end = prompt.find("\n", end + 1)
            self._prefixes[key] = found
        return self._prefixes[key]

    # --- what needs the logits ------------------------------------------------------------

    def score_continuations(self, *_args: Any, **_kwargs: Any) -> ContinuationScores:
        raise ConfigError(_NEEDS_LOGITS.format(feature="scoring continuations"))

    def detokenize(self, ids: list[int]) -> str:
        raise ConfigError(_NEEDS_LOGITS.format(feature="scoring the actions"))

    # --- cache and lifetime -----------------------------------------------------------------

    def drop_live_cache(self) -> None:
        return None  # the server owns its KV cache

    def clear_cache(self) -> None:
        self._counts.clear()

    def close(self) -> None:
        if self._vocab is not None:
            self._vocab.close()
            self._vocab = None


def free_port() -> int:
    """A TCP port nothing listens on now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """llama-cpp-python's server on one GGUF, set up as the in-process engine is.

    Same context, batch and micro-batch sizes, seed and threads as ``Engine`` for the same
    config; logits for the last position only (the server's default computes every
    position's, a different kernel path). One model, one request at a time: the server
    serialises requests. ``with LocalServer(config) as server: server.url``.
    """

    def __init__(
        self, config: RuntimeConfig, *, port: int | None = None, startup_s: float = 120.0
    ) -> None:
        if not config.gguf.is_file():
            raise ModelFileError(f"{config.gguf}: no such file")
        self.config, self.port, self.startup_s = config, port or free_port(), startup_s
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def command(self) -> list[str]:
        c = self.config
        batch = str(min(c.n_batch, c.n_ctx))
        args = [sys.executable, "-m", "llama_cpp.server", "--model", str(c.gguf)]
        args += ["--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(c.n_ctx)]
        args += ["--n_batch", batch, "--n_ubatch", batch, "--seed", str(c.seed)]
        args += ["--logits_all", "false", "--verbose", "false"]
        if c.n_threads is not None:
            args += ["--n_threads", str(c.n_threads), "--n_threads_batch", str(c.n_threads)]
        return args

    def start(self) -> LocalServer:
        import importlib.util

        require("llama_cpp")
        for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context"):
            if importlib.util.find_spec(module) is None:
                raise MissingDependencyError(
                    f"llama-cpp-python's server needs {module}: pip install 'josi[server]'"
                )
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self._process = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, env=os.environ.copy()
        )
        deadline = time.monotonic() + self.startup_s
        probe = _Http(self.url, Retry(attempts=1, timeout_s=5.0))
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            with contextlib.suppress(EndpointError):
                if probe.call("GET", "/v1/models") is not None:
                    return self
            time.sleep(0.2)
        tail = self._tail()
        self.stop()
        raise EndpointError(
            f"llama-cpp-python's server on {self.config.gguf.name} was not ready within "
            f"{self.startup_s:g}s: {tail}"
        )

    def _tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", errors="replace").strip().splitlines()
        return " | ".join(lines[-3:]) or "no output"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
